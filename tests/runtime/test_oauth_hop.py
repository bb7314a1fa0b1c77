"""The OAuth 2.1 hop against a real authorization server on loopback: keyless client assertions,
RFC 8707 audience binding, only the tool's scopes, lifetime caps, and every way a server can misbehave."""

from __future__ import annotations

import logging

import pytest
from joserfc import jwk

from agentid.runtime import AgentGrants, AuditLog, BrokerError, CredentialBroker, GrantsError
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT
from tests.runtime.moto_process import LOADED_MACHINE_SLACK
from tests.runtime.oauth_server import AuthorizationServer

TICKETS = "https://tickets.example.org/api"
WIKI = "https://wiki.example.org/api"


@pytest.fixture
def server():
    with AuthorizationServer() as running:
        yield running


@pytest.fixture
def agent_key():
    return jwk.ECKey.generate_key("P-256", auto_kid=True)


def triage_grants(issuer: str, cap_seconds: int = 600) -> AgentGrants:
    return AgentGrants(
        agent="support-triage",
        role_arn=None,
        session_policies={},
        oauth_tools={
            "read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), issuer=issuer),
            "search-wiki": OAuthTool("search-wiki", WIKI, ("wiki.search",), issuer=issuer),
        },
        max_credential_seconds=cap_seconds,
    )


def make_broker(server: AuthorizationServer, agent_key, cap_seconds: int = 600, **options) -> CredentialBroker:
    server.register("support-triage", jwk.ECKey.import_key(agent_key.as_dict(private=False)),
                    {TICKETS: ["tickets.read", "tickets.write"], WIKI: ["wiki.search"]})
    return CredentialBroker(triage_grants(server.issuer, cap_seconds), oauth_signer=PrivateKeyJWT(agent_key), **options)


def records(caplog) -> list[dict]:
    return [r.agentid_audit for r in caplog.records if hasattr(r, "agentid_audit")]


