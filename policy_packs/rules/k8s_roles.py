"""Shared by the Kubernetes rules: read a resource's inputs failing closed, read a Role's or ClusterRole's rules
once, and find the stack role a binding's roleRef names (StackRoles).

A value not known at preview is "cannot check until known"; a shape the pack cannot read (for roles: not the list of
PolicyRule objects rbac.authorization.k8s.io/v1 defines) is a violation that names the resource and the path; each
role rule is then judged by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ROLE_TYPES, EscalationPath, NotYetKnown, PolicyRule, Unreadable, builtin_cluster_role,
    builtin_namespace_role, escalation_grants, metadata_name, role_rules, system_namespace)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Outcome, Resource, Unknown, Violation


def failing_closed(resource: Resource, outcomes: Iterable[Outcome], *, stack: bool = False) -> Iterator[Outcome]:
    """`outcomes` (a generator reading `resource`'s inputs) until it raises: NotYetKnown ends in Unknown(path),
    Unreadable in the violation `<resource>: cannot check: <what>`; in a stack rule (`stack`) both name the
    resource's URN."""
    urn = resource.urn if stack else None
    try:
        yield from outcomes
    except NotYetKnown as unknown:
        yield Unknown(unknown.path, urn) if stack else Unknown(unknown.path)
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}", urn) if stack else \
            Violation(f"{resource.name}: cannot check: {error}")


def judge_role_rules(resource: Resource, judge: Callable[[PolicyRule], Iterable[str]]) -> Iterator[Outcome]:
    """Each message `judge(rule)` yields, as a violation `<resource> rules[<index>] <message>`."""
    def judged():
        for index, rule in enumerate(role_rules(dict(resource.props))):
            for message in judge(rule):
                yield Violation(f"{resource.name} rules[{index}] {message}")
    yield from failing_closed(resource, judged())


def judge_paths(resource: Resource, paths: tuple[EscalationPath, ...], holding: str) -> Iterator[Outcome]:
    """One violation a role rule that reaches any of `paths` (k8s_rbac_facts.yaml `escalation_paths` /
    `disruption_paths`). A ClusterRole is judged as bound cluster-wide; a namespaced Role as a ClusterRole when its
    namespace is a system one (kube-system, kube-node-lease, gke-*: `system_namespaces`), since what lives there
    acts for the whole cluster. A Role that holds a `scope: cluster` path and whose namespace is not set lands in the
    provider's default namespace, which the pack cannot see: "cannot check" (`holding` says what it does there);
    a namespace not yet known is reported as such. A RoleBinding naming a Role Kubernetes creates itself in the
    binding's namespace (kube-system's system::leader-locking-kube-scheduler, ...: `builtin_namespace_role`) is
    judged by that Role's rules, there."""
    if resource.type in BINDING_TYPES:
        yield from _builtin_role_binding(resource, paths)
        return
    try:
        rules = role_rules(dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}")
        return
    cluster_role = ":ClusterRole" in resource.type
    where = " in every namespace" if cluster_role else ""
    if not cluster_role and len(escalation_grants(rules, True, paths)) > len(escalation_grants(rules, False, paths)):
        # it holds a path that is cluster-wide power in a system namespace: where the Role lives decides
        metadata = resource.props.get("metadata")
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        if is_unknown(metadata) or is_unknown(namespace):
            yield Unknown("metadata.namespace")
            return
        if not isinstance(namespace, str) or not namespace:
            yield Violation(f"{resource.name}: cannot check: metadata.namespace is not set, so the Role lands in the "
                            f"provider's default namespace (kube-system possible) and it {holding}: set "
                            "metadata.namespace to the workload's own namespace")
            return
        if why_system := system_namespace(namespace):
            cluster_role, where = True, f" in {namespace} ({why_system})"
    for index, allowed, whys in _grants_by_rule(rules, cluster_role, paths):
        yield Violation(f"{resource.name} rules[{index}] allows {allowed}{where}: the holder {whys}")


