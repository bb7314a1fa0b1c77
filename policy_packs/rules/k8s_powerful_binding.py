"""AGID-K8S-006: no RoleBinding or ClusterRoleBinding grants a powerful built-in role, or any role to everyone.

A binding is flagged when
  - its roleRef names a built-in ClusterRole with escalation power (cluster-admin, admin, edit,
    system:controller:*, ...): whoever the subjects are, they read secrets and run pods as other service accounts
    (in a RoleBinding, inside its namespace; kube-system's holds the cluster's controllers);
  - a subject stands for everyone or every workload (system:anonymous, system:unauthenticated,
    system:authenticated, system:serviceaccounts[:<ns>]), unless the role is a built-in Kubernetes binds
    to them itself (system:discovery, system:public-info-viewer, ...): `view` to everyone is flagged too;
  - its role is neither in this stack nor a known built-in, or is an aggregated ClusterRole of the stack
    (its rules come from other roles): cannot check, reported (fail closed). The built-in namespaced Roles of
    kube-system and kube-public (system::leader-locking-kube-scheduler, system:controller:token-cleaner, ...: data
    analysis/k8s_builtin_namespace_roles.yaml, from the bootstrap policy) are known: a RoleBinding of one in its
    namespace is judged by that Role's rules (AGID-K8S-005, -018), as a stack role is.
A role defined in this stack is judged by its content (AGID-K8S-001, -002, -005), not here. The stack's role is
the one the API server will find (red7a finding 8): a ClusterRole of the name, or a Role of the name in the
binding's own namespace (a Role of that name elsewhere is another object); a stack role carrying a built-in
name (cluster-admin, admin, edit, view, system:*) is not the stack's: the cluster has that role already and
reconciles it, so the binding is judged by the built-in (a system:* name the data does not know: cannot check).
Built-in roles and broad subjects are data: analysis/k8s_rbac_facts.yaml (sources there: the Kubernetes RBAC
docs "Default roles and role bindings" and the bootstrap policy).
"""

from __future__ import annotations

from collections.abc import Iterable

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ROLE_TYPES, broad_subject, builtin_cluster_role, builtin_namespace_role,
    granted_to_everyone_by_default)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .k8s_roles import StackRoles, namespace_of


def _subject_names(subjects: list) -> Iterable[tuple[int, str | None]]:
    for index, subject in enumerate(subjects):
        yield index, subject.get("name") if isinstance(subject, dict) and isinstance(subject.get("name"), str) else None


def check(resources: list[Resource], config):
    roles = StackRoles(resources)
    for resource in resources:
        if resource.type not in BINDING_TYPES:
            continue
        subjects, ref = resource.props.get("subjects"), resource.props.get("roleRef")
        if is_unknown(ref) or isinstance(ref, dict) and (is_unknown(ref.get("name")) or is_unknown(ref.get("kind"))):
            yield Unknown(f"{resource.name}.roleRef", resource.urn)
            continue
        if is_unknown(subjects):
            yield Unknown(f"{resource.name}.subjects", resource.urn)
            continue
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) \
                or not (subjects is None or isinstance(subjects, list)):  # subjects are optional in RBAC v1
            yield Violation(f"{resource.name}: cannot check: roleRef or subjects is not of the RBAC shape "
                            "(roleRef {kind, name}, subjects [{kind, name}])", resource.urn)
            continue
        kind, name = ref.get("kind") or "ClusterRole", ref["name"]
        metadata = resource.props.get("metadata")
        if kind == "Role" and (is_unknown(metadata) or isinstance(metadata, dict) and is_unknown(metadata.get("namespace"))):
            yield Unknown(f"{resource.name}.metadata.namespace", resource.urn)  # which namespace's Role it names
            continue
        own = roles.find(kind, name, resource)
        for index, subject in _subject_names(subjects or []):
            if subject is None:
                if is_unknown(subjects[index]) or isinstance(subjects[index], dict) \
                        and is_unknown(subjects[index].get("name")):
                    yield Unknown(f"{resource.name}.subjects[{index}]", resource.urn)
                else:
                    yield Violation(f"{resource.name}: cannot check: subjects[{index}] has no name", resource.urn)
                continue
            why = broad_subject(subject)
            default = kind == "ClusterRole" and granted_to_everyone_by_default(name) and own is None
            if why and not default:
                yield Violation(f"{resource.name} binds {kind} {name} to {subject} (subjects[{index}]): {why}",
                                resource.urn)
        if own is not None:
            if kind == "ClusterRole" and own.props.get("aggregationRule") not in (None, {}):
                yield Violation(f"{resource.name}: cannot check: ClusterRole {name} is aggregated (its rules are "
                                "filled in from other ClusterRoles by label)", resource.urn)
            continue
        builtin = builtin_cluster_role(name) if kind == "ClusterRole" else None
        if kind == "Role" and builtin_namespace_role(namespace_of(resource), name) is not None:
            continue  # a built-in Role of the binding's namespace: judged by its rules (AGID-K8S-005, -018)
        if builtin is None:
            where = f" of namespace {namespace_of(resource) or '(the provider default)'}" if kind == "Role" else ""
            yield Violation(f"{resource.name}: cannot check: {kind} {name}{where} is neither in this stack nor a known "
                            "built-in ClusterRole, so what the binding grants is unknown", resource.urn)
        elif builtin[0]:
            scope = "in every namespace" if ":ClusterRoleBinding" in resource.type else "in its namespace"
            yield Violation(f"{resource.name} grants built-in ClusterRole {name} {scope}: {builtin[1]}", resource.urn)


RULE = Rule(
    id="AGID-K8S-006",
    title="k8s-no-powerful-bindings",
    severity="critical",
    category="admin",
    description="No RoleBinding or ClusterRoleBinding grants cluster-admin, admin, edit or a controller's built-in "
                "role, binds a role to everyone (system:anonymous, system:authenticated, every service account), "
                "or binds a role the pack cannot see.",
    remediation="Define a Role with the verbs and resources the workload calls and bind it to its own service "
                "account in its namespace; never bind roles to system:* groups.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    check=check,
    stack=True,
    reads=BINDING_TYPES + ROLE_TYPES,
)
