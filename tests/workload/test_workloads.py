"""The workload side of the dev stack, under mocks: ServiceAccounts with each cloud's annotation and SPIRE
ClusterSPIFFEIDs selecting exactly one workload, with the agent's TTL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentid.mock_engine import run_program_dir
from agentid_components.spec import Agent
from agentid_components.workload.plan import WorkloadCompileError, plan_workloads

ROOT = Path(__file__).resolve().parents[2]
GKE = "https://container.googleapis.com/v1/projects/example-analytics-dev/locations/europe-west1/clusters/agents"


@pytest.fixture(scope="module")
def dev_run():
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    return run_program_dir(ROOT / "stacks", stack="dev", config={k: str(v) for k, v in config.items()})


def test_one_service_account_per_binding_on_the_stack_cluster_with_each_clouds_annotation(dev_run):
    accounts = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs
                for r in dev_run.of_type("kubernetes:core/v1:ServiceAccount")}
    # support-triage (EKS) and data-ingest (AKS) bind other clusters' issuers: not this stack's cluster
    assert sorted(accounts) == [("analytics", "bq-analyst")]
    analyst = accounts[("analytics", "bq-analyst")]
    assert analyst["metadata"]["labels"] == {"agent": "bq-analyst", "app.kubernetes.io/managed-by": "agent-identity-kit"}
    assert analyst["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "agent-bq-analyst-dev@example-agents-dev.iam.gserviceaccount.com"}
    assert analyst["automountServiceAccountToken"] is False


def test_cluster_spiffe_id_selects_exactly_the_workload_with_the_agents_ttl(dev_run):
    (registration,) = dev_run.of_type("kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID")
    assert registration.inputs["apiVersion"] == "spire.spiffe.io/v1alpha1"
    assert registration.inputs["kind"] == "ClusterSPIFFEID"
    assert registration.inputs["spec"] == {
        "spiffeIDTemplate": "spiffe://dev.example.org/ns/analytics/sa/bq-analyst",
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "analytics"}},
        "podSelector": {},
        "workloadSelectorTemplates": ["k8s:ns:analytics", "k8s:sa:bq-analyst"],
        "ttl": "15m0s",
        "jwtTtl": "15m0s",
    }


def test_each_clouds_annotation_is_planned_from_the_agents_clouds():
    azure_tool = {"name": "blob", "azure": {"data_actions": [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        "scope": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"}}
    agent = _agent([{"kubernetes": {"issuer": "https://k.example.com", "namespace": "n", "service_account": "s"}}],
                   tools=[azure_tool])
    (account,) = plan_workloads([agent], "https://k.example.com", None).service_accounts
    assert (account.irsa, account.azure, account.gcp) == (False, True, False)
    assert account.labels["azure.workload.identity/use"] == "true"


def _agent(trust, tools=None, name="a1") -> Agent:
    return Agent.model_validate({
        "name": name, "owner": "team", "purpose": "p", "environment": "dev", "review_by": "2031-01-01",
        "tools": tools or [{"name": "t", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/k/*"]}}],
        "trust": trust})


def test_irsa_annotation_only_without_pod_identity_and_only_for_the_stacks_issuer():
    irsa = _agent([{"kubernetes": {"issuer": "https://oidc.eks.example.com/id/X", "namespace": "n", "service_account": "s"}}])
    pod_identity = _agent([{"kubernetes": {"issuer": "https://oidc.eks.example.com/id/X", "namespace": "n",
                                           "service_account": "p", "cluster": "c"}}], name="a2")
    other = _agent([{"kubernetes": {"issuer": "https://other.example.com", "namespace": "n", "service_account": "o"}}],
                   name="a3")
    plan = plan_workloads([irsa, pod_identity, other], "https://oidc.eks.example.com/id/X/", None)
    assert [(a.name, a.irsa) for a in plan.service_accounts] == [("s", True), ("p", False)]


def test_shared_service_account_and_unselectable_spiffe_path_are_errors():
    binding = {"kubernetes": {"issuer": "https://k.example.com", "namespace": "n", "service_account": "s"}}
    with pytest.raises(WorkloadCompileError, match="already agent 'a1''s"):
        plan_workloads([_agent([binding]), _agent([binding], name="a2")], "https://k.example.com", None)
    spiffe = {"spiffe": {"trust_domain": "td.example.org", "path": "/workload/x", "ca_bundle": None,
                         "acm_pca_arn": "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/1234abcd-12ab"}}
    with pytest.raises(WorkloadCompileError, match="is not /ns/NAMESPACE/sa/SERVICE_ACCOUNT"):
        plan_workloads([_agent([spiffe])], None, "td.example.org")


@pytest.mark.parametrize("issuer, why", [
    ("https://k.example.com\\@evil.example.net", "holds a backslash"),
    ("https://k.example.com/a/../b", "'.' or '..' path segment"),
    ("http://k.example.com", "is not an https URL"),
    ("https://127.0.0.1:6443", "loopback"),
])
def test_the_stacks_kubernetes_issuer_obeys_the_spec_issuer_rules(issuer, why):
    """config kubernetesIssuer comes from the stack file, not the agent file, and is refused for what the agent file's
    issuers are refused for (components/https_url.py), naming the key, rather than silently matching no binding."""
    binding = {"kubernetes": {"issuer": "https://k.example.com", "namespace": "n", "service_account": "s"}}
    with pytest.raises(WorkloadCompileError) as error:
        plan_workloads([_agent([binding])], issuer, None)
    assert str(error.value).startswith(f"config agent-identity-kit:kubernetesIssuer {issuer!r} ") and why in str(error.value)
    assert len(plan_workloads([_agent([binding])], "https://k.example.com/", None).service_accounts) == 1
