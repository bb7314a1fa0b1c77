"""red15 r15-4 over gRPC: Kubernetes traffic-interception and fake-node paths are AGID-K8S-005 escalation paths.

A ClusterRole writing Endpoints / EndpointSlices / Services in every namespace redirects other workloads' traffic
and bearer tokens (CVE-2021-25740, CVE-2020-8554); creating a Node registers one the scheduler sends pods (and
their secrets) to; pods/binding places any pending pod on it. Each flagged ClusterRole (or Role in kube-system) has a
look-alike that passes: the same reads, or the same writes in a Role of an ordinary namespace."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import analyzed
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
RULE = "AGID-K8S-005"


def _role(namespace, *rules):
    return {"metadata": {"name": "r", "namespace": namespace}, "rules": list(rules)}


def _violations(pack, type_, props):
    return [(d.policy_name, d.enforcement_level, d.message) for d in analyzed(pack, type_, "mitm", urn(type_, "mitm"), props)]


FLAGGED = {
    "endpoints write": ({"apiGroups": [""], "resources": ["endpoints"], "verbs": ["update"]}, "update on endpoints"),
    "service create (externalIPs)": ({"apiGroups": [""], "resources": ["services"], "verbs": ["create"]},
                                     "create on services"),
    "service status (load balancer IP)": ({"apiGroups": [""], "resources": ["services/status"], "verbs": ["patch"]},
                                          "patch on services/status"),
    "endpointslices write": ({"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["create"]},
                             "create on endpointslices"),
    "endpointslices through a group wildcard": ({"apiGroups": ["*"], "resources": ["endpointslices"], "verbs": ["patch"]},
                                                "patch on endpointslices"),
    "endpoints through a verb wildcard": ({"apiGroups": [""], "resources": ["endpoints"], "verbs": ["*"]},
                                          "on endpoints"),
    "fake node": ({"apiGroups": [""], "resources": ["nodes"], "verbs": ["create"]}, "create on nodes"),
    "pod binding": ({"apiGroups": [""], "resources": ["pods/binding"], "verbs": ["create"]}, "create on pods/binding"),
    "legacy bindings": ({"apiGroups": [""], "resources": ["bindings"], "verbs": ["create"]}, "create on bindings"),
}
PASSING = [
    {"apiGroups": [""], "resources": ["endpoints", "services"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["services/status", "nodes"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    # endpointslices are not in the core group, endpoints not in discovery.k8s.io
    {"apiGroups": [""], "resources": ["endpointslices"], "verbs": ["create"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpoints"], "verbs": ["create"]},
]


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_cluster_wide_interception_and_fake_node_paths_are_mandatory(pack, case) -> None:
    rule, fragment = FLAGGED[case]
    found = [v for v in _violations(pack, CLUSTER_ROLE, _role(None, rule)) if v[0] == RULE]  # wildcards: K8S-001 too
    assert [(r, level) for r, level, _ in found] == [(RULE, "mandatory")], found
    assert fragment in found[0][2], found


@pytest.mark.parametrize("case", ["endpoints write", "endpointslices write", "service create (externalIPs)"])
def test_the_same_write_in_kube_system_is_flagged_and_in_an_ordinary_namespace_passes(pack, case) -> None:
    rule, fragment = FLAGGED[case]
    [(rule_id, level, message)] = _violations(pack, ROLE, _role("kube-system", rule))
    assert (rule_id, level) == (RULE, "mandatory") and fragment in message and "kube-system" in message
    assert _violations(pack, ROLE, _role("agents", rule)) == []


@pytest.mark.parametrize("rule", PASSING)
def test_reads_and_non_matching_groups_pass(pack, rule) -> None:
    assert _violations(pack, CLUSTER_ROLE, _role(None, rule)) == []


def test_the_red15_repro_role_is_one_line_a_rule(pack) -> None:
    props = _role(None, {"apiGroups": [""], "resources": ["endpoints", "services"], "verbs": ["create", "update", "patch"]},
                  {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["create", "update", "patch"]})
    found = _violations(pack, CLUSTER_ROLE, props)
    assert [(r, level) for r, level, _ in found] == [(RULE, "mandatory")] * 2, found
    messages = [m for _, _, m in found]
    assert sum("rules[0] allows create, patch, update on endpoints; create, patch, update on services in every namespace"
               in m for m in messages) == 1
    assert sum("rules[1] allows create, patch, update on endpointslices in every namespace" in m for m in messages) == 1
