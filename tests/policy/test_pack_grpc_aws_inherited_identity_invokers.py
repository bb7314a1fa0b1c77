"""AGID-AWS-057 over gRPC, red14 r14-2: every service that invokes a Lambda function named by ARN (or name) runs its
code as the function's execution role. An existing function (one the stack does not define) is "cannot check: runs
code as the identity of existing Lambda function"; the same inputs naming the stack's own function (its ARN, name or
an Output of it) pass, and a value that names no function (a queue, an HTTP URL, an instance id) is no such invoker.

Before: each flagged case passed `agentid preview` (only EventTarget, SNS, S3, ESM, pipes, schedules were known).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc_aws_inherited_identity import (AFTER_OWN, EXISTING_FN, INHERITED, OWN, OWN_FN, RULE,
                                                                findings, res)

pytestmark = pytest.mark.usefixtures("aws_own_account")

OWN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:web-fn"
APIGW_URI = ("arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{}/invocations")
PROC = lambda fn: {"enabled": True, "processors": [{"type": "Lambda", "parameters": [  # noqa: E731
    {"parameterName": "LambdaArn", "parameterValue": fn}]}]}

# type, inputs with the function reference F, the path reported
INVOKERS = {
    "secret_rotation": ("aws:secretsmanager/secretRotation:SecretRotation",
                        lambda f: {"secretId": "s", "rotationLambdaArn": f}, "rotationLambdaArn"),
    "cognito_pre_token": ("aws:cognito/userPool:UserPool",
                          lambda f: {"name": "up", "lambdaConfig": {"preTokenGeneration": f}},
                          "lambdaConfig.preTokenGeneration"),
    "cognito_pre_token_config": ("aws:cognito/userPool:UserPool",
                                 lambda f: {"name": "up", "lambdaConfig": {"preTokenGenerationConfig": {
                                     "lambdaArn": f, "lambdaVersion": "V2_0"}}},
                                 "lambdaConfig.preTokenGenerationConfig.lambdaArn"),
    "apigwv2_integration": ("aws:apigatewayv2/integration:Integration",
                            lambda f: {"apiId": "a", "integrationType": "AWS_PROXY", "integrationUri": f},
                            "integrationUri"),
    "apigw_integration_uri": ("aws:apigateway/integration:Integration",
                              lambda f: {"restApi": "a", "resourceId": "r", "httpMethod": "GET", "type": "AWS_PROXY",
                                         "uri": APIGW_URI.format(f)}, "uri"),
    "apigwv2_authorizer": ("aws:apigatewayv2/authorizer:Authorizer",
                           lambda f: {"apiId": "a", "authorizerType": "REQUEST", "authorizerUri": APIGW_URI.format(f)},
                           "authorizerUri"),
    "iot_topic_rule": ("aws:iot/topicRule:TopicRule",
                       lambda f: {"name": "tr", "enabled": True, "sql": "SELECT * FROM 'x'",
                                  "sqlVersion": "2016-03-23", "lambdas": [{"functionArn": f}]},
                       "lambdas[0].functionArn"),
    "appsync_data_source": ("aws:appsync/dataSource:DataSource",
                            lambda f: {"apiId": "a", "name": "ds", "type": "AWS_LAMBDA",
                                       "lambdaConfig": {"functionArn": f}}, "lambdaConfig.functionArn"),
    "lb_target_attachment": ("aws:lb/targetGroupAttachment:TargetGroupAttachment",
                             lambda f: {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1",
                                        "targetId": f}, "targetId"),
    "function_url": ("aws:lambda/functionUrl:FunctionUrl",
                     lambda f: {"functionName": f.rsplit(":", 1)[-1], "authorizationType": "AWS_IAM"},
                     "functionName"),
    "bedrock_action_group": ("aws:bedrock/agentAgentActionGroup:AgentAgentActionGroup",
                             lambda f: {"agentId": "a", "agentVersion": "DRAFT", "actionGroupName": "g",
                                        "actionGroupExecutor": {"lambda": f}}, "actionGroupExecutor.lambda"),
    "firehose_processor": ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                           lambda f: {"name": "s", "destination": "extended_s3", "extendedS3Configuration": {
                               "bucketArn": "arn:aws:s3:::b", "roleArn": "worker-role",
                               "processingConfiguration": PROC(f)}},
                           "extendedS3Configuration.processingConfiguration.processors[0].parameters[0].parameterValue"),
    "cloudfront_edge": ("aws:cloudfront/distribution:Distribution",
                        lambda f: {"enabled": True, "defaultCacheBehavior": {"lambdaFunctionAssociations": [
                            {"eventType": "viewer-request", "lambdaArn": f + ":3"}]}},
                        "defaultCacheBehavior.lambdaFunctionAssociations[0].lambdaArn"),
    "config_rule": ("aws:cfg/rule:Rule", lambda f: {"name": "r", "source": {
        "owner": "CUSTOM_LAMBDA", "sourceIdentifier": f}}, "source.sourceIdentifier"),
    "ses_receipt_rule": ("aws:ses/receiptRule:ReceiptRule", lambda f: {"name": "r", "ruleSetName": "rs",
                                                                      "lambdaActions": [{"functionArn": f,
                                                                                         "position": 1}]},
                         "lambdaActions[0].functionArn"),
    "connect_association": ("aws:connect/lambdaFunctionAssociation:LambdaFunctionAssociation",
                            lambda f: {"instanceId": "i", "functionArn": f}, "functionArn"),
    "lex_intent": ("aws:lex/intent:Intent", lambda f: {"name": "i", "fulfillmentActivity": {
        "type": "CodeHook", "codeHook": {"uri": f, "messageVersion": "1.0"}}}, "fulfillmentActivity.codeHook.uri"),
    # red14 r14-14: an AgentCore gateway target runs the agent's tool calls as the function's role, and the rest of
    # the class (services that invoke a function named by ARN)
    "agentcore_gateway_target": ("aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget",
                                 lambda f: {"gatewayIdentifier": "gw", "name": "t",
                                            "credentialProviderConfiguration": {"gatewayIamRole": {}},
                                            "targetConfiguration": {"mcp": {"lambda": {
                                                "lambdaArn": f, "toolSchema": {"s3": {"uri": "s3://b/t.json"}}}}}},
                                 "targetConfiguration.mcp.lambda.lambdaArn"),
    "agentcore_gateway_interceptor": ("aws:bedrock/agentcoreGateway:AgentcoreGateway",
                                      lambda f: {"name": "gw", "protocolType": "MCP", "authorizerType": "AWS_IAM",
                                                 "roleArn": "arn:aws:iam::123456789012:role/worker-role",
                                                 "interceptorConfigurations": [{"interceptionPoints": ["REQUEST"],
                                                                                "interceptor": {"lambda": {"arn": f}}}]},
                                      "interceptorConfigurations[0].interceptor.lambda.arn"),
    "async_destination": ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
                          lambda f: {"functionName": "web-fn", "destinationConfig": {"onFailure": {"destination": f}}},
                          "destinationConfig.onFailure.destination"),
    "log_subscription": ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
                         lambda f: {"logGroup": "lg", "filterPattern": "", "destinationArn": f}, "destinationArn"),
    "metric_alarm": ("aws:cloudwatch/metricAlarm:MetricAlarm",
                     lambda f: {"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
                                "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:ops", f]}, "alarmActions[1]"),
    "composite_alarm": ("aws:cloudwatch/compositeAlarm:CompositeAlarm",
                        lambda f: {"alarmName": "c", "alarmRule": "ALARM(a)", "okActions": [f]}, "okActions[0]"),
    "iot_authorizer": ("aws:iot/authorizer:Authorizer", lambda f: {"authorizerFunctionArn": f},
                       "authorizerFunctionArn"),
    "transfer_idp": ("aws:transfer/server:Server", lambda f: {"identityProviderType": "AWS_LAMBDA", "function": f},
                     "function"),
    "transfer_workflow": ("aws:transfer/workflow:Workflow",
                          lambda f: {"steps": [{"type": "CUSTOM", "customStepDetails": {"target": f}}]},
                          "steps[0].customStepDetails.target"),
    "object_lambda": ("aws:s3control/objectLambdaAccessPoint:ObjectLambdaAccessPoint",
                      lambda f: {"name": "olap", "configuration": {
                          "supportingAccessPoint": "arn:aws:s3:eu-west-1:123456789012:accesspoint/ap",
                          "transformationConfigurations": [{"actions": ["GetObject"], "contentTransformation": {
                              "awsLambda": {"functionArn": f}}}]}},
                      "configuration.transformationConfigurations[0].contentTransformation.awsLambda.functionArn"),
    "codecommit_trigger": ("aws:codecommit/trigger:Trigger",
                           lambda f: {"repositoryName": "r", "triggers": [{"name": "t", "events": ["all"],
                                                                           "destinationArn": f}]},
                           "triggers[0].destinationArn"),
    "appsync_lambda_authorizer": ("aws:appsync/graphQLApi:GraphQLApi",
                                  lambda f: {"name": "api", "authenticationType": "API_KEY",
                                             "additionalAuthenticationProviders": [{
                                                 "authenticationType": "AWS_LAMBDA",
                                                 "lambdaAuthorizerConfig": {"authorizerUri": f}}]},
                                  "additionalAuthenticationProviders[0].lambdaAuthorizerConfig.authorizerUri"),
    "vpclattice_target": ("aws:vpclattice/targetGroupAttachment:TargetGroupAttachment",
                          lambda f: {"targetGroupIdentifier": "tg-1", "target": {"id": f}}, "target.id"),
    "kinesis_analytics_preprocessor": ("aws:kinesis/analyticsApplication:AnalyticsApplication",
                                       lambda f: {"name": "a", "inputs": {"namePrefix": "p", "processingConfiguration": {
                                           "lambda": {"resourceArn": f, "roleArn": "arn:aws:iam::123456789012:role/k"}}}},
                                       "inputs.processingConfiguration.lambda.resourceArn"),
}


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_an_invoker_of_an_existing_function_blocks(pack, case):
    type_, props, where = INVOKERS[case]
    flagged = res(type_, "x", props(EXISTING_FN), AFTER_OWN)  # created after the stack's role it may name
    found = findings(pack, flagged)
    assert list(found) == ["x"], found
    assert len(stack_findings(pack, RULE, [*OWN, flagged], "mandatory")) == 1  # reported once, not per rule path
    assert INHERITED in found["x"] and "Lambda function" in found["x"] and f"({where})" in found["x"], found["x"]


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_the_same_invoker_of_the_stacks_own_function_passes(pack, case):
    type_, props, _ = INVOKERS[case]
    literal = res(type_, "own", props(OWN_ARN), AFTER_OWN)  # created after the function (depends_on)
    assert findings(pack, literal) == {}


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_a_literal_naming_the_stacks_function_without_waiting_for_it_blocks(pack, case):
    """issue 11, a typed decoy: the stack's `Function("web-fn", name="web-fn")` fails to create when a function of
    that name exists, and an invoker that does not depend on it is still created, invoking the existing one."""
    type_, props, where = INVOKERS[case]
    found = findings(pack, res(type_, "x", props(OWN_ARN), tuple(u for u in AFTER_OWN if u != OWN_FN.urn)))
    assert list(found) == ["x"], found
    assert INHERITED in found["x"] and f"({where})" in found["x"] and \
        "(named like web-fn of this stack, but it does not depend on it: were its create to fail (the name taken), " \
        "this would run the existing one)" in found["x"], found["x"]


def test_an_output_of_the_stacks_function_passes(pack):
    own = res("aws:secretsmanager/secretRotation:SecretRotation", "own", {
        "secretId": "s", "rotationLambdaArn": UNKNOWN}, (OWN_FN.urn,))
    assert findings(pack, own) == {}


def test_values_that_name_no_function_pass(pack):
    resources = [
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "sns-alarm", {
            "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
            "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:ops"]}),
        res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "to-queue", {
            "functionName": "web-fn", "destinationConfig": {
                "onSuccess": {"destination": "arn:aws:sqs:eu-west-1:123456789012:done"}}}),
        res("aws:vpclattice/targetGroupAttachment:TargetGroupAttachment", "ip", {
            "targetGroupIdentifier": "tg-1", "target": {"id": "10.0.0.7"}}),
        res("aws:lb/targetGroupAttachment:TargetGroupAttachment", "ec2", {
            "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1", "targetId": "i-0abc"}),
        res("aws:apigatewayv2/integration:Integration", "http", {
            "apiId": "a", "integrationType": "HTTP_PROXY", "integrationUri": "https://api.example.com/x"}),
        res("aws:cfg/rule:Rule", "managed", {"name": "m", "source": {
            "owner": "AWS", "sourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"}}),
    ]
    assert findings(pack, *resources) == {}


FOREIGN_ROLE_FN = res("aws:lambda/function:Function", "tools-fn", {
    "name": "tools-fn", "role": "arn:aws:iam::123456789012:role/org-admin", "runtime": "python3.12", "handler": "i.h"})
TOOLS_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:tools-fn"


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_every_invoker_starts_the_stacks_function_whose_role_is_then_judged(pack, case):
    """A stack function runs only when something starts it; each invoker above does, so the function's own role
    (here one the stack does not define) is judged; the same function started by nothing is not."""
    type_, props, _ = INVOKERS[case]
    invoker = res(type_, "x", props(TOOLS_ARN), (*AFTER_OWN, FOREIGN_ROLE_FN.urn))  # depends_on the function
    found = findings(pack, FOREIGN_ROLE_FN, invoker)
    assert list(found) == ["tools-fn"], found
    assert "org-admin" in found["tools-fn"], found["tools-fn"]
    assert findings(pack, FOREIGN_ROLE_FN) == {}


RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
GATEWAY_TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
OWN_RUNTIME = res(RUNTIME, "tools-rt", {"agentRuntimeName": "tools_rt", "roleArn": "arn:aws:iam::123456789012:role/worker-role",
                                        "agentRuntimeArtifact": {"containerConfiguration": {
                                            "containerUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/rt:1"}}},
                 AFTER_OWN)


def runtime_target(arn: str, depends: tuple[str, ...] = ()):
    return res(GATEWAY_TARGET, "rt-target", {"gatewayIdentifier": "gw", "name": "rt", "targetConfiguration": {
        "http": {"agentcoreRuntime": {"arn": arn}}}}, depends)


def test_a_gateway_target_routing_to_an_existing_runtime_blocks(pack):
    existing = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/prod_admin_agent-AbCdEf1234"
    found = findings(pack, OWN_RUNTIME, runtime_target(existing))
    assert list(found) == ["rt-target"], found
    assert INHERITED in found["rt-target"] and "AgentCore runtime" in found["rt-target"], found
    assert "(targetConfiguration.http.agentcoreRuntime.arn)" in found["rt-target"]


def test_a_gateway_target_routing_to_the_stacks_runtime_passes(pack):
    assert findings(pack, OWN_RUNTIME, runtime_target(UNKNOWN, (OWN_RUNTIME.urn,))) == {}


REST_API = "aws:apigateway/restApi:RestApi"
OWN_REST_API = res(REST_API, "tools-api", {"name": "tools-api"}, AFTER_OWN)


def rest_api_target(rest_api_id: str, depends: tuple[str, ...] = ()):
    return res(GATEWAY_TARGET, "api-target", {"gatewayIdentifier": "gw", "name": "api", "targetConfiguration": {
        "mcp": {"apiGateway": {"restApiId": rest_api_id, "stage": "prod",
                               "apiGatewayToolConfiguration": {"toolFilters": [{"filterPath": "/*",
                                                                                "methods": ["GET"]}]}}}}}, depends)


def test_a_gateway_target_on_an_existing_rest_api_blocks(pack):
    """Another engineer's report (issue 11): the API's integrations run the tool calls as identities nobody here
    sees, as an existing Lambda target's function does."""
    found = findings(pack, OWN_REST_API, rest_api_target("a1b2c3d4e5"))
    assert list(found) == ["api-target"], found
    assert INHERITED in found["api-target"] and "API Gateway REST API" in found["api-target"], found
    assert "(targetConfiguration.mcp.apiGateway.restApiId)" in found["api-target"]


