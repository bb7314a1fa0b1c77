"""AGID-AWS-046: API Gateway routes authenticate their callers, and JWT authorizers pin an audience.

An agent's tool is often an API behind API Gateway; a route nobody authenticates is a tool anyone may call
(with whatever role its integration runs as):
  - REST API `apigateway.Method` with `authorization: NONE` (valid: NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS;
    https://docs.aws.amazon.com/apigateway/latest/api/API_PutMethod.html). An `apiKeyRequired` method is still
    unauthenticated: API keys identify usage plans, they do not authorize (AWS says so). OPTIONS methods pass:
    browsers send CORS preflights without credentials, and an OPTIONS integration answers with headers only.
  - HTTP/WebSocket API `apigatewayv2.Route` with `authorizationType` NONE or absent (the default) on an HTTP
    route key (`GET /items`, `ANY /{proxy+}`, `$default`) or on a WebSocket `$connect`. Other WebSocket route
    keys cannot carry authorization (AWS: only `$connect` is authorized), so they pass
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
  - `apigatewayv2.Authorizer` of type JWT without `jwtConfiguration.audiences`: any token the issuer signs for
    any client is accepted (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html).
  - routes that never appear as Method/Route resources: an `apigatewayv2.Api` "quick create" (`target` set) makes
    a `$default` route with no authorization (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-basic-concept.html#apigateway-definition-quick-create);
    an OpenAPI `body` of an `apigateway.RestApi` or `apigatewayv2.Api` defines routes whose authorization is
    judged by `analysis/openapi_auth.py`. An unreadable body is flagged (cannot be judged).
  - AppSync GraphQL APIs (`appsync.GraphQLApi`, default and additional authentication providers): API_KEY lets
    anyone holding the key (it ships in the client) call every operation, and OPENID_CONNECT without
    `openidConnectConfig.clientId` accepts any token its issuer signs, for any client
    (https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html).
IoT Core custom authorizers (`iot.Authorizer`) with `signingDisabled`: any caller's token reaches the Lambda unverified.
A private REST API whose resource policy admits only a VPC endpoint still has unauthenticated methods; the
finding is advisory (high), so such an API takes a waiver with its reason. HTTP / WebSocket routes, authorizers and
APIs and IoT authorizers are judged here but reported by AGID-AWS-074 (mandatory): they have no private form.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentid_policy_packs.analysis.openapi_auth import load_definition, unauthenticated_operations
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

METHOD = "aws:apigateway/method:Method"
ROUTE = "aws:apigatewayv2/route:Route"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
REST_API = "aws:apigateway/restApi:RestApi"
HTTP_API = "aws:apigatewayv2/api:Api"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
IOT_AUTHORIZER = "aws:iot/authorizer:Authorizer"
SHOWN_OPERATIONS = 5  # operations named in one finding; the rest are counted
REST_AUTHORIZATION = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
ROUTE_AUTHORIZATION = ("NONE", "AWS_IAM", "CUSTOM", "JWT")


def _method(resource: Resource):
    props = resource.props
    kind, verb = props.get("authorization"), props.get("httpMethod")
    if is_unknown(kind):
        yield Unknown("authorization")
        return
    if not isinstance(kind, str) or kind.upper() not in REST_AUTHORIZATION:
        yield Violation(f"API Gateway method {resource.name}: authorization {kind!r} is not one of "
                        f"{', '.join(REST_AUTHORIZATION)}, so who may call it cannot be judged")
    elif kind.upper() == "NONE":
        if is_unknown(verb):
            yield Unknown("httpMethod")
        elif not (isinstance(verb, str) and verb.upper() == "OPTIONS"):
            key = " (apiKeyRequired: an API key is no authorization)" if props.get("apiKeyRequired") is True else ""
            yield Violation(f"API Gateway method {resource.name} ({verb} on resource {props.get('resourceId', '?')}) "
                            f"has authorization NONE{key}: anyone who reaches the API can call it")


def _route(resource: Resource):
    props = resource.props
    key, kind = props.get("routeKey"), props.get("authorizationType", "NONE")
    if is_unknown(key) or is_unknown(kind):
        yield Unknown("routeKey" if is_unknown(key) else "authorizationType")
        return
    if not isinstance(key, str) or not isinstance(kind, str) or kind.upper() not in ROUTE_AUTHORIZATION:
        yield Violation(f"API Gateway route {resource.name}: routeKey {key!r} / authorizationType {kind!r} is not a "
                        f"route key with one of {', '.join(ROUTE_AUTHORIZATION)}, so who may call it cannot be judged")
        return
    if kind.upper() != "NONE":
        return
    method = key.split(" ", 1)[0].upper() if " " in key.strip() else ""
    if method == "OPTIONS":
        return
    websocket_message = not method and key.strip() not in ("$default", "$connect")
    if not websocket_message:
        yield Violation(f"API Gateway route {resource.name} ({key}) has authorizationType NONE: anyone who reaches "
                        "the API can call it")


def _authorizer(resource: Resource):
    props = resource.props
    kind = props.get("authorizerType")
    if is_unknown(kind):
        yield Unknown("authorizerType")
        return
    if not (isinstance(kind, str) and kind.upper() == "JWT"):
        return
    jwt = props.get("jwtConfiguration")
    if is_unknown(jwt):
        yield Unknown("jwtConfiguration")
        return
    audiences = jwt.get("audiences") if isinstance(jwt, Mapping) else None
    if is_unknown(audiences) or (isinstance(audiences, list) and any(is_unknown(a) for a in audiences)):
        yield Unknown("jwtConfiguration.audiences")
    elif not isinstance(audiences, list) or not [a for a in audiences if isinstance(a, str) and a.strip()]:
        issuer = jwt.get("issuer") if isinstance(jwt, Mapping) else None
        yield Violation(f"JWT authorizer {resource.name} names no audience: any token issuer {issuer or '?'} signs, "
                        "for any client, is accepted", category="weak-trust")
    elif any(a.strip() == "*" for a in audiences if isinstance(a, str)):
        yield Violation(f"JWT authorizer {resource.name} accepts audience \"*\": any token of its issuer is accepted",
                        category="weak-trust")


def _graphql_mode(resource: Resource, where: str, provider: Mapping):
    """One authentication mode: `where` is "" for the API's default, else "additionalAuthenticationProviders[i]"."""
    path = f"{where}." if where else ""
    kind = provider.get("authenticationType")
    where = where or "its default mode"
    if is_unknown(kind):
        yield Unknown(f"{path}authenticationType")
    elif kind == "API_KEY":
        yield Violation(f"GraphQL API {resource.name} authenticates {where} with an API key: anyone holding the key "
                        "(it ships in the client) calls every operation it allows")
    elif kind == "OPENID_CONNECT":
        config = provider.get("openidConnectConfig")
        client = config.get("clientId") if isinstance(config, Mapping) else config
        if is_unknown(client):
            yield Unknown(f"{path}openidConnectConfig.clientId")
        elif not isinstance(client, str) or not client.strip():
            yield Violation(f"GraphQL API {resource.name}: {where} OPENID_CONNECT names no clientId: any token its "
                            "issuer signs, for any client, is accepted", category="weak-trust")


