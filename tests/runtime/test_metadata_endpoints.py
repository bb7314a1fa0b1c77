"""A client credential goes only to an endpoint its issuer owns (red6 suspicion: "a metadata token_endpoint on http
or another host").

Real servers on loopback: the authorization server on 127.0.0.1 and, as "another host", a recording server on
127.0.0.2 (the host an attacker's metadata names: it must receive nothing). RFC 8414 §3.3 binds metadata to its
issuer through the `issuer` field only; the hosts it names are not thereby the issuer's (RFC 9700 §4.4 mix-up).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from joserfc import jwk

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid.runtime.model_hop import ModelProviderTool
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT, endpoint_problem
from tests.runtime.oauth_server import AuthorizationServer, RecordingServer
from tests.runtime.test_gcp_broker import PROVIDER, google  # noqa: F401 - fixture
from tests.runtime.test_gcp_broker import _broker as gcp_broker

TICKETS = "https://tickets.example.org/api"
DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"


@pytest.fixture
def server():
    with AuthorizationServer() as running:
        yield running


@pytest.fixture
def elsewhere():
    with RecordingServer() as running:
        yield running


@pytest.fixture
def agent_key():
    return jwk.ECKey.generate_key("P-256", auto_kid=True)


def broker_for(server: AuthorizationServer, agent_key, issuer: str | None = None, token_endpoint: str | None = None,
               **options) -> CredentialBroker:
    server.register("support-triage", jwk.ECKey.import_key(agent_key.as_dict(private=False)), {TICKETS: ["tickets.read"]})
    grants = AgentGrants(
        agent="support-triage", role_arn=None, session_policies={},
        oauth_tools={"read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), issuer=issuer or server.issuer,
                                               token_endpoint=token_endpoint)},
        max_credential_seconds=600,
    )
    return CredentialBroker(grants, oauth_signer=PrivateKeyJWT(agent_key), **options)


@pytest.mark.parametrize(
    ("field", "where", "code", "message"),
    [
        ("token_endpoint", "elsewhere", "foreign_endpoint", "names token_endpoint 'http://127.0.0.2:{port}/token': not on the issuer's origin"),
        ("token_endpoint", "other-port", "foreign_endpoint", "names token_endpoint 'http://127.0.0.1:{port}/token': not on the issuer's origin"),
        ("token_endpoint", "userinfo", "insecure_endpoint", "not an http(s) URL with a host and without userinfo"),
        ("token_endpoint", "cleartext", "insecure_endpoint", "names token_endpoint 'http://tickets-idp.example.org/token': cleartext http"),
        ("token_endpoint", "relative", "no_token_endpoint", "has no token_endpoint URL"),
        ("jwks_uri", "elsewhere", "foreign_endpoint", "names jwks_uri 'http://127.0.0.2:{port}/jwks': not on the issuer's origin"),
        ("jwks_uri", "cleartext", "insecure_endpoint", "names jwks_uri 'http://tickets-idp.example.org/jwks': cleartext http"),
        ("jwks_uri", "not-a-string", "bad_endpoint", "names jwks_uri ['http://127.0.0.2"),
    ],
)
def test_metadata_naming_an_endpoint_the_issuer_does_not_own_is_refused_before_any_credential_leaves(
        server, elsewhere, agent_key, field, where, code, message):
    other_port = RecordingServer(host="127.0.0.1")
    path = "/token" if field == "token_endpoint" else "/jwks"
    value = {
        "elsewhere": f"{elsewhere.url}{path}",
        "other-port": f"{other_port.url}{path}",
        "userinfo": f"http://{server.issuer.removeprefix('http://')}@127.0.0.2:{elsewhere.port}{path}",
        "cleartext": f"http://tickets-idp.example.org{path}",
        "relative": path,
        "not-a-string": [f"{elsewhere.url}{path}"],
    }[where]
    server.metadata_overrides[field] = value
    broker = broker_for(server, agent_key)
    with other_port, pytest.raises(BrokerError) as raised:
        broker.credential("read-tickets")
    port = other_port.port if where == "other-port" else elsewhere.port
    assert raised.value.code == code
    assert message.format(port=port) in str(raised.value)
    assert str(raised.value).startswith("agent 'support-triage', tool 'read-tickets', hop oauth: metadata at ")
    assert elsewhere.requests == [] and other_port.requests == []  # no assertion, no key-set fetch went there
    assert server.token_requests == 0


@pytest.mark.parametrize("named", ["{issuer}/", "HTTP://127.0.0.1:{port}", "http://localhost:{port}", "{issuer}/tenant-b",
                                   None, ["{issuer}"]])
def test_metadata_naming_any_other_spelling_of_the_issuer_is_refused(server, agent_key, named):
    """RFC 8414 §3.3: the issuer in the metadata MUST be identical to the one asked for: a trailing slash, another
    case or another name of the same host is another issuer (tokens carry it in `iss` and are compared as strings)."""
    def spelled(value):
        return value.format(issuer=server.issuer, port=server.port) if isinstance(value, str) else value

    server.metadata_overrides["issuer"] = [spelled(v) for v in named] if isinstance(named, list) else spelled(named)
    with pytest.raises(BrokerError, match=r"names issuer .* not 'http://127.0.0.1:\d+' \(RFC 8414 §3.3\): refusing it") as raised:
        broker_for(server, agent_key).credential("read-tickets")
    assert raised.value.code == "issuer_mismatch" and server.token_requests == 0


def test_endpoints_the_broker_never_calls_may_live_anywhere(server, elsewhere, agent_key):
    """Look-alike that must work: registration, revocation and introspection endpoints on other hosts or on http
    are never called (the kit's clients are registered by its components, no dynamic registration), so not read."""
    server.metadata_overrides.update(
        registration_endpoint=f"{elsewhere.url}/register",
        revocation_endpoint="http://revoke.example.org/revoke",
        introspection_endpoint=f"{elsewhere.url}/introspect",
    )
    broker = broker_for(server, agent_key)
    token = broker.credential("read-tickets")
    assert token.audience == (TICKETS,) and server.token_requests == 1
    assert elsewhere.requests == []


def test_an_endpoint_spelled_differently_on_the_issuers_origin_is_the_issuers(server, agent_key):
    """Look-alike: scheme case and an explicit default port do not change the origin (RFC 6454 §4)."""
    host = server.issuer.removeprefix("http://")
    server.token_endpoint = f"HTTP://{host}/token"  # what the metadata names and the assertion's aud
    server.metadata_overrides["jwks_uri"] = f"http://{host}/jwks?v=2"
    assert broker_for(server, agent_key).credential("read-tickets").scopes == ("tickets.read",)
    assert endpoint_problem("https://idp.example.org:443/oauth2/token", "https://idp.example.org/tenant") is None
    assert endpoint_problem("https://IDP.example.org/t", "https://idp.example.org") is None
    assert endpoint_problem("https://idp.example.org./t", "https://idp.example.org")[0] == "foreign_endpoint"  # trailing dot: another name
    assert endpoint_problem("https://idp.example.org.evil.example/t", "https://idp.example.org")[0] == "foreign_endpoint"
    assert endpoint_problem("http://idp.example.org/t", "https://idp.example.org")[0] == "insecure_endpoint"


def test_a_token_endpoint_on_another_host_works_when_the_tools_configuration_names_it(server, agent_key):
    """Cognito's token endpoint is on the user pool's domain, not the issuer's host: the stack outputs name it
    (aws.oauth.token_endpoint) and the broker sends the credential there and nowhere else."""
    with RecordingServer(forward_to=server.issuer) as pool_domain:
        server.token_endpoint = f"{pool_domain.url}/token"  # what the metadata names and the assertion's aud
        refused = broker_for(server, agent_key)
        with pytest.raises(BrokerError) as raised:
            refused.credential("read-tickets")
        assert raised.value.code == "foreign_endpoint" and pool_domain.requests == []

        other = broker_for(server, agent_key, token_endpoint=f"{pool_domain.url}/oauth2/token")
        with pytest.raises(BrokerError, match="not the token endpoint the tool's configuration names") as raised:
            other.credential("read-tickets")
        assert raised.value.code == "foreign_endpoint" and pool_domain.requests == []

        pinned = broker_for(server, agent_key, token_endpoint=f"{pool_domain.url}/token")
        assert pinned.credential("read-tickets").audience == (TICKETS,)
        assert [(method, path) for method, path, _, _ in pool_domain.requests] == [("POST", "/token")]


def test_an_issuer_on_cleartext_http_is_refused_without_a_request(agent_key):
    grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={},
                         oauth_tools={"read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",),
                                                                issuer="http://tickets-idp.example.org")})
    broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(agent_key))
    with pytest.raises(BrokerError, match="issuer http://tickets-idp.example.org: cleartext http") as raised:
        broker.credential("read-tickets")
    assert raised.value.code == "insecure_issuer"


