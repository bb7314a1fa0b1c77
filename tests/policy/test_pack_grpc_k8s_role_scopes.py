"""Issue 11 (2) over gRPC: a ClusterRole is judged where the stack grants it.

RBAC (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding): a RoleBinding
that names a ClusterRole grants its rules in the RoleBinding's namespace only. Before, AGID-K8S-018 (lease writes,
deletes) and AGID-K8S-005 (secrets reads, workload creation, pods/exec, ...) judged every ClusterRole as bound
cluster-wide, so a ClusterRole bound only by a RoleBinding in the agent's own namespace was flagged as if it reached
kube-system. Now: bound by a ClusterRoleBinding, bound nowhere in the stack, by a binding the pack cannot tie to it,
or aggregated into another role, it is judged as cluster-wide (fail closed); bound only by RoleBindings, as a Role of
each of their namespaces, where its cluster-scoped resources (nodes, flow control, CRDs) grant nothing."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
CLUSTER_ROLE, ROLE_BINDING, CLUSTER_BINDING = f"{RBAC}:ClusterRole", f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"
LEASES = {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]}
SECRETS = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}
AGENT = {"kind": "ServiceAccount", "name": "agent", "namespace": "agents"}


def cluster_role(rule, name="agent-role", labels=None, type_=CLUSTER_ROLE, autonamed=False, **extra):
    metadata = ({} if autonamed else {"name": name}) | ({"labels": labels} if labels else {})
    props = {"metadata": metadata, "rules": [rule]} | extra
    return StackResource(type_, name, urn(type_, name), props)


def binding(name, namespace=None, role="agent-role", type_=ROLE_BINDING, **extra):
    metadata = {"name": name} | ({"namespace": namespace} if namespace is not None else {})
    props = {"metadata": metadata, "subjects": [AGENT],
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}}
    return StackResource(type_, name, urn(type_, name), props, **extra)


def findings(pack, rule_id, *resources) -> list[tuple[str, str, str]]:
    """(resource name, level, message) of each `rule_id` diagnostic, resource and stack policies alike."""
    found = []
    for r in resources:
        found += [(r.name, d.enforcement_level, d.message) for d in pack.analyze(r.type, r.name, r.urn, r.properties)
                  if d.policy_name == rule_id]
    found += [(d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(list(resources))
              if d.policy_name == rule_id]
    return sorted(found)


CASES = {  # rule -> (the ClusterRole's rule, rule id)
    "lease writes": (LEASES, "AGID-K8S-018"),
    "secrets reads": (SECRETS, "AGID-K8S-005"),
    "workload creation": ({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]}, "AGID-K8S-005"),
    "pod deletes": ({"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}, "AGID-K8S-018"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bound_only_in_the_agents_namespace_passes_and_cluster_wide_is_flagged(pack, case) -> None:
    rule, rule_id = CASES[case]
    assert findings(pack, rule_id, cluster_role(rule), binding("own", "agents")) == []
    [(name, level, message)] = findings(pack, rule_id, cluster_role(rule), binding("own", "agents"),
                                        binding("everywhere", type_=CLUSTER_BINDING))
    assert (name, level) == ("agent-role", "mandatory") and "in every namespace" in message


@pytest.mark.parametrize("case", sorted(CASES))
def test_bound_nowhere_in_the_stack_is_judged_cluster_wide(pack, case) -> None:
    """Whatever binds it elsewhere may be a ClusterRoleBinding (fail closed)."""
    rule, rule_id = CASES[case]
    [(name, level, message)] = findings(pack, rule_id, cluster_role(rule), binding("other", "agents", role="other"))
    assert (name, level) == ("agent-role", "mandatory") and "in every namespace" in message


@pytest.mark.parametrize("namespace", ["kube-system", "kube-node-lease", "flux-system"])
def test_a_rolebinding_into_a_system_namespace_is_flagged_there(pack, namespace) -> None:
    [(name, level, message)] = findings(pack, "AGID-K8S-018", cluster_role(LEASES), binding("own", "agents"),
                                        binding("sys", namespace))
    assert (name, level) == ("agent-role", "mandatory")
    assert f"create, update on leases in {namespace} (" in message and "through RoleBinding sys)" in message
    assert "in agents" not in message and "in every namespace" not in message


@pytest.mark.parametrize("rule", [
    {"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["flowschemas"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["delete", "patch"]},
    {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["delete"]},
])
def test_cluster_scoped_resources_grant_nothing_through_a_rolebinding(pack, rule) -> None:
    """A request for a cluster-scoped object has no namespace: even a RoleBinding in kube-system reaches none."""
    assert findings(pack, "AGID-K8S-018", cluster_role(rule), binding("sys", "kube-system")) == []
    [(name, level, _)] = findings(pack, "AGID-K8S-018", cluster_role(rule))  # unbound: as cluster-wide
    assert (name, level) == ("agent-role", "mandatory")


def test_namespace_wide_paths_stay_flagged_through_a_rolebinding(pack) -> None:
    """pods/exec reaches the namespace's pods (scope any); nodes/proxy (cluster-scoped nodes) reaches nothing there."""
    exec_ = {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}
    [(name, level, message)] = findings(pack, "AGID-K8S-005", cluster_role(exec_), binding("own", "agents"))
    assert (name, level) == ("agent-role", "mandatory")
    assert "allows create on pods/exec in agents (through RoleBinding own)" in message
    proxy = {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}
    assert findings(pack, "AGID-K8S-005", cluster_role(proxy), binding("own", "agents")) == []


