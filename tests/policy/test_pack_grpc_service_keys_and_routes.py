"""Service-specific static keys (AGID-AWS-045) and API route authorization (AGID-AWS-046), sent to agent_guard
as the engine sends them.

Each case: the resource that must be flagged (exactly one diagnostic, of the rule, at its level) and the
look-alike a careful program writes, which must pass with no diagnostic at all. Input names are pulumi-aws
7.x's (camelCase, as the engine sends them); facts from the AWS pages named in each rule's docstring.
"""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.analysis.openapi_auth import MAX_DEFINITION_CHARS, load_definition
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import urn

GRAFANA = "g-0123456789"
CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_events-AbCdEf"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"

# (case id, flagged type, flagged props, rule id, level, look-alike type, look-alike props)
CASES = [
    # static keys: the look-alike is the same service used without a static secret
    ("apigw-key", "aws:apigateway/apiKey:ApiKey", {"name": "partner"}, "AGID-AWS-045", "mandatory",
     "aws:apigateway/usagePlan:UsagePlan", {"name": "partner", "throttleSettings": {"rateLimit": 10.0}}),
    # red13 r13-9: an internal user database makes the master user a name and password (all_access), generated or not
    ("opensearch-internal-users", "aws:opensearch/domain:Domain",
     {"domainName": "search", "advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": True,
                                                          "masterUserOptions": {"masterUserName": "admin",
                                                                                "masterUserPassword": UNKNOWN}}},
     "AGID-AWS-045", "mandatory", "aws:opensearch/domain:Domain",
     {"domainName": "search", "advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": False,
                                                          "masterUserOptions": {"masterUserArn":
                                                                                "arn:aws:iam::123456789012:role/search-admin"}}}),
    ("elasticsearch-internal-users", "aws:elasticsearch/domain:Domain",
     {"domainName": "logs", "advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": True}},
     "AGID-AWS-045", "mandatory", "aws:elasticsearch/domain:Domain", {"domainName": "logs"}),
    # red13 r13-18: an IoT custom authorizer without token signing takes any caller's token to its Lambda
    ("iot-authorizer-unsigned", "aws:iot/authorizer:Authorizer",
     {"authorizerFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:auth", "signingDisabled": True,
      "status": "ACTIVE"}, "AGID-AWS-074", "mandatory", "aws:iot/authorizer:Authorizer",
     {"authorizerFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:auth", "signingDisabled": False,
      "tokenKeyName": "token", "tokenSigningPublicKeys": {"k1": "-----BEGIN PUBLIC KEY-----"}, "status": "ACTIVE"}),
    ("apigw-key-disabled", "aws:apigateway/apiKey:ApiKey", {"name": "partner", "enabled": False}, "AGID-AWS-045",
     "mandatory", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "GET", "authorization": "AWS_IAM", "apiKeyRequired": True}),
    ("appsync-key", "aws:appsync/apiKey:ApiKey", {"apiId": "x1y2z3", "expires": "2030-01-01T00:00:00Z"},
     "AGID-AWS-045", "mandatory", "aws:appsync/graphQLApi:GraphQLApi",
     {"name": "tools", "authenticationType": "AWS_IAM"}),
    ("grafana-key", "aws:grafana/workspaceApiKey:WorkspaceApiKey",
     {"keyName": "bot", "keyRole": "ADMIN", "secondsToLive": 3600.0, "workspaceId": GRAFANA}, "AGID-AWS-045",
     "mandatory", "aws:grafana/roleAssociation:RoleAssociation",
     {"role": "VIEWER", "workspaceId": GRAFANA, "groupIds": ["g-1"]}),
    ("grafana-sa-token", "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
     {"name": "bot", "secondsToLive": 3600.0, "serviceAccountId": "sa-1", "workspaceId": GRAFANA}, "AGID-AWS-045",
     "mandatory", "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
     {"name": "bot", "grafanaRole": "VIEWER", "workspaceId": GRAFANA}),
    ("lightsail-bucket-key", "aws:lightsail/bucketAccessKey:BucketAccessKey", {"bucketName": "reports"},
     "AGID-AWS-045", "mandatory", "aws:lightsail/bucket:Bucket", {"name": "reports", "bundleId": "small_1_0"}),
    ("transfer-ssh-key", "aws:transfer/sshKey:SshKey",
     {"serverId": "s-0123456789abcdef0", "userName": "etl", "body": "ssh-ed25519 AAAAC3Nza etl"}, "AGID-AWS-045",
     "mandatory", "aws:transfer/server:Server", {"identityProviderType": "AWS_LAMBDA", "protocols": ["SFTP"]}),
    ("msk-scram", "aws:msk/scramSecretAssociation:ScramSecretAssociation",
     {"clusterArn": CLUSTER, "secretArnLists": [SECRET]}, "AGID-AWS-045", "mandatory",
     "aws:msk/serverlessCluster:ServerlessCluster",
     {"clientAuthentication": {"sasl": {"iam": {"enabled": True}}},
      "vpcConfigs": [{"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}]}),
    ("msk-single-scram", "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation",
     {"clusterArn": CLUSTER, "secretArn": SECRET}, "AGID-AWS-045", "mandatory",
     "aws:msk/clusterPolicy:ClusterPolicy",
     {"clusterArn": CLUSTER, "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
                                       '"arn:aws:iam::123456789012:role/producer"},"Action":"kafka:DescribeCluster",'
                                       f'"Resource":"{CLUSTER}"}}]}}'}),
    ("chime-sip", "aws:chime/voiceConnectorTerminationCredentials:VoiceConnectorTerminationCredentials",
     {"voiceConnectorId": "abcdef1ghij2klmno3pqr4", "credentials": [{"username": "pbx", "password": UNKNOWN}]},
     "AGID-AWS-045", "mandatory", "aws:chime/voiceConnectorTermination:VoiceConnectorTermination",
     {"voiceConnectorId": "abcdef1ghij2klmno3pqr4", "callingRegions": ["US"], "cidrAllowLists": ["203.0.113.0/24"]}),
    # REST API methods
    ("method-none", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "POST", "authorization": "NONE"}, "AGID-AWS-046",
     "advisory", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "POST", "authorization": "AWS_IAM"}),
    ("method-none-api-key", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "ANY", "authorization": "none", "apiKeyRequired": True},
     "AGID-AWS-046", "advisory", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "OPTIONS", "authorization": "NONE"}),
    ("method-unknown-kind", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "GET", "authorization": "OPEN"}, "AGID-AWS-046",
     "advisory", "aws:apigateway/method:Method",
     {"restApi": "abc", "resourceId": "r1", "httpMethod": "GET", "authorization": "COGNITO_USER_POOLS",
      "authorizerId": "au1"}),
    # HTTP / WebSocket API routes
    ("route-default-absent", "aws:apigatewayv2/route:Route", {"apiId": "a1", "routeKey": "GET /items"},
     "AGID-AWS-074", "mandatory", "aws:apigatewayv2/route:Route",
     {"apiId": "a1", "routeKey": "GET /items", "authorizationType": "JWT", "authorizerId": "au1"}),
    ("route-catch-all", "aws:apigatewayv2/route:Route",
     {"apiId": "a1", "routeKey": "$default", "authorizationType": "NONE"}, "AGID-AWS-074", "mandatory",
     "aws:apigatewayv2/route:Route", {"apiId": "a1", "routeKey": "OPTIONS /{proxy+}", "authorizationType": "NONE"}),
    ("route-ws-connect", "aws:apigatewayv2/route:Route",
     {"apiId": "a1", "routeKey": "$connect", "authorizationType": "NONE"}, "AGID-AWS-074", "mandatory",
     "aws:apigatewayv2/route:Route", {"apiId": "a1", "routeKey": "sendmessage", "authorizationType": "NONE"}),
    ("route-proxy-any", "aws:apigatewayv2/route:Route",
     {"apiId": "a1", "routeKey": "ANY /{proxy+}", "authorizationType": "NONE"}, "AGID-AWS-074", "mandatory",
     "aws:apigatewayv2/route:Route", {"apiId": "a1", "routeKey": "ANY /{proxy+}", "authorizationType": "AWS_IAM"}),
    # JWT authorizers
    ("jwt-no-audience", "aws:apigatewayv2/authorizer:Authorizer",
     {"apiId": "a1", "authorizerType": "JWT", "jwtConfiguration": {"issuer": ISSUER}}, "AGID-AWS-074", "mandatory",
     "aws:apigatewayv2/authorizer:Authorizer",
     {"apiId": "a1", "authorizerType": "JWT", "jwtConfiguration": {"issuer": ISSUER, "audiences": ["4l1ent1d"]}}),
    ("jwt-empty-audience", "aws:apigatewayv2/authorizer:Authorizer",
     {"apiId": "a1", "authorizerType": "JWT", "jwtConfiguration": {"issuer": ISSUER, "audiences": [" "]}},
     "AGID-AWS-074", "mandatory", "aws:apigatewayv2/authorizer:Authorizer",
     {"apiId": "a1", "authorizerType": "REQUEST", "authorizerUri": "arn:aws:apigateway:eu-west-1:lambda:path/x"}),
]


