"""AGID-AWS-037: a Bedrock AgentCore gateway, agent runtime, harness or registry authenticates its callers.

A gateway exposes tools (Lambda functions, APIs, MCP servers) to agents; a runtime or harness runs an agent for
whoever calls it; a registry (AgentCore registry, Agent Registry) lists the agents and tools others discover and
invoke, and takes records from its callers. `authorizerType: NONE` lets anyone who can reach the URL in;
`CUSTOM_JWT` (an OAuth authorization server) or `AWS_IAM` authenticate each caller. A CUSTOM_JWT authorizer
(`customJwtAuthorizer`) that allows no named audience, no named client and no exact custom claim naming the caller
(`customClaims` EQUALS on sub/aud/azp/client_id) takes every token its issuer signs for anyone: with the discovery
URL of accounts.google.com, any Google account's ID token (red7b f19, red11a r27). The issuer itself is
AGID-GEN-003's. Which resource types carry such an authorizer, and where, is JWT_AUTHORIZED (every pulumi-aws 7.51
type with a `customJwtAuthorizer` input).
Source: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
REGISTRY = "aws:bedrock/agentcoreRegistry:AgentcoreRegistry"
HARNESS = "aws:bedrock/agentcoreHarness:AgentcoreHarness"
AGENT_REGISTRY = "aws:agentregistry/registry:Registry"
# type -> (what it is, the input holding authorizerType/authorizerConfiguration ("" = top level), whether an absent
# authorizerType means NONE-or-unknown (gateway: required input) or AWS_IAM (runtime, harness, registries: default))
JWT_AUTHORIZED = {
    GATEWAY: ("gateway", "", True),
    RUNTIME: ("runtime", "", False),
    HARNESS: ("harness", "", False),
    REGISTRY: ("registry", "", False),
    AGENT_REGISTRY: ("agent registry", "discoveryConfiguration", False),
}
_KNOWN = ("CUSTOM_JWT", "AWS_IAM")
# custom claims that name one caller (or its client) when compared with EQUALS
_CALLER_CLAIMS = frozenset({"sub", "aud", "azp", "client_id", "appid", "oid"})


def _holder(resource: Resource):
    """The object holding authorizerType / authorizerConfiguration (the props, or discoveryConfiguration), or Unknown."""
    where = JWT_AUTHORIZED[resource.type][1]
    if not where:
        return resource.props
    holder = resource.props.get(where)
    return Unknown(where) if is_unknown(holder) else holder if isinstance(holder, dict) else {}


def authorizer_path(resource: Resource, leaf: str) -> str:
    where = JWT_AUTHORIZED[resource.type][1]
    return f"{where}.{leaf}" if where else leaf


def custom_jwt(resource: Resource):
    """The customJwtAuthorizer block of a JWT_AUTHORIZED resource (None when there is none), or Unknown."""
    holder = _holder(resource)
    if isinstance(holder, Unknown):
        return holder
    configuration = holder.get("authorizerConfiguration")
    if is_unknown(configuration):
        return Unknown(authorizer_path(resource, "authorizerConfiguration"))
    jwt = configuration.get("customJwtAuthorizer") if isinstance(configuration, dict) else None
    return Unknown(authorizer_path(resource, "authorizerConfiguration.customJwtAuthorizer")) if is_unknown(jwt) else jwt


def _pinned(jwt: dict, field: str):
    values = jwt.get(field)
    if is_unknown(values) or (isinstance(values, list) and any(is_unknown(v) for v in values)):
        return None  # computed: "cannot check until known"
    return isinstance(values, list) and any(isinstance(v, str) and v.strip() and "*" not in v for v in values)


def _claim_pinned(jwt: dict):
    """Does a customClaims entry compare a caller-naming claim with EQUALS to a literal? None: not readable."""
    claims = jwt.get("customClaims")
    if is_unknown(claims):
        return None
    for claim in claims if isinstance(claims, list) else []:
        if not isinstance(claim, dict) or str(claim.get("inboundTokenClaimName", "")).lower() not in _CALLER_CLAIMS:
            continue
        match = claim.get("authorizingClaimMatchValue")
        if not isinstance(match, dict) or str(match.get("claimMatchOperator", "")).upper() != "EQUALS":
            continue
        value = match.get("claimMatchValue")
        literal = value.get("matchValueString") if isinstance(value, dict) else None
        if isinstance(literal, str) and literal.strip() and not is_unknown(literal):
            return True
    return False


def _jwt_findings(resource: Resource):
    jwt = custom_jwt(resource)
    if isinstance(jwt, Unknown) or not isinstance(jwt, dict):
        if isinstance(jwt, Unknown):
            yield jwt
        return
    pins = (_pinned(jwt, "allowedAudiences"), _pinned(jwt, "allowedClients"), _claim_pinned(jwt))
    if any(pins):
        return
    if None in pins:
        yield Unknown(authorizer_path(resource, "authorizerConfiguration.customJwtAuthorizer.allowedAudiences"))
        return
    yield Violation(f"AgentCore {JWT_AUTHORIZED[resource.type][0]} {resource.name}: its CUSTOM_JWT authorizer allows "
                    "no named audience, no named client and no exact caller claim: every token its issuer signs, for "
                    "any application, is let in")


def check(resource: Resource, config):
    what, _, required = JWT_AUTHORIZED[resource.type]
    holder = _holder(resource)
    if isinstance(holder, Unknown):
        yield holder
        return
    kind = holder.get("authorizerType")
    if is_unknown(kind):
        yield Unknown(authorizer_path(resource, "authorizerType"))
    elif kind is None and not required:
        yield from _jwt_findings(resource)  # no authorizer type: AWS_IAM (SigV4), the default, unless a JWT is set
    elif isinstance(kind, str) and kind.upper() == "NONE":
        reach = "every tool behind it with the gateway's role" if resource.type == GATEWAY else "it"
        yield Violation(f"AgentCore {what} {resource.name} has authorizerType NONE: anyone who reaches its URL can "
                        f"call {reach}")
    elif kind not in _KNOWN:
        yield Violation(f"AgentCore {what} {resource.name}: authorizerType {kind!r} is not one of CUSTOM_JWT, "
                        "AWS_IAM, so how callers are authenticated cannot be judged")
    elif kind == "CUSTOM_JWT":
        yield from _jwt_findings(resource)


RULE = Rule(
    id="AGID-AWS-037",
    title="agentcore-gateway-authenticated",
    severity="critical",
    category="public-access",
    description="Bedrock AgentCore gateways, runtimes, harnesses and registries authenticate callers (CUSTOM_JWT "
                "pinned to named audiences, clients or an exact caller claim, or AWS_IAM; never NONE).",
    remediation="Set authorizerType CUSTOM_JWT with an authorizerConfiguration naming your issuer's discovery URL "
                "and allowed audiences, or AWS_IAM.",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html",
    check=check,
    resource_types=tuple(JWT_AUTHORIZED),
)
