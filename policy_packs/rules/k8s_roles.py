"""Shared by the Kubernetes rules: read a resource's inputs failing closed, read a Role's or ClusterRole's rules
once, and find the stack role a binding's roleRef names (StackRoles).

A value not known at preview is "cannot check until known"; a shape the pack cannot read (for roles: not the list of
PolicyRule objects rbac.authorization.k8s.io/v1 defines) is a violation that names the resource and the path; each
role rule is then judged by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ROLE_TYPES, EscalationPath, NotYetKnown, PolicyRule, Unreadable, aggregating_builtins_fed,
    builtin_cluster_role, builtin_namespace_role, escalation_grants, list_at, metadata_name, object_at, role_labels,
    role_rules, selector_matches, system_namespace)
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Outcome, Resource, Unknown, Violation
from .iam_links import known_state, output_sources


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


def each_in_stack(resources: list[Resource], types: tuple[str, ...],
                  judge: Callable[[Resource], Iterable[Outcome]]) -> Iterator[Outcome]:
    """`judge(resource)` for each stack resource of `types`, its outcomes placed at the resource (a stack rule's)."""
    for resource in resources:
        if resource.type in types:
            _, item, index = resource.name.rpartition(" items[")  # a <Kind>List's item (k8s_lists.item_name)
            where = f"items[{index}." if item else ""
            for outcome in judge(resource):
                if isinstance(outcome, Unknown):
                    yield Unknown(f"{where}{outcome.path}", outcome.urn or resource.urn)
                else:
                    yield Violation(outcome.message, outcome.urn or resource.urn, outcome.category)


def judge_role_rules(resource: Resource, judge: Callable[[PolicyRule], Iterable[str]]) -> Iterator[Outcome]:
    """Each message `judge(rule)` yields, as a violation `<resource> rules[<index>] <message>`."""
    def judged():
        for index, rule in enumerate(role_rules(dict(resource.props))):
            for message in judge(rule):
                yield Violation(f"{resource.name} rules[{index}] {message}")
    yield from failing_closed(resource, judged())


def judge_paths(resource: Resource, paths: tuple[EscalationPath, ...], holding: str,
                scopes: ClusterRoleScopes | None = None) -> Iterator[Outcome]:
    """One violation a role rule that reaches any of `paths` (k8s_rbac_facts.yaml `escalation_paths` /
    `disruption_paths`). A ClusterRole is judged where `scopes` (the stack's bindings) say it is granted: bound only
    by RoleBindings, as a Role of each of their namespaces whose cluster-scoped resources grant nothing there;
    otherwise (and without `scopes`) as bound cluster-wide. A namespaced Role is judged as a ClusterRole when its
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
    if cluster_role and scopes is not None and (namespaces := scopes.namespaces(resource)) is not None:
        yield from _judge_in_namespaces(resource, rules, paths, namespaces)
        return
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


def _judge_in_namespaces(role: Resource, rules: list[PolicyRule], paths: tuple[EscalationPath, ...],
                         namespaces: dict[str, list[str]]) -> Iterator[Outcome]:
    """A ClusterRole bound only by RoleBindings: judged as a Role of each binding's namespace (a system namespace's
    grants are cluster-wide power), its cluster-scoped resources granting nothing there. One violation a rule."""
    by_rule: dict[int, list[str]] = {}
    whys: dict[int, list[str]] = {}
    for namespace, bindings in sorted(namespaces.items()):
        why_system = system_namespace(namespace)
        through = f"through RoleBinding {', '.join(bindings)}"
        where = f" in {namespace} ({why_system}; {through})" if why_system else f" in {namespace} ({through})"
        for index, allowed, why in _grants_by_rule(rules, bool(why_system), paths, namespaced=True):
            by_rule.setdefault(index, []).append(f"{allowed}{where}")
            whys.setdefault(index, []).append(why)
    for index, granted in by_rule.items():
        yield Violation(f"{role.name} rules[{index}] allows {'; '.join(granted)}: the holder "
                        f"{'; '.join(dict.fromkeys(whys[index]))}")


def _grants_by_rule(rules: list[PolicyRule], cluster_role: bool, paths: tuple[EscalationPath, ...],
                    namespaced: bool = False) -> Iterator[tuple[int, str, str]]:
    """(rule index, what it allows, why) once a rule: a '*' rule reaches every path at once."""
    by_rule: dict[int, list[tuple[str, str, str]]] = {}
    for index, what, verbs, why in escalation_grants(rules, cluster_role, paths, namespaced):
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


# --- where the stack grants a ClusterRole (issue 11 (2)) -------------------------------------------------------

class ClusterRoleScopes:
    """Where each of the stack's ClusterRoles is granted, from the stack's bindings
    (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding: a RoleBinding
    that names a ClusterRole grants its rules in the RoleBinding's namespace only).

    `namespaces(role)` is {namespace: [binding names]} when every binding of the role in the stack is a RoleBinding of
    a literal namespace; None (judge it as bound cluster-wide, fail closed) when it is bound by a ClusterRoleBinding,
    bound nowhere in the stack (whatever binds it elsewhere may be a ClusterRoleBinding), aggregated into another
    ClusterRole (a stack role's aggregationRule selects its labels, or they feed the built-in admin/edit/view), a
    ClusterRolePatch (an existing role: its bindings are not the stack's), or when a binding that may name it
    cannot be read: a roleRef or namespace not known at preview that the engine's dependencies do not tie to one
    role and one namespace, a RoleBinding with no namespace (the provider's default, kube-system possible)."""

    def __init__(self, resources: list[Resource]):
        roles = [r for r in resources if r.type in ROLE_TYPES and ":ClusterRole" in r.type
                 and not r.type.endswith("Patch")]
        # keyed by (URN, name): the items of one <Kind>List share its URN (k8s_lists.item_name tells them apart)
        self._cluster_wide: set[tuple[str, str]] = set()
        self._namespaces: dict[tuple[str, str], dict[str, list[str]]] = {}
        by_name: dict[str, list[Resource]] = {}
        for role in roles:  # its name as far as the judge knows it (under the gate, an autonamed role's mock name)
            name = value_at(known_state(role), "metadata.name")
            if isinstance(name, str) and not is_unknown(name):
                by_name.setdefault(name, []).append(role)
        self._aggregated(roles, resources)
        for binding in resources:
            if binding.type in BINDING_TYPES:
                self._bind(binding, roles, by_name)

    def namespaces(self, role: Resource) -> dict[str, list[str]] | None:
        if role.type.endswith("Patch") or (role.urn, role.name) in self._cluster_wide:
            return None
        return self._namespaces.get((role.urn, role.name))  # None: bound nowhere in the stack

    def _aggregated(self, roles: list[Resource], resources: list[Resource]) -> None:
        """Roles whose rules flow into another ClusterRole: the aggregation controller copies them into every
        ClusterRole whose aggregationRule selects their labels, and into admin/edit/view by their labels."""
        selectors = []
        for aggregator in resources:
            if aggregator.type in ROLE_TYPES and ":ClusterRole" in aggregator.type:
                rule = aggregator.props.get("aggregationRule")
                try:
                    chosen = list_at(object_at(rule, "aggregationRule").get("clusterRoleSelectors"),
                                     "aggregationRule.clusterRoleSelectors")
                except (NotYetKnown, Unreadable):
                    chosen = [{}]  # unreadable selectors: may select anything
                selectors += [((aggregator.urn, aggregator.name), selector) for selector in chosen]
        for role in roles:
            try:
                labels = role_labels(dict(role.props))
                fed = bool(aggregating_builtins_fed(labels)) or any(
                    aggregator != (role.urn, role.name) and (not isinstance(selector, dict)
                                                or selector_matches(selector, labels, "selector"))
                    for aggregator, selector in selectors)
            except (NotYetKnown, Unreadable):
                fed = True
            if fed:
                self._cluster_wide.add((role.urn, role.name))

    def _bind(self, binding: Resource, roles: list[Resource], by_name: dict[str, list[Resource]]) -> None:
        ref = binding.props.get("roleRef")
        kind = ref.get("kind", "ClusterRole") if isinstance(ref, dict) else None
        if kind == "Role":
            return  # names a namespaced Role, never a ClusterRole
        name = ref.get("name") if isinstance(ref, dict) else None
        if isinstance(name, str) and not is_unknown(name) and kind == "ClusterRole":
            bound = by_name.get(name, [])
        else:  # a roleRef not known at preview: the ClusterRole its Output came from, if the engine says which
            bound = output_sources(binding, roles, ("metadata.name",), input="roleRef")
            if bound is None or len(bound) != 1:  # it may name any of them (or one the stack does not show)
                self._cluster_wide.update((role.urn, role.name) for role in bound or roles)
                return
        namespace = self._namespace(binding) if ":RoleBinding" in binding.type else None
        for role in bound:
            if namespace is None:
                self._cluster_wide.add((role.urn, role.name))
            else:
                self._namespaces.setdefault((role.urn, role.name), {}).setdefault(namespace, []).append(binding.name)

    @staticmethod
    def _namespace(binding: Resource) -> str | None:
        """The RoleBinding's namespace when it is a literal (its own, else its provider's); None when the pack cannot
        tell (not known at preview, or the provider default the pack cannot see)."""
        namespace = namespace_of(binding)
        if namespace is not None and not is_unknown(namespace):
            return namespace
        metadata = binding.props.get("metadata")
        if is_unknown(metadata) or isinstance(metadata, dict) and metadata.get("namespace") is not None:
            return None  # set but not known (or not a string)
        provider = binding.provider.props.get("namespace") if binding.provider is not None else None
        return provider if isinstance(provider, str) and provider and not is_unknown(provider) else None
