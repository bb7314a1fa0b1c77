"""The MCP hop end to end: a real MCP server (official SDK) and a real authorization server on loopback.

The broker confirms the tool's configured authorization server through the MCP
server's protected resource metadata (RFC 9728), gets a token whose audience is that MCP server,
and the SDK client calls tools with it; the server's verifier refuses tokens
for other audiences, expired ones, and tools whose scopes the token lacks."""

from __future__ import annotations

import logging

import pytest
from joserfc import jwk

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid.runtime.mcp_auth import challenge_parameters, mcp_auth
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT
from tests.runtime.mcp_server import McpServer, call_tool
from tests.runtime.oauth_server import AuthorizationServer


@pytest.fixture
def servers():
    with AuthorizationServer() as authorization, McpServer(authorization.issuer) as mcp:
        yield authorization, mcp


def mcp_broker(authorization: AuthorizationServer, mcp: McpServer, scopes=("tickets.search",), issuer=None, **options) -> CredentialBroker:
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    authorization.register("support-triage", jwk.ECKey.import_key(key.as_dict(private=False)),
                           {mcp.url: ["tickets.search", "tickets.close"], "https://other.example.org/mcp": ["tickets.search"]})
    grants = AgentGrants(
        agent="support-triage", role_arn=None, session_policies={},
        oauth_tools={"tickets-mcp": OAuthTool("tickets-mcp", mcp.url, tuple(scopes), issuer=issuer or authorization.issuer, mcp=True)},
        max_credential_seconds=600,
    )
    return CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), **options)


def test_the_sdk_client_calls_a_tool_with_a_token_found_through_protected_resource_metadata(servers, caplog):
    authorization, mcp = servers
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    broker = mcp_broker(authorization, mcp)  # the configured issuer, confirmed through the MCP server's metadata
    result = (call_tool(mcp.url, mcp_auth(broker, "tickets-mcp"), "search_tickets", {"query": "refund"}))
    assert not result.is_error and "3 tickets match 'refund'" in result.content[0].text
    assert mcp.calls == [("search_tickets", "support-triage")]
    [claims] = authorization.issued
    assert claims["aud"] == mcp.url and claims["scope"] == "tickets.search"
    [record] = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "issued"]
    assert record["kind"] == "mcp" and record["discovered_via"] == "protected-resource-metadata"
    assert record["issuer"] == authorization.issuer


def test_a_tool_whose_scope_the_token_lacks_is_refused_by_the_server(servers):
    authorization, mcp = servers
    broker = mcp_broker(authorization, mcp, scopes=("tickets.search",))
    result = (call_tool(mcp.url, mcp_auth(broker, "tickets-mcp"), "close_ticket", {"ticket": 7}))
    assert result.is_error and "needs scope(s) tickets.close" in result.content[0].text
    assert mcp.calls == []


def test_the_server_rejects_tokens_for_another_audience_and_unauthenticated_calls(servers):
    import httpx

    authorization, mcp = servers
    unauthenticated = httpx.post(mcp.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                 headers={"Accept": "application/json, text/event-stream"})
    assert unauthenticated.status_code == 401
    metadata_url = challenge_parameters(unauthenticated.headers["www-authenticate"])["resource_metadata"]
    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == mcp.url and metadata["authorization_servers"] == [authorization.issuer]

    broker = mcp_broker(authorization, mcp)
    broker._grants["support-triage"].oauth_tools["other"] = OAuthTool(
        "other", "https://other.example.org/mcp", ("tickets.search",), issuer=authorization.issuer
    )
    foreign = broker.credential("other")  # a valid token of the same server, for another resource
    answer = httpx.post(mcp.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                        headers={"Accept": "application/json, text/event-stream", **foreign.headers()})
    assert answer.status_code == 401
    assert mcp.verifier.rejections[-1] == "audience"


