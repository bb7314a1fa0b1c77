"""AGID-AWS-037: a Bedrock AgentCore gateway authenticates its callers.

A gateway exposes tools (Lambda functions, APIs, MCP servers) to agents. `authorizerType: NONE`
lets anyone who can reach the gateway URL call every tool with the gateway's own credentials;
`CUSTOM_JWT` (an OAuth authorization server) or `AWS_IAM` authenticate each caller. Source:
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
_KNOWN = ("CUSTOM_JWT", "AWS_IAM")


def check(resource: Resource, config):
    kind = resource.props.get("authorizerType")
    if is_unknown(kind):
        yield Unknown("authorizerType")
    elif isinstance(kind, str) and kind.upper() == "NONE":
        yield Violation(f"AgentCore gateway {resource.name} has authorizerType NONE: anyone who reaches its URL can "
                        "call every tool behind it with the gateway's role")
    elif kind not in _KNOWN:
        yield Violation(f"AgentCore gateway {resource.name}: authorizerType {kind!r} is not one of CUSTOM_JWT, "
                        "AWS_IAM, so how callers are authenticated cannot be judged")


RULE = Rule(
    id="AGID-AWS-037",
    title="agentcore-gateway-authenticated",
    severity="critical",
    category="public-access",
    description="Bedrock AgentCore gateways authenticate callers (authorizerType CUSTOM_JWT or AWS_IAM, never NONE).",
    remediation="Set authorizerType CUSTOM_JWT with an authorizerConfiguration naming your issuer's discovery URL "
                "and allowed audiences, or AWS_IAM.",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html",
    check=check,
    resource_types=(GATEWAY,),
)
