"""AGID-AWS-040 over gRPC: what CloudFormation templates and Cloud Control create is judged as typed, or cannot be checked.

Before this rule, `aws.cloudformation.Stack` with an `AWS::IAM::Role` trusting `{"AWS": "*"}` and holding
AdministratorAccess, and `aws.cloudcontrol.Resource(type_name="AWS::IAM::Role")`, passed `agentid preview`.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.test_pack_grpc import urn

STACK = "aws:cloudformation/stack:Stack"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
ADMIN_ROLE = {"Type": "AWS::IAM::Role", "Properties": {
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}
BUCKET_YAML = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-logs'
  Queue:
    Type: AWS::SQS::Queue
Outputs:
  Arn: {Value: !GetAtt Logs.Arn}
"""


def messages(pack, type_, props) -> list[str]:
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    assert all(d.policy_name == "AGID-AWS-040" for d in diags), [d.policy_name for d in diags]
    return [d.message for d in diags if d.enforcement_level == "mandatory"]


def template(**resources) -> str:
    return json.dumps({"Resources": resources})


@pytest.mark.parametrize("type_", [STACK, STACK_SET])
def test_identity_resources_inside_a_template_are_judged_as_typed_resources(pack, type_):
    diags = pack.analyze(type_, "t", urn(type_, "t"), {"name": "s", "templateBody": template(Admin=ADMIN_ROLE)})
    found = {d.policy_name: d.message for d in diags if d.enforcement_level == "mandatory"}
    assert set(found) == {"AGID-AWS-013", "AGID-AWS-030"}
    assert "t Resources.Admin (AWS::IAM::Role, judged as aws:iam/role:Role): " in found["AGID-AWS-030"]
    [message] = messages(pack, type_, {"name": "s", "templateBody": BUCKET_YAML.replace(
        "  Queue:\n    Type: AWS::SQS::Queue\n", "  Perm:\n    Type: AWS::ECR::RepositoryCreationTemplate\n")})
    assert "Resources.Perm: AWS::ECR::RepositoryCreationTemplate is neither mapped" in message


@pytest.mark.parametrize("resources,shown", [
    ({"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://s3/x"}}},
     "AWS::CloudFormation::Stack"),
    ({"Hook": {"Type": "Custom::AttachAdmin", "Properties": {"ServiceToken": "arn:aws:lambda:eu-west-1:1:function:f"}}},
     "Custom::AttachAdmin"),
    ({"Key": {"Type": "aws::iam::accesskey", "Properties": {"UserName": "u"}}}, "aws::iam::accesskey"),
])
def test_what_the_template_hides_fails_closed(pack, resources, shown):
    [message] = messages(pack, STACK, {"name": "s", "templateBody": template(**resources)})
    assert shown in message


def test_macros_unreadable_and_remote_templates_fail_closed(pack):
    sam = json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
    assert "Transform 'AWS::Serverless-2016-10-31'" in messages(pack, STACK, {"name": "s", "templateBody": sam})[0]
    assert "templateUrl" in messages(pack, STACK, {"name": "s", "templateUrl": "https://bucket.s3.amazonaws.com/t.json"})[0]
    assert "neither JSON nor YAML" in messages(pack, STACK, {"name": "s", "templateBody": "Resources: [unclosed"})[0]
    assert "no Resources mapping" in messages(pack, STACK, {"name": "s", "templateBody": "[]"})[0]


def test_a_template_of_other_resources_passes(pack):
    assert pack.analyze(STACK, "t", urn(STACK, "t"), {"name": "s", "templateBody": BUCKET_YAML}) == []
    assert pack.analyze(STACK_SET, "t", urn(STACK_SET, "t"), {"name": "s", "templateBody": BUCKET_YAML}) == []
    # look-alike: the bucket made public by a canned ACL is not judged through the template
    [message] = messages(pack, STACK, {"name": "s", "templateBody": BUCKET_YAML.replace(
        "      BucketName:", "      AccessControl: PublicReadWrite\n      BucketName:")})
    assert "AWS::S3::Bucket sets AccessControl" in message


def test_cloud_control_resources_are_judged_as_typed_or_fail_closed(pack):
    [message] = messages(pack, CLOUD_CONTROL, {"typeName": "AWS::IAM::User", "desiredState": "{}"})
    assert "AWS::IAM::User is neither mapped" in message
    assert "is not JSON" in messages(pack, CLOUD_CONTROL, {"typeName": "AWS::SQS::Queue", "desiredState": "{"})[0]
    assert pack.analyze(CLOUD_CONTROL, "t", urn(CLOUD_CONTROL, "t"),
                        {"typeName": "AWS::DynamoDB::Table", "desiredState": "{}"}) == []
