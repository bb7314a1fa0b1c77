"""AGID-AWS-057 over gRPC: the runners and starters the last round left out (Batch, EKS, Lambda triggers, API
Gateway, AppSync, CodePipeline, Amplify, App Runner, Bedrock agents and AgentCore), and literal role ARNs that name
another account or path than the stack's role of that name.

Each case is built twice: with an existing role (`OrganizationAccountAccessRole`, which the stack does not define:
blocked, "cannot check") and with the stack's own `worker-role` (its policies are judged elsewhere: passes).
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AWS-057"


pytestmark = pytest.mark.usefixtures("aws_own_account")


ADMIN = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "lambda.amazonaws.com"}}]})
ROLE_T = "aws:iam/role:Role"
OWN_ROLE_ARN = "arn:aws:iam::123456789012:role/worker-role"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:handler"


# every resource here is created after the stack's role and the objects the cases name (depends_on them): a literal
# names a stack object only for a resource created after it (issue 11, a typed decoy;
# test_pack_grpc_aws_inherited_identity_invokers)
AFTER_ROLE = (urn(ROLE_T, "worker-role"), urn("aws:lambda/function:Function", "handler"),
              urn("aws:batch/jobDefinition:JobDefinition", "job"), urn("aws:sfn/stateMachine:StateMachine", "sm"),
              urn("aws:batch/jobQueue:JobQueue", "queue"), urn("aws:eks/cluster:Cluster", "c"),
              urn("aws:batch/computeEnvironment:ComputeEnvironment", "ce"))


def res(type_: str, name: str, props: dict, depends: tuple[str, ...] = AFTER_ROLE) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


# the stack's role, its ARN known (as the gate's mocks or a refresh give it)
OWN_ROLE = res(ROLE_T, "worker-role", {"name": "worker-role", "assumeRolePolicy": TRUST, "arn": OWN_ROLE_ARN}, ())


def findings(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, RULE, resources, "mandatory"))


def _function(role: str) -> StackResource:
    return res("aws:lambda/function:Function", "handler", {"name": "handler", "role": role, "runtime": "python3.12"})


def _started_function(starter_type: str, props: dict):
    return lambda role: [_function(role), res(starter_type, "starter", props)]


CASES = {
    # Batch: a queue runs whatever job definition a SubmitJob names; job properties are JSON text
    "batch_job_role": (lambda role: [
        res("aws:batch/jobDefinition:JobDefinition", "job", {"name": "job", "type": "container",
            "containerProperties": json.dumps({"image": "busybox", "jobRoleArn": role})}),
        res("aws:batch/jobQueue:JobQueue", "queue", {"name": "queue", "priority": 1, "state": "ENABLED"})], "job"),
    "batch_ecs_properties_by_rule": (lambda role: [
        res("aws:batch/jobDefinition:JobDefinition", "job", {"name": "job", "type": "container", "ecsProperties":
            json.dumps({"taskProperties": [{"taskRoleArn": role, "containers": [{"image": "busybox"}]}]})}),
        res("aws:cloudwatch/eventTarget:EventTarget", "nightly", {"rule": "nightly", "arn": "arn:aws:batch:eu-west-1:"
            "123456789012:job-queue/q", "batchTarget": {"jobDefinition": "job", "jobName": "n"}})], "job"),
    "batch_compute_environment": (lambda role: [res("aws:batch/computeEnvironment:ComputeEnvironment", "ce", {
        "type": "MANAGED", "serviceRole": role, "computeResources": {"type": "EC2", "maxVcpus": 4}})], "ce"),
    # EKS: the control plane, nodes, Fargate pods and pod identities run as these roles once they exist
    "eks_cluster": (lambda role: [res("aws:eks/cluster:Cluster", "c", {"roleArn": role, "vpcConfig": {}})], "c"),
    "eks_node_group": (lambda role: [res("aws:eks/nodeGroup:NodeGroup", "ng", {"clusterName": "c", "nodeRoleArn": role,
                                                                               "subnetIds": ["s"]})], "ng"),
    "eks_fargate_profile": (lambda role: [res("aws:eks/fargateProfile:FargateProfile", "fp", {
        "clusterName": "c", "podExecutionRoleArn": role, "selectors": [{"namespace": "default"}]})], "fp"),
    "eks_pod_identity": (lambda role: [res("aws:eks/podIdentityAssociation:PodIdentityAssociation", "pia", {
        "clusterName": "c", "namespace": "default", "serviceAccount": "app", "roleArn": role})], "pia"),
    "eks_cluster_admin_access": (lambda role: [res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "adm", {
        "clusterName": "c", "principalArn": role, "accessScope": {"type": "cluster"},
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"})], "adm"),
    # Lambda functions started by S3, SNS, resource policies, log subscriptions, Cognito, IoT, API Gateway, AppSync
    "lambda_s3_notification": (_started_function("aws:s3/bucketNotification:BucketNotification", {
        "bucket": "uploads", "lambdaFunctions": [{"lambdaFunctionArn": FUNCTION_ARN, "events": ["s3:ObjectCreated:*"]}]}),
        "handler"),
    "lambda_sns_subscription": (_started_function("aws:sns/topicSubscription:TopicSubscription", {
        "topic": "arn:aws:sns:eu-west-1:123456789012:t", "protocol": "lambda", "endpoint": FUNCTION_ARN}), "handler"),
    "lambda_permission_s3": (_started_function("aws:lambda/permission:Permission", {
        "action": "lambda:InvokeFunction", "function": "handler", "principal": "s3.amazonaws.com",
        "sourceArn": "arn:aws:s3:::uploads"}), "handler"),
    "lambda_log_subscription": (_started_function("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", {
        "logGroup": "/aws/app", "filterPattern": "", "destinationArn": FUNCTION_ARN}), "handler"),
    "lambda_cognito_trigger": (_started_function("aws:cognito/userPool:UserPool", {
        "name": "users", "lambdaConfig": {"preSignUp": FUNCTION_ARN}}), "handler"),
    "lambda_cognito_token_trigger": (_started_function("aws:cognito/userPool:UserPool", {
        "name": "users", "lambdaConfig": {"preTokenGenerationConfig": {"lambdaArn": FUNCTION_ARN,
                                                                       "lambdaVersion": "V2_0"}}}), "handler"),
    "lambda_iot_rule": (_started_function("aws:iot/topicRule:TopicRule", {
        "name": "r", "enabled": True, "sql": "SELECT * FROM 't'", "sqlVersion": "2016-03-23",
        "lambdas": [{"functionArn": FUNCTION_ARN}]}), "handler"),
    "lambda_api_gateway": (_started_function("aws:apigateway/integration:Integration", {
        "restApi": "api", "resourceId": "r", "httpMethod": "ANY", "type": "AWS_PROXY", "integrationHttpMethod": "POST",
        "uri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"}), "handler"),
    "lambda_http_api": (_started_function("aws:apigatewayv2/integration:Integration", {
        "apiId": "api", "integrationType": "AWS_PROXY", "integrationUri": FUNCTION_ARN}), "handler"),
    "stepfunctions_by_rule": (lambda role: [
        res("aws:sfn/stateMachine:StateMachine", "sm", {"name": "sm", "roleArn": role, "definition": "{}"}),
        res("aws:cloudwatch/eventTarget:EventTarget", "t", {"rule": "every-hour",
            "arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:sm", "roleArn": OWN_ROLE_ARN})], "sm"),
    # services that call AWS APIs, or run code, as the role for every caller
    "api_gateway_aws_integration": (lambda role: [res("aws:apigateway/integration:Integration", "iam-api", {
        "restApi": "api", "resourceId": "r", "httpMethod": "POST", "type": "AWS", "integrationHttpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:iam:action/CreateAccessKey", "credentials": role})], "iam-api"),
    "appsync_data_source": (lambda role: [res("aws:appsync/dataSource:DataSource", "ds", {
        "apiId": "api", "name": "ds", "type": "HTTP", "serviceRoleArn": role,
        "httpConfig": {"endpoint": "https://iam.amazonaws.com",
                       "authorizationConfig": {"authorizationType": "AWS_IAM"}}})], "ds"),
    "codepipeline": (lambda role: [res("aws:codepipeline/pipeline:Pipeline", "p", {"name": "p", "roleArn": role,
                                                                                  "stages": []})], "p"),
    "codepipeline_action_role": (lambda role: [res("aws:codepipeline/pipeline:Pipeline", "p", {
        "name": "p", "roleArn": OWN_ROLE_ARN, "stages": [{"name": "deploy", "actions": [
            {"name": "cfn", "category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1",
             "roleArn": role}]}]})], "p"),
    "amplify_app": (lambda role: [res("aws:amplify/app:App", "site", {"name": "site", "iamServiceRoleArn": role})],
                    "site"),
    "apprunner": (lambda role: [res("aws:apprunner/service:Service", "svc", {
        "serviceName": "svc", "instanceConfiguration": {"instanceRoleArn": role}, "sourceConfiguration": {}})], "svc"),
    "bedrock_agent": (lambda role: [res("aws:bedrock/agentAgent:AgentAgent", "agent", {
        "agentName": "agent", "agentResourceRoleArn": role, "foundationModel": "anthropic.claude-3"})], "agent"),
    "agentcore_runtime": (lambda role: [res("aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime", "rt", {
        "agentRuntimeName": "rt", "roleArn": role})], "rt"),
    "agentcore_code_interpreter": (lambda role: [res("aws:bedrock/agentcoreCodeInterpreter:AgentcoreCodeInterpreter",
        "ci", {"name": "ci", "executionRoleArn": role, "networkConfiguration": {"networkMode": "PUBLIC"}})], "ci"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_role_the_stack_does_not_define_blocks(pack, case):
    build, flagged = CASES[case]
    found = findings(pack, OWN_ROLE, *build(ADMIN))
    assert list(found) == [flagged], found
    assert "which this stack does not define: cannot check what that identity may do" in found[flagged]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_resources_with_the_stacks_own_role_pass(pack, case):
    build, _ = CASES[case]
    assert findings(pack, OWN_ROLE, *build(OWN_ROLE_ARN)) == {}
    assert findings(pack, OWN_ROLE, *build("worker-role")) == {}


def test_runners_nothing_starts_and_harmless_look_alikes_pass(pack):
    # (none depends on the function: a dependent starter would start it)
    # a job definition no queue, rule or pipe of the stack runs; a function nothing triggers
    job = res("aws:batch/jobDefinition:JobDefinition", "job", {"name": "job", "type": "container",
                                                              "containerProperties": json.dumps({"jobRoleArn": ADMIN})}, ())
    assert findings(pack, job, _function(ADMIN)) == {}
    # a subscription to a queue, a permission and a trigger for another function, a read-only EKS access policy,
    # API Gateway's "the caller's own identity"
    assert findings(pack, _function(ADMIN),
                    res("aws:sns/topicSubscription:TopicSubscription", "q", {
                        "topic": "t", "protocol": "sqs", "endpoint": "arn:aws:sqs:eu-west-1:123456789012:jobs"}, ()),
                    res("aws:lambda/permission:Permission", "other", {"function": "other-fn", "principal": "s3.amazonaws.com",
                                                                      "action": "lambda:InvokeFunction"}, ()),
                    res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "view", {
                        "clusterName": "c", "principalArn": ADMIN, "accessScope": {"type": "cluster"},
                        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}, ()),
                    res("aws:apigateway/integration:Integration", "passthrough", {
                        "restApi": "api", "resourceId": "r", "httpMethod": "GET", "type": "AWS",
                        "uri": "arn:aws:apigateway:us-east-1:s3:path/b/k", "credentials": "arn:aws:iam::*:user/*"}, ())) == {}


def test_job_properties_that_are_not_json_cannot_be_read(pack):
    found = findings(pack, res("aws:batch/jobDefinition:JobDefinition", "job", {"name": "job", "type": "container",
                                                                               "containerProperties": "{jobRoleArn: x"}),
                     res("aws:batch/jobQueue:JobQueue", "queue", {"name": "queue"}))
    assert list(found) == ["job"] and "containerProperties is not the JSON AWS takes" in found["job"]


# --- a literal ARN names the stack's role only in the stack's account and at the role's path --------------------

def _run_as(role_arn: str, *stack) -> list[StackResource]:
    return [*stack, _function(role_arn),
            res("aws:lambda/invocation:Invocation", "go", {"functionName": "handler", "input": "{}"})]


@pytest.mark.parametrize("reference", ["arn:aws:iam::999988887777:role/worker-role",
                                       "arn:aws:iam::123456789012:role/ops/worker-role",
                                       "arn:aws:iam::123456789012:user/worker-role"])
def test_an_arn_of_another_account_path_or_kind_is_not_the_stacks_role(pack, reference):
    found = findings(pack, *_run_as(reference, OWN_ROLE))
    assert list(found) == ["handler"], found
    assert f"runs its code as role {reference} (role), which this stack does not define" in found["handler"]


def test_while_the_stacks_account_is_unknown_an_unlisted_account_cannot_be_checked(pack):
    # at a real preview the role's ARN is computed: only ownAccountIds says which account is the stack's
    pack.configure({})
    role = res(ROLE_T, "worker-role", {"name": "worker-role", "assumeRolePolicy": TRUST})
    found = findings(pack, *_run_as("arn:aws:iam::999988887777:role/worker-role", role))
    assert list(found) == ["handler"]
    assert ("named like worker-role of this stack, but cannot tell whether account 999988887777 is yours: list it in "
            "ownAccountIds") in found["handler"]
    pack.configure({RULE: {"ownAccountIds": ["999988887777"]}})
    try:
        assert findings(pack, *_run_as("arn:aws:iam::999988887777:role/worker-role", role)) == {}
        found = findings(pack, *_run_as("arn:aws:iam::111122223333:role/worker-role", role))
        assert "account 111122223333 is a foreign account (the stack's own: 999988887777)" in found["handler"]
    finally:
        pack.configure({})


def test_a_role_with_a_path_is_named_by_its_arn_with_that_path(pack):
    role = res(ROLE_T, "worker-role", {"name": "worker-role", "path": "/ops/", "assumeRolePolicy": TRUST,
                                       "arn": "arn:aws:iam::123456789012:role/ops/worker-role"})
    assert findings(pack, *_run_as("arn:aws:iam::123456789012:role/ops/worker-role", role)) == {}
    assert list(findings(pack, *_run_as(OWN_ROLE_ARN, role))) == ["handler"]
