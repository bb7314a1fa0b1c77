"""AGID-AWS-050 over gRPC: resource policies and permission resources that let an account not known to be ours in.

red1 finding 8: S3 / SQS / Secrets Manager resource policies granting another account's root passed whenever
`ownAccountIds` was unset. Each case is sent as the engine sends it: flagged with no config ("cannot tell whether
account X is yours"), flagged as foreign once the own accounts are known, and the look-alikes that pass.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.ruletools import ACCOUNT, UNKNOWN
from tests.policy.test_pack_grpc import urn

OTHER = "999988887777"  # the attacker's account
OWN = {"AGID-AWS-050": {"ownAccountIds": [ACCOUNT]}}
REGION = "eu-west-1"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(principal, action="s3:GetObject", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource, **extra}


SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:agent-client-AbCdEf"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# (case, type, props granting OTHER, props of the look-alike that passes with NO config: own account derivable)
CASES = [
    ("s3-bucket-policy-root", "aws:s3/bucketPolicy:BucketPolicy",
     {"bucket": "reports", "policy": doc(grant(f"arn:aws:iam::{OTHER}:root", resource="arn:aws:s3:::reports/*"))},
     None),  # an S3 ARN names no account: only ownAccountIds tells
    ("sqs-queue-policy-role", "aws:sqs/queuePolicy:QueuePolicy",
     {"queueUrl": QUEUE_URL, "policy": doc(grant(f"arn:aws:iam::{OTHER}:role/reader", "sqs:ReceiveMessage"))},
     {"queueUrl": QUEUE_URL, "policy": doc(grant(f"arn:aws:iam::{ACCOUNT}:role/reader", "sqs:ReceiveMessage"))}),
    ("sns-topic-policy-account-id", "aws:sns/topicPolicy:TopicPolicy",
     {"arn": TOPIC_ARN, "policy": doc(grant(OTHER, "sns:Subscribe", TOPIC_ARN))},
     {"arn": TOPIC_ARN, "policy": doc(grant(ACCOUNT, "sns:Subscribe", TOPIC_ARN))}),
    ("secret-policy-root", "aws:secretsmanager/secretPolicy:SecretPolicy",
     {"secretArn": SECRET_ARN, "policy": doc(grant(f"arn:aws:iam::{OTHER}:root", "secretsmanager:GetSecretValue"))},
     {"secretArn": SECRET_ARN, "policy": doc(grant(f"arn:aws:iam::{ACCOUNT}:role/agent-x",
                                                    "secretsmanager:GetSecretValue"))}),
    ("ecr-repository-policy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
     {"repository": "tools", "policy": doc(grant(f"arn:aws:iam::{OTHER}:root", ["ecr:BatchGetImage"]))},
     # a statement scoped to ARNs of one account applies only there, so its principal there is the owner
     {"repository": "tools", "policy": doc(grant(f"arn:aws:iam::{ACCOUNT}:root", ["ecr:BatchGetImage"],
                                                 f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/tools"))}),
    ("kms-key-policy-decrypt", "aws:kms/keyPolicy:KeyPolicy",
     {"keyId": KEY_ARN, "policy": doc(grant(f"arn:aws:sts::{OTHER}:assumed-role/x/s", "kms:Decrypt"))},
     {"keyId": KEY_ARN, "policy": doc(grant(f"arn:aws:iam::{ACCOUNT}:root", "kms:Decrypt"))}),
    ("lambda-permission-account", "aws:lambda/permission:Permission",
     {"action": "lambda:InvokeFunction", "function": "triage", "principal": OTHER},
     {"action": "lambda:InvokeFunction", "function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:triage",
      "principal": ACCOUNT}),
    ("ami-launch-permission", "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
     {"imageId": "ami-0abc", "accountId": OTHER}, None),
]


def diagnostics(pack, type_, case, props, config=None):
    pack.configure(config or {})
    return [d for d in pack.analyze(type_, case, urn(type_, case), props) if d.policy_name == "AGID-AWS-050"]


@pytest.mark.parametrize("case,type_,foreign,look_alike", CASES, ids=[c[0] for c in CASES])
def test_another_accounts_grant_is_flagged_with_or_without_own_accounts(pack, case, type_, foreign, look_alike):
    [no_config] = diagnostics(pack, type_, case, foreign)
    assert no_config.enforcement_level == "mandatory" and case in no_config.message
    # the resource's own ARN (secretArn, queueUrl, keyId, ...) tells its account; else nothing does
    owner_named = any(ACCOUNT in str(v) for k, v in foreign.items() if k != "policy")
    expected = (f"account {OTHER} is a foreign account (the stack's own: {ACCOUNT})" if owner_named
                else f"cannot tell whether account {OTHER} is yours: list it in ownAccountIds")
    assert expected in no_config.message, no_config.message
    [known_owner] = diagnostics(pack, type_, case, foreign, OWN)
    assert f"account {OTHER} is a foreign account (the stack's own: {ACCOUNT})" in known_owner.message
    # listing the partner as one of ours is the reviewed way to allow it
    assert diagnostics(pack, type_, case, foreign, {"AGID-AWS-050": {"ownAccountIds": [ACCOUNT, OTHER]}}) == []


@pytest.mark.parametrize("case,type_,foreign,look_alike", [c for c in CASES if c[3]], ids=[c[0] for c in CASES if c[3]])
def test_a_grant_to_the_resources_own_account_passes_without_config(pack, case, type_, foreign, look_alike):
    assert diagnostics(pack, type_, case, look_alike) == []


def test_what_the_rule_leaves_to_others_or_cannot_know_yet(pack):
    secret = "aws:secretsmanager/secretPolicy:SecretPolicy"
    # Principal "*" is AGID-AWS-030's; a service principal grants no account; a Deny grants nothing
    assert diagnostics(pack, secret, "s", {"policy": doc(grant("*", "secretsmanager:GetSecretValue"))}) == []
    service = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sqs:SendMessage",
               "Resource": "*"}
    assert diagnostics(pack, "aws:sqs/queuePolicy:QueuePolicy", "q", {"queueUrl": "q", "policy": doc(service)}) == []
    deny = {**grant(f"arn:aws:iam::{OTHER}:root", "secretsmanager:GetSecretValue"), "Effect": "Deny"}
    assert diagnostics(pack, secret, "s", {"policy": doc(deny)}) == []
    # an Allow removed by an unconditional Deny of the same grant is not live
    assert diagnostics(pack, secret, "s", {"policy": doc(grant(f"arn:aws:iam::{OTHER}:root", "secretsmanager:*"),
                                                         {**deny, "Action": "secretsmanager:*"})}) == []
    # a policy naming a role this stack creates is unknown at preview: "cannot check until known", never a pass
    [pending] = diagnostics(pack, secret, "s", {"secretArn": UNKNOWN, "policy": UNKNOWN})
    assert "cannot check until known" in pending.message
    [pending] = diagnostics(pack, "aws:lambda/permission:Permission", "p", {"function": "f", "principal": UNKNOWN})
    assert "cannot check until known" in pending.message


def test_the_accounts_own_grant_elsewhere_does_not_vouch_for_another_statement(pack):
    """Derivation is per statement: an ARN of the attacker's account in one statement makes nothing else own."""
    queue = "aws:sqs/queuePolicy:QueuePolicy"
    policy = doc(grant(f"arn:aws:iam::{OTHER}:root", "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{OTHER}:decoy"),
                 grant(f"arn:aws:iam::{OTHER}:root", "sqs:ReceiveMessage", "*"))
    [diag] = diagnostics(pack, queue, "q", {"queueUrl": "jobs", "policy": policy})
    assert "Statement[1]" in diag.message and "Statement[0]" not in diag.message


