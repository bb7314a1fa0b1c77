"""AGID-AWS-071 over gRPC: an AgentCore runtime or gateway target forwarding the caller's Authorization header
(red15 r15-9: `request_header_allowlists: [Authorization]` passed) is token passthrough. Look-alikes: a runtime
forwarding only AgentCore custom headers, and one forwarding no header at all.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN
from tests.policy.sdk_args import inputs, nested
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AWS-071"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
CUSTOM = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"


def runtime(headers) -> tuple:
    props = {"agentRuntimeName": "agent", "roleArn": "arn:aws:iam::111122223333:role/rt",
             "networkConfiguration": {"networkMode": "PUBLIC"}}
    if headers is not None:
        props["requestHeaderConfiguration"] = {"requestHeaderAllowlists": headers}
    return (RUNTIME, "agent-rt", props)


def target(headers) -> tuple:
    return (TARGET, "crm-target", {
        "gatewayIdentifier": "gw-123", "name": "crm",
        "targetConfiguration": {"mcp": {"lambda": {"lambdaArn": "arn:aws:lambda:us-east-1:111122223333:function:f",
                                                   "toolSchema": {"inlinePayloads": []}}}},
        "credentialProviderConfiguration": {"gatewayIamRole": {}},
        "metadataConfiguration": {"allowedRequestHeaders": headers}})


@pytest.mark.parametrize("headers", [["Authorization"], [CUSTOM, "authorization"], ["AUTHORIZATION "],
                                     ["Proxy-Authorization"], ["cookie"]])
def test_a_runtime_forwarding_the_callers_credential_header_is_passthrough(pack, headers) -> None:
    diags = [d for d in pack.analyze(RUNTIME, "agent-rt", urn(RUNTIME, "agent-rt"), runtime(headers)[2])
             if d.policy_name == RULE]
    assert [(d.enforcement_level, "token passthrough" in d.message, "agent-rt" in d.message) for d in diags] \
        == [("mandatory", True, True)], [d.message for d in diags]


def test_a_gateway_target_forwarding_authorization_is_passthrough(pack) -> None:
    assert flagged_names(pack, RULE, target(["Authorization"]), "mandatory") == ["crm-target"]
    assert flagged_names(pack, RULE, target([CUSTOM])) == []


def test_custom_headers_or_none_pass(pack) -> None:
    assert flagged_names(pack, RULE, runtime([CUSTOM])) == []
    assert flagged_names(pack, RULE, runtime(None)) == []


def test_an_allow_list_unknown_at_preview_cannot_be_checked(pack) -> None:
    diags = [d for d in pack.analyze(RUNTIME, "agent-rt", urn(RUNTIME, "agent-rt"), runtime(UNKNOWN)[2])
             if d.policy_name == RULE]
    assert [d.message.endswith("requestHeaderConfiguration.requestHeaderAllowlists is computed during preview")
            for d in diags] == [True]


def test_the_inputs_are_the_sdks() -> None:
    from pulumi_aws.bedrock import AgentcoreAgentRuntimeArgs, AgentcoreGatewayTargetArgs

    for args, top, leaf in ((AgentcoreAgentRuntimeArgs, "requestHeaderConfiguration", "requestHeaderAllowlists"),
                            (AgentcoreGatewayTargetArgs, "metadataConfiguration", "allowedRequestHeaders")):
        block = nested(args, inputs(args)[top])
        assert leaf in inputs(block)
