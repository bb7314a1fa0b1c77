"""AGID-AWS-057 over gRPC, red14 r14-2: every service that invokes a Lambda function named by ARN (or name) runs its
code as the function's execution role. An existing function (one the stack does not define) is "cannot check: runs
code as the identity of existing Lambda function"; the same inputs naming the stack's own function (its ARN, name or
an Output of it) pass, and a value that names no function (a queue, an HTTP URL, an instance id) is no such invoker.

Before: each flagged case passed `agentid preview` (only EventTarget, SNS, S3, ESM, pipes, schedules were known).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc_aws_inherited_identity import EXISTING_FN, INHERITED, OWN_FN, findings, res

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
}


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_an_invoker_of_an_existing_function_blocks(pack, case):
    type_, props, where = INVOKERS[case]
    found = findings(pack, res(type_, "x", props(EXISTING_FN)))
    assert list(found) == ["x"], found
    assert INHERITED in found["x"] and "Lambda function" in found["x"] and f"({where})" in found["x"], found["x"]


@pytest.mark.parametrize("case", sorted(INVOKERS))
def test_the_same_invoker_of_the_stacks_own_function_passes(pack, case):
    type_, props, _ = INVOKERS[case]
    literal = res(type_, "own", props(OWN_ARN))
    assert findings(pack, literal) == {}


def test_an_output_of_the_stacks_function_passes(pack):
    own = res("aws:secretsmanager/secretRotation:SecretRotation", "own", {
        "secretId": "s", "rotationLambdaArn": UNKNOWN}, (OWN_FN.urn,))
    assert findings(pack, own) == {}


def test_values_that_name_no_function_pass(pack):
    resources = [
        res("aws:lb/targetGroupAttachment:TargetGroupAttachment", "ec2", {
            "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1", "targetId": "i-0abc"}),
        res("aws:apigatewayv2/integration:Integration", "http", {
            "apiId": "a", "integrationType": "HTTP_PROXY", "integrationUri": "https://api.example.com/x"}),
        res("aws:cfg/rule:Rule", "managed", {"name": "m", "source": {
            "owner": "AWS", "sourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"}}),
    ]
    assert findings(pack, *resources) == {}
