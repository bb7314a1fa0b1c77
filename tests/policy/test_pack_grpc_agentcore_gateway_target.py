"""AgentCore gateway targets' outbound credentials, over gRPC (AGID-AWS-071).

A target that forwards the caller's token (`jwtPassthrough`) or sends its credential to a URL that is not https on
one named host is flagged; a target with its own OAuth / API key / IAM credential on an https endpoint, and a
Lambda target (no endpoint), pass. The inputs are pulumi-aws 7.51's, as the SDK serialises them (checked against the
installed SDK's Args classes at the end).
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN
from tests.policy.sdk_args import inputs, nested

TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
RULE = "AGID-AWS-071"
OAUTH = {"oauth": {"providerArn": "arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/"
                                  "oauth2credentialprovider/crm", "scopes": ["crm.read"]}}


def target(credentials: dict | None, configuration: dict) -> tuple:
    props = {"gatewayIdentifier": "gw-123", "name": "crm", "targetConfiguration": configuration}
    if credentials is not None:
        props["credentialProviderConfiguration"] = credentials
    return (TARGET, "crm-target", props)


def mcp_server(url: str) -> dict:
    return {"mcp": {"mcpServer": {"endpoint": url}}}


def passthrough(url: str) -> dict:
    return {"http": {"passthrough": {"endpoint": url, "protocolType": "MCP"}}}


def inference(url: str) -> dict:
    return {"inference": {"provider": {"endpoint": url}}}


@pytest.mark.parametrize("credentials", [{"jwtPassthrough": {}}, {"jwtPassthrough": {}, **OAUTH}],
                         ids=["passthrough", "passthrough-beside-oauth"])
def test_token_passthrough_is_flagged(pack, credentials):
    assert flagged_names(pack, RULE, target(credentials, passthrough("https://tools.example.com/mcp")),
                         level="mandatory") == ["crm-target"]


@pytest.mark.parametrize("configuration", [
    mcp_server("http://tools.example.com/mcp"),
    mcp_server("https://169.254.169.254/latest/meta-data/"),
    mcp_server("https://tools.example.com@evil.example.net/mcp"),
    mcp_server("https://*.example.com/mcp"),
    passthrough("https://localhost:8443/mcp"),
    inference("http://llm.example.com/v1"),
], ids=["http", "metadata", "userinfo", "wildcard", "loopback", "inference-http"])
def test_credential_to_a_url_not_https_on_a_named_host_is_flagged(pack, configuration):
    assert flagged_names(pack, RULE, target({"apiKey": {"providerArn": "arn:aws:bedrock-agentcore:eu-west-1:"
                                                                          "111122223333:token-vault/default/"
                                                                          "apikeycredentialprovider/k"}},
                                            configuration), level="mandatory") == ["crm-target"]


@pytest.mark.parametrize("credentials,configuration", [
    (OAUTH, mcp_server("https://tools.example.com/mcp")),
    (OAUTH, passthrough("https://tools.example.com/mcp?tenant=7")),
    ({"gatewayIamRole": {"service": "bedrock-agentcore"}}, inference("https://llm.example.com/v1")),
    (None, mcp_server("https://public-tools.example.com/mcp")),
    ({"gatewayIamRole": {}}, {"mcp": {"lambda": {"lambdaArn": "arn:aws:lambda:eu-west-1:111122223333:function:t",
                                                 "toolSchema": {"s3": {"uri": "s3://b/schema.json"}}}}}),
], ids=["oauth-mcp", "oauth-query", "iam-inference", "no-credential", "lambda"])
def test_own_credential_to_https_passes(pack, credentials, configuration):
    assert flagged_names(pack, RULE, target(credentials, configuration)) == []


def test_unknown_endpoint_cannot_be_checked(pack):
    names = flagged_names(pack, RULE, target(OAUTH, {"mcp": {"mcpServer": {"endpoint": UNKNOWN}}}))
    assert names == ["crm-target"]


def test_the_rule_reads_the_sdk_input_names():
    from pulumi_aws.bedrock import AgentcoreGatewayTargetArgs
    from pulumi_aws.bedrock._inputs import AgentcoreGatewayTargetTargetConfigurationArgs

    top = inputs(AgentcoreGatewayTargetArgs)
    assert {"credentialProviderConfiguration", "targetConfiguration"} <= set(top)
    credentials = nested(AgentcoreGatewayTargetArgs, top["credentialProviderConfiguration"])
    assert "jwtPassthrough" in inputs(credentials)
    configuration = inputs(AgentcoreGatewayTargetTargetConfigurationArgs)
    for block, inner in (("mcp", "mcpServer"), ("http", "passthrough"), ("inference", "provider")):
        holder = nested(AgentcoreGatewayTargetTargetConfigurationArgs, configuration[block])
        leaf = nested(holder, inputs(holder)[inner])
        assert "endpoint" in inputs(leaf), (block, inner)
