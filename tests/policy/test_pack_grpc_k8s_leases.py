"""AGID-K8S-018 over gRPC (issue 11): writes of the Leases the control plane elects leaders with (and of the API
Priority and Fairness objects that decide whose requests the API server serves).

Before, a ClusterRole (or a Role in kube-system) with create/update/patch/delete on coordination.k8s.io leases passed
every rule: its holder takes leadership from kube-controller-manager / kube-scheduler / cloud-controller-manager, or
fakes kube-node-lease heartbeats (a cluster-wide denial of service). Each flagged case has a look-alike that passes:
the same write in a Role of the agent's own namespace (its own leader election), or reads."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import analyzed, flagged_names
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE, BINDING = f"{RBAC}:Role", f"{RBAC}:ClusterRole", f"{RBAC}:RoleBinding"
LEASE = "kubernetes:coordination.k8s.io/v1:Lease"
RULE = "AGID-K8S-018"


def _role(namespace, *rules, name="r", labels=None):
    metadata = {"name": name, "namespace": namespace} if namespace else {"name": name}
    if labels:
        metadata["labels"] = labels
    return {"metadata": metadata, "rules": list(rules)}


def _diags(pack, type_, props, name="lease"):
    return [(d.policy_name, d.enforcement_level, d.message) for d in analyzed(pack, type_, name, urn(type_, name), props)]


def _mine(pack, type_, props, name="lease"):
    return [d for d in _diags(pack, type_, props, name) if d[0] == RULE]


LEASE_RULE = {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["update"]}
FLAGGED = {
    "update": (LEASE_RULE, "update on leases"),
    "create": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]}, "create on leases"),
    "delete": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["delete"]}, "delete on leases"),
    "deletecollection": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["deletecollection"]},
                         "deletecollection on leases"),
    "group wildcard": ({"apiGroups": ["*"], "resources": ["leases"], "verbs": ["patch"]}, "patch on leases"),
    "resource wildcard": ({"apiGroups": ["coordination.k8s.io"], "resources": ["*"], "verbs": ["update"]},
                          "update on leases"),
    "verb wildcard": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]}, "* on leases"),
    "everything": ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, "* on leases"),
    "lease candidates": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leasecandidates"], "verbs": ["create"]},
                         "create on leasecandidates"),
    # the API server does not bound update by a name it cannot list: the system Leases carry component/node names
    # API Priority and Fairness: a FlowSchema routing the controllers' requests to a starved level
    "flow schemas": ({"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["flowschemas"], "verbs": ["create"]},
                     "create on flowschemas"),
    "priority levels": ({"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["prioritylevelconfigurations"],
                         "verbs": ["patch"], "resourceNames": ["leader-election"]},
                        "patch on prioritylevelconfigurations (resourceNames leader-election"),
    "named update": ({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update"],
                      "resourceNames": ["kube-controller-manager"]}, "update on leases (resourceNames kube-controller-manager"),
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_cluster_role_lease_writes_are_flagged(pack, case) -> None:
    rule, fragment = FLAGGED[case]
    [(rule_id, level, message)] = _mine(pack, CLUSTER_ROLE, _role(None, rule))
    assert (rule_id, level) == (RULE, "mandatory")
    assert "lease rules[0] allows " in message and fragment in message and "in every namespace" in message


@pytest.mark.parametrize("namespace", ["kube-system", "kube-node-lease", "gke-managed-system"])
def test_a_role_in_a_system_namespace_is_flagged_and_in_the_agents_own_namespace_passes(pack, namespace) -> None:
    [(rule_id, level, message)] = _diags(pack, ROLE, _role(namespace, LEASE_RULE))
    assert (rule_id, level) == (RULE, "mandatory") and f"update on leases in {namespace}" in message
    assert _diags(pack, ROLE, _role("agents", LEASE_RULE)) == []


def test_the_agents_own_leader_election_role_passes(pack) -> None:
    """client-go leader election: create (cannot be named), get/update on its own Lease, in its namespace."""
    props = _role("agents", {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
                  {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update", "patch"],
                   "resourceNames": ["agent-lock"]})
    assert _diags(pack, ROLE, props) == []


def test_a_role_with_no_namespace_cannot_be_checked(pack) -> None:
    [(rule_id, level, message)] = _diags(pack, ROLE, _role(None, LEASE_RULE))
    assert (rule_id, level) == (RULE, "mandatory")
    assert "cannot check: metadata.namespace is not set" in message and "writes the Leases there" in message


@pytest.mark.parametrize("rule", [
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch"]},
    # leases have no subresources: `leases/*` is no RBAC wildcard (ResourceMatches knows only `*` and `*/sub`)
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases/*"], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["leases"], "verbs": ["update"]},  # not the core group
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"], "resourceNames": ["x"]},
    {"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["flowschemas", "prioritylevelconfigurations",
                                                                 "flowschemas/status"], "verbs": ["get", "list", "watch"]},
])
def test_reads_and_non_matching_spellings_pass(pack, rule) -> None:
    assert _mine(pack, CLUSTER_ROLE, _role(None, rule)) == []


def test_flow_control_in_a_namespaced_role_grants_nothing_and_passes(pack) -> None:
    """FlowSchemas and PriorityLevelConfigurations are cluster-scoped: a Role of any namespace cannot reach them."""
    rule = {"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["flowschemas"], "verbs": ["create"]}
    assert _diags(pack, ROLE, _role("agents", rule)) == []


def test_an_aggregated_piece_is_judged_as_a_cluster_role(pack) -> None:
    """A ClusterRole labelled aggregate-to-edit hands its rules to every holder of edit: judged as itself."""
    props = _role(None, LEASE_RULE, name="lease-bits", labels={"rbac.authorization.k8s.io/aggregate-to-edit": "true"})
    assert [(r, level) for r, level, _ in _mine(pack, CLUSTER_ROLE, props)] == [(RULE, "mandatory")]


def test_a_rolebinding_into_kube_system_of_a_stack_cluster_role_flags_the_role(pack) -> None:
    """The ClusterRole is judged where the stack binds it (issue 11 (2)): bound into kube-system by a RoleBinding, as a
    Role of kube-system; the finding is on the role (one finding for one root cause), the binding itself adds none."""
    role = (CLUSTER_ROLE, "lease-writer", _role(None, LEASE_RULE, name="lease-writer"))
    binding = (BINDING, "into-kube-system", {
        "metadata": {"name": "b", "namespace": "kube-system"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "lease-writer"},
        "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "agents"}]})
    assert flagged_names(pack, RULE, role, "mandatory") == ["lease-writer"]  # alone: as bound cluster-wide
    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in (role, binding)]
    [found] = [d for d in pack.analyze_stack(stack) if d.policy_name == RULE]
    assert found.urn == urn(CLUSTER_ROLE, "lease-writer") and found.enforcement_level == "mandatory"
    assert "lease-writer rules[0] allows update on leases in kube-system (kube-system is a system namespace" \
        in found.message and "through RoleBinding into-kube-system)" in found.message, found.message


@pytest.mark.parametrize("namespace", ["kube-system", "kube-node-lease"])
def test_the_stack_writing_a_system_lease_is_flagged_and_its_own_passes(pack, namespace) -> None:
    props = {"metadata": {"name": "kube-controller-manager", "namespace": namespace},
             "spec": {"holderIdentity": "agent", "leaseDurationSeconds": 3600}}
    [(rule_id, level, message)] = _diags(pack, LEASE, props)
    assert (rule_id, level) == (RULE, "mandatory") and f"Lease lease is written into {namespace}" in message
    props["metadata"]["namespace"] = "agents"
    assert _diags(pack, LEASE, props) == []


def test_a_lease_candidate_in_kube_system_is_flagged(pack) -> None:
    type_ = "kubernetes:coordination.k8s.io/v1beta1:LeaseCandidate"
    props = {"metadata": {"name": "kube-scheduler-x", "namespace": "kube-system"},
             "spec": {"leaseName": "kube-scheduler", "binaryVersion": "9.99.0", "emulationVersion": "9.99.0"}}
    assert [(r, level) for r, level, _ in _diags(pack, type_, props)] == [(RULE, "mandatory")]


DELETES = {
    "workloads": ({"apiGroups": ["apps"], "resources": ["deployments", "daemonsets"], "verbs": ["delete"]},
                  "delete on deployments; delete on daemonsets"),
    "workloads by collection": ({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["deletecollection"]},
                                "deletecollection on deployments"),
    "nodes": ({"apiGroups": [""], "resources": ["nodes"], "verbs": ["delete"]}, "delete on nodes"),
    "namespaces": ({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["delete"],
                    "resourceNames": ["gatekeeper-system"]}, "delete on namespaces (resourceNames gatekeeper-system"),
    "CRDs": ({"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["delete"]},
             "delete on customresourcedefinitions"),
    # issue 11 (3): any pod of any namespace, past its PodDisruptionBudget (before, these passed as "transient")
    "pods": ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete"]}, "delete on pods"),
    "pods by collection": ({"apiGroups": [""], "resources": ["pods"], "verbs": ["deletecollection"]},
                           "deletecollection on pods"),
    "pods by verb wildcard": ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "* on pods"),
    "pods by group and resource wildcard": ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete"]},
                                            "delete on pods"),
    "named control-plane pod": ({"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"],
                                 "resourceNames": ["kube-apiserver-node-1"]},
                                "delete on pods (resourceNames kube-apiserver-node-1"),
    "evictions": ({"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]}, "create on pods/eviction"),
    "evictions by subresource wildcard": ({"apiGroups": [""], "resources": ["*/eviction"], "verbs": ["create"]},
                                          "create on pods/eviction"),
}


@pytest.mark.parametrize("case", sorted(DELETES))
def test_cluster_wide_deletes_of_control_components_are_flagged(pack, case) -> None:
    rule, fragment = DELETES[case]
    [(rule_id, level, message)] = _mine(pack, CLUSTER_ROLE, _role(None, rule))
    assert (rule_id, level) == (RULE, "mandatory") and fragment in message and "in every namespace" in message


@pytest.mark.parametrize("case", ["workloads", "namespaces", "pods", "pods by collection", "evictions"])
def test_the_same_deletes_in_kube_system_are_flagged_and_in_the_agents_namespace_pass(pack, case) -> None:
    rule, fragment = DELETES[case]
    assert [(r, level) for r, level, _ in _diags(pack, ROLE, _role("kube-system", rule))] == [(RULE, "mandatory")]
    assert _diags(pack, ROLE, _role("agents", rule)) == []


@pytest.mark.parametrize("rule", [
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["get"]},  # only create evicts
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["get", "list"]},
    {"apiGroups": ["apps"], "resources": ["pods"], "verbs": ["delete"]},  # pods are in the core group only
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": ["get", "list"]},
])
def test_pod_reads_and_non_matching_spellings_pass(pack, rule) -> None:
    assert _mine(pack, CLUSTER_ROLE, _role(None, rule)) == []


def test_the_agent_deleting_and_evicting_its_own_pods_passes(pack) -> None:
    """A Role of the agent's own namespace: its own pods are its own trust boundary."""
    rule = {"apiGroups": [""], "resources": ["pods", "pods/eviction"], "verbs": ["create", "delete", "deletecollection"]}
    assert _diags(pack, ROLE, _role("agents", rule)) == []


