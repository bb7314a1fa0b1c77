"""Issue 11 coverage over gRPC: each identity-bearing AWS type, sent to agent_guard exactly as the engine sends it.

For every type and path: a flagged case (the rule's diagnostic, at its level) and a look-alike that must
pass (no diagnostic at all from the pack).
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import ACCOUNT, UNKNOWN, allow, policy
from tests.policy.test_pack_grpc import PACK, urn

OTHER = "210987654321"
PUBLIC = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
PINNED = {**PUBLIC, "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"}}}
ROOT_ADMIN = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
              "Resource": "*"}


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# (case id, type, flagged props, rule id, look-alike props)
CASES = [
    ("service-specific-credential", "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
     {"userName": "ci", "serviceName": "bedrock.amazonaws.com"}, "AGID-AWS-005", None),
    ("signing-certificate", "aws:iam/signingCertificate:SigningCertificate",
     {"userName": "ci", "certificateBody": "-----BEGIN CERTIFICATE-----"}, "AGID-AWS-005", None),
    ("ssh-key", "aws:iam/sshKey:SshKey", {"username": "ci", "encoding": "SSH", "publicKey": "ssh-rsa AAAA"},
     "AGID-AWS-005", None),
    ("user-policy-any-name", "aws:iam/userPolicy:UserPolicy",
     {"user": "reporting", "policy": policy(allow("s3:GetObject", "arn:aws:s3:::r/*"))}, "AGID-AWS-006", None),
    ("user-policy-attachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
     {"user": "reporting", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/reports"}, "AGID-AWS-006", None),
    ("user-group-membership", "aws:iam/userGroupMembership:UserGroupMembership",
     {"user": "reporting", "groups": ["readers"]}, "AGID-AWS-006", None),
    ("group-membership", "aws:iam/groupMembership:GroupMembership",
     {"group": "readers", "users": ["reporting"]}, "AGID-AWS-006", None),
    ("secret-version", "aws:secretsmanager/secretVersion:SecretVersion",
     {"secretId": "db", "secretString": json.dumps({"password": "Tr0ub4dor&3"})}, "AGID-AWS-007",
     {"secretId": "db", "secretString": UNKNOWN}),
    ("ssm-parameter", "aws:ssm/parameter:Parameter",
     {"name": "/app/api_token", "type": "SecureString", "value": "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"},
     "AGID-AWS-007", {"name": "/app/region", "type": "String", "value": "eu-west-1"}),
    ("lambda-environment", "aws:lambda/function:Function",
     {"role": f"arn:aws:iam::{ACCOUNT}:role/fn", "environment": {"variables": {"STRIPE_KEY": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"}}},
     "AGID-AWS-007",
     {"role": f"arn:aws:iam::{ACCOUNT}:role/fn", "environment": {"variables": {"STAGE": "prod"}}}),
    ("agentcore-api-key", "aws:bedrock/agentcoreApiKeyCredentialProvider:AgentcoreApiKeyCredentialProvider",
     {"name": "openai", "apiKey": "sk-proj-abcdefABCDEF1234567890abcdefABCDEF12"}, "AGID-AWS-007",
     {"name": "openai", "apiKeyWo": UNKNOWN}),
    ("agentcore-oauth2", "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider",
     {"name": "gh", "credentialProviderVendor": "GithubOauth2", "oauth2ProviderConfig": {"githubOauth2ProviderConfig": {
         "clientId": "Iv1.abc", "clientSecret": "0123456789abcdef0123456789abcdef01234567"}}}, "AGID-AWS-007",
     {"name": "gh", "credentialProviderVendor": "GithubOauth2", "oauth2ProviderConfig": {"githubOauth2ProviderConfig": {
         "clientId": "Iv1.abc", "clientSecret": UNKNOWN}}}),
    ("s3-bucket-policy", "aws:s3/bucketPolicy:BucketPolicy",
     {"bucket": "b", "policy": doc({**PUBLIC, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})},
     "AGID-AWS-030",
     {"bucket": "b", "policy": doc({**PINNED, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})}),
    ("sqs-queue-policy", "aws:sqs/queuePolicy:QueuePolicy", {"queueUrl": "q", "policy": doc(PUBLIC)}, "AGID-AWS-030",
     {"queueUrl": "q", "policy": doc(PINNED)}),
    ("sns-topic-policy", "aws:sns/topicPolicy:TopicPolicy",
     {"arn": "t", "policy": doc({**PUBLIC, "Action": "sns:Publish"})}, "AGID-AWS-030",
     {"arn": "t", "policy": doc({**PINNED, "Action": "sns:Publish"})}),
    ("secret-policy", "aws:secretsmanager/secretPolicy:SecretPolicy",
     {"secretArn": "s", "policy": doc({**PUBLIC, "Action": "secretsmanager:GetSecretValue"})}, "AGID-AWS-030",
     {"secretArn": "s", "policy": doc({**PINNED, "Action": "secretsmanager:GetSecretValue"})}),
    ("kms-key-policy-public", "aws:kms/keyPolicy:KeyPolicy",
     {"keyId": "k", "policy": doc(ROOT_ADMIN, {**PUBLIC, "Action": "kms:Decrypt"})}, "AGID-AWS-030",
     {"keyId": "k", "policy": doc(ROOT_ADMIN)}),
    ("kms-key-policy-foreign-admin", "aws:kms/keyPolicy:KeyPolicy",
     {"keyId": "k", "policy": doc(ROOT_ADMIN, {**ROOT_ADMIN, "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}})},
     "AGID-AWS-033",
     {"keyId": "k", "policy": doc(ROOT_ADMIN, {**ROOT_ADMIN, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r"},
                                               "Action": ["kms:Decrypt", "kms:DescribeKey"]})}),
    ("kms-key-foreign-admin", "aws:kms/key:Key",
     {"policy": doc(ROOT_ADMIN, {**ROOT_ADMIN, "Principal": {"AWS": OTHER}})}, "AGID-AWS-033",
     {"policy": doc(ROOT_ADMIN)}),
    ("lambda-permission-star", "aws:lambda/permission:Permission",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "*"}, "AGID-AWS-034",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "*",
      "sourceArn": f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:api/*"}),
    ("lambda-permission-service-unpinned", "aws:lambda/permission:Permission",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "s3.amazonaws.com"}, "AGID-AWS-034",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "s3.amazonaws.com",
      "sourceArn": "arn:aws:s3:::uploads", "sourceAccount": ACCOUNT}),
    ("lambda-permission-apigateway-unpinned", "aws:lambda/permission:Permission",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "apigateway.amazonaws.com"},
     "AGID-AWS-034",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "apigateway.amazonaws.com",
      "sourceArn": UNKNOWN}),
    ("lambda-permission-account", "aws:lambda/permission:Permission",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": "events.amazonaws.com",
      "sourceArn": ""}, "AGID-AWS-034",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": ACCOUNT}),
    ("lambda-function-url", "aws:lambda/functionUrl:FunctionUrl",
     {"functionName": "triage", "authorizationType": "NONE"}, "AGID-AWS-034",
     {"functionName": "triage", "authorizationType": "AWS_IAM"}),
    ("identity-pool-unauthenticated", "aws:cognito/identityPool:IdentityPool",
     {"identityPoolName": "p", "allowUnauthenticatedIdentities": True}, "AGID-AWS-035",
     {"identityPoolName": "p", "allowUnauthenticatedIdentities": False}),
    ("identity-pool-unauthenticated-role", "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
     {"identityPoolId": "p", "roles": {"unauthenticated": f"arn:aws:iam::{ACCOUNT}:role/guest"}}, "AGID-AWS-035",
     {"identityPoolId": "p", "roles": {"authenticated": f"arn:aws:iam::{ACCOUNT}:role/user"}}),
    ("oidc-provider-wildcard-client", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
     {"url": "https://token.actions.githubusercontent.com", "clientIdLists": ["*"]}, "AGID-AWS-036",
     {"url": "https://token.actions.githubusercontent.com", "clientIdLists": ["sts.amazonaws.com"]}),
    ("agentcore-gateway-no-auth", "aws:bedrock/agentcoreGateway:AgentcoreGateway",
     {"name": "tools", "protocolType": "MCP", "authorizerType": "NONE"}, "AGID-AWS-037",
     {"name": "tools", "protocolType": "MCP", "authorizerType": "CUSTOM_JWT"}),
    ("codebuild-source-credential", "aws:codebuild/sourceCredential:SourceCredential",
     {"authType": "PERSONAL_ACCESS_TOKEN", "serverType": "GITHUB", "token": "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"},
     "AGID-AWS-007",
     {"authType": "CODECONNECTIONS", "serverType": "GITHUB",
      "token": f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789"}),
    ("amp-resource-policy", "aws:amp/resourcePolicy:ResourcePolicy",
     {"workspaceId": "ws", "policyDocument": doc({**PUBLIC, "Action": "aps:QueryMetrics"})}, "AGID-AWS-030",
     {"workspaceId": "ws", "policyDocument": doc({**PINNED, "Action": "aps:QueryMetrics"})}),
    ("cognito-managed-client-implicit", "aws:cognito/managedUserPoolClient:ManagedUserPoolClient",
     {"namePattern": "web", "allowedOauthFlows": ["implicit"]}, "AGID-AWS-004",
     {"namePattern": "web", "allowedOauthFlows": ["code"]}),
    ("ecs-task-environment", "aws:ecs/taskDefinition:TaskDefinition",
     {"family": "app", "containerDefinitions": json.dumps([{"name": "app", "image": "app:1", "environment": [
         {"name": "GITHUB_TOKEN", "value": "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"}]}])}, "AGID-AWS-007",
     {"family": "app", "containerDefinitions": json.dumps([{"name": "app", "image": "app:1", "environment": [
         {"name": "GITHUB_API", "value": "https://api.github.com"}]}])}),
    ("eks-cluster-admin", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
     {"clusterName": "c", "principalArn": f"arn:aws:iam::{ACCOUNT}:role/agent-x",
      "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      "accessScope": {"type": "cluster"}}, "AGID-AWS-039",
     {"clusterName": "c", "principalArn": f"arn:aws:iam::{ACCOUNT}:role/agent-x",
      "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
      "accessScope": {"type": "namespace", "namespaces": ["agents"]}}),
    ("s3-bucket-acl-public", "aws:s3/bucketAclV2:BucketAclV2", {"bucket": "b", "acl": "public-read-write"},
     "AGID-AWS-038", {"bucket": "b", "acl": "private"}),
    ("cognito-client-implicit", "aws:cognito/userPoolClient:UserPoolClient",
     {"name": "web", "allowedOauthFlows": ["implicit"]}, "AGID-AWS-004",
     {"name": "web", "allowedOauthFlows": ["code"]}),
    ("cognito-agent-client-refresh", "aws:cognito/userPoolClient:UserPoolClient",
     {"name": "agent-triage", "allowedOauthFlows": ["client_credentials"]}, "AGID-AWS-004",
     {"name": "agent-triage", "allowedOauthFlows": ["client_credentials"],
      "explicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]}),
]


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        # the stack's own account, so the look-alikes' own principals pass AGID-AWS-033/-034/-050 (fail closed without it)
        own = {"ownAccountIds": [ACCOUNT]}
        running.configure({"AGID-AWS-033": own, "AGID-AWS-050": own, "AGID-AWS-034": own})
        yield running


@pytest.mark.parametrize("case,type_,flagged,rule_id,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert {d.policy_name for d in diags} == {rule_id}, [d.message for d in diags]
    assert all(d.enforcement_level == "mandatory" or rule_id == "AGID-AWS-006" for d in diags)
    if look_alike is not None:
        assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


def test_bad_shapes_are_violations_naming_resource_and_property(pack):
    type_ = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
    [diag] = pack.analyze(type_, "gh", urn(type_, "gh"), {"url": "https://token.actions.githubusercontent.com",
                                                          "clientIdLists": {"a": 1}})
    assert diag.policy_name == "AGID-AWS-036" and "gh" in diag.message and "clientIdLists" in diag.message
    type_ = "aws:sqs/queuePolicy:QueuePolicy"
    [diag] = pack.analyze(type_, "q", urn(type_, "q"), {"queueUrl": "q", "policy": "[1, 2]"})
    assert diag.policy_name == "AGID-POL-001" and "cannot be parsed" in diag.message