def _graphql(resource: Resource):
    yield from _graphql_mode(resource, "", resource.props)
    extra = resource.props.get("additionalAuthenticationProviders")
    if is_unknown(extra):
        yield Unknown("additionalAuthenticationProviders")
        return
    if extra is not None and not isinstance(extra, list):
        yield Violation(f"GraphQL API {resource.name}: additionalAuthenticationProviders is not a list, so how it "
                        "authenticates cannot be judged")
        return
    for index, provider in enumerate(extra or []):
        where = f"additionalAuthenticationProviders[{index}]"
        if not isinstance(provider, Mapping):
            yield Violation(f"GraphQL API {resource.name}: {where} is not an object, so how it authenticates cannot "
                            "be judged")
            continue
        yield from _graphql_mode(resource, where, provider)


def _definition(resource: Resource):
    body = resource.props.get("body")
    if body is None:
        return
    if is_unknown(body):
        yield Unknown("body")
        return
    try:
        open_operations = unauthenticated_operations(load_definition(body))
    except ValueError as error:
        yield Violation(f"API {resource.name}: body is {error}, so which routes authenticate cannot be judged")
        return
    if open_operations:
        shown = "; ".join(open_operations[:SHOWN_OPERATIONS])
        more = f" and {len(open_operations) - SHOWN_OPERATIONS} more" if len(open_operations) > SHOWN_OPERATIONS else ""
        yield Violation(f"API {resource.name} defines operations anyone who reaches it can call: {shown}{more}")


def _api(resource: Resource):
    target = resource.props.get("target")
    if is_unknown(target) or (target is not None and target != ""):
        # quick create: API Gateway adds a $default route without authorization to this integration
        yield Violation(f"HTTP API {resource.name} is a quick create (target set): its $default route has no "
                        "authorization, so anyone who reaches the API invokes the target")
    yield from _definition(resource)


def _iot_authorizer(resource: Resource):
    """An IoT Core custom authorizer with token signing disabled lets anyone who reaches the endpoint call its Lambda
    with any token (red13 r13-18); with signing, IoT verifies the token's signature first. Source:
    https://docs.aws.amazon.com/iot/latest/developerguide/custom-auth.html ("we recommend that you ... enable signing")."""
    disabled = resource.props.get("signingDisabled")
    if is_unknown(disabled):
        yield Unknown("signingDisabled")
    elif disabled is True and resource.props.get("status") != "INACTIVE":
        yield Violation(f"IoT custom authorizer {resource.name} has token signing disabled (signingDisabled): anyone "
                        "who reaches the IoT endpoint calls its Lambda with any token, and whatever policy (and role "
                        "alias credentials) the Lambda returns is theirs; enable signing with tokenSigningPublicKeys")


def check(resource: Resource, config):
    judge = {METHOD: _method, REST_API: _definition, GRAPHQL_API: _graphql}[resource.type]
    yield from judge(resource)


RULE = Rule(
    id="AGID-AWS-046",
    title="aws-api-routes-authenticated",
    severity="high",
    category="public-access",
    description="API Gateway methods, routes and OpenAPI-defined operations and AppSync GraphQL APIs authenticate "
                "callers (no authorization NONE except CORS preflights, no quick-create API, no AppSync API key), and "
                "JWT / OIDC authorizers pin an audience (client); IoT custom authorizers verify token signatures.",
    remediation="Set authorization AWS_IAM (SigV4 from the agent's role session), CUSTOM/JWT with an authorizer, or "
                "COGNITO_USER_POOLS; give JWT authorizers the audiences (client ids) they accept.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
    check=check,
    # HTTP / WebSocket APIs and IoT authorizers have no private form: judged by AGID-AWS-074 (mandatory), with the
    # judgements above
    resource_types=(METHOD, REST_API, GRAPHQL_API),
)