def test_a_gateway_target_on_the_stacks_rest_api_passes(pack):
    assert findings(pack, OWN_REST_API, rest_api_target(UNKNOWN, (OWN_REST_API.urn,))) == {}


def test_a_rest_api_id_unknown_at_preview_from_no_stack_api_cannot_be_checked(pack):
    found = stack_findings(pack, RULE, [rest_api_target(UNKNOWN)])
    assert [message for _, message in found] == [
        f"can't run policy '{RULE}' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until known: "
        "targetConfiguration.mcp.apiGateway.restApiId is computed during preview"], found


def _openapi(integration: dict) -> str:
    import json

    return json.dumps({"openapi": "3.0.1", "info": {"title": "tools", "version": "1"}, "paths": {"/run": {"post": {
        "x-amazon-apigateway-integration": integration}}}})


@pytest.mark.parametrize("integration", [
    {"type": "aws_proxy", "httpMethod": "POST", "uri": APIGW_URI.format(EXISTING_FN)},
    {"type": "aws", "httpMethod": "POST", "uri": "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/q",
     "credentials": "arn:aws:iam::123456789012:role/org-admin"},
])
def test_a_rest_api_body_calling_a_function_or_role_cannot_be_checked(pack, integration):
    """A stack REST API's integrations written in its OpenAPI body instead of Integration resources: the function or
    role they name is not followed (the body is not parsed), so the API cannot be checked; it is then no safe
    gateway target either."""
    api = res(REST_API, "body-api", {"name": "body-api", "body": _openapi(integration)}, AFTER_OWN)
    found = findings(pack, api)
    assert list(found) == ["body-api"], found
    assert INHERITED in found["body-api"] and "(body)" in found["body-api"], found


def test_a_rest_api_body_of_mock_and_http_integrations_passes(pack):
    body = _openapi({"type": "http_proxy", "httpMethod": "GET", "uri": "https://tools.example.com/run"})
    api = res(REST_API, "http-api", {"name": "http-api", "body": body}, AFTER_OWN)
    mock = res(REST_API, "mock-api", {"name": "mock-api", "body": _openapi({"type": "mock"})}, AFTER_OWN)
    assert findings(pack, api, mock) == {}
