"""Issue 11 (1) over gRPC: RoleBindings of the namespaced Roles Kubernetes creates itself (kube-system's
system::leader-locking-kube-controller-manager / -kube-scheduler, system:controller:bootstrap-signer, -cloud-provider,
-token-cleaner, extension-apiserver-authentication-reader; kube-public's system:controller:bootstrap-signer).

Before, each was AGID-K8S-006's "cannot check: Role ... is neither in this stack nor a known built-in ClusterRole":
the built-in namespaced Roles were not in the data. Now they are (analysis/k8s_builtin_namespace_roles.yaml, the
bootstrap policy's namespace-roles.yaml) and a binding is judged by what the Role grants there: leader-election lease
writes are AGID-K8S-018's, secrets reads and deletes, ConfigMap creates and the cluster-info rewrite AGID-K8S-005's.
The look-alikes pass: the read-only extension-apiserver-authentication-reader, and the same names where Kubernetes
does not create them stay "cannot check" (fail closed)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, BINDING, CLUSTER_BINDING = f"{RBAC}:Role", f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"
AGENT = {"kind": "ServiceAccount", "name": "agent", "namespace": "agents"}


def _binding(namespace, role, kind="Role", name="b"):
    return {"metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}, "subjects": [AGENT]}


def _findings(pack, resources) -> list[tuple[str, str, str, str]]:
    """(rule, level, resource name, message) of every diagnostic the pack gives `resources` ((type, name, props)),
    as the engine asks: each resource's resource policies, then the stack policies on all of them."""
    found = []
    for type_, name, props in resources:
        found += [(d.policy_name, d.enforcement_level, name, d.message)
                  for d in pack.analyze(type_, name, urn(type_, name), props)]
    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in resources]
    found += [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1], d.message) for d in pack.analyze_stack(stack)]
    return sorted(found)


FLAGGED = {  # (namespace, role) -> (rule, fragment of its message)
    ("kube-system", "system::leader-locking-kube-controller-manager"):
        ("AGID-K8S-018", "whose rules[0] allows create, update on leases; rules[1] allows create, update on "
                         "leasecandidates in kube-system"),
    ("kube-system", "system::leader-locking-kube-scheduler"):
        ("AGID-K8S-018", "rules[1] allows create, update on leasecandidates in kube-system"),
    ("kube-system", "system:controller:bootstrap-signer"): ("AGID-K8S-005", "allows get, list, watch on secrets"),
    ("kube-system", "system:controller:token-cleaner"): ("AGID-K8S-005", "allows get, list, watch on secrets"),
    ("kube-system", "system:controller:cloud-provider"): ("AGID-K8S-005", "allows create on configmaps in kube-system"),
    ("kube-public", "system:controller:bootstrap-signer"):
        ("AGID-K8S-005", "allows update on configmaps (resourceNames cluster-info"),
}


@pytest.mark.parametrize("namespace, role", sorted(FLAGGED))
def test_a_binding_of_a_built_in_namespaced_role_is_judged_by_its_rules(pack, namespace, role) -> None:
    rule, fragment = FLAGGED[namespace, role]
    found = _findings(pack, [(BINDING, "b", _binding(namespace, role))])
    assert [(r, level, name) for r, level, name, _ in found] == [(rule, "mandatory", "b")], found
    assert f"b grants built-in Role {namespace}/{role}, whose rules[" in found[0][3] and fragment in found[0][3], found


def test_the_read_only_authentication_reader_passes(pack) -> None:
    """It reads one named ConfigMap (the client CA aggregated API servers trust): nothing to flag, and known."""
    assert _findings(pack, [(BINDING, "b", _binding("kube-system", "extension-apiserver-authentication-reader"))]) == []


K8S_006 = [("AGID-K8S-006", "mandatory")]


@pytest.mark.parametrize("namespace, role, kind, type_, expected", [
    # Kubernetes creates these Roles in kube-system only: in another namespace the Role is someone else's
    ("agents", "system::leader-locking-kube-scheduler", "Role", BINDING, K8S_006),
    ("kube-public", "extension-apiserver-authentication-reader", "Role", BINDING, K8S_006),
    # no built-in ClusterRole carries the leader-locking name (a ClusterRoleBinding names ClusterRoles only); bound
    # cluster-wide to a service account the stack does not define, AGID-K8S-003 cannot tell either
    ("kube-system", "system::leader-locking-kube-scheduler", "ClusterRole", CLUSTER_BINDING,
     [("AGID-K8S-003", "mandatory"), *K8S_006]),
])
def test_the_same_names_where_kubernetes_does_not_create_them_cannot_be_checked(pack, namespace, role, kind,
                                                                                type_, expected) -> None:
    found = _findings(pack, [(type_, "b", _binding(namespace, role, kind))])
    assert [(r, level) for r, level, _, _ in found] == expected, found
    assert all("cannot check" in message for _, _, _, message in found), found


def test_a_stack_role_of_a_built_in_name_does_not_hide_the_built_in(pack) -> None:
    """The cluster has kube-system's leader-locking Role and puts its rules back (autoupdate): a read-only Role of the
    same name in the stack is not what the binding grants."""
    role = {"metadata": {"name": "system::leader-locking-kube-scheduler", "namespace": "kube-system"},
            "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get"]}]}
    found = _findings(pack, [(ROLE, "role", role),
                             (BINDING, "b", _binding("kube-system", "system::leader-locking-kube-scheduler"))])
    assert [(r, level, name) for r, level, name, _ in found] == [("AGID-K8S-018", "mandatory", "b")], found


def test_a_binding_list_item_is_judged_too(pack) -> None:
    props = {"items": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                        **_binding("kube-system", "system::leader-locking-kube-controller-manager")}]}
    found = _findings(pack, [(f"{RBAC}:RoleBindingList", "bl", props)])
    assert [(r, level, name) for r, level, name, _ in found] == [("AGID-K8S-018", "mandatory", "bl")], found
