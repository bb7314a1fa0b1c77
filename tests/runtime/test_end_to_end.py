"""One agent task across four hops, every part real and on loopback: AWS (moto STS), an OAuth API and an MCP
server (official SDK) behind a real authorization server, and an Entra-style token from the same server used
through azure-core. Asserts each credential's audience, scopes and lifetime, the Cedar decisions, and the spans."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import httpx
import pytest
from joserfc import jwk
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentid.runtime import AgentGrants, AmbientCredentials, AuditLog, Authorizer, BrokerError, CredentialBroker
from agentid.runtime.authorization import generate_policies
from agentid.runtime.mcp_auth import broker_auth, mcp_auth
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT
from tests.runtime.mcp_server import McpServer, call_tool
from tests.runtime.moto_process import LOADED_MACHINE_SLACK, MOTO_ACCOUNT_ID
from tests.runtime.oauth_server import AuthorizationServer

TICKETS_API = "https://tickets.example.org/api"
STORAGE = "https://storage.azure.com"
TABLE = f"arn:aws:dynamodb:us-east-1:{MOTO_ACCOUNT_ID}:table/support-tickets"
READ_TABLE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": TABLE}]}
NO_CLOSE_WITHOUT_USER = """
@id("no-close-without-a-user")
forbid (principal, action, resource is Target)
when { resource.id like "*#close_ticket" && context.on_behalf_of == "" };
"""


def spec_for(mcp_url: str, issuer: str) -> SimpleNamespace:
    """The agent as the spec declares it (duck-typed: the MCP and issuer URLs are loopback http, which the spec refuses)."""
    tool = SimpleNamespace
    return SimpleNamespace(name="support-triage", tools=[
        tool(name="read-tickets", aws=SimpleNamespace(resources=[TABLE]), oauth=None, azure=None),
        tool(name="tickets-api", aws=None, oauth=SimpleNamespace(audience=TICKETS_API), azure=None),
        tool(name="tickets-mcp", aws=None, oauth=SimpleNamespace(audience=mcp_url), azure=None),
        tool(name="blob-reader", aws=None, oauth=SimpleNamespace(audience=STORAGE), azure=None),
    ])


@pytest.fixture
def hops(aws):
    with AuthorizationServer(api_audience=TICKETS_API) as authorization, McpServer(authorization.issuer) as mcp:
        yield aws, authorization, mcp


def test_one_task_four_hops_each_with_its_own_credential_decision_and_spans(hops, caplog):
    endpoint, authorization, mcp = hops
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    authorization.register("support-triage", jwk.ECKey.import_key(key.as_dict(private=False)), {
        TICKETS_API: ["tickets.read", "tickets.write"],
        mcp.url: ["tickets.search", "tickets.close"],
        STORAGE: ["Blob.Read"],
    })
    grants = AgentGrants(
        agent="support-triage",
        role_arn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-support-triage",
        session_policies={"read-tickets": READ_TABLE},
        oauth_tools={
            "tickets-api": OAuthTool("tickets-api", TICKETS_API, ("tickets.read",), issuer=authorization.issuer),
            "tickets-mcp": OAuthTool("tickets-mcp", mcp.url, ("tickets.search", "tickets.close"), issuer=authorization.issuer, mcp=True),
            "blob-reader": OAuthTool("blob-reader", STORAGE, ("Blob.Read",), provider="entra", issuer=authorization.issuer),
        },
        max_credential_seconds=600,  # 10 minutes: below STS's 900 s floor, above the tokens' 300 s
    )
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    authorizer = Authorizer(generate_policies([spec_for(mcp.url, authorization.issuer)]) + NO_CLOSE_WITHOUT_USER)
    broker = CredentialBroker(
        grants, AmbientCredentials(), endpoint_url=endpoint, oauth_signer=PrivateKeyJWT(key), authorizer=authorizer,
        audit=AuditLog(tracer=provider.get_tracer("agent")),
    )
    trace = "0af7651916cd43dd8448eb211c80319c"

    # hop 1, AWS: an STS session narrowed to the table
    aws_credentials = broker.credential("read-tickets", trace_id=trace, target=TABLE)
    assert aws_credentials.kind == "aws"
    assert 900 - LOADED_MACHINE_SLACK <= aws_credentials.seconds_left(broker.clock()) <= 900
    caller = aws_credentials.session.client("sts", endpoint_url=endpoint).get_caller_identity()
    assert caller["Arn"].endswith(f"assumed-role/agent-support-triage/read-tickets.{trace}")

    # hop 2, OAuth API: a token for the tickets API only, used through httpx
    # The API is https://tickets.example.org (the token's audience); the transport stands in for DNS and sends
    # the bytes to the loopback server. broker_auth sends a token only to its tool's resource server.
    with httpx.Client(auth=broker_auth(broker, "tickets-api", trace_id=trace), base_url="https://tickets.example.org",
                      transport=_ResolvedTo(authorization.issuer)) as api:
        assert api.get("/api/tickets").json() == {"tickets": [101, 102]}
    api_token = broker.credential("tickets-api", trace_id=trace)
    assert (api_token.kind, api_token.audience, api_token.scopes) == ("oauth", (TICKETS_API,), ("tickets.read",))
    assert api_token.lifetime_seconds <= 300

    # hop 3, MCP: the official SDK client, token found through the server's protected resource metadata
    result = call_tool(mcp.url, mcp_auth(broker, "tickets-mcp", trace_id=trace), "search_tickets", {"query": "refund"})
    assert not result.is_error
    mcp_token = broker.credential("tickets-mcp", trace_id=trace)
    assert (mcp_token.kind, mcp_token.audience) == ("mcp", (mcp.url,))
    assert set(mcp_token.scopes) == {"tickets.search", "tickets.close"}

    # hop 4, Azure-style: an Entra v2-shaped token (scope RESOURCE/.default) usable as an azure-core TokenCredential
    from azure.core.pipeline import PipelineRequest
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy
    from azure.core.pipeline.transport import HttpRequest

    blob_token = broker.credential("blob-reader", trace_id=trace, target=STORAGE + "/reports/weekly")
    assert (blob_token.kind, blob_token.audience, blob_token.scopes) == ("azure", (STORAGE,), ("Blob.Read",))
    request = PipelineRequest(HttpRequest("GET", "https://streportsdev.blob.core.windows.net/weekly/x"), context=None)
    from azure.core.pipeline import PipelineContext

    request.context = PipelineContext(None)
    BearerTokenCredentialPolicy(blob_token, f"{STORAGE}/.default").on_request(request)
    assert request.http_request.headers["Authorization"] == f"Bearer {blob_token.access_token}"

    # Cedar: a target outside the tool's declaration, and a user's forbid, issue nothing
    with pytest.raises(BrokerError, match="Cedar denied") as denied:
        broker.credential("read-tickets", trace_id=trace, target=f"arn:aws:dynamodb:us-east-1:{MOTO_ACCOUNT_ID}:table/payroll")
    assert denied.value.code == "Denied"
    with pytest.raises(BrokerError, match="forbidden by no-close-without-a-user"):
        broker.credential("tickets-mcp", trace_id=trace, target=f"{mcp.url}#close_ticket")
    allowed = broker.credential("tickets-mcp", trace_id=trace, target=f"{mcp.url}#close_ticket", context={"on_behalf_of": "alice@example.org"})
    assert allowed is mcp_token  # allowed, and served from the cache

    # what the authorization server issued: one token per tool, each for its own audience
    assert sorted(c["aud"] for c in authorization.issued) == sorted([TICKETS_API, mcp.url, STORAGE])
    assert authorization.api_calls == ["support-triage"] and mcp.calls == [("search_tickets", "support-triage")]

    # audit records: issuances with lifetimes (STS's floor said), and the two denials
    records = [r.agentid_audit for r in caplog.records if hasattr(r, "agentid_audit")]
    issued = {r["tool"]: r for r in records if r["outcome"] == "issued" and r.get("cache") != "hit"}
    assert set(issued) == {"read-tickets", "tickets-api", "tickets-mcp", "blob-reader"}
    assert "STS's floor is 900 s" in issued["read-tickets"]["lifetime_note"]
    assert issued["tickets-mcp"]["decision"] == "allow" and issued["tickets-mcp"]["discovered_via"] == "protected-resource-metadata"
    refused = [r for r in records if r["outcome"] == "refused"]
    assert [(r["tool"], r["decision"]) for r in refused] == [("read-tickets", "deny"), ("tickets-mcp", "deny")]
    assert refused[1]["policies"] == "no-close-without-a-user"

    # spans: one per issuance and refusal, one per use; GenAI agent attributes; no secret anywhere
    spans = exporter.get_finished_spans()
    by_name: dict[str, list] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    issue_kinds = sorted(s.attributes.get("agentid.kind") or "aws" for s in by_name["agentid.credentials.issue"]
                         if s.attributes.get("agentid.cache") != "hit")
    assert issue_kinds == ["aws", "azure", "mcp", "oauth"]
    assert len(by_name["agentid.credentials.refuse"]) == 2
    uses = by_name["agentid.credentials.use"]
    assert {"GetCallerIdentity"} <= {s.attributes.get("rpc.method") for s in uses}
    assert any(s.attributes.get("gen_ai.tool.name") == "search_tickets" and s.attributes["http.response.status_code"] == 200 for s in uses)
    assert any(s.attributes.get("agentid.tool") == "tickets-api" and s.attributes["url.full"].endswith("/api/tickets") for s in uses)
    assert all(s.attributes["gen_ai.agent.name"] == "support-triage" for s in spans)
    secrets = [aws_credentials.secret_access_key, aws_credentials.session_token, api_token.access_token, mcp_token.access_token,
               blob_token.access_token]
    rendered = " ".join(str(v) for s in spans for v in s.attributes.values()) + caplog.text
    assert not [s[:8] for s in secrets if s in rendered]


class _ResolvedTo(httpx.BaseTransport):
    """An httpx transport that connects to `address` (a loopback server) whatever host the URL names: DNS for tests."""

    def __init__(self, address: str):
        self.address, self.inner = httpx.URL(address), httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # broker_auth's per-hop check (a `trace` hook) would see the loopback URL this rewrite puts in place of the
        # name DNS would resolve; it judged the real URL before this transport was called, and has its own tests
        # (test_bearer_resource_binding.py), so the rewritten request goes without it
        request.extensions = {k: v for k, v in request.extensions.items() if k != "trace"}
        request.url = request.url.copy_with(scheme=self.address.scheme, host=self.address.host, port=self.address.port)
        return self.inner.handle_request(request)
