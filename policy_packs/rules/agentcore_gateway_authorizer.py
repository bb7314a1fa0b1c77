"""AGID-AWS-037: a Bedrock AgentCore gateway or agent runtime authenticates its callers.

A gateway exposes tools (Lambda functions, APIs, MCP servers) to agents. `authorizerType: NONE`
lets anyone who can reach the gateway URL call every tool with the gateway's own credentials;
`CUSTOM_JWT` (an OAuth authorization server) or `AWS_IAM` authenticate each caller. A CUSTOM_JWT
authorizer (gateway or runtime `authorizerConfiguration.customJwtAuthorizer`) that allows no named
audience and no named client takes every token its issuer signs for anyone: with the discovery URL of
accounts.google.com, any Google account's ID token (red7b f19). The issuer itself is AGID-GEN-003's.
Source: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
_KNOWN = ("CUSTOM_JWT", "AWS_IAM")


def custom_jwt(resource: Resource):
    """The customJwtAuthorizer block of a gateway or runtime (None when there is none), or Unknown."""
    configuration = resource.props.get("authorizerConfiguration")
    if is_unknown(configuration):
        return Unknown("authorizerConfiguration")
    jwt = configuration.get("customJwtAuthorizer") if isinstance(configuration, dict) else None
    return Unknown("authorizerConfiguration.customJwtAuthorizer") if is_unknown(jwt) else jwt


def _pinned(jwt: dict, field: str):
    values = jwt.get(field)
    if is_unknown(values) or (isinstance(values, list) and any(is_unknown(v) for v in values)):
        return None  # computed: "cannot check until known"
    return isinstance(values, list) and any(isinstance(v, str) and v.strip() and "*" not in v for v in values)


def _jwt_findings(resource: Resource):
    jwt = custom_jwt(resource)
    if isinstance(jwt, Unknown) or not isinstance(jwt, dict):
        if isinstance(jwt, Unknown):
            yield jwt
        return
    audience, client = _pinned(jwt, "allowedAudiences"), _pinned(jwt, "allowedClients")
    if audience is None or client is None:
        if not (audience or client):
            yield Unknown("authorizerConfiguration.customJwtAuthorizer.allowedAudiences")
    elif not (audience or client):
        yield Violation(f"AgentCore {'gateway' if resource.type == GATEWAY else 'runtime'} {resource.name}: its "
                        "CUSTOM_JWT authorizer allows no named audience and no named client: every token its issuer "
                        "signs, for any application, is let in")


def check(resource: Resource, config):
    if resource.type == RUNTIME:
        yield from _jwt_findings(resource)  # no authorizer configuration: AWS_IAM (SigV4), the default
        return
    kind = resource.props.get("authorizerType")
    if is_unknown(kind):
        yield Unknown("authorizerType")
    elif isinstance(kind, str) and kind.upper() == "NONE":
        yield Violation(f"AgentCore gateway {resource.name} has authorizerType NONE: anyone who reaches its URL can "
                        "call every tool behind it with the gateway's role")
    elif kind not in _KNOWN:
        yield Violation(f"AgentCore gateway {resource.name}: authorizerType {kind!r} is not one of CUSTOM_JWT, "
                        "AWS_IAM, so how callers are authenticated cannot be judged")
    elif kind == "CUSTOM_JWT":
        yield from _jwt_findings(resource)


RULE = Rule(
    id="AGID-AWS-037",
    title="agentcore-gateway-authenticated",
    severity="critical",
    category="public-access",
    description="Bedrock AgentCore gateways and runtimes authenticate callers (CUSTOM_JWT pinned to named audiences or "
                "clients, or AWS_IAM; never NONE).",
    remediation="Set authorizerType CUSTOM_JWT with an authorizerConfiguration naming your issuer's discovery URL "
                "and allowed audiences, or AWS_IAM.",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html",
    check=check,
    resource_types=(GATEWAY, RUNTIME),
)