def test_a_service_or_everyone_scoped_to_another_account_is_that_accounts_access(pack):
    """aws:SourceAccount / aws:SourceArn (a service acting for an account's resources) and aws:PrincipalAccount /
    kms:CallerAccount (Principal "*" pinned to one account, which AGID-AWS-030 accepts) name an account too."""
    topic = "aws:sns/topicPolicy:TopicPolicy"
    service = {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish",
               "Resource": TOPIC_ARN, "Condition": {"StringEquals": {"aws:SourceAccount": OTHER}}}
    [diag] = diagnostics(pack, topic, "t", {"arn": TOPIC_ARN, "policy": doc(service)})
    assert f"s3.amazonaws.com sns:Publish for account {OTHER} (aws:sourceaccount)" in diag.message
    assert "is a foreign account" in diag.message
    own = {**service, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    assert diagnostics(pack, topic, "t", {"arn": TOPIC_ARN, "policy": doc(own)}) == []
    queue = "aws:sqs/queuePolicy:QueuePolicy"
    from_topic = {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                  "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{OTHER}:t"}}}
    [diag] = diagnostics(pack, queue, "q", {"queueUrl": QUEUE_URL, "policy": doc(from_topic)})
    assert f"for account {OTHER} (aws:sourcearn)" in diag.message
    secret = "aws:secretsmanager/secretPolicy:SecretPolicy"
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": OTHER}}}
    [diag] = diagnostics(pack, secret, "s", {"policy": doc(everyone)})
    assert f"any principal secretsmanager:GetSecretValue for account {OTHER}" in diag.message
    assert "cannot tell whether" in diag.message
    assert diagnostics(pack, secret, "s", {"secretArn": SECRET_ARN, "policy": doc(
        {**everyone, "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}})}) == []
    # a negative condition names who is kept out, not who is let in
    assert diagnostics(pack, secret, "s", {"secretArn": SECRET_ARN, "policy": doc(
        {**everyone, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": OTHER},
                                   "StringEquals": {"aws:PrincipalAccount": ACCOUNT}}})}) == []
    permission = "aws:lambda/permission:Permission"
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:triage"
    [diag] = diagnostics(pack, permission, "p", {"function": function, "principal": "s3.amazonaws.com",
                                                 "sourceAccount": OTHER, "action": "lambda:InvokeFunction"})
    assert f"resources of account {OTHER} (sourceAccount {OTHER})" in diag.message
    assert diagnostics(pack, permission, "p", {"function": function, "principal": "s3.amazonaws.com",
                                               "sourceAccount": ACCOUNT, "action": "lambda:InvokeFunction"}) == []
