"""The Kubernetes RBAC rules of agent_guard over gRPC: each flagged case and a look-alike that passes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.pack_cases import analyzed
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
    diags = analyzed(pack, type_, case, urn(type_, case), flagged)
    assert {d.policy_name for d in diags} == rule_ids, [d.message for d in diags]
    if look_alike is not None:
        assert analyzed(pack, type_, case, urn(type_, case), look_alike) == []


def test_unreadable_rules_fail_closed_and_unknown_is_reported(pack):
    diags = analyzed(pack, ROLE, "bad", urn(ROLE, "bad"), {"rules": [{"verbs": "get"}]})
    assert {d.policy_name for d in diags} == {"AGID-K8S-001", "AGID-K8S-002", "AGID-K8S-005", "AGID-K8S-018"}
    assert all("cannot check" in d.message for d in diags)
    diags = analyzed(pack, ROLE, "later", urn(ROLE, "later"), {"rules": UNKNOWN})
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
    # b-other-sa: `ci` is not defined in this stack, so it could be an agent named otherwise (cannot tell: flag)
    assert flagged == ["b-edit", "b-other-sa", "b-reader", "b-unseen"]


def _account(name, namespace="agents", annotations=None, labels=None):
    metadata = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    if labels:
        metadata["labels"] = labels
    return (SA, f"sa-{name}", {"metadata": metadata})


def test_agent_service_accounts_are_known_by_their_cloud_identity_not_their_label(pack):
    """Accounts named and labelled like anything are agents once the stack gives them a cloud identity (an
    annotation, EKS Pod Identity, a trust document naming their subject); an account the stack defines with none
    of those is not an agent."""
    reader = (CLUSTER_ROLE, "secrets-reader", {"metadata": {"name": "secrets-reader"}, "rules": [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]})
    diags = pack.analyze_stack(_stack(
        reader,
        _account("irsa", annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/x"}),
        _account("azure-wi", annotations={"azure.workload.identity/client-id": "5c2b1a9e-0f4d-4e7b-9a11-3f6c2d8e7b10"}),
        _account("gke", annotations={"iam.gke.io/gcp-service-account": "x-runner@proj-one.iam.gserviceaccount.com"}),
        _account("pod-identity"),
        ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "assoc", {
            "clusterName": "c", "namespace": "agents", "serviceAccount": "pod-identity",
            "roleArn": "arn:aws:iam::111122223333:role/y"}),
        _account("federated"),
        ("azure-native:managedidentity:FederatedIdentityCredential", "fic", {
            "resourceGroupName": "rg", "resourceName": "id-x", "issuer": "https://oidc.example.net/",
            "subject": "system:serviceaccount:agents:federated", "audiences": ["api://AzureADTokenExchange"]}),
        _account("plain-worker"),
        _account("labelled", labels={"agent": "x"}),
        *[_binding(f"b-{name}", "secrets-reader", account=name)
          for name in ("irsa", "azure-wi", "gke", "pod-identity", "federated", "plain-worker", "labelled")],
    ))
    flagged = sorted(d.urn.rsplit("::", 1)[-1] for d in diags if d.policy_name == "AGID-K8S-003")
    assert flagged == ["b-azure-wi", "b-federated", "b-gke", "b-irsa", "b-labelled", "b-pod-identity"]
