"""An Entra OAuth tool's authority comes from configuration (the tenant), never from the resource server (red7a 1).

red7a 1: an Entra tool from a valid spec has no issuer, so the broker asked the RESOURCE SERVER (its 401's
resource_metadata, RFC 9728) which authorization server to use, and POSTed the agent's workload OIDC token (the
federated credential Entra accepts) to the host it named. Now the spec's Entra tool gets its issuer from the
configured tenant (AgentGrants.from_spec(azure_tenant=, azure_client_id=), `agentid credential --azure-tenant
--azure-client-id`, or the stack outputs); without one the broker refuses (`no_issuer`) before any request.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import yaml
from joserfc import jwk, jwt

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker, GrantsError
from agentid.runtime.oauth import OAuthClient, WorkloadTokenAssertion
from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid

TENANT = "7d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
CLIENT_ID = "0f1e2d3c-4b5a-4968-8776-655443322110"
AUDIENCE, EVIL = "https://tickets.partner.example", "http://collector.evil.example"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
WORKLOAD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWdlbnRzOnRyaWFnZSJ9.WORKLOAD-SIGNATURE"


@pytest.fixture
def spec(tmp_path) -> Path:
    """One agent with one Entra OAuth tool (a valid spec: Entra tools name no issuer, the kit configures it)."""
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump({"agents": [{
        "name": "triage", "owner": "support-team", "purpose": "Triage incoming tickets", "environment": "dev",
        "review_by": "2031-06-30",
        "tools": [{"name": "tickets-api", "oauth": {"provider": "entra", "audience": AUDIENCE, "scopes": ["Tickets.Read"]}}],
        "trust": [{"kubernetes": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "namespace": "agents",
                                  "service_account": "triage"}}],
    }]}))
    return path


class _Internet:
    """Every host the broker could reach: the resource server (401 naming the attacker's metadata), the attacker's
    server, and Entra's authority for TENANT (OIDC metadata, keys, token endpoint). Records each request."""

    def __init__(self):
        self.key = jwk.ECKey.generate_key("P-256", auto_kid=True)
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.seen.append((url, request.content))
        issuer = f"{AUTHORITY}/v2.0"
        if url.startswith(AUDIENCE):
            return httpx.Response(401, headers={"WWW-Authenticate": f'Bearer resource_metadata="{EVIL}/prm"'})
        if url == f"{EVIL}/prm":
            return httpx.Response(200, json={"resource": AUDIENCE, "authorization_servers": [EVIL]})
        if url == f"{issuer}/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": issuer, "token_endpoint": f"{AUTHORITY}/oauth2/v2.0/token",
                                             "jwks_uri": f"{AUTHORITY}/discovery/v2.0/keys"})
        if url == f"{AUTHORITY}/discovery/v2.0/keys":
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if url == f"{AUTHORITY}/oauth2/v2.0/token":
            claims = {"iss": issuer, "aud": AUDIENCE, "exp": int(time.time()) + 300, "roles": ["Tickets.Read"]}
            token = jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key)
            return httpx.Response(200, json={"access_token": token, "token_type": "Bearer", "expires_in": 300})
        return httpx.Response(404)


def _broker(spec: Path, tmp_path: Path, internet: _Internet, **grants_options) -> CredentialBroker:
    token_file = tmp_path / "token"
    token_file.write_text(WORKLOAD_TOKEN)
    client = OAuthClient()
    client._http = httpx.Client(transport=httpx.MockTransport(internet))
    agent = load_inventory(spec).inventory.agent("triage")
    return CredentialBroker(AgentGrants.from_spec(agent, **grants_options), oauth_signer=WorkloadTokenAssertion(token_file),
                            oauth_client=client, revocation=None, revocation_list=None)


def test_without_a_tenant_nothing_is_asked_of_the_resource_server(spec, tmp_path):
    internet = _Internet()
    broker = _broker(spec, tmp_path, internet)
    with pytest.raises(BrokerError, match=r"tool 'tickets-api' names no issuer: .*an Entra tool from its tenant: "
                                          r"AgentGrants.from_spec\(azure_tenant=, azure_client_id=\)") as refused:
        broker.credential("tickets-api")
    assert refused.value.code == "no_issuer" and internet.seen == []


def test_the_configured_tenants_authority_gets_the_workload_token_and_nobody_else(spec, tmp_path):
    internet = _Internet()
    broker = _broker(spec, tmp_path, internet, azure_tenant=TENANT, azure_client_id=CLIENT_ID)
    token = broker.credential("tickets-api")
    assert (token.kind, token.issuer, token.audience) == ("azure", f"{AUTHORITY}/v2.0", (AUDIENCE,))
    assert {httpx.URL(url).host for url, _ in internet.seen} == {"login.microsoftonline.com"}
    [form] = [body for url, body in internet.seen if url.endswith("/oauth2/v2.0/token")]
    assert b"WORKLOAD-SIGNATURE" in form and f"client_id={CLIENT_ID}".encode() in form


@pytest.mark.parametrize("tenant, client_id, message", [
    ("common", CLIENT_ID, "Entra tenant 'common' is not one tenant"),
    ("organizations", CLIENT_ID, "Entra tenant 'organizations' is not one tenant"),
    ("evil.example/x", CLIENT_ID, "Entra tenant 'evil.example/x' is not one tenant"),
    (TENANT, None, "an Entra tool needs both the tenant and the agent application's client id"),
])
def test_a_tenant_that_is_not_one_tenant_is_refused(spec, tenant, client_id, message):
    agent = load_inventory(spec).inventory.agent("triage")
    with pytest.raises(GrantsError, match=rf"^agent 'triage': {message}"):
        AgentGrants.from_spec(agent, azure_tenant=tenant, azure_client_id=client_id)


def test_a_verified_domain_is_a_tenant(spec):
    agent = load_inventory(spec).inventory.agent("triage")
    grants = AgentGrants.from_spec(agent, azure_tenant="Contoso.onmicrosoft.com", azure_client_id=CLIENT_ID)
    assert grants.oauth_tools["tickets-api"].issuer == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"


def test_agentid_credential_asks_for_the_tenant_and_client_id(spec, monkeypatch):
    monkeypatch.delenv("AZURE_TENANT_ID", raising=False)
    missing = agentid("credential", "triage", "tickets-api", "-i", str(spec))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == (
        "error: agent 'triage': an Entra tool needs both the tenant and the agent application's client id (stack outputs "
        "azure.tenant_id and azure.oauth.client_id; agentid credential --azure-tenant and --azure-client-id)\n")
    common = agentid("credential", "triage", "tickets-api", "-i", str(spec), "--azure-tenant", "common",
                     "--azure-client-id", CLIENT_ID)
    assert common.returncode == 2 and "Entra tenant 'common' is not one tenant" in common.stderr
