"""The broker's GCP hop end to end: Workload Identity Federation (the workload's OIDC token at STS), impersonation
of the agent's service account (IAM Credentials), a Credential Access Boundary for the Cloud Storage tool, the
Cedar decision, cache and refresh, the lifetime cap and the audit record; every request through google-auth's
own code to Google's endpoints served on loopback (tests/runtime/fake_google.py)."""

from __future__ import annotations

import json
import logging
import urllib.parse
from pathlib import Path

import pytest
from google.auth import identity_pool

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker, GrantsError
from agentid.runtime.authorization import Authorizer
from agentid.runtime.retry import RetryPolicy
from agentid_components.loader import load_inventory
from tests.runtime.fake_google import FakeGoogle

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
AGENT = load_inventory(DEV).inventory.agent("bq-analyst")
PROJECT = "example-agents-dev"
EMAIL = f"agent-bq-analyst@{PROJECT}.iam.gserviceaccount.com"
PROVIDER = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/agents-dev/providers/github"
BUCKET = "//storage.googleapis.com/projects/_/buckets/example-analytics-charts"
IAM_PATH = f"/v1/projects/-/serviceAccounts/{EMAIL}:generateAccessToken"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def google(tmp_path):
    token_file = tmp_path / "workload-token"
    token_file.write_text("workload-oidc-token")
    with FakeGoogle("workload-oidc-token", PROVIDER, {EMAIL: "workload"}) as fake:
        fake.token_file = str(token_file)
        fake.source = identity_pool.Credentials.from_info({
            "type": "external_account", "audience": PROVIDER, "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": str(token_file)},
        }).with_scopes(["https://www.googleapis.com/auth/cloud-platform"])
        yield fake


def _broker(google, clock=None, **options):
    return CredentialBroker(AgentGrants.from_spec(AGENT, gcp_project=PROJECT), gcp_credentials=google.source,
                            gcp_request=google.transport(), authorizer=Authorizer.from_spec([AGENT]),
                            clock=clock or Clock(), sleep=lambda s: None, **options)


def _paths(google) -> list[str]:
    return [path for path, _ in google.calls]


