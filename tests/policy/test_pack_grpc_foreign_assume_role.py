"""AGID-AWS-052 over gRPC: sts:AssumeRole on roles of accounts not known to be the stack's own.

Outside review (red3 e07_ram.py, finding 11): sts:AssumeRole on arn:aws:iam::*:role/OrganizationAccountAccessRole
(every member account's admin role) passed with advisories. The pack is configured with the stack's account
(ownAccountIds) as the gate configures it; without it, a literal account is "cannot tell" and blocks too.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.test_pack_grpc import PACK
from tests.policy.test_pack_grpc_aws_gate_findings import ACCOUNT, STRANGER, assert_mandatory, document, judged

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OWN = {"AGID-AWS-052": {"ownAccountIds": [ACCOUNT], "ownOrganizationIds": ["o-a1b2c3d4e5"]}}


def assume(resource, action="sts:AssumeRole", condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"role": "agent-ops", "policy": document(statement)}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(OWN)
        yield running


@pytest.mark.parametrize("resource,action,needle", [
    ("arn:aws:iam::*:role/OrganizationAccountAccessRole", "sts:AssumeRole", "roles of any account"),
    ("arn:aws:iam::*:role/OrganizationAccountAccessRole", "sts:*", "roles of any account"),
    ("arn:aws:iam::????????????:role/admin", ["sts:AssumeRole", "sts:TagSession"], "roles of any account"),
    ("arn:aws:*", "sts:AssumeRole", "roles of any account"),
    (f"arn:aws:iam::{STRANGER}:role/admin", "sts:AssumeRole", f"account {STRANGER} is a foreign account"),
    (f"arn:aws:iam::{STRANGER}:role/*", "sts:Assume*", f"account {STRANGER} is a foreign account"),
], ids=["any-account", "sts-star", "question-marks", "arn-star", "foreign", "foreign-any-role"])
def test_assume_role_in_other_accounts_blocks(pack, resource, action, needle):
    assert_mandatory(pack, ROLE_POLICY, "ops", assume(resource, action), "AGID-AWS-052", resource, needle)


@pytest.mark.parametrize("resource,condition", [
    (f"arn:aws:iam::{ACCOUNT}:role/agent-tool", None),
    ("arn:aws:iam::${aws:PrincipalAccount}:role/agent-tool", None),
    ("arn:aws:iam::*:role/OrganizationAccountAccessRole", {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}),
    ("arn:aws:iam::*:role/agent-tool", {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}),
    ("arn:aws:s3:::agent-reports/*", None),
], ids=["own-account", "caller-account", "organization", "resource-account", "not-a-role"])
def test_assume_role_in_own_accounts_passes(pack, resource, condition):
    assert judged(pack, ROLE_POLICY, "ops", assume(resource, condition=condition), "AGID-AWS-052") == []


def test_other_actions_and_bounds_that_bound_nothing(pack):
    # reading a foreign role is not assuming it
    assert judged(pack, ROLE_POLICY, "ops", assume(f"arn:aws:iam::{STRANGER}:role/x", "iam:GetRole"),
                  "AGID-AWS-052") == []
    # aws:ResourceAccount naming a foreign account, or a wildcard org, bounds nothing
    assert_mandatory(pack, ROLE_POLICY, "ops", assume("arn:aws:iam::*:role/x", condition={
        "StringEquals": {"aws:ResourceAccount": STRANGER}}), "AGID-AWS-052")
    assert_mandatory(pack, ROLE_POLICY, "ops", assume("arn:aws:iam::*:role/x", condition={
        "StringLike": {"aws:ResourceOrgID": "*"}}), "AGID-AWS-052")
    # an organization the gate does not list is the pull request's word (red15 r15-7): any account its owner adds
    assert_mandatory(pack, ROLE_POLICY, "ops", assume("arn:aws:iam::*:role/OrganizationAccountAccessRole", condition={
        "StringEquals": {"aws:ResourceOrgID": "o-attacker000"}}), "AGID-AWS-052", "roles of any account")


def test_without_own_accounts_a_literal_account_cannot_be_told_own(pack):
    pack.configure({})
    try:
        assert_mandatory(pack, ROLE_POLICY, "ops", assume(f"arn:aws:iam::{ACCOUNT}:role/agent-tool"), "AGID-AWS-052",
                         f"cannot tell whether account {ACCOUNT} is yours: list it in ownAccountIds")
    finally:
        pack.configure(OWN)
