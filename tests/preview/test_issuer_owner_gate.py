"""AGID-GEN-009 end to end (issue 11): `agentid preview` blocks a federated credential trusting a GKE cluster of a
project the gate does not list, and an IAM OIDC provider for a Cognito user pool the stack does not define; the same
trusts of an own project's cluster (--own-gcp-project) and of the stack's own pool (its issuer an Output of the pool,
known under the gate's mocks) pass. The stack file's gcp:project makes no project own: it points the stack's default
gcp provider at attacker-proj, which is itself AGID-GCP-035 (red19 r19-5), in every case."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

GKE_TRUST = """import pulumi_azure_native as azure_native
identity = azure_native.managedidentity.UserAssignedIdentity("id1", resource_group_name="rg")
azure_native.managedidentity.FederatedIdentityCredential(
    "gke", resource_group_name="rg", resource_name_=identity.name, subject="system:serviceaccount:agents:triage",
    issuer="https://container.googleapis.com/v1/projects/{project}/locations/europe-west1/clusters/agents",
    audiences=["api://AzureADTokenExchange"])
"""

COGNITO_TRUST = """import pulumi, pulumi_aws as aws
pool = aws.cognito.UserPool("agents")
issuer = {issuer}
aws.iam.OpenIdConnectProvider("cognito", url=issuer, client_id_lists=["agents"])
"""


def _run(tmp_path, program, *flags):
    tmp_path.mkdir()
    root = project(tmp_path, program)
    (root / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: attacker-proj\n")
    return run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-project", "acme-prod",
                   *flags, "--json", "gate.json")


def _findings(result):
    return [(v["resourceName"], v["mandatory"]) for v in result.json("gate.json")["violations"]
            if v["policy"] == "AGID-GEN-009"]


def _mandatory(result):
    """Every mandatory finding: the GEN-009 ones and the stack file's project (AGID-GCP-035 on the default provider,
    at the stack file's gcp:project line), nothing else."""
    return sorted((v["policy"], v["resourceName"]) for v in result.json("gate.json")["violations"] if v["mandatory"])


FOREIGN_STACK_PROJECT = ("AGID-GCP-035", "default")


@pytest.mark.parametrize("gke_project, expected", [("attacker-proj", [("gke", True)]), ("acme-prod", [])])
def test_a_gke_cluster_issuer_is_trusted_only_in_a_project_the_gate_lists(tmp_path, gke_project, expected):
    result = _run(tmp_path / gke_project, GKE_TRUST.format(project=gke_project))
    assert result.code == 1, result.stdout + result.stderr
    assert _findings(result) == expected
    assert _mandatory(result) == sorted([FOREIGN_STACK_PROJECT, *(("AGID-GEN-009", name) for name, _ in expected)])


@pytest.mark.parametrize("issuer, expected", [
    ('pulumi.Output.concat("https://", pool.endpoint)', []),  # the stack's own pool
    ('"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attacker9"', [("cognito", True)]),
], ids=["stack-pool", "foreign-pool"])
def test_a_cognito_pool_issuer_is_trusted_only_for_a_pool_the_stack_defines(tmp_path, issuer, expected):
    result = _run(tmp_path / "c", COGNITO_TRUST.format(issuer=issuer))
    assert _findings(result) == expected, result.json("gate.json")["violations"]
    assert result.code == 1, result.stdout + result.stderr
    assert _mandatory(result) == sorted([FOREIGN_STACK_PROJECT, *(("AGID-GEN-009", name) for name, _ in expected)])