def test_storage_tool_gets_a_downscoped_token_of_its_service_account(google, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    broker = _broker(google)
    token = broker.credential("save-charts", target=f"{BUCKET}/objects/chart-1.png")
    assert (token.kind, token.audience, token.access_token) == ("gcp", (BUCKET,), "downscoped-3")
    assert token.scopes == ("inRole:roles/storage.objectUser",)
    assert token.lifetime_seconds <= AGENT.max_credential_minutes * 60  # 900 s asked, the boundary's 3600 s not believed
    assert _paths(google) == ["/v1/token", IAM_PATH, "/v1/token"]  # federation, impersonation, downscoping
    (_, federation), (_, impersonation), (_, downscoping) = google.calls
    assert federation["subject_token"] == "workload-oidc-token" and federation["audience"] == PROVIDER
    assert impersonation == {"delegates": None, "scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "900s"}
    assert downscoping["subject_token"] == "sa-2"
    assert json.loads(urllib.parse.unquote(downscoping["options"])) == {"accessBoundary": {"accessBoundaryRules": [
        {"availableResource": BUCKET, "availablePermissions": ["inRole:roles/storage.objectUser"]}]}}
    assert broker.credential("save-charts", target=f"{BUCKET}/objects/chart-2.png") is token  # cached
    assert len(google.calls) == 3
    assert token.google_credentials().token == "downscoped-3"
    [record] = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "issued"]
    assert (record["hop"], record["service_account"], record["access_boundary"], record["decision"]) == (
        "gcp", EMAIL, "inRole:roles/storage.objectUser", "allow")
    assert "downscoped-3" not in caplog.text and "sa-2" not in caplog.text and "federated-1" not in caplog.text


def test_other_tools_get_the_service_account_token_and_the_federated_token_is_reused(google):
    broker = _broker(google)
    query = broker.credential("query-sales", target="//bigquery.googleapis.com/projects/example-analytics-dev/datasets/sales/tables/t")
    jobs = broker.credential("run-queries")
    assert (query.access_token, jobs.access_token) == ("sa-2", "sa-3") and query.scopes == ("https://www.googleapis.com/auth/cloud-platform",)
    assert _paths(google) == ["/v1/token", IAM_PATH, IAM_PATH]  # one federation for both tools, no downscoping


def test_cedar_denies_a_target_outside_the_tool_before_any_request(google):
    broker = _broker(google)
    with pytest.raises(BrokerError, match="hop gcp: Cedar denied") as raised:
        broker.credential("save-charts", target="//storage.googleapis.com/projects/_/buckets/example-analytics-charts-public/objects/x")
    assert raised.value.code == "Denied" and google.calls == []


def test_the_token_is_renewed_before_it_expires(google):
    clock = Clock()
    broker = _broker(google, clock)
    first = broker.credential("save-charts")
    clock.now += first.lifetime_seconds - 30  # inside the refresh margin (min(60 s, a quarter of its life))
    second = broker.credential("save-charts")
    assert second.access_token != first.access_token and second.seconds_left(clock.now) > 800
    assert _paths(google).count(IAM_PATH) == 2


def test_a_longer_lived_token_is_handed_out_for_the_cap_only(google, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    google.extra_lifetime = 2700
    token = _broker(google).credential("query-sales")
    assert token.lifetime_seconds == 900
    [record] = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "issued"]
    assert "above max_credential_minutes (900 s)" in record["lifetime_note"]


def test_refusal_and_transient_failures(google):
    google.fail_next = [503]
    assert _broker(google, retry=RetryPolicy(max_attempts=3)).credential("query-sales").access_token.startswith("sa-")
    google.calls.clear()
    google.impersonators.clear()  # the workload may no longer impersonate the account
    with pytest.raises(BrokerError, match="hop gcp: Google refused the token for agent-bq-analyst@.*getAccessToken") as raised:
        _broker(google).credential("query-sales")
    assert raised.value.code == "gcp_refused" and _paths(google).count(IAM_PATH) == 1  # a refusal is not retried


def test_grants_from_stack_outputs_and_bad_input():
    outputs = {"inventory": {"bq-analyst": {"credential_lifetime_minutes": 15, "gcp": {
        "project": PROJECT, "service_account": EMAIL, "tools": {
            "save-charts": {"resource": BUCKET, "roles": [f"projects/{PROJECT}/roles/agentid_bq_analyst_save_charts"],
                            "permissions": ["storage.objects.create", "storage.objects.get"]}}}}}}
    grants = AgentGrants.from_stack_outputs(outputs, "bq-analyst")
    assert grants.gcp_service_account == EMAIL and grants.gcp_tools["save-charts"].boundary_roles == ("roles/storage.objectUser",)
    broken = json.loads(json.dumps(outputs))
    del broken["inventory"]["bq-analyst"]["gcp"]["service_account"]
    with pytest.raises(GrantsError, match="no gcp.service_account"):
        AgentGrants.from_stack_outputs(broken, "bq-analyst")
    broken["inventory"]["bq-analyst"]["gcp"]["service_account"] = "not-an-email"
    with pytest.raises(GrantsError, match="is not a service account email"):
        AgentGrants.from_stack_outputs(broken, "bq-analyst")
    no_project = CredentialBroker(AgentGrants.from_spec(AGENT))
    with pytest.raises(BrokerError, match="hop gcp: the agent's service account is not known"):
        no_project.credential("query-sales")


def test_cli_without_the_project_is_bad_input():
    from tests.runtime.cli import agentid

    result = agentid("credential", "bq-analyst", "query-sales", "-i", str(DEV))
    assert result.returncode == 2 and result.stdout == ""
    assert "hop gcp: the agent's service account is not known" in result.stderr and "--gcp-project" in result.stderr