def _grants_by_rule(rules: list[PolicyRule], cluster_role: bool,
                    paths: tuple[EscalationPath, ...]) -> Iterator[tuple[int, str, str]]:
    """(rule index, what it allows, why) once a rule: a '*' rule reaches every path at once."""
    by_rule: dict[int, list[tuple[str, str, str]]] = {}
    for index, what, verbs, why in escalation_grants(rules, cluster_role, paths):
        by_rule.setdefault(index, []).append((what, verbs, why))
    for index, grants in by_rule.items():
        allowed = "; ".join(f"{verbs} on {what}" for what, verbs, _ in grants)
        yield index, allowed, "; ".join(dict.fromkeys(why for _, _, why in grants))


def builtin_role_bound(binding: Resource) -> tuple[str, str, list[PolicyRule]] | None:
    """(namespace, name, rules) of the built-in namespaced Role a RoleBinding's roleRef names in the binding's own
    namespace (a RoleBinding can name only a Role of its namespace); None for any other roleRef, and while the
    roleRef or the namespace is not a literal (AGID-K8S-006 reports those)."""
    ref = binding.props.get("roleRef")
    if ":RoleBinding" not in binding.type or not isinstance(ref, dict) or ref.get("kind") != "Role" \
            or not isinstance(ref.get("name"), str):
        return None
    namespace = namespace_of(binding)
    rules = builtin_namespace_role(namespace, ref["name"]) if namespace else None
    return None if rules is None else (namespace, ref["name"], rules)


def _builtin_role_binding(binding: Resource, paths: tuple[EscalationPath, ...]) -> Iterator[Outcome]:
    """A binding of a built-in namespaced Role, judged as that Role in its namespace (a system one: cluster-wide
    power, every `scope: cluster` path)."""
    found = builtin_role_bound(binding)
    if found is None:
        return
    namespace, name, rules = found
    why_system = system_namespace(namespace)
    where = f" in {namespace} ({why_system})" if why_system else f" in {namespace}"
    grants = list(_grants_by_rule(rules, bool(why_system), paths))
    if grants:  # one violation a binding: the binding is the one root cause
        allowed = "; ".join(f"rules[{index}] allows {allowed}" for index, allowed, _ in grants)
        whys = "; ".join(dict.fromkeys(why for _, _, why in grants))
        yield Violation(f"{binding.name} grants built-in Role {namespace}/{name}, whose {allowed}{where}: the holder "
                        f"{whys}")


# --- which role a binding's roleRef names (red7a finding 8) ------------------------------------------------------

def reserved_role_name(name: str) -> bool:
    """A ClusterRole/Role name Kubernetes itself creates (cluster-admin, admin, edit, view, system:*): a stack role
    of that name is not the one a binding gets. The API server already has it and reconciles it at every start
    (annotation rbac.authorization.kubernetes.io/autoupdate,
    https://kubernetes.io/docs/reference/access-authn-authz/rbac/#auto-reconciliation)."""
    return builtin_cluster_role(name) is not None or name.startswith("system:")


def namespace_of(resource: Resource) -> str | None:
    """metadata.namespace when set to a string; None when unset (the provider's default namespace) or not one."""
    metadata = resource.props.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) and namespace else None


class StackRoles:
    """The stack's Roles and ClusterRoles as a binding's roleRef finds them: a ClusterRole by name, a Role by
    (namespace, name) in the binding's own namespace (a RoleBinding can only name a Role of its namespace), and
    never a role carrying a built-in name (`reserved_role_name`: judge the binding by the built-in instead)."""

    def __init__(self, resources: list[Resource]):
        self._roles: dict[tuple[str, str | None, str], Resource] = {}
        for resource in resources:
            if resource.type in ROLE_TYPES and not resource.type.endswith("Patch"):
                name = metadata_name(dict(resource.props))
                if name:
                    kind = resource.type.rsplit(":", 1)[-1]
                    self._roles[(kind, namespace_of(resource) if kind == "Role" else None, name)] = resource

    def find(self, kind: str, name: str, binding: Resource) -> Resource | None:
        """The stack role `binding`'s roleRef {kind, name} grants; None when it is not one of the stack's."""
        namespace = namespace_of(binding) if kind == "Role" else None
        if reserved_role_name(name) or kind == "Role" and builtin_namespace_role(namespace, name) is not None:
            return None  # the cluster's own role (a built-in Role of that namespace included) is the one bound
        return self._roles.get((kind, namespace, name))