@pytest.mark.parametrize("namespace", ["flux-system", "argocd", "kyverno", "cert-manager"])
def test_operator_namespaces_holding_cluster_wide_accounts_and_leases_are_system_namespaces(pack, namespace) -> None:
    """A cluster-wide operator's namespace: its Lease is the operator's leadership (AGID-K8S-018), and a pod there
    runs as its cluster-admin account (AGID-K8S-005)."""
    [(rule_id, level, message)] = _diags(pack, ROLE, _role(namespace, LEASE_RULE))
    assert (rule_id, level) == (RULE, "mandatory") and f"in {namespace}" in message
    pods = {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}
    assert [(r, level) for r, level, _ in _diags(pack, ROLE, _role(namespace, pods))] == [("AGID-K8S-005", "mandatory")]
    assert _diags(pack, ROLE, _role(f"{namespace}-demo", LEASE_RULE)) == []


FLOW = "kubernetes:flowcontrol.apiserver.k8s.io/v1"


def _schema(subjects, level="agent-level", name="agent-schema"):
    return {"metadata": {"name": name}, "spec": {"matchingPrecedence": 500, "priorityLevelConfiguration": {"name": level},
            "rules": [{"subjects": subjects, "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                                "namespaces": ["*"], "clusterScope": True}]}]}}


OWN_SA = {"kind": "ServiceAccount", "serviceAccount": {"name": "agent", "namespace": "agents"}}


@pytest.mark.parametrize("type_, props, fragment", [
    (f"{FLOW}:FlowSchema", _schema([{"kind": "Group", "group": {"name": "system:authenticated"}}]),
     "reclassifies the API requests of Group system:authenticated"),
    (f"{FLOW}:FlowSchema", _schema([{"kind": "ServiceAccount", "serviceAccount": {"name": "*", "namespace": "agents"}}]),
     "service accounts agents/*"),
    (f"{FLOW}:FlowSchema", _schema([{"kind": "ServiceAccount",
                                     "serviceAccount": {"name": "generic-garbage-collector", "namespace": "kube-system"}}]),
     "service accounts kube-system/generic-garbage-collector"),
    (f"{FLOW}:FlowSchema", _schema([OWN_SA], level="exempt"), "routes its requests to the exempt priority level"),
    (f"{FLOW}:FlowSchemaPatch", {"metadata": {"name": "kube-controller-manager"}, "spec": {"matchingPrecedence": 9000}},
     "rewrites the API server's own FlowSchema kube-controller-manager"),
    (f"{FLOW}:PriorityLevelConfigurationPatch", {"metadata": {"name": "leader-election"}},
     "rewrites the API server's own PriorityLevelConfiguration leader-election"),
    ("kubernetes:flowcontrol.apiserver.k8s.io/v1beta3:FlowSchema", _schema([{"kind": "User", "user": {"name": "*"}}]),
     "User *"),
])
def test_the_stack_writing_flow_control_over_other_clients_is_flagged(pack, type_, props, fragment) -> None:
    [(rule_id, level, message)] = _diags(pack, type_, props)
    assert (rule_id, level) == (RULE, "mandatory") and fragment in message, message


@pytest.mark.parametrize("type_, props", [
    (f"{FLOW}:FlowSchema", _schema([OWN_SA])),
    (f"{FLOW}:PriorityLevelConfiguration", {"metadata": {"name": "agent-level"}, "spec": {"type": "Limited"}}),
], ids=["schema of the stack's own account", "a new level"])
def test_flow_control_for_the_stacks_own_accounts_passes(pack, type_, props) -> None:
    assert _diags(pack, type_, props) == []


def test_flow_control_unknown_or_unreadable_never_passes(pack) -> None:
    from tests.policy.ruletools import UNKNOWN
    [(rule_id, _, message)] = _diags(pack, f"{FLOW}:FlowSchema", _schema([{"kind": "ServiceAccount",
                                                                         "serviceAccount": {"name": UNKNOWN, "namespace": "agents"}}]))
    assert rule_id == RULE and "cannot check until known" in message
    [(rule_id, _, message)] = _diags(pack, f"{FLOW}:FlowSchema", _schema(["system:authenticated"]))
    assert rule_id == RULE and "cannot check" in message