@pytest.mark.parametrize("aggregated", ["feeds edit", "selected by a stack aggregator", "aggregator unreadable"])
def test_an_aggregated_role_stays_cluster_wide(pack, aggregated) -> None:
    """Its rules flow into another ClusterRole, bound wherever that one is (admin/edit/view: across the cluster)."""
    labels = {"rbac.authorization.k8s.io/aggregate-to-edit": "true"} if aggregated == "feeds edit" else {"app": "x"}
    selectors = UNKNOWN if aggregated == "aggregator unreadable" else [{"matchLabels": {"app": "x"}}]
    resources = [cluster_role(LEASES, labels=labels), binding("own", "agents")]
    if aggregated != "feeds edit":
        resources.append(cluster_role({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
                                      name="aggregator", aggregationRule={"clusterRoleSelectors": selectors}))
    names = [(name, level) for name, level, message in findings(pack, "AGID-K8S-018", *resources)
             if "in every namespace" in message]
    assert names == [("agent-role", "mandatory")]


def test_a_roleref_known_only_at_deployment_binds_the_role_its_output_came_from(pack) -> None:
    """`role_ref=Ref(name=role.metadata.name)` of an autonamed role: unknown at preview, tied to the role by the
    engine's dependencies (iam_links.output_sources)."""
    role = cluster_role(LEASES, autonamed=True)
    linked = binding("own", "agents", role=UNKNOWN, property_dependencies={"roleRef": [role.urn]},
                     dependencies=[role.urn])
    assert findings(pack, "AGID-K8S-018", role, linked) == []
    # without dependencies the binding may name any role, so the role may be bound by something else: cluster-wide
    unlinked = binding("own", "agents", role=UNKNOWN)
    [(name, level, message)] = findings(pack, "AGID-K8S-018", role, unlinked)
    assert (name, level) == ("agent-role", "mandatory") and "in every namespace" in message
    # an Output of one of two roles: neither is known to be bound only there
    other = cluster_role(LEASES, name="other-role", autonamed=True)
    both = binding("own", "agents", role=UNKNOWN, property_dependencies={"roleRef": [role.urn, other.urn]},
                   dependencies=[role.urn, other.urn])
    assert [(n, level) for n, level, _ in findings(pack, "AGID-K8S-018", role, other, both)] == [
        ("agent-role", "mandatory"), ("other-role", "mandatory")]


@pytest.mark.parametrize("namespace", [UNKNOWN, None], ids=["not known at preview", "unset"])
def test_a_rolebinding_whose_namespace_the_pack_cannot_see_is_judged_cluster_wide(pack, namespace) -> None:
    """Unset, it lands in the provider's default namespace (kube-system possible)."""
    [(name, level, message)] = findings(pack, "AGID-K8S-018", cluster_role(LEASES), binding("b", namespace))
    assert (name, level) == ("agent-role", "mandatory") and "in every namespace" in message


def test_a_patch_of_an_existing_cluster_role_is_judged_cluster_wide(pack) -> None:
    """Its bindings are not the stack's."""
    patch = cluster_role(LEASES, type_=f"{RBAC}:ClusterRolePatch")
    [(name, level, message)] = findings(pack, "AGID-K8S-018", patch, binding("own", "agents"))
    assert (name, level) == ("agent-role", "mandatory") and "in every namespace" in message


def test_list_items_are_scoped_one_by_one(pack) -> None:
    """The items of a ClusterRoleList share its URN: one item bound in the agents namespace does not scope the other."""
    items = [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
              "rules": [LEASES]} for name in ("bound-here", "bound-nowhere")]
    roles = StackResource(f"{CLUSTER_ROLE}List", "roles", urn(f"{CLUSTER_ROLE}List", "roles"), {"items": items})
    found = findings(pack, "AGID-K8S-018", roles, binding("own", "agents", role="bound-here"))
    assert [(name, level) for name, level, _ in found] == [("roles", "mandatory")], found
    assert "roles items[1] rules[0] allows create, update on leases in every namespace" in found[0][2], found
