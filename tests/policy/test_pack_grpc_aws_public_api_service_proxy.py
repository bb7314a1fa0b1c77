"""AGID-AWS-063 over gRPC (red11a 19): an API Gateway REST method with authorization NONE whose integration calls any
AWS service action as a role (ssm:SendCommand, secretsmanager:GetSecretValue, states:StartSyncExecution), and an
HTTP API route NONE to an AWS_PROXY subtype integration with credentialsArn, block; the same integration behind an
AWS_IAM method / JWT route, a Lambda proxy, or calling as the caller (`user/*`) passes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AWS-063"
ROLE = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"


def rest(uri: str, authorization: str = "NONE", credentials: str | None = ROLE, kind: str = "AWS",
         joined_by: str = "ids") -> list[StackResource]:
    method = StackResource(METHOD, "m", urn(METHOD, "m"), {"restApi": "api-id", "resourceId": "res-id",
                                                           "httpMethod": "POST", "authorization": authorization})
    props = {"restApi": "api-id", "resourceId": "res-id", "httpMethod": "POST", "type": kind,
             "integrationHttpMethod": "POST", "uri": uri}
    if credentials:
        props["credentials"] = credentials
    deps = [method.urn] if joined_by == "dependency" else []
    if joined_by == "dependency":
        props["httpMethod"] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # unknown at preview: joined by dependency
    return [method, StackResource(INTEGRATION, "int", urn(INTEGRATION, "int"), props, dependencies=deps)]


@pytest.mark.parametrize("uri", ["arn:aws:apigateway:eu-west-1:ssm:action/SendCommand",
                                 "arn:aws:apigateway:eu-west-1:secretsmanager:action/GetSecretValue",
                                 "arn:aws:apigateway:eu-west-1:states:action/StartSyncExecution",
                                 "arn:aws:apigateway:eu-west-1:s3:path/{bucket}/{key}"])
@pytest.mark.parametrize("joined_by", ["ids", "dependency"])
def test_a_public_method_calling_a_service_as_a_role_blocks(pack, uri, joined_by) -> None:
    found = stack_findings(pack, RULE, rest(uri, joined_by=joined_by), "mandatory")
    assert [name for name, _ in found] == ["int"] and "authorization NONE" in found[0][1]


@pytest.mark.parametrize("case", [
    dict(authorization="AWS_IAM"),
    dict(authorization="COGNITO_USER_POOLS"),
    dict(credentials=None),
    dict(credentials="arn:aws:iam::*:user/*"),
    dict(kind="AWS_PROXY", uri="arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
                              "arn:aws:lambda:eu-west-1:111122223333:function:f/invocations"),
    dict(kind="HTTP_PROXY", uri="https://api.example.com/items"),
])
def test_look_alikes_pass(pack, case) -> None:
    case = dict(case)
    uri = case.pop("uri", "arn:aws:apigateway:eu-west-1:ssm:action/SendCommand")
    assert stack_findings(pack, RULE, rest(uri, **case)) == []


def http(authorization: str | None, subtype: str | None = "StepFunctions-StartSyncExecution") -> list[StackResource]:
    kind = "aws:apigatewayv2/integration:Integration"
    props = {"apiId": "h", "integrationType": "AWS_PROXY", "credentialsArn": ROLE,
             "requestParameters": {"StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:ops"}}
    if subtype:
        props["integrationSubtype"] = subtype
    integ = StackResource(kind, "h-int", urn(kind, "h-int"), props)
    route_props = {"apiId": "h", "routeKey": "POST /run", "target": "integrations/04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    if authorization:
        route_props["authorizationType"] = authorization
    route = StackResource("aws:apigatewayv2/route:Route", "r", urn("aws:apigatewayv2/route:Route", "r"), route_props,
                          dependencies=[integ.urn])
    return [integ, route]


@pytest.mark.parametrize("authorization", ["NONE", None])
def test_a_public_http_route_to_a_service_integration_blocks(pack, authorization) -> None:
    assert [n for n, _ in stack_findings(pack, RULE, http(authorization), "mandatory")] == ["h-int"]


def test_an_authenticated_http_route_passes(pack) -> None:
    assert stack_findings(pack, RULE, http("JWT")) == []
    assert stack_findings(pack, RULE, http("AWS_IAM")) == []
