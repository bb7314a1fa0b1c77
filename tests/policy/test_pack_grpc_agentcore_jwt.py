"""AgentCore inbound JWT authorizers, over gRPC (red7b f19).

A gateway or runtime whose CUSTOM_JWT authorizer names no audience and no client lets in every token its issuer
signs (with accounts.google.com: any Google account): AGID-AWS-037. One on an issuer neither a platform's nor the
gate's (a self-run `https://oidc.evil.example.net`) is AGID-GEN-003's. Look-alikes: a Cognito pool issuer with an
allowed client, a runtime without an authorizer (AWS_IAM, the default).
"""

from __future__ import annotations

from tests.policy.pack_cases import flagged_names

GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
GOOGLE = "https://accounts.google.com/.well-known/openid-configuration"
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/openid-configuration"
EVIL = "https://oidc.evil.example.net/.well-known/openid-configuration"


def gateway(jwt: dict) -> tuple:
    return (GATEWAY, "tools-gw", {"name": "tools", "roleArn": "arn:aws:iam::111122223333:role/gw",
                                  "protocolType": "MCP", "authorizerType": "CUSTOM_JWT",
                                  "authorizerConfiguration": {"customJwtAuthorizer": jwt}})


def runtime(jwt: dict | None) -> tuple:
    props = {"agentRuntimeName": "rt", "roleArn": "arn:aws:iam::111122223333:role/rt"}
    if jwt is not None:
        props["authorizerConfiguration"] = {"customJwtAuthorizer": jwt}
    return (RUNTIME, "agent-rt", props)


def test_a_jwt_authorizer_pinning_no_audience_or_client_lets_anyone_in(pack) -> None:
    assert flagged_names(pack, "AGID-AWS-037", gateway({"discoveryUrl": GOOGLE}), "mandatory") == ["tools-gw"]
    assert flagged_names(pack, "AGID-AWS-037", runtime({"discoveryUrl": GOOGLE, "allowedAudiences": []}),
                         "mandatory") == ["agent-rt"]


def test_a_jwt_authorizer_on_an_issuer_nobody_vouched_for_blocks(pack) -> None:
    assert flagged_names(pack, "AGID-GEN-003", runtime({"discoveryUrl": EVIL, "allowedAudiences": ["agent"]}),
                         "mandatory") == ["agent-rt"]


def test_a_pinned_cognito_authorizer_and_an_iam_runtime_pass(pack) -> None:
    pinned = gateway({"discoveryUrl": COGNITO, "allowedClients": ["4abcdefghijklmnopqrstuvwx"]})
    for rule in ("AGID-AWS-037", "AGID-GEN-003"):
        assert flagged_names(pack, rule, pinned) == []
        assert flagged_names(pack, rule, runtime(None)) == []
