"""AGID-AWS-062 over gRPC (red11a 29): resource policies granting a SERVICE principal wildcard / read / management
actions with no aws:SourceAccount / aws:SourceArn / aws:SourceOrgID pin block (any account's use of the service
reaches the resource: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); the same grant pinned
to the account, and a service granted exactly the writes it delivers (AWS's own bucket-policy example), pass."""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc import PACK

RULE = "AGID-AWS-062"
LAMBDA_RULE = "AGID-AWS-034"
BUCKET_RULE = "AGID-AWS-076"
ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def pack():
    """The gate lists the organization and the account the look-alikes pin (red15 r15-7, red22 r22-2: an unlisted one
    proves nothing)."""
    with PackProcess.start(PACK, timeout=60) as running:
        own = {"ownOrganizationIds": ["o-abc123def4"], "ownAccountIds": [ACCOUNT]}
        running.configure({RULE: own, BUCKET_RULE: {**own, "ownS3Buckets": ["acme-listed"]},
                           LAMBDA_RULE: own})
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


# --- red22 r22-1 / r22-2 / r22-5: a source pin is judged by its value (analysis.aws_source_pins), not its presence --
QUEUE = ("aws:sqs/queuePolicy:QueuePolicy", {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q"})
PERMISSION = "aws:lambda/permission:Permission"


@pytest.mark.parametrize("condition", [
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}},                     # any account's topic
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:*:t"}},             # topic t of any account
    {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:1111222233??:t"}},  # ArnEquals matches wildcards too
    {"ArnLike": {"aws:SourceArn": "arn:aws:*"}},                             # spans the fields
    {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},                        # every bucket (names no account)
    {"ArnLike": {"aws:SourceArn": "arn:*:sns:eu-west-1:111122223333:t"}},    # wildcard partition
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:999988887777:t"}},  # an account not own
    {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:999988887777:t"}},
    {"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"}},
    {"ForAnyValue:StringEquals": {"aws:SourceAccount": ACCOUNT}},
    {"StringEquals": {"aws:SourceAccount": "${aws:SourceAccount}"}},
    {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:*"}},
    {"ArnLike": {"aws:SourceArn": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:t", "arn:aws:sns:*:*:t"]}},  # ORed
])
def test_a_source_pin_that_names_no_own_source_blocks(pack, condition):
    type_, inputs = QUEUE
    flagged = (type_, "p", {**inputs, "policy": policy("sns.amazonaws.com", "sqs:*", "*", condition)})
    assert flagged_names(pack, RULE, flagged, "mandatory") == ["p"]
    assert flagged_names(pack, BUCKET_RULE, flagged) == []


@pytest.mark.parametrize("condition", [
    {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"}},   # own account, exact
    {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:t-*"}},          # wildcards outside the account
    {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:*"}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
    {"StringNotEquals": {"aws:SourceAccount": "999988887777"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
])
def test_a_source_pin_naming_an_own_source_passes(pack, condition):
    type_, inputs = QUEUE
    alike = (type_, "p", {**inputs, "policy": policy("sns.amazonaws.com", "sqs:*", "*", condition)})
    assert flagged_names(pack, RULE, alike) == []
    assert flagged_names(pack, BUCKET_RULE, alike) == []


@pytest.mark.parametrize("name,props", [
    ("p-s3", {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::*"}),
    ("p-sns", {"principal": "sns.amazonaws.com", "sourceArn": "arn:aws:sns:us-east-1:*:t"}),
    ("p-star", {"principal": "*", "sourceArn": "arn:aws:*"}),
    ("p-events", {"principal": "events.amazonaws.com", "sourceArn": "arn:aws:events:*:*:rule/*", "action": "lambda:*"}),
    ("p-acct", {"principal": "s3.amazonaws.com", "sourceAccount": "*"}),
    ("p-foreign", {"principal": "sns.amazonaws.com", "sourceArn": "arn:aws:sns:us-east-1:999988887777:t"}),
])
def test_a_lambda_permission_pinned_to_no_own_source_blocks(pack, name, props):
    flagged = (PERMISSION, name, {"function": "f", "action": "lambda:InvokeFunction", **props})
    assert flagged_names(pack, LAMBDA_RULE, flagged, "mandatory") == [name]


@pytest.mark.parametrize("props", [
    {"principal": "sns.amazonaws.com", "sourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"},
    {"principal": "events.amazonaws.com", "sourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/*"},
    {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::acme-uploads-prod", "sourceAccount": ACCOUNT},
    {"principal": "s3.amazonaws.com", "sourceAccount": ACCOUNT},
    {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::acme-listed"},
])
def test_a_lambda_permission_pinned_to_an_own_source_passes(pack, props):
    alike = (PERMISSION, "p", {"function": "f", "action": "lambda:InvokeFunction", **props})
    assert flagged_names(pack, LAMBDA_RULE, alike) == []
    assert flagged_names(pack, BUCKET_RULE, alike) == []


BUCKET = ("aws:s3/bucket:Bucket", "uploads", {"bucket": "acme-uploads-prod"})


def _bucket_pinned_queue(name, bucket_name):
    type_, inputs = QUEUE
    condition = {"ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{bucket_name}"}}
    return (type_, name, {**inputs, "policy": policy("s3.amazonaws.com", "sqs:*", "*", condition)})


def test_a_grant_pinned_only_by_a_bucket_the_stack_does_not_create_blocks(pack):
    """r22-5: an S3 ARN names no account; whoever holds the bucket name in any account drives the queue / function."""
    permission = (PERMISSION, "p", {"function": "f", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com",
                                    "sourceArn": "arn:aws:s3:::acme-uploads-prod"})
    queue = _bucket_pinned_queue("qp", "acme-uploads-prod")
    assert flagged_names(pack, BUCKET_RULE, permission, "mandatory") == ["p"]
    assert flagged_names(pack, BUCKET_RULE, queue, "mandatory") == ["qp"]
    assert flagged_names(pack, LAMBDA_RULE, permission) == flagged_names(pack, RULE, queue) == []  # one finding each


def test_a_grant_pinned_by_a_bucket_the_stack_creates_first_passes(pack):
    from agentid.analyzer_client import StackResource
    from tests.policy.test_pack_grpc import urn

    bucket_urn = urn(BUCKET[0], BUCKET[1])
    type_, name, props = _bucket_pinned_queue("qp", "acme-uploads-prod")
    waits = StackResource(type_, name, urn(type_, name), props, dependencies=[bucket_urn])
    assert stack_findings(pack, BUCKET_RULE, [BUCKET, waits]) == []
    # the same name without waiting for the bucket: were its create to fail (name taken) it names the existing one
    [(flagged, _)] = stack_findings(pack, BUCKET_RULE, [BUCKET, (type_, name, props)], "mandatory")
    assert flagged == "qp"


def test_principal_star_pinned_only_by_a_foreign_bucket_arn_blocks(pack):
    """AGID-AWS-030 takes an exact aws:SourceArn as the caller's pin; a bucket ARN names no account, so AWS-076 judges it."""
    type_, inputs = QUEUE

    def queue(name, bucket_name, extra=None):
        condition = {"ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{bucket_name}"}, **(extra or {})}
        document = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*", "Condition": condition}]})
        return (type_, name, {**inputs, "policy": document})

    assert flagged_names(pack, BUCKET_RULE, queue("qp", "acme-uploads-prod"), "mandatory") == ["qp"]
    assert flagged_names(pack, BUCKET_RULE, queue("qp", "acme-listed")) == []
    assert flagged_names(pack, BUCKET_RULE, queue("qp", "acme-uploads-prod",
                                                  {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}})) == []