def test_a_redirect_from_the_token_endpoint_is_not_followed(server, elsewhere, agent_key):
    server.token_redirect = f"{elsewhere.url}/token"
    broker = broker_for(server, agent_key)
    with pytest.raises(BrokerError) as raised:
        broker.credential("read-tickets")
    assert raised.value.code == "redirect_refused"
    assert (f"answered a redirect (HTTP 307 to http://127.0.0.2:{elsewhere.port}/token): the broker does not follow it"
            in str(raised.value))
    assert elsewhere.requests == []


def test_proxies_from_the_environment_are_not_used_for_credential_requests(server, elsewhere, agent_key, monkeypatch):
    """Decision (docs/runtime.md): the OAuth client ignores HTTP(S)_PROXY, ALL_PROXY and .netrc (httpx
    trust_env=False): a variable set in the agent's environment must not route the assertion through another host."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, elsewhere.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert broker_for(server, agent_key).credential("read-tickets").audience == (TICKETS,)
    assert elsewhere.requests == [] and server.token_requests == 1


def test_an_mcp_tool_without_a_configured_issuer_never_sends_its_credential_to_the_server_the_mcp_server_names(server, agent_key):
    from tests.runtime.mcp_server import McpServer

    with McpServer(server.issuer) as mcp:
        server.register("support-triage", jwk.ECKey.import_key(agent_key.as_dict(private=False)), {mcp.url: ["tickets.search"]})
        grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={},
                             oauth_tools={"tickets-mcp": OAuthTool("tickets-mcp", mcp.url, ("tickets.search",), mcp=True)})
        broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(agent_key))
        with pytest.raises(BrokerError, match="tool 'tickets-mcp' names no issuer: the broker sends the agent's client "
                                              "credential only to the issuer the tool's configuration names") as raised:
            broker.credential("tickets-mcp")
        assert raised.value.code == "no_issuer" and server.token_requests == 0
        # the discovery itself refuses too, when called without a configured issuer
        from agentid.runtime.mcp_auth import discover_authorization_server
        from agentid.runtime.oauth import OAuthClient, OAuthError

        with pytest.raises(OAuthError, match=r"names no issuer, and MCP server .* lists \['http://127.0.0.1:\d+'\]") as raised:
            discover_authorization_server(OAuthClient(), grants.oauth_tools["tickets-mcp"], None)
        assert raised.value.code == "no_issuer" and server.token_requests == 0


def test_the_model_exchange_sends_the_workload_token_only_to_the_providers_endpoint():
    with pytest.raises(ValueError, match="sends the workload's token only to https://auth.openai.com/oauth/token"):
        ModelProviderTool("gpt", "openai", (("service_account_id", "svc"),), token_endpoint="https://auth.openai.com.evil.example/oauth/token")
    with pytest.raises(ValueError, match="only to https://api.anthropic.com/v1/oauth/token"):
        ModelProviderTool("claude", "anthropic", (), token_endpoint="http://api.anthropic.com/v1/oauth/token")
    assert ModelProviderTool("claude", "anthropic", (), token_endpoint="http://127.0.0.1:8/v1/oauth/token").token_endpoint.startswith("http://127")
    assert ModelProviderTool("gpt", "openai", ()).token_endpoint == "https://auth.openai.com/oauth/token"


# --- GCP: where the workload's Google credentials would send what they hold --------------------------------


def _pool_source(google_fake, **changes):
    from google.auth import identity_pool

    info = {"type": "external_account", "audience": PROVIDER, "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": google_fake.token_file}} | changes
    return identity_pool.Credentials.from_info(info).with_scopes(["https://www.googleapis.com/auth/cloud-platform"])


@pytest.mark.parametrize(("changes", "message"), [
    ({"token_url": "https://sts.googleapis.com.evil.example/v1/token"},
     "its token_url is https://sts.googleapis.com.evil.example/v1/token: not https on googleapis.com"),
    ({"token_url": "http://sts.googleapis.com/v1/token"}, "its token_url is http://sts.googleapis.com/v1/token: not https"),
    ({"service_account_impersonation_url": "https://iam.evil.example/v1/projects/-/serviceAccounts/x:generateAccessToken"},
     "its service_account_impersonation_url is https://iam.evil.example/v1/projects/-/serviceAccounts/x:generateAccessToken"),
    ({"universe_domain": "evil.example"}, "its universe domain is 'evil.example': the broker sends Google credentials only to googleapis.com"),
])
def test_google_credentials_that_would_send_the_workload_token_elsewhere_are_refused(google, changes, message):  # noqa: F811
    google.source = _pool_source(google, **changes)
    with pytest.raises(BrokerError) as raised:
        gcp_broker(google).credential("run-queries")
    assert raised.value.code == "foreign_endpoint"
    assert str(raised.value).startswith("agent 'bq-analyst', tool 'run-queries', hop gcp: the workload's Google credentials (Credentials): ")
    assert message in str(raised.value)
    assert google.attempted == []  # nothing was sent anywhere, not even to Google


def test_an_authorized_users_refresh_token_goes_only_to_google(google):  # noqa: F811
    from google.oauth2.credentials import Credentials

    google.source = Credentials(None, refresh_token="1//refresh-token-of-a-user", client_id="c", client_secret="s",
                                token_uri="https://oauth2.evil.example/token")
    with pytest.raises(BrokerError, match="its token_uri is https://oauth2.evil.example/token") as raised:
        gcp_broker(google).credential("run-queries")
    assert raised.value.code == "foreign_endpoint" and google.attempted == []


def test_regional_google_endpoints_are_googles(google):  # noqa: F811
    """Look-alike that must pass the check: a regional STS endpoint is on googleapis.com (the loopback double then
    has no route to it, so the request fails as unreachable, after the check)."""
    from agentid.runtime.gcp_hop import source_endpoint_problem

    assert source_endpoint_problem(_pool_source(google)) is None
    assert source_endpoint_problem(_pool_source(google, token_url="https://sts.europe-west1.rep.googleapis.com/v1/token")) is None
    google.source = _pool_source(google, token_url="https://sts.europe-west1.rep.googleapis.com/v1/token")
    with pytest.raises(BrokerError) as raised:
        gcp_broker(google).credential("run-queries")
    assert raised.value.code == "unreachable"
    assert google.attempted == ["https://sts.europe-west1.rep.googleapis.com/v1/token"] * len(google.attempted)


# --- Azure: where azure-identity would send the workload's federated token ------------------------------


@pytest.mark.parametrize("authority", ["https://login.microsoftonline.com.evil.example", "http://login.microsoftonline.com",
                                       "login.evil.example", "https://login.microsoftonline.com@127.0.0.2"])
def test_the_federated_token_goes_only_to_an_entra_authority_host(tmp_path, monkeypatch, authority):
    from agentid_components.loader import load_inventory

    token = tmp_path / "azure-token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2ln")
    for name, value in (("AZURE_FEDERATED_TOKEN_FILE", str(token)), ("AZURE_TENANT_ID", "11111111-2222-3333-4444-555555555555"),
                        ("AZURE_CLIENT_ID", "66666666-7777-8888-9999-000000000000"), ("AZURE_AUTHORITY_HOST", authority)):
        monkeypatch.setenv(name, value)
    agent = load_inventory(DEV).inventory.agent("report-builder")
    with pytest.raises(BrokerError) as raised:
        CredentialBroker(AgentGrants.from_spec(agent)).credential("publish-report")
    assert raised.value.code == "foreign_endpoint"
    assert str(raised.value).startswith("agent 'report-builder', tool 'publish-report', hop azure: AZURE_AUTHORITY_HOST is '")
    assert ("the workload's federated token goes only to Entra ID's authority hosts (login.chinacloudapi.cn, "
            "login.microsoftonline.com, login.microsoftonline.us), never to another host") in str(raised.value)


def test_entra_authority_hosts_of_every_cloud_are_accepted():
    from agentid.runtime.azure_hop import authority_problem

    for authority in (None, "", "login.microsoftonline.com", "https://login.microsoftonline.us/", "https://login.chinacloudapi.cn"):
        assert authority_problem(authority) is None
