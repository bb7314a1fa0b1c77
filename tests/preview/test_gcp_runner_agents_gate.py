"""`agentid preview` end to end (red17 r17-6): project-wide secret reads and decrypts for a service account that a Cloud
Run service and a Vertex AI Agent Engine run as are AGID-GCP-025, mandatory, whatever the account is named (the
account is run as through an Output of the stack Account, as a program writes it). Look-alike: the same grants with
the service running as another stack account pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = """import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("support-bot", account_id="support-bot", project="acme-dev")
other = gcp.serviceaccount.Account("runtime", account_id="runtime", project="acme-dev")
runs_as = {runs_as}
gcp.cloudrunv2.Service("support-bot", location="us-central1", template={{"service_account": runs_as.email,
    "containers": [{{"image": "us-docker.pkg.dev/acme-dev/agents/support-bot:1"}}]}})
gcp.vertex.AiReasoningEngine("support-agent", display_name="support", region="us-central1",
    spec={{"service_account": runs_as.email, "package_spec": {{"pickle_object_gcs_uri": "gs://acme-dev-agents/agent.pkl",
                                                              "python_version": "3.11"}}}})
gcp.projects.IAMMember("bot-every-secret", project="acme-dev", role="roles/secretmanager.secretAccessor", member=sa.member)
gcp.projects.IAMMember("bot-every-key", project="acme-dev", role="roles/cloudkms.cryptoKeyDecrypter", member=sa.member)
"""


def _findings(tmp_path, runs_as):
    tmp_path.mkdir()
    result = run_cli(project(tmp_path, PROGRAM.format(runs_as=runs_as)), "--stack", "dev", "--policy-pack",
                     str(AGENT_GUARD), "--own-gcp-project", "acme-dev", "--strict-unknowns", "--json", "gate.json")
    found = {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
             if v["policy"] == "AGID-GCP-025"}
    return result, found


def test_secret_reads_of_an_account_code_runs_as_block(tmp_path):
    result, found = _findings(tmp_path / "bot", "sa")
    assert result.code == 1, result.stdout + result.stderr
    assert found == {("bot-every-secret", "AGID-GCP-025", True), ("bot-every-key", "AGID-GCP-025", True)}
    result, found = _findings(tmp_path / "other", "other")
    assert found == set(), result.json("gate.json")["violations"]


BY_UNIQUE_ID = """import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("support-bot", account_id="support-bot", project="acme-dev")
gcp.dataflow.Job("etl", template_gcs_path="gs://dataflow-templates/latest/Word_Count", temp_gcs_location="gs://acme-dev-tmp/t",
                 service_account_email=sa.unique_id.apply(lambda u: f"projects/-/serviceAccounts/{u}"), project="acme-dev")
gcp.projects.IAMMember("bot-every-secret", project="acme-dev", role="roles/secretmanager.secretAccessor", member=sa.member)
"""


def test_an_account_run_as_by_its_unique_id_is_an_agent(tmp_path):
    (tmp_path / "uid").mkdir()
    result = run_cli(project(tmp_path / "uid", BY_UNIQUE_ID), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-gcp-project", "acme-dev", "--json", "gate.json")
    found = {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
             if v["policy"] == "AGID-GCP-025"}
    assert found == {("bot-every-secret", "AGID-GCP-025", True)}, result.stdout + result.stderr