def test_an_mcp_server_cannot_send_the_agent_to_an_authorization_server_the_spec_does_not_name(servers):
    authorization, mcp = servers
    broker = mcp_broker(authorization, mcp, issuer="https://id.example.org")
    with pytest.raises(BrokerError, match="not the spec's issuer https://id.example.org") as raised:
        broker.credential("tickets-mcp")
    assert raised.value.code == "issuer_not_listed"
    assert authorization.token_requests == 0


def test_watch_a_token_expire_the_server_reject_it_and_the_broker_refresh(servers):
    """The seed's "watch one fail and refresh": the server's clock passes the token's exp; the 401 makes the broker renew."""
    authorization, mcp = servers
    broker = mcp_broker(authorization, mcp)
    auth = mcp_auth(broker, "tickets-mcp")
    first = (call_tool(mcp.url, auth, "search_tickets", {"query": "a"}))
    assert not first.is_error
    old = broker.credential("tickets-mcp")
    assert authorization.token_requests == 1

    real_clock = mcp.verifier.clock
    skew = authorization.token_lifetime + 1
    mcp.verifier.clock = lambda: real_clock() + skew  # the server now sees the token expired
    authorization.token_lifetime = 600
    try:
        second = (call_tool(mcp.url, auth, "search_tickets", {"query": "b"}))
    finally:
        mcp.verifier.clock = real_clock
    assert not second.is_error
    assert "expired" in mcp.verifier.rejections
    new = broker.credential("tickets-mcp")
    assert new.access_token != old.access_token and new.token_id != old.token_id
    assert authorization.token_requests == 2
    assert [tool for tool, _ in mcp.calls] == ["search_tickets", "search_tickets"]


@pytest.mark.parametrize("url, within", [
    ("https://tickets.example.org/api", True),
    ("https://TICKETS.example.org:443/api/x?q=1", True),
    ("https://tickets.example.org/api/", True),
    ("https://tickets.example.org.evil/api/x", False),  # red6: a look-alike host got the token
    ("https://user@evil.example/steal", False),
    ("https://tickets.example.org@evil.example/api", False),
    ("https://user:pw@tickets.example.org/api", False),  # userinfo at all: never send a bearer with it
    ("http://tickets.example.org:8080/api", False),
    ("http://tickets.example.org/api", False),  # the same host in cleartext
    ("https://tickets.example.org./api", False),  # a trailing dot is another name to TLS and cookies
    ("https://tickets.example.org:8443/api", False),
    ("https://tickets.example.org/api-admin", False),  # not below /api at a segment boundary
    ("https://tickets.example.org/", False),
    ("https://[::1/api", False),  # unparsable: no
])
def test_a_token_goes_only_to_its_tools_resource_server(url, within):
    from agentid.runtime.mcp_auth import request_within_audience

    assert request_within_audience("https://tickets.example.org/api", url) is within


def test_broker_auth_refuses_a_request_outside_the_tools_audience_before_asking_for_a_token(servers):
    import httpx

    from agentid.runtime.mcp_auth import broker_auth

    authorization, mcp = servers
    broker = mcp_broker(authorization, mcp)
    lookalike = mcp.url.replace("127.0.0.1", "localhost")  # same server, another name: not the audience
    with httpx.Client(auth=broker_auth(broker, "tickets-mcp"), timeout=10) as client:
        with pytest.raises(BrokerError, match=r"refusing to send its token to http://localhost:\d+/.*: not the tool's "
                                              r"resource") as refused:
            client.post(lookalike, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.value.code == "WrongResource"
    assert authorization.issued == []  # no token was even minted


def test_a_json_rpc_batch_is_refused_so_each_tool_call_meets_cedar(servers):
    import httpx

    from agentid.runtime.mcp_auth import broker_auth

    authorization, mcp = servers
    broker = mcp_broker(authorization, mcp)
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "close_ticket", "arguments": {}}}]
    with httpx.Client(auth=broker_auth(broker, "tickets-mcp"), timeout=10) as client:
        with pytest.raises(BrokerError, match="JSON-RPC batch") as refused:
            client.post(mcp.url, json=batch)
    assert refused.value.code == "BatchRefused" and mcp.calls == [] and authorization.issued == []
