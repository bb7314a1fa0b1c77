"""`agentid preview` end to end on code run as an identity the stack does not define (issue 11, red10): GCP runners
on an existing service account (AGID-GCP-019), looked up with gcp.serviceaccount.get_account or spelled
`projects/-/serviceAccounts/EMAIL`, and Kubernetes workloads and controller resources as an existing service account
(AGID-K8S-013), and a ServiceAccount made an existing Google service account through GKE workload identity, block;
the same resources on accounts the stack defines pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

GCP_RUNNERS = """import pulumi_gcp as gcp
deployer = gcp.serviceaccount.get_account(account_id="deployer", project="prod-platform")
gcp.workflows.Workflow("grant-owner", region="europe-west1", service_account=deployer.email,
                       source_contents="main:\\n  steps: []\\n")
gcp.cloudbuild.Trigger("build", location="global", filename="cloudbuild.yaml",
                       service_account="projects/-/serviceAccounts/DEPLOYER@prod-platform.iam.gserviceaccount.com",
                       trigger_template={"branch_name": "main", "repo_name": "app"})
gcp.cloudscheduler.Job("tick", region="europe-west1", schedule="* * * * *", http_target={
    "uri": "https://cloudresourcemanager.googleapis.com/v1/projects/prod-platform:setIamPolicy", "http_method": "POST",
    "oauth_token": {"service_account_email": "deployer@prod-platform.iam.gserviceaccount.com"}})
"""
GCP_OWN = """import pulumi_gcp as gcp
runner = gcp.serviceaccount.Account("runner", account_id="agent-runner", project="acme-dev")
gcp.workflows.Workflow("summarise", region="europe-west1", project="acme-dev", service_account=runner.email,
                       source_contents="main:\\n  steps: []\\n")
gcp.cloudbuild.Trigger("build", location="global", project="acme-dev", filename="cloudbuild.yaml",
                       service_account=runner.name, trigger_template={"branch_name": "main", "repo_name": "app"})
gcp.cloudscheduler.Job("tick", region="europe-west1", project="acme-dev", schedule="0 * * * *", http_target={
    "uri": "https://summarise.example/run", "http_method": "POST",
    "oidc_token": {"service_account_email": runner.email}})
"""
K8S_RUNNERS = """import pulumi_kubernetes as k8s
k8s.core.v1.ServiceAccount("agent", metadata={"namespace": "agents", "name": "agent", "annotations": {
    "iam.gke.io/gcp-service-account": "deployer@prod-platform.iam.gserviceaccount.com"}})
k8s.apps.v1.Deployment("sync", metadata={"namespace": "agents"}, spec={
    "selector": {"matchLabels": {"app": "sync"}},
    "template": {"metadata": {"labels": {"app": "sync"}}, "spec": {
        "serviceAccountName": "ci-deployer", "automountServiceAccountToken": False,
        "containers": [{"name": "c", "image": "bitnami/kubectl"}]}}})
k8s.apiextensions.CustomResource("wf", api_version="argoproj.io/v1alpha1", kind="Workflow",
                                 metadata={"namespace": "agents", "name": "wf"},
                                 spec={"entrypoint": "main", "serviceAccountName": "argo-admin",
                                       "templates": [{"name": "main", "container": {"image": "alpine"}}]})
k8s.apiextensions.CustomResource("apps", api_version="kustomize.toolkit.fluxcd.io/v1", kind="Kustomization",
                                 metadata={"namespace": "agents", "name": "apps"},
                                 spec={"path": "./apps", "interval": "5m", "prune": True,
                                       "sourceRef": {"kind": "GitRepository", "name": "apps"}})
"""
K8S_OWN = """import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
gsa = gcp.serviceaccount.Account("gsa", account_id="agent", project="acme-dev")
sa = k8s.core.v1.ServiceAccount("agent", metadata={"namespace": "agents", "name": "agent", "annotations": {
    "iam.gke.io/gcp-service-account": gsa.email}})
k8s.apps.v1.Deployment("sync", metadata={"namespace": "agents"}, spec={
    "selector": {"matchLabels": {"app": "sync"}},
    "template": {"metadata": {"labels": {"app": "sync"}}, "spec": {
        "serviceAccountName": sa.metadata.name, "containers": [{"name": "c", "image": "alpine"}]}}})
k8s.apiextensions.CustomResource("wf", api_version="argoproj.io/v1alpha1", kind="Workflow",
                                 metadata={"namespace": "agents", "name": "wf"},
                                 spec={"entrypoint": "main", "serviceAccountName": "agent",
                                       "templates": [{"name": "main", "container": {"image": "alpine"}}]})
k8s.apiextensions.CustomResource("apps", api_version="kustomize.toolkit.fluxcd.io/v1", kind="Kustomization",
                                 metadata={"namespace": "agents", "name": "apps"},
                                 spec={"path": "./apps", "interval": "5m", "serviceAccountName": "agent",
                                       "sourceRef": {"kind": "GitRepository", "name": "apps"}})
"""


def _mandatory(result):
    return {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}


def test_gcp_runners_as_an_existing_service_account_block(tmp_path):
    result = run_cli(project(tmp_path, GCP_RUNNERS), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    assert _mandatory(result) == {("grant-owner", "AGID-GCP-019"), ("build", "AGID-GCP-019"), ("tick", "AGID-GCP-019")}
    [looked_up] = [v["message"] for v in result.json("gate.json")["violations"] if v["resourceName"] == "grant-owner"]
    assert "service account deployer@prod-platform.iam.gserviceaccount.com (serviceAccount)" in looked_up


def test_gcp_runners_as_the_stacks_own_account_pass(tmp_path):
    # acme-dev is the organisation's project: where the stack deploys is AGID-GCP-035's, not in question here
    result = run_cli(project(tmp_path, GCP_OWN), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-gcp-project", "acme-dev", "--json", "gate.json")
    assert result.code == 0, result.stdout + result.stderr
    assert _mandatory(result) == set()


def test_k8s_workloads_as_an_existing_service_account_block(tmp_path):
    result = run_cli(project(tmp_path, K8S_RUNNERS), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    assert {(name, rule) for name, rule in _mandatory(result) if rule == "AGID-K8S-013"} == {
        ("agent", "AGID-K8S-013"), ("sync", "AGID-K8S-013"), ("wf", "AGID-K8S-013"), ("apps", "AGID-K8S-013")}


def test_k8s_workloads_as_the_stacks_own_account_pass(tmp_path):
    # acme-dev is the organisation's project: where the stack deploys is AGID-GCP-035's, not in question here
    result = run_cli(project(tmp_path, K8S_OWN), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-gcp-project", "acme-dev", "--json", "gate.json")
    assert result.code == 0, result.stdout + result.stderr
    assert _mandatory(result) == set()
