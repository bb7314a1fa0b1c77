"""AGID-AWS-063 (stack): no unauthenticated API Gateway route calls an AWS service as a role.

A REST API `apigateway.Integration` of type AWS (or AWS_PROXY) calls an AWS API directly with the role in
`credentials`; an HTTP API `apigatewayv2.Integration` of type AWS_PROXY with an `integrationSubtype`
(`StepFunctions-StartSyncExecution`, `SQS-SendMessage`, ...) does the same with `credentialsArn`. Behind a method
with `authorization: NONE` (a route with `authorizationType` NONE or omitted) anyone on the internet acts with
that role's rights through the endpoint: `ssm:SendCommand` runs shell on its instances,
`secretsmanager:GetSecretValue` reads its secrets, `states:StartSyncExecution` runs its state machines
(red11a 19). AGID-AWS-058 judges which service an integration calls (identity writes, whoever calls); this rule
judges who may call a service integration at all: any AWS action as a role, for anyone, blocks.
Sources: https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services.html,
API_PutMethod (authorization NONE), API_Integration (credentials).

Joined: a method to its integration by (restApi, resourceId, httpMethod) or the integration's dependency on it;
a route to its integration by `target` = `integrations/<id>` or its dependency on it. Passes: a Lambda
integration (`lambda:path/.../functions/.../invocations`: the function's own role and code are judged where it
is defined), HTTP integrations, `credentials` `arn:aws:iam::*:user/*` (the caller's own identity), an
authenticated method/route, OPTIONS. Unknown authorization or credentials: cannot check (Unknown).
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Unknown, Violation

METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
HTTP_INTEGRATION = "aws:apigatewayv2/integration:Integration"
_SERVICE_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]+):(?P<kind>action|path)/(?P<rest>.*)$")
_LAMBDA_INVOKE = re.compile(r"^[^:]*:?lambda:path/[^/]+/functions/.+/invocations$")


def _text(value) -> str | None:
    return value if isinstance(value, str) and not is_unknown(value) else None


def _rest_call(integration) -> str | None:
    """What the REST integration calls as its role (`ssm action SendCommand`), or None if not a role-run AWS call."""
    props = integration.props
    if props.get("type") not in ("AWS", "AWS_PROXY"):
        return None
    uri = _text(props.get("uri")) or ""
    match = _SERVICE_URI.match(uri)
    if match is None:
        return f"uri {uri[:120]!r}" if uri else "an AWS service"
    service = match["service"].split(".", 1)[-1]
    if service == "lambda" and _LAMBDA_INVOKE.match(f"lambda:{match['kind']}/{match['rest']}"):
        return None
    rest = match["rest"].split("&", 1)[0].split("?", 1)[0]
    return f"{service}:{rest}" if match["kind"] == "action" else f"{service} path {rest[:100]}"


def _runs_as(value) -> str | None | Unknown:
    """The role the integration acts as; None when it acts as the caller (`...:user/*`) or with no credentials."""
    if value is None:
        return None
    if is_unknown(value):
        return Unknown("credentials")
    if isinstance(value, str) and value.strip().endswith(":user/*"):
        return None
    return str(value)


def _joined(integration, candidates, keys) -> list:
    own = tuple(integration.props.get(k) for k in keys)
    found = [c for c in candidates if c.urn in integration.dependencies]
    if all(_text(v) for v in own):
        found += [c for c in candidates if c not in found and
                  tuple(str(c.props.get(k)).upper() if k == "httpMethod" else c.props.get(k) for k in keys) ==
                  tuple(str(v).upper() if k == "httpMethod" else v for k, v in zip(keys, own))]
    return found


def _rest(resources):
    methods = [r for r in resources if r.type == METHOD]
    for integration in (r for r in resources if r.type == INTEGRATION):
        call = _rest_call(integration)
        if call is None:
            continue
        role = _runs_as(integration.props.get("credentials"))
        if role is None:
            continue
        if isinstance(role, Unknown):
            yield Unknown("credentials", integration.urn)
            continue
        for method in _joined(integration, methods, ("restApi", "resourceId", "httpMethod")):
            auth = method.props.get("authorization")
            if is_unknown(auth):
                yield Unknown("authorization", method.urn)
            elif isinstance(auth, str) and auth.upper() == "NONE" and \
                    str(method.props.get("httpMethod", "")).upper() != "OPTIONS":
                yield Violation(f"API Gateway method {method.name} has authorization NONE and its integration "
                                f"{integration.name} calls {call} as role {role}: anyone on the internet acts with "
                                "that role's rights", integration.urn)


def _http(resources):
    routes = [r for r in resources if r.type == ROUTE]
    for integration in (r for r in resources if r.type == HTTP_INTEGRATION):
        props = integration.props
        subtype = props.get("integrationSubtype")
        if props.get("integrationType") != "AWS_PROXY" or subtype is None:
            continue
        role = _runs_as(props.get("credentialsArn"))
        if role is None:
            continue
        if isinstance(role, Unknown):
            yield Unknown("credentialsArn", integration.urn)
            continue
        ident = integration.props.get("id") or integration.props.get("integrationId")
        for route in routes:
            target = route.props.get("target")
            linked = integration.urn in route.dependencies or (
                _text(target) and _text(ident) and target == f"integrations/{ident}")
            if not linked:
                continue
            auth = route.props.get("authorizationType", "NONE")
            if is_unknown(auth):
                yield Unknown("authorizationType", route.urn)
            elif isinstance(auth, str) and auth.upper() == "NONE" and \
                    not str(route.props.get("routeKey", "")).upper().startswith("OPTIONS "):
                yield Violation(f"API Gateway route {route.name} ({route.props.get('routeKey')}) has authorizationType "
                                f"NONE and its integration {integration.name} calls {subtype} as role {role}: anyone "
                                "on the internet acts with that role's rights", integration.urn)


def check(resources, config):
    yield from _rest(resources)
    yield from _http(resources)


RULE = Rule(
    id="AGID-AWS-063",
    title="aws-no-public-api-service-proxy",
    severity="critical",
    category="escalation",
    description="No API Gateway method or route with authorization NONE is integrated with an AWS service called as a "
                "role (REST type AWS/AWS_PROXY with credentials, HTTP API AWS_PROXY with a subtype and credentialsArn).",
    remediation="Authenticate the method/route (AWS_IAM, a Cognito or JWT authorizer), or put the call behind a "
                "Lambda function whose role and code are judged.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html",
    check=check,
    stack=True,
    reads=(METHOD, INTEGRATION, ROUTE, HTTP_INTEGRATION),
)
