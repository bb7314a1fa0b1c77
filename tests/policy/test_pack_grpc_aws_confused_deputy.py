"""AGID-AWS-062 over gRPC (red11a 29): resource policies granting a SERVICE principal wildcard / read / management
actions with no aws:SourceAccount / aws:SourceArn / aws:SourceOrgID pin block (any account's use of the service
reaches the resource: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); the same grant pinned
to the account, and a service granted exactly the writes it delivers (AWS's own bucket-policy example), pass."""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.pack_cases import flagged_names
from tests.policy.test_pack_grpc import PACK

RULE = "AGID-AWS-062"
ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def pack():
    """The gate lists the organization the look-alikes pin (red15 r15-7: an unlisted one proves nothing)."""
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({RULE: {"ownOrganizationIds": ["o-abc123def4"]}})
        yield running


def policy(service, actions, resource, condition=None) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


CASES = [  # (type, inputs without the policy, service, actions, resource)
    ("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "prod-data"}, "cloudtrail.amazonaws.com", "s3:*",
     ["arn:aws:s3:::prod-data", "arn:aws:s3:::prod-data/*"]),
    ("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "prod-data2"}, "logging.s3.amazonaws.com", "s3:GetObject",
     "arn:aws:s3:::prod-data2/*"),
    ("aws:sns/topicPolicy:TopicPolicy", {"arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"}, "s3.amazonaws.com", "sns:*",
     f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"),
    ("aws:sqs/queuePolicy:QueuePolicy", {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q"},
     "sns.amazonaws.com", "sqs:*", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q"),
    ("aws:kms/keyPolicy:KeyPolicy", {"keyId": "k"}, "logs.amazonaws.com", "kms:*", "*"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", {"secretArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:s"},
     "lambda.amazonaws.com", "secretsmanager:GetSecretValue", "*"),
]


@pytest.mark.parametrize("type_,inputs,service,actions,resource", CASES)
def test_an_unpinned_service_principal_with_broad_actions_blocks(pack, type_, inputs, service, actions, resource):
    flagged = (type_, "p", {**inputs, "policy": policy(service, actions, resource)})
    assert flagged_names(pack, RULE, flagged, "mandatory") == ["p"]


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/*"}},
    {"StringEquals": {"aws:SourceOrgID": "o-abc123def4"}},
])
@pytest.mark.parametrize("type_,inputs,service,actions,resource", CASES)
def test_the_same_grant_pinned_to_a_source_passes(pack, type_, inputs, service, actions, resource, condition):
    alike = (type_, "p", {**inputs, "policy": policy(service, actions, resource, condition)})
    assert flagged_names(pack, RULE, alike) == []


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:SourceAccount": "*"}},                       # bounds nothing
    {"StringNotEquals": {"aws:SourceAccount": "999999999999"}},       # every account but one
    {"StringEquals": {"aws:SourceOrgID": "o-attacker000"}},           # an organization the gate does not list
])
def test_a_pin_that_bounds_nothing_still_blocks(pack, condition):
    flagged = ("aws:s3/bucketPolicy:BucketPolicy", "p",
               {"bucket": "b", "policy": policy("cloudtrail.amazonaws.com", "s3:*", "arn:aws:s3:::b/*", condition)})
    assert flagged_names(pack, RULE, flagged, "mandatory") == ["p"]


@pytest.mark.parametrize("type_,name,inputs,service,actions,resource", [
    # AWS's CloudTrail bucket policy: the ACL check and the log write only
    ("aws:s3/bucketPolicy:BucketPolicy", "trail", {"bucket": "logs"}, "cloudtrail.amazonaws.com",
     ["s3:GetBucketAcl", "s3:PutObject"], ["arn:aws:s3:::logs", "arn:aws:s3:::logs/AWSLogs/*"]),
    ("aws:sqs/queuePolicy:QueuePolicy", "sub", {"queueUrl": "https://sqs.eu-west-1.amazonaws.com/1/q"},
     "sns.amazonaws.com", "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q"),
])
def test_a_service_granted_only_the_writes_it_delivers_passes(pack, type_, name, inputs, service, actions, resource):
    assert flagged_names(pack, RULE, (type_, name, {**inputs, "policy": policy(service, actions, resource)})) == []


def test_an_account_principal_is_not_this_rules(pack):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*", "Resource": "*"}]})
    assert flagged_names(pack, RULE, ("aws:s3/bucketPolicy:BucketPolicy", "own", {"bucket": "b", "policy": document})) == []
