"""AGID-AWS-074: endpoints that have no private form authenticate their callers (mandatory).

AGID-AWS-046 is advisory because a REST API or an AppSync API may be private (reachable only through a VPC
endpoint its resource policy names), where an unauthenticated method is a network decision. Some endpoints have no
such form, so "anyone who reaches it" is anyone on the internet, as for a Lambda function URL with authorization NONE
(AGID-AWS-034, mandatory; red17: the same function behind an open HTTP API route was only advisory):
  - HTTP and WebSocket APIs (`apigatewayv2`): private endpoints are a REST API feature only
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html, "Endpoint type": Private is
    REST only). A route with authorizationType NONE or absent (HTTP route keys, `$default`, a WebSocket `$connect`), a
    quick-create API (`target`: a `$default` route without authorization), an OpenAPI `body` with operations no
    security requirement covers, and a JWT authorizer accepting any audience;
  - IoT Core custom authorizers with token signing disabled (the IoT data endpoint is public).
The judgements are AGID-AWS-046's own (aws_api_route_auth.py), only at this rule's level for these types.
"""

from __future__ import annotations

from .aws_api_route_auth import AUTHORIZER, HTTP_API, IOT_AUTHORIZER, ROUTE, _api, _authorizer, _iot_authorizer, _route
from .base import Resource, Rule

PUBLIC_ONLY = {ROUTE: _route, AUTHORIZER: _authorizer, HTTP_API: _api, IOT_AUTHORIZER: _iot_authorizer}


def check(resource: Resource, config):
    yield from PUBLIC_ONLY[resource.type](resource)


RULE = Rule(
    id="AGID-AWS-074",
    title="aws-public-endpoints-authenticated",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="HTTP and WebSocket API routes (and their quick-create and OpenAPI-defined forms) authenticate callers "
                "and JWT authorizers pin an audience; IoT custom authorizers verify token signatures: these endpoints "
                "have no private form, so an unauthenticated one is open to the internet.",
    remediation="Set authorizationType AWS_IAM (SigV4 from the agent's role session), JWT with an authorizer naming its "
                "audiences, or CUSTOM; enable IoT authorizer signing with tokenSigningPublicKeys. A deliberately public "
                "route needs a waiver naming it.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html",
    check=check,
    resource_types=tuple(PUBLIC_ONLY),
)