@pytest.mark.parametrize("case,type_,flagged,rule_id,level,alike_type,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, level, alike_type, look_alike):
    assert_flagged_and_look_alike(pack, case, type_, flagged, rule_id, level, look_alike, alike_type)


def test_messages_name_the_power_and_the_category(pack):
    [diag] = pack.analyze("aws:grafana/workspaceApiKey:WorkspaceApiKey", "k", "urn:k",
                          {"keyName": "bot", "keyRole": "ADMIN", "secondsToLive": 60.0, "workspaceId": GRAFANA})
    assert "[static-credential] " in diag.message and "role ADMIN" in diag.message and GRAFANA in diag.message
    [diag] = pack.analyze("aws:apigateway/method:Method", "m", "urn:m",
                          {"restApi": "abc", "resourceId": "r1", "httpMethod": "ANY", "authorization": "NONE",
                           "apiKeyRequired": True})
    assert "[public-access] " in diag.message and "API key is no authorization" in diag.message
    [diag] = pack.analyze("aws:apigatewayv2/authorizer:Authorizer", "a", "urn:a",
                          {"authorizerType": "JWT", "jwtConfiguration": {"issuer": ISSUER, "audiences": ["*"]}})
    assert "[weak-trust] " in diag.message and '"*"' in diag.message


@pytest.mark.parametrize("type_,props,path", [
    ("aws:apigateway/method:Method", {"httpMethod": "GET", "authorization": UNKNOWN}, "authorization"),
    ("aws:apigateway/method:Method", {"httpMethod": UNKNOWN, "authorization": "NONE"}, "httpMethod"),
    ("aws:apigatewayv2/route:Route", {"routeKey": UNKNOWN, "authorizationType": "NONE"}, "routeKey"),
    ("aws:apigatewayv2/authorizer:Authorizer", {"authorizerType": "JWT", "jwtConfiguration": UNKNOWN},
     "jwtConfiguration"),
])
def test_values_unknown_at_preview_cannot_be_checked(pack, type_, props, path):
    # (an unknown jwtConfiguration hides the issuer from AGID-GEN-003 as well, which says so too)
    rule = "AGID-AWS-046" if type_ == "aws:apigateway/method:Method" else "AGID-AWS-074"
    [diag] = [d for d in pack.analyze(type_, "u", urn(type_, "u"), props) if d.policy_name == rule]
    assert f"cannot check until known: {path}" in diag.message


@pytest.mark.parametrize("type_,props", [
    ("aws:apigateway/method:Method", {"httpMethod": "GET", "authorization": ["NONE"]}),
    ("aws:apigatewayv2/route:Route", {"routeKey": 7.0, "authorizationType": "NONE"}),
    ("aws:apigatewayv2/route:Route", {"routeKey": "GET /", "authorizationType": "COGNITO"}),
    ("aws:apigatewayv2/authorizer:Authorizer", {"authorizerType": "JWT", "jwtConfiguration": {"audiences": "a"}}),
])
def test_unreadable_shapes_fail_closed(pack, type_, props):
    [diag] = pack.analyze(type_, "bad", urn(type_, "bad"), props)
    rule = "AGID-AWS-046" if type_ == "aws:apigateway/method:Method" else "AGID-AWS-074"
    assert diag.policy_name == rule and "bad" in diag.message


# --- routes defined where no Method/Route resource shows them ------------------------------------------------
REST_API = "aws:apigateway/restApi:RestApi"
HTTP_API = "aws:apigatewayv2/api:Api"
LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:tool"
SIGV4 = {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
API_KEY = {"type": "apiKey", "name": "x-api-key", "in": "header"}
JWT = {"type": "oauth2", "flows": {}, "x-amazon-apigateway-authorizer": {
    "type": "jwt", "identitySource": "$request.header.Authorization",
    "jwtConfiguration": {"issuer": ISSUER, "audience": ["4l1ent1d"]}}}


def oas3(security=None, op_security=None, schemes=None) -> str:
    operation = {"responses": {"200": {"description": "ok"}}}
    if op_security is not None:
        operation["security"] = op_security
    document = {"openapi": "3.0.1", "info": {"title": "tools", "version": "1"},
                "paths": {"/items": {"get": operation, "options": {"responses": {"200": {"description": "cors"}}}}},
                "components": {"securitySchemes": schemes or {}}}
    if security is not None:
        document["security"] = security
    return json.dumps(document)


SWAGGER_API_KEY_ONLY = json.dumps({
    "swagger": "2.0", "info": {"title": "tools", "version": "1"}, "securityDefinitions": {"api_key": API_KEY},
    "paths": {"/items": {"x-amazon-apigateway-any-method": {"security": [{"api_key": []}]}}}})
SWAGGER_IAM = json.dumps({
    "swagger": "2.0", "info": {"title": "tools", "version": "1"}, "securityDefinitions": {"api_key": API_KEY},
    "paths": {"/items": {"x-amazon-apigateway-any-method": {"security": [{"api_key": []}],
                                                            "x-amazon-apigateway-auth": {"type": "AWS_IAM"}}}}})
YAML_OPTIONAL = """openapi: 3.0.1
info: {title: tools, version: "1"}
components:
  securitySchemes:
    jwt: {type: oauth2, flows: {}, x-amazon-apigateway-authorizer: {type: jwt}}
paths:
  /items:
    post:
      security: [{}, {jwt: [tools/write]}]
"""

DEFINITION_CASES = [
    ("http-quick-create", HTTP_API, {"name": "tools", "protocolType": "HTTP", "target": LAMBDA},
     {"name": "tools", "protocolType": "HTTP"}),
    ("rest-openapi-open", REST_API, {"name": "tools", "body": oas3()},
     {"name": "tools", "body": oas3(security=[{"sigv4": []}], schemes={"sigv4": SIGV4})}),
    ("rest-openapi-api-key-only", REST_API, {"name": "tools", "body": SWAGGER_API_KEY_ONLY},
     {"name": "tools", "body": SWAGGER_IAM}),
    ("rest-openapi-override", REST_API,
     {"name": "tools", "body": oas3(security=[{"sigv4": []}], op_security=[], schemes={"sigv4": SIGV4})},
     {"name": "tools", "body": oas3(op_security=[{"sigv4": []}], schemes={"sigv4": SIGV4})}),
    ("http-openapi-optional", HTTP_API, {"name": "tools", "protocolType": "HTTP", "body": YAML_OPTIONAL},
     {"name": "tools", "protocolType": "HTTP", "body": YAML_OPTIONAL.replace("[{}, {jwt", "[{jwt")}),
    ("http-openapi-unknown-scheme", HTTP_API,
     {"name": "tools", "protocolType": "HTTP", "body": oas3(security=[{"jwt": []}])},
     {"name": "tools", "protocolType": "HTTP", "body": oas3(security=[{"jwt": []}], schemes={"jwt": JWT})}),
]


@pytest.mark.parametrize("case,type_,flagged,look_alike", DEFINITION_CASES, ids=[c[0] for c in DEFINITION_CASES])
def test_routes_an_api_defines_itself(pack, case, type_, flagged, look_alike):
    # an HTTP API has no private form (AGID-AWS-074, mandatory); a REST API may be private (AGID-AWS-046, advisory)
    rule, level = ("AGID-AWS-074", "mandatory") if type_ == HTTP_API else ("AGID-AWS-046", "advisory")
    assert_flagged_and_look_alike(pack, case, type_, flagged, rule, level, look_alike)


def test_openapi_findings_name_the_operations(pack):
    [diag] = pack.analyze(REST_API, "t", urn(REST_API, "t"), {"name": "tools", "body": SWAGGER_API_KEY_ONLY})
    assert "ANY /items (only api_key" in diag.message
    [diag] = pack.analyze(REST_API, "t", urn(REST_API, "t"), {"name": "tools", "body": oas3()})
    assert "GET /items (no security requirement)" in diag.message and "OPTIONS" not in diag.message
    paths = {f"/p{i}": {"get": {}} for i in range(8)}
    [diag] = pack.analyze(REST_API, "t", urn(REST_API, "t"), {"body": json.dumps({"openapi": "3.0.1", "paths": paths})})
    assert "GET /p4 (no security requirement) and 3 more" in diag.message


@pytest.mark.parametrize("body", ["paths: [", json.dumps({"paths": ["/items"]}), "- a\n- b\n",
                                  json.dumps({"paths": {"/items": {"get": "open"}}}), "[" * 100_000])
def test_unreadable_definitions_fail_closed(pack, body):
    [diag] = pack.analyze(REST_API, "bad", urn(REST_API, "bad"), {"name": "tools", "body": body})
    assert diag.policy_name == "AGID-AWS-046" and "cannot be judged" in diag.message and "bad" in diag.message


def test_definition_unknown_at_preview_cannot_be_checked(pack):
    [diag] = pack.analyze(REST_API, "u", urn(REST_API, "u"), {"name": "tools", "body": UNKNOWN})
    assert "cannot check until known: body" in diag.message


def test_a_definition_larger_than_api_gateway_imports_is_refused_unread():
    with pytest.raises(ValueError, match="more than API Gateway imports"):
        load_definition("{" + " " * MAX_DEFINITION_CHARS + "}")


def test_rest_api_resource_policy_inside_its_openapi_body_is_judged(pack):
    # x-amazon-apigateway-policy: API Gateway applies it on import, beside (or instead of) the policy input
    open_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                          "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}
    pinned = json.loads(json.dumps(open_policy))
    pinned["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}
    secured = oas3(security=[{"sigv4": []}], schemes={"sigv4": SIGV4})

    def with_policy(policy) -> str:
        return json.dumps({**json.loads(secured), "x-amazon-apigateway-policy": policy})

    diags = pack.analyze(REST_API, "p", urn(REST_API, "p"), {"name": "tools", "body": with_policy(open_policy)})
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AWS-030", "mandatory")]
    # a VPC endpoint pin confines the API to that endpoint: one the gate lists as own (red15 r15-7)
    diags = pack.analyze(REST_API, "p", urn(REST_API, "p"), {"name": "tools", "body": with_policy(pinned)})
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AWS-030", "mandatory")]
    assert "cannot tell whether VPC endpoint vpce-0a1b2c3d4e5f67890 is yours" in diags[0].message
    pack.configure({"AGID-AWS-030": {"ownVpcEndpointIds": ["vpce-0a1b2c3d4e5f67890"]}})
    try:
        assert pack.analyze(REST_API, "p", urn(REST_API, "p"), {"name": "tools", "body": with_policy(pinned)}) == []
    finally:
        pack.configure({})
