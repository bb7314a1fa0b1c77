"""`agentid revoke AGENT` for every agent, whatever its clouds (red6 suspicion: "agents with only GCP, Azure or
OAuth tools have no `agentid revoke`"): the real CLI writes the revocation list, and a broker reading it refuses
every hop of that agent (AWS on moto, OAuth and MCP against a real authorization server and MCP server, Azure
through azure-identity's managed-identity protocol, GCP through google-auth against Google's endpoints, the model
exchange against a provider double, all on loopback), drops what it had cached, and serves again after the undo."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from joserfc import jwk

from agentid.runtime import AgentGrants, AmbientCredentials, BrokerError, CredentialBroker
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT, WorkloadTokenAssertion
from agentid.runtime.revocation_list import RevocationList
from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid
from tests.runtime.oauth_server import AuthorizationServer
from tests.runtime.test_azure_hop import identity_endpoint  # noqa: F401 - fixture
from tests.runtime.test_gcp_broker import PROJECT, google  # noqa: F401 - fixture
from tests.runtime.test_gcp_broker import _broker as gcp_broker
from tests.runtime.test_model_hop import WORKLOAD_TOKEN, provider, writer  # noqa: F401 - fixtures
from tests.runtime.test_model_hop import _broker as model_broker

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
TICKETS = "https://tickets.example.org/api"
STORAGE_SCOPE = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-docs/providers/"
                 "Microsoft.Storage/storageAccounts/stdocs/blobServices/default/containers/docs")
SPEC = f"""
agents:
  - name: blob-writer
    owner: docs-team
    purpose: publishes the docs site to one container
    environment: dev
    review_by: 2031-01-01
    max_credential_minutes: 10
    tools:
      - name: publish
        azure:
          data_actions: [Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write]
          scope: {STORAGE_SCOPE}
    trust:
      - github_actions: {{repository: example-org/docs, branch: main}}
  - name: ticket-bot
    owner: support-team
    purpose: answers tickets through the ticket API and MCP server
    environment: dev
    review_by: 2031-01-01
    max_credential_minutes: 5
    tools:
      - name: tickets
        oauth: {{audience: https://mcp.tickets.example.com, scopes: [tickets.read], provider: oidc,
                 issuer: https://idp.example.com, client_id: ticket-bot-client}}
    trust:
      - kubernetes: {{issuer: https://oidc.example.com/cluster, namespace: support, service_account: ticket-bot}}
"""


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    path = tmp_path / "agents.yaml"
    path.write_text(SPEC)
    return path


def refusals(caplog) -> list[dict]:
    return [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "refused"]


def revoke(name: str, inventory: Path, revocations: Path, *extra: str):
    done = agentid("revoke", name, "--inventory", str(inventory), "--list", str(revocations), "--name-suffix", "", *extra)
    assert done.returncode == 0, done.stderr
    return done


def undo(name: str, revocations: Path):
    done = agentid("revoke", "undo", name, "--list", str(revocations))
    assert done.returncode == 0, done.stderr
    return done


def assert_revoked(broker: CredentialBroker, tool: str, agent: str, revocations: Path, hop: str, caplog) -> None:
    with pytest.raises(BrokerError) as raised:
        broker.credential(tool)
    assert raised.value.code == "Revoked"
    message = str(raised.value)
    assert message.startswith(f"agent '{agent}' is revoked: the revocation list {revocations} names it (since 20")
    assert (f"so the broker issues no credential for tool '{tool}' or any other, on any hop, until it is removed "
            f"(agentid revoke undo {agent} --list {revocations})") in message
    record = refusals(caplog)[-1]
    assert (record["agent"], record["tool"], record["kind"], record["error_code"]) == (agent, tool, hop, "Revoked")
    assert record["revocation_list"] == str(revocations) and record["revoked_at"].startswith("20")


# --- the command ----------------------------------------------------------------------


def test_revoking_an_azure_only_agent_says_what_it_did_and_what_it_cannot_do_offline(agents_file, tmp_path):
    revocations = tmp_path / "revoked.json"
    done = revoke("blob-writer", agents_file, revocations, "--reason", "credential leak", "--by", "alice")
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"revoked agent 'blob-writer' in the revocation list {revocations} (since 20")
    assert lines[0].endswith("; reason: credential leak)")
    assert "refuses every credential of the agent, on every hop (AWS, OAuth, MCP, Azure, GCP, model)" in lines[1]
    assert lines[3] == "not done (this command works offline and changes nothing in the clouds):"
    assert lines[4].startswith("  Azure: this command cannot delete the federated credentials offline, so the workload "
                               "can still get Entra tokens without the broker")
    assert "az identity federated-credential delete --identity-name id-agent-blob-writer" in done.stdout
    assert "az role assignment delete" in done.stdout
    assert lines[-1] == f"undo: agentid revoke undo blob-writer --list {revocations}"
    document = json.loads(revocations.read_text())
    entry = document["revoked"]["blob-writer"]
    assert document["agentid_revocation_list"] == 1 and (entry["reason"], entry["by"]) == ("credential leak", "alice")
    assert oct(revocations.stat().st_mode & 0o777) == "0o644"

    again = revoke("blob-writer", agents_file, revocations)  # a second revoke keeps the first entry
    assert again.stdout.splitlines()[0] == (f"already revoked agent 'blob-writer' in the revocation list {revocations} "
                                            f"(since {entry['revoked_at']}; reason: credential leak)")
    assert json.loads(revocations.read_text()) == document


def test_revoking_an_oauth_only_or_gcp_agent_names_the_steps_at_each_server(agents_file, tmp_path):
    revocations = tmp_path / "revoked.json"
    oauth = revoke("ticket-bot", agents_file, revocations)
    assert ("OAuth tool 'tickets': tokens already handed out stay valid at https://mcp.tickets.example.com until their "
            "own expiry. Next: disable client ticket-bot-client at https://idp.example.com") in oauth.stdout
    assert "AWS:" not in oauth.stdout and "Azure:" not in oauth.stdout
    gcp = agentid("revoke", "agent", "bq-analyst", "--inventory", str(DEV), "--list", str(revocations), "--name-suffix", "dev")
    assert gcp.returncode == 0, gcp.stderr
    assert "Google Cloud: tokens already issued stay valid until they expire" in gcp.stdout
    assert "gcloud iam service-accounts disable \"agent-bq-analyst-dev@${GCP_PROJECT}.iam.gserviceaccount.com\"" in gcp.stdout
    aws = revoke("report-builder", DEV, revocations)
    assert "AWS: sessions already handed out keep working until they expire (up to 15 minutes (STS's floor))" in aws.stdout
    assert "agentid revoke aws report-builder --inventory" in aws.stdout
    assert sorted(json.loads(revocations.read_text())["revoked"]) == ["bq-analyst", "report-builder", "ticket-bot"]


def test_bad_input_changes_nothing(agents_file, tmp_path):
    revocations = tmp_path / "revoked.json"
    unknown = agentid("revoke", "nobody", "--inventory", str(agents_file), "--list", str(revocations))
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith(f"error: agent 'nobody' is not in {agents_file} (it lists: blob-writer, ticket-bot)")
    assert not revocations.exists()
    revocations.write_text("{not json")
    broken = agentid("revoke", "ticket-bot", "--inventory", str(agents_file), "--list", str(revocations))
    assert broken.returncode == 2 and "not JSON" in broken.stderr and "nothing was changed" in broken.stderr
    assert revocations.read_text() == "{not json"  # an unreadable list is never overwritten: its entries would be lost
    missing = agentid("revoke", "undo", "ticket-bot", "--list", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "no such revocation list" in missing.stderr
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
    not_listed = undo("ticket-bot", revocations)
    assert not_listed.stdout.strip() == f"agent 'ticket-bot' is not on the revocation list {revocations}: nothing to undo"


# --- the broker, hop by hop -----------------------------------------------------------


def test_the_oauth_and_mcp_hops_of_a_revoked_agent_are_refused_and_served_again_after_the_undo(tmp_path, caplog):
    from tests.runtime.mcp_server import McpServer

    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    revocations = tmp_path / "revoked.json"
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    with AuthorizationServer() as server, McpServer(server.issuer) as mcp:
        server.register("support-triage", jwk.ECKey.import_key(key.as_dict(private=False)),
                        {TICKETS: ["tickets.read"], mcp.url: ["tickets.search"]})
        grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={}, oauth_tools={
            "read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), issuer=server.issuer),
            "tickets-mcp": OAuthTool("tickets-mcp", mcp.url, ("tickets.search",), issuer=server.issuer, mcp=True),
        }, max_credential_seconds=600)
        broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), revocation_list=revocations)
        revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
        first = broker.credential("read-tickets")
        broker.credential("tickets-mcp")
        assert server.token_requests == 2

        revoke("support-triage", DEV, revocations)
        assert_revoked(broker, "read-tickets", "support-triage", revocations, "oauth", caplog)  # cached token not served
        assert_revoked(broker, "tickets-mcp", "support-triage", revocations, "mcp", caplog)
        assert server.token_requests == 2

        undo("support-triage", revocations)
        again = broker.credential("read-tickets")
        assert again is not first and server.token_requests == 3  # the cache was dropped at the revoke


def test_the_azure_hop_of_a_revoked_agent_is_refused(identity_endpoint, tmp_path, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    revocations = tmp_path / "revoked.json"
    agent = load_inventory(DEV).inventory.agent("report-builder")
    broker = CredentialBroker(AgentGrants.from_spec(agent), revocation_list=str(revocations))
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
    broker.credential("publish-report")
    revoke("report-builder", DEV, revocations)
    assert_revoked(broker, "publish-report", "report-builder", revocations, "azure", caplog)
    assert len(identity_endpoint.issued) == 1
    undo("report-builder", revocations)
    assert broker.credential("publish-report").kind == "azure" and len(identity_endpoint.issued) == 2


def test_the_gcp_hop_of_a_revoked_agent_is_refused(google, tmp_path, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    revocations = tmp_path / "revoked.json"
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
    broker = gcp_broker(google, revocation_list=revocations)
    broker.credential("run-queries")
    calls = len(google.calls)
    agentid("revoke", "bq-analyst", "--inventory", str(DEV), "--list", str(revocations), "--name-suffix", "dev")
    assert_revoked(broker, "run-queries", "bq-analyst", revocations, "gcp", caplog)
    assert_revoked(broker, "query-sales", "bq-analyst", revocations, "gcp", caplog)
    assert len(google.calls) == calls


def test_the_model_hop_of_a_revoked_agent_is_refused(writer, provider, tmp_path, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    token_file = tmp_path / "token"
    token_file.write_text(WORKLOAD_TOKEN)
    revocations = tmp_path / "revoked.json"
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
    broker = model_broker(writer, provider, token_file, revocation_list=revocations)
    broker.credential("claude")
    revoke("writer", tmp_path / "agents.yaml", revocations)
    assert_revoked(broker, "claude", "writer", revocations, "llm", caplog)
    assert_revoked(broker, "gpt", "writer", revocations, "llm", caplog)
    assert len(provider.requests) == 1


def test_the_aws_hop_of_a_revoked_agent_is_refused_without_reading_iam(aws, tmp_path, caplog):
    from tests.runtime.deployed import deploy_agent

    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    agent = load_inventory(DEV).inventory.agent("report-builder")
    arn = deploy_agent(aws, agent)
    revocations = tmp_path / "revoked.json"
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {}}))
    broker = CredentialBroker(AgentGrants.from_spec(agent, arn), AmbientCredentials(), endpoint_url=aws, revocation=None,
                              revocation_list=revocations)
    broker.credential("read-sales-exports")
    revoke("report-builder", DEV, revocations)
    assert_revoked(broker, "read-sales-exports", "report-builder", revocations, "aws", caplog)
    with pytest.raises(BrokerError, match="is revoked: the revocation list"):
        broker.session("list-sales-exports")  # the AWS-only entry points too
    assert broker._cache == {}


def test_another_agent_of_the_same_broker_is_served(tmp_path):
    revocations = tmp_path / "revoked.json"
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    with AuthorizationServer() as server:
        grants = []
        for name in ("support-triage", "report-builder"):
            server.register(name, jwk.ECKey.import_key(key.as_dict(private=False)), {TICKETS: ["tickets.read"]})
            grants.append(AgentGrants(agent=name, role_arn=None, session_policies={}, max_credential_seconds=600,
                                      oauth_tools={"read": OAuthTool("read", TICKETS, ("tickets.read",), issuer=server.issuer)}))
        broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), revocation_list=revocations)
        revoke("support-triage", DEV, revocations)
        with pytest.raises(BrokerError, match="is revoked"):
            broker.credential("read", agent="support-triage")
        assert broker.credential("read", agent="report-builder").audience == (TICKETS,)


# --- a list the broker cannot read ---------------------------------------------------


@pytest.mark.parametrize(("content", "problem"), [
    (None, "cannot read the revocation list: No such file or directory"),
    ("{not json", "not JSON"),
    (json.dumps({"revoked": {}}), 'not an agentid revocation list (expected an object with "agentid_revocation_list": 1'),
    (json.dumps({"agentid_revocation_list": 1, "revoked": ["support-triage"]}), '"revoked" must be an object'),
    (json.dumps({"agentid_revocation_list": 1, "revoked": {"support-triage": "yes"}}), 'revoked."support-triage" must be an object'),
    ("x" * (1024 * 1024 + 1), "the limit is 1,048,576"),
    ("fifo", "a FIFO (named pipe), not a regular file"),
])
def test_a_list_that_cannot_be_read_refuses_every_credential(tmp_path, content, problem):
    revocations = tmp_path / "revoked.json"
    if content == "fifo":
        os.mkfifo(revocations)  # a reader must not hang on it
    elif content is not None:
        revocations.write_text(content)
    grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={}, max_credential_seconds=600,
                         oauth_tools={"read": OAuthTool("read", TICKETS, ("tickets.read",), issuer="https://idp.example.org")})
    broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(jwk.ECKey.generate_key("P-256")), revocation_list=revocations)
    with pytest.raises(BrokerError) as raised:
        broker.credential("read")
    assert raised.value.code == "RevocationUnknown"
    assert problem in str(raised.value)
    assert "the broker refuses every credential rather than hand out one it cannot tell is revoked" in str(raised.value)


def test_the_list_is_parsed_again_only_when_it_changes_and_the_environment_names_it(tmp_path, monkeypatch):
    revocations = tmp_path / "revoked.json"
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {"other": {"revoked_at": "2026-01-01T00:00:00Z"}}}))
    monkeypatch.setenv("AGENTID_REVOCATION_LIST", str(revocations))
    grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={}, max_credential_seconds=600,
                         oauth_tools={"read": OAuthTool("read", TICKETS, ("tickets.read",), issuer="https://idp.example.org")})
    broker = CredentialBroker(grants)
    assert isinstance(broker.revocation_list, RevocationList) and broker.revocation_list.path == revocations
    for _ in range(100):
        assert broker.revocation_list.entry("support-triage") is None
    assert broker.revocation_list.reads == 1
    revoke("support-triage", DEV, revocations)
    assert broker.revocation_list.entry("support-triage").revoked_at.startswith("20")
    assert broker.revocation_list.reads == 2
    monkeypatch.delenv("AGENTID_REVOCATION_LIST")
    assert CredentialBroker(grants).revocation_list is None  # no list configured: nothing read, as before


def test_text_from_the_list_is_shown_never_run_as_terminal_escapes(agents_file, tmp_path):
    revocations = tmp_path / "revoked.json"
    revocations.write_text(json.dumps({"agentid_revocation_list": 1, "revoked": {
        "ticket-bot": {"revoked_at": "2026-01-01T00:00:00Z\x1b[2J", "reason": "\x1b]0;owned\x07leak"}}}))
    again = revoke("ticket-bot", agents_file, revocations)
    assert "\x1b" not in again.stdout and "\\x1b]0;owned\\x07leak" in again.stdout
    restored = undo("ticket-bot", revocations)
    assert "\x1b" not in restored.stdout and "\\x1b[2J" in restored.stdout