def test_token_is_bound_to_the_tools_resource_and_carries_only_its_scopes(server, agent_key, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    broker = make_broker(server, agent_key)
    token = broker.credential("read-tickets", trace_id="trace-7")
    assert token.kind == "oauth"
    assert token.audience == (TICKETS,)
    assert token.scopes == ("tickets.read",)  # registered for tickets.write too: not asked, not granted
    assert 300 - LOADED_MACHINE_SLACK <= token.seconds_left(broker.clock()) <= 300
    assert token.headers()["Authorization"].startswith("Bearer ey")
    [claims] = server.issued
    assert claims["aud"] == TICKETS and claims["scope"] == "tickets.read" and claims["sub"] == "support-triage"
    assert broker.credential("read-tickets") is token  # cached per (agent, tool)
    other = broker.credential("search-wiki")
    assert other.audience == (WIKI,) and other.scopes == ("wiki.search",)
    assert server.token_requests == 2
    issued = [r for r in records(caplog) if r["outcome"] == "issued"]
    assert [r["tool"] for r in issued] == ["read-tickets", "search-wiki"]
    assert issued[0]["audience"] == TICKETS and issued[0]["client_auth"] == "private_key_jwt"
    assert issued[0]["token_id"] == claims["jti"] and issued[0]["lifetime_seconds"] <= 300
    assert token.access_token not in caplog.text
    assert "access_token" not in repr(token) and token.access_token not in repr(token)


def test_a_longer_lived_server_token_is_handed_out_only_up_to_max_credential_minutes(server, agent_key, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    server.token_lifetime = 3600
    broker = make_broker(server, agent_key, cap_seconds=600)
    token = broker.credential("read-tickets")
    assert token.lifetime_seconds == 600
    assert 600 - LOADED_MACHINE_SLACK <= token.seconds_left(broker.clock()) <= 600
    [record] = [r for r in records(caplog) if r["outcome"] == "issued"]
    # exp is whole seconds and the broker reads the clock after the token request: a loaded CI machine can take a
    # few seconds between the server's iat and that read, so allow slack but stay far above the 600 s cap.
    assert 3500 <= record["server_lifetime_seconds"] <= 3600
    assert "above max_credential_minutes (600 s)" in record["lifetime_note"]


def test_refresh_ahead_of_expiry(server, agent_key):
    class Steady:
        now = 1000.0

        def __call__(self):
            return self.now

    steady = Steady()
    broker = make_broker(server, agent_key, clock=steady)
    first = broker.credential("read-tickets")
    # The token lives exp - now on the wall clock, and exp is whole seconds: 300 s less the fraction of a second
    # of iat and the time the request took (never exactly 300: assuming it failed whenever those summed past 1 s)
    assert 300 - LOADED_MACHINE_SLACK <= first.seconds_left(steady.now) <= 300
    steady.now += first.seconds_left(steady.now) - 61  # 61 s left: more than the 60 s margin
    assert broker.credential("read-tickets") is first
    steady.now += 2  # 59 s left: never handed out again
    second = broker.credential("read-tickets")
    assert second is not first and second.access_token != first.access_token
    assert server.token_requests == 2


@pytest.mark.parametrize(
    "mode, code, message",
    [
        ("wrong_audience", "wrong_audience", "audience \\['https://someone-else.example.org/api'\\] is not the tool's resource"),
        ("ignore_resource", "wrong_audience", "does the server support resource indicators"),
        ("expired", "expired_token", "already expired"),
        ("unsigned", "bad_signature", "signature does not verify"),
        ("foreign_key", "bad_signature", "signature does not verify"),
        ("broader_scopes", "broader_scopes", "did not ask for: admin"),
        ("extra_roles", "broader_scopes", "did not ask for: Payments.Admin"),
        ("extra_scp", "broader_scopes", "did not ask for: admin, tickets.write"),
        ("two_audiences", "wrong_audience", "audience \\['https://tickets.example.org/api', 'https://payments.example.org/api'\\]"),
        ("not_yet_valid", "not_yet_valid", "not valid yet"),
        ("opaque", "opaque_token", "opaque"),
        ("error", "server_error", "HTTP 500"),
    ],
)
def test_a_misbehaving_server_yields_an_error_naming_the_hop_and_no_token(server, agent_key, caplog, mode, code, message):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    server.misbehave[TICKETS] = mode
    from agentid.runtime import RetryPolicy

    broker = make_broker(server, agent_key, retry=RetryPolicy(max_attempts=2, base_delay=0.0))
    for _ in range(2):  # nothing was cached: the second call asks again and fails again
        with pytest.raises(BrokerError, match=message) as raised:
            broker.credential("read-tickets")
        assert raised.value.code == code
        assert "hop oauth" in str(raised.value) and "tool 'read-tickets'" in str(raised.value)
    failed = [r for r in records(caplog) if r["outcome"] == "failed"]
    assert len(failed) == 2 and {r["error_code"] for r in failed} == {code}
    assert {r["hop"] for r in failed} == {"oauth"}
    # the other tool of the same agent is unaffected
    assert broker.credential("search-wiki").audience == (WIKI,)


def test_refusals_before_the_server_is_asked(server, agent_key, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    broker = make_broker(server, agent_key)
    with pytest.raises(BrokerError, match="agent 'support-triage' has no tool 'publish-report'") as raised:
        broker.credential("publish-report")
    assert raised.value.code == "UnknownTool"
    unsigned = CredentialBroker(triage_grants(server.issuer))
    with pytest.raises(BrokerError, match="no client assertion available"):
        unsigned.credential("read-tickets")
    assert server.token_requests == 0
    assert [r["outcome"] for r in records(caplog)] == ["refused", "failed"]


def test_a_client_assertion_with_another_key_is_refused_by_the_server(server, agent_key):
    broker = make_broker(server, agent_key)
    broker.oauth_signer = PrivateKeyJWT(jwk.ECKey.generate_key("P-256", auto_kid=True))
    broker._bearer = None
    with pytest.raises(BrokerError, match="HTTP 401 invalid_client") as raised:
        broker.credential("read-tickets")
    assert raised.value.code == "invalid_client"


def test_issuer_metadata_must_name_the_issuer_asked_for(server, agent_key):
    grants = AgentGrants(
        agent="support-triage", role_arn=None, session_policies={},
        oauth_tools={"read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), issuer=server.issuer + "/tenant-b")},
    )
    broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(agent_key))
    with pytest.raises(BrokerError, match="names issuer") as raised:
        broker.credential("read-tickets")
    assert raised.value.code == "issuer_mismatch"


def test_a_cognito_tool_reads_its_client_secret_from_secrets_manager_with_the_agents_identity(server, aws, caplog):
    """Cognito offers client secrets only: the broker reads it at issuance with the agent's role narrowed to that secret."""
    import json

    import boto3

    from agentid_components.aws import client_secret
    from tests.runtime.moto_process import assumed_roles

    caplog.set_level(logging.DEBUG)
    secret_value = "cognito-client-secret-9f8e7d6c5b4a"
    arn = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1").create_secret(
        Name=client_secret.secret_name("support-triage"), SecretString=secret_value)["ARN"]
    role_arn = boto3.client("iam", endpoint_url=aws, region_name="us-east-1").create_role(
        RoleName="agent-support-triage", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
    server.register("7hq2cognitoclientid", None, {TICKETS: ["tickets.read"]}, secret=secret_value)

    def cognito_grants(ref: str) -> AgentGrants:
        return AgentGrants(
            agent="support-triage", role_arn=role_arn, session_policies={},
            oauth_tools={"read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), provider="cognito",
                                                   issuer=server.issuer, client_id="7hq2cognitoclientid", client_secret_ref=ref)},
        )

    broker = CredentialBroker(cognito_grants(arn), endpoint_url=aws)
    token = broker.credential("read-tickets")
    assert token.audience == (TICKETS,) and token.scopes == (f"{TICKETS}/tickets.read",)
    assert secret_value not in caplog.text and token.access_token not in caplog.text
    [read] = [r for r in records(caplog) if r["kind"] == "client-secret"]
    assert read["outcome"] == "issued" and read["secret_arn"] == arn
    assert read["read_as"].startswith(f"arn:aws:sts::{role_arn.split(':')[4]}:assumed-role/agent-support-triage/read-tickets.")
    # the session that read it could do nothing else: its session policy is GetSecretValue on that one ARN
    session = assumed_roles(aws)[read["access_key_id"]]
    assert session["role_arn"] == role_arn and json.loads(session["policy"]) == client_secret.read_policy(arn)
    [record] = [r for r in records(caplog) if r["outcome"] == "issued" and r["kind"] == "oauth"]
    assert record["client_auth"] == "client_secret_basic"

    # a secret the agent's role cannot read is a refusal naming the store, not a fallback
    with pytest.raises(BrokerError, match="cannot read the client secret .* with the agent's role: ResourceNotFoundException") as raised:
        CredentialBroker(cognito_grants(arn + "-gone"), endpoint_url=aws).credential("read-tickets")
    assert raised.value.code == "secret_store"
    # and a Cognito tool without the agent's role is refused when the grants are built
    with pytest.raises(GrantsError, match="its Cognito tools need the agent's role ARN"):
        AgentGrants(agent="support-triage", role_arn=None, session_policies={},
                    oauth_tools=cognito_grants(arn).oauth_tools)


def test_the_workloads_own_oidc_token_is_the_client_assertion_and_is_reread_each_time(server, tmp_path):
    """Keyless: a Kubernetes-style projected token federated to the agent's client (what Entra, Okta, Keycloak accept)."""
    import time as clock

    from joserfc import jwt

    from agentid.runtime.oauth import WorkloadTokenAssertion

    cluster_key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    cluster = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    subject = "system:serviceaccount:support:triage"
    server.register("support-triage", None, {TICKETS: ["tickets.read"]},
                    federation=(cluster, subject, jwk.ECKey.import_key(cluster_key.as_dict(private=False))))

    def projected(sub: str = subject) -> str:
        now = int(clock.time())
        return jwt.encode({"alg": "ES256", "kid": cluster_key.kid}, {"iss": cluster, "sub": sub, "aud": server.issuer,
                                                                     "iat": now, "exp": now + 3600}, cluster_key)

    token_file = tmp_path / "token"
    token_file.write_text(projected())
    grants = AgentGrants(agent="support-triage", role_arn=None, session_policies={},
                         oauth_tools={"read-tickets": OAuthTool("read-tickets", TICKETS, ("tickets.read",), issuer=server.issuer)})
    broker = CredentialBroker(grants, oauth_signer=WorkloadTokenAssertion(token_file))
    token = broker.credential("read-tickets")
    assert token.audience == (TICKETS,) and token.scopes == ("tickets.read",)

    token_file.write_text(projected(sub="system:serviceaccount:other:intruder"))  # the platform rotated the file
    broker.invalidate_token("read-tickets")
    with pytest.raises(BrokerError, match="HTTP 401 invalid_client: federated assertion: issuer or subject not trusted"):
        broker.credential("read-tickets")
