"""The Cognito user pools an inbound token authorizer trusts (for AGID-AWS-060, red16 r16-6).

A user pool is single-tenant only in whose pool it is: anyone who can BECOME one of its users (self sign-up, a social
or open-issuer IdP federated to it) gets a token every authorizer trusting the pool takes. The authorizers that trust
a pool, and where they name it:
  - by issuer (AGID-GEN-008's data, analysis/inbound_token_issuers.yaml `authorizers`): an AgentCore runtime /
    gateway / harness / registry customJwtAuthorizer discoveryUrl, an HTTP API JWT authorizer's issuer, AppSync and
    Verified Permissions / Access OIDC issuers, `https://cognito-idp.REGION.amazonaws.com/POOL_ID`; an issuer of a
    pool the stack does not define is AGID-GEN-009's, one unknown at preview and not proven to be a stack pool's
    AGID-GEN-003's;
  - by ARN: a REST API `apigateway.Authorizer` (COGNITO_USER_POOLS) providerArns, an ALB listener / listener rule
    `authenticate-cognito` action's userPoolArn;
  - by id: AppSync `userPoolConfig.userPoolId` (default or additional AMAZON_COGNITO_USER_POOLS provider), an AppSync
    Events API's `eventConfig.authProviders[].cognitoConfig.userPoolId`;
  - inside an OpenAPI definition (issue 11): a REST API body's `x-amazon-apigateway-authorizer` of type
    cognito_user_pools (`providerARNs`), an HTTP API body's of type jwt (`jwtConfiguration.issuer`), a Cloud Endpoints
    / GCP API Gateway `x-google-issuer`, an API Management policy's validate-jwt; a definition or policy unknown at
    preview cannot be checked until known (one that cannot be read is AGID-AWS-046's / AGID-GEN-008's).
A literal ARN / id names the stack pool whose known id / ARN it is (under the gate the mocks give them); one naming a
pool the stack does not define cannot be checked (its sign-up settings are not the stack's); an Output the stack pool
iam_links.output_sources proves on that input (else cannot check until known).
Sources: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html,
https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#amazon-cognito-user-pools-authorization,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

from agentid_policy_packs.analysis.openapi_auth import load_definition, security_schemes
from agentid_policy_packs.analysis.values import is_unknown

from . import inbound_multi_tenant_issuer as gen008
from .base import Outcome, Resource, Unknown, Violation
from .iam_links import known_state, output_sources

REST_AUTHORIZER = "aws:apigateway/authorizer:Authorizer"
APPSYNC = "aws:appsync/graphQLApi:GraphQLApi"
EVENTS_API = "aws:appsync/api:Api"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
# type -> (paths of the pool reference, how it names the pool: "arn" | "id")
BY_REFERENCE: dict[str, tuple[tuple[str, str], ...]] = {
    REST_AUTHORIZER: (("providerArns[]", "arn"),),
    APPSYNC: (("userPoolConfig.userPoolId", "id"),
              ("additionalAuthenticationProviders[].userPoolConfig.userPoolId", "id")),
    EVENTS_API: (("eventConfig.authProviders[].cognitoConfig.userPoolId", "id"),),
    **{t: (("defaultActions[].authenticateCognito.userPoolArn", "arn"),) for t in LISTENERS},
    **{t: (("actions[].authenticateCognito.userPoolArn", "arn"),) for t in LISTENER_RULES},
}
REST_API = "aws:apigateway/restApi:RestApi"
# type -> (inputs holding an OpenAPI definition whose security schemes name pools, their encoding): a REST API body's
# `x-amazon-apigateway-authorizer` of type cognito_user_pools (providerARNs), an HTTP API body's of type jwt
# (jwtConfiguration.issuer), Cloud Endpoints / GCP API Gateway `x-google-issuer` (AGID-GEN-008's `documents`)
DOCUMENTS: dict[str, tuple[tuple[str, ...], str | None]] = {
    REST_API: (("body",), None),
    **{t: (tuple(e["documents"]), e.get("encoding")) for t, e in gen008.AUTHORIZERS.items() if e.get("documents")},
}
INBOUND = tuple(dict.fromkeys((*gen008.AUTHORIZERS, *BY_REFERENCE, *DOCUMENTS)))
_POOL_ARN = re.compile(r"^arn:aws[\w-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/(?P<pool>[\w-]+_[0-9A-Za-z]+)$",
                       re.IGNORECASE)
_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/(?P<pool>[\w-]+_[0-9A-Za-z]+)$",
                     re.IGNORECASE)


def _what(resource: Resource) -> str:
    entry = gen008.AUTHORIZERS.get(resource.type)
    if entry:
        return f"{entry['what']} {resource.name}"
    return {REST_AUTHORIZER: "REST API authorizer", APPSYNC: "AppSync API", REST_API: "REST API"}.get(
        resource.type, "load balancer listener") + f" {resource.name}"


def _top(path: str) -> str:
    return path.split(".", 1)[0].removesuffix("[]").removesuffix("{}")


def _by_literal(value: str, how: str, pools: dict[str, Resource]) -> tuple[str | None, list[Resource]]:
    """(the pool id the literal names, the stack pools it is); (None, []) when it names no pool."""
    text = value.strip()
    if how == "arn":
        exact = [p for p in pools.values() if known_state(p).get("arn") == text]
        match = _POOL_ARN.match(text)
        if exact or not match:
            return (text if exact else None), exact
        return match["pool"], [p for p in pools.values() if known_state(p).get("id") == match["pool"]]
    if how == "issuer":
        match = _ISSUER.match(gen008._issuer_of(text))
        if not match:
            return None, []
        return match["pool"], [p for p in pools.values() if known_state(p).get("id") == match["pool"]]
    return text, [p for p in pools.values() if known_state(p).get("id") == text]


def _document_references(text, encoding: str | None) -> list[tuple[str, str, str]] | None:
    """(where, how ("arn" | "issuer"), literal) of each pool reference in an OpenAPI definition's security schemes;
    None when it cannot be read (AGID-AWS-046 / AGID-GEN-008 report that)."""
    if encoding == "base64" and isinstance(text, str):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
    try:
        definition = load_definition(text)
    except ValueError:
        return None
    schemes = security_schemes(definition)
    found = []
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict):
            continue
        where = f"security scheme {str(name)[:80]}"
        if isinstance(scheme.get("x-google-issuer"), str):
            found.append((f"{where} x-google-issuer", "issuer", scheme["x-google-issuer"]))
        authorizer = scheme.get("x-amazon-apigateway-authorizer")
        if not isinstance(authorizer, dict):
            continue
        jwt = authorizer.get("jwtConfiguration")
        if isinstance(jwt, dict) and isinstance(jwt.get("issuer"), str):
            found.append((f"{where} jwtConfiguration.issuer", "issuer", jwt["issuer"]))
        for key, arns in authorizer.items():  # providerARNs, in whatever case API Gateway's import may accept
            if str(key).lower() == "providerarns":
                for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
                    found.append((f"{where} {key}[{index}]", "arn", arn))
    return found


def _trusted(resource: Resource, pools: dict[str, Resource]) -> Iterator[Outcome | Resource]:
    what = _what(resource)
    refs = [(path, "issuer") for path in gen008.AUTHORIZERS.get(resource.type, {}).get("issuers", ())]
    refs += list(BY_REFERENCE.get(resource.type, ()))
    if resource.type == REST_AUTHORIZER:
        kind = resource.props.get("type")
        if isinstance(kind, str) and not is_unknown(kind) and kind.upper() != "COGNITO_USER_POOLS":
            return  # a TOKEN / REQUEST (Lambda) authorizer names no pool
    for path, how in refs:
        for where, value in gen008._at(resource.props, path):
            if is_unknown(value):
                outputs = {"arn": ("arn",), "id": ("id",), "issuer": ("endpoint", "id")}[how]
                found = output_sources(resource, pools.values(), outputs, _top(path))
                if found:
                    yield from found
                elif how != "issuer":  # an unknown issuer is AGID-GEN-003's
                    yield Unknown(f"{resource.name}.{where}", resource.urn)
                continue
            if not isinstance(value, str) or not value.strip():
                if how != "issuer":
                    yield Violation(f"{what}: cannot check: {where} is not a user pool {how}", resource.urn)
                continue
            pool_id, linked = _by_literal(value, how, pools)
            if linked:
                yield from linked
            elif how != "issuer":  # a Cognito issuer outside the stack is AGID-GEN-009's
                yield Violation(f"{what} trusts user pool {value.strip()[:160]!r} ({where}), which this stack does "
                                "not define: cannot check: the pool's sign-up settings and identity providers are not "
                                "the stack's (whoever may become its user, or its owner, gets a token it accepts)",
                                resource.urn)
    entry = gen008.AUTHORIZERS.get(resource.type) or {}
    if entry.get("pins") == "apim_policy":  # an API Management policy's validate-jwt naming a pool's issuer
        if is_unknown(resource.props.get(entry["policy_input"])):
            yield Unknown(f"{resource.name}.{entry['policy_input']}", resource.urn)
        for _, issuer in gen008.literal_issuers(resource):
            yield from _by_literal(issuer, "issuer", pools)[1]
    inputs, encoding = DOCUMENTS.get(resource.type, ((), None))
    for path in inputs:
        for where, text in gen008._at(resource.props, path):
            if is_unknown(text):
                # the definition (and the authorizers and pools it names) is computed: issue 11, never silence
                yield Unknown(f"{resource.name}.{where}", resource.urn)
                continue
            for inside, how, value in _document_references(text, encoding) or ():
                if is_unknown(value) or not isinstance(value, str) or not value.strip():
                    if how == "arn":
                        yield Violation(f"{what}: cannot check: {where} {inside} is not a user pool ARN", resource.urn)
                    continue
                pool_id, linked = _by_literal(value, how, pools)
                if linked:
                    yield from linked
                elif how == "arn":
                    yield Violation(f"{what} trusts user pool {value.strip()[:160]!r} ({where} {inside}), which this "
                                    "stack does not define: cannot check: the pool's sign-up settings and identity "
                                    "providers are not the stack's (whoever may become its user, or its owner, gets a "
                                    "token it accepts)", resource.urn)


def findings(resource: Resource, pools: dict[str, Resource], clients: dict[str, Resource],
             idps: list[Resource]) -> Iterator[Outcome]:
    from .cognito_open_signup_identities import pool_findings
    seen: set[str] = set()
    for item in _trusted(resource, pools):
        if not isinstance(item, Resource):
            yield item
            continue
        if item.urn in seen:
            continue
        seen.add(item.urn)
        yield from pool_findings(_what(resource), resource.urn, item, idps, None, pools, clients,
                                 "a token this authorizer accepts, and with it the caller's access")
