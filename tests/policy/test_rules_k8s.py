"""The Kubernetes RBAC rules of agent_guard over gRPC: each flagged case and a look-alike that passes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SA = "kubernetes:core/v1:ServiceAccount"


def role(*rules):
    return {"metadata": {"name": "r", "namespace": "n"}, "rules": list(rules)}


READ_PODS = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
CASES = [
    ("wildcard-verbs", ROLE, role({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}), {"AGID-K8S-001"},
     role(READ_PODS)),
    ("wildcard-resources", CLUSTER_ROLE, role({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]}),
     {"AGID-K8S-001"}, role({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]})),
    ("bind", CLUSTER_ROLE, role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                                 "verbs": ["bind"]}), {"AGID-K8S-002"},
     role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get"]})),
    ("escalate", ROLE, role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]}),
     {"AGID-K8S-002"}, None),
    ("impersonate", CLUSTER_ROLE, role({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}),
     {"AGID-K8S-002"}, role({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get"]})),
    ("token-create", ROLE, role({"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}),
     {"AGID-K8S-002"}, role({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create"]})),
]


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


@pytest.mark.parametrize("case,type_,flagged,rule_ids,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_ids, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert {d.policy_name for d in diags} == rule_ids, [d.message for d in diags]
    if look_alike is not None:
        assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


def test_unreadable_rules_fail_closed_and_unknown_is_reported(pack):
    diags = pack.analyze(ROLE, "bad", urn(ROLE, "bad"), {"rules": [{"verbs": "get"}]})
    assert {d.policy_name for d in diags} == {"AGID-K8S-001", "AGID-K8S-002", "AGID-K8S-005"}
    assert all("cannot check" in d.message for d in diags)
    diags = pack.analyze(ROLE, "later", urn(ROLE, "later"), {"rules": UNKNOWN})
    assert diags and all("cannot check until known" in d.message for d in diags)


def _stack(*resources):
    return [StackResource(type_, name, urn(type_, name), props) for type_, name, props in resources]


def _binding(name, role_name, namespace="agents", account="summarizer"):
    return (CRB, name, {"metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                               "kind": "ClusterRole", "name": role_name},
                        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]})


def test_agent_service_accounts_never_read_secrets_cluster_wide(pack):
    agent_sa = (SA, "summarizer", {"metadata": {"name": "summarizer", "namespace": "agents",
                                                "labels": {"agent": "summarizer"}}})
    secrets_reader = (CLUSTER_ROLE, "secrets-reader", {"metadata": {"name": "secrets-reader"}, "rules": [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]})
    one_secret = (CLUSTER_ROLE, "one-secret", {"metadata": {"name": "one-secret"}, "rules": [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["model-key"]}]})
    diags = pack.analyze_stack(_stack(
        agent_sa, secrets_reader, one_secret,
        _binding("b-reader", "secrets-reader"), _binding("b-edit", "edit"), _binding("b-view", "view"),
        _binding("b-one", "one-secret"), _binding("b-unseen", "someone-elses-role"),
        _binding("b-other-sa", "secrets-reader", account="ci"),
    ))
    flagged = sorted(d.urn.rsplit("::", 1)[-1] for d in diags if d.policy_name == "AGID-K8S-003")
    assert flagged == ["b-edit", "b-reader", "b-unseen"]
