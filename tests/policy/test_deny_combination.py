"""Denies combine: `NotAction` and `NotResource` Denies narrow an Allow together (aws_grants.narrowed).

IAM evaluation: an explicit Deny in any statement overrides every Allow
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), so
`Allow *:*` with `Deny NotAction A` and `Deny * NotResource R` grants only A on R.
"""

from __future__ import annotations

import json

from agentid_policy_packs.analysis import effective_grants, identity_policy_findings
from tests.policy.ruletools import ACCOUNT, allow, policy, violations

ADMIN = allow("*")
REPORTS = ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]


def deny(actions=None, resources="*", *, not_action=None, not_resource=None, **extra) -> dict:
    statement = {"Effect": "Deny", **extra}
    statement["NotAction" if not_action else "Action"] = not_action or actions
    statement["NotResource" if not_resource else "Resource"] = not_resource or resources
    return statement


def codes(*statements) -> list[str]:
    return sorted(f.code for f in identity_policy_findings(policy(*statements)))


def test_two_denies_leave_only_a_read_of_one_bucket():
    document = (ADMIN, deny(not_action=["s3:GetObject", "s3:ListBucket"]), deny("*", not_resource=REPORTS))
    assert codes(*document) == []
    assert violations("AGID-AWS-010", "aws:iam/policy:Policy", {"policy": policy(*document)}) == []
    grants = {(g.action, g.resource) for g in effective_grants([policy(*document)])}
    assert grants == {(a, r) for a in ("s3:GetObject", "s3:ListBucket") for r in REPORTS}


def test_either_deny_alone_still_leaves_a_broad_grant():
    assert "full-admin" not in codes(ADMIN, deny(not_action=["s3:GetObject"]))  # only s3:GetObject is left ...
    assert codes(ADMIN, deny(not_action=["s3:GetObject"])) == ["star-resource"]  # ... on every bucket
    assert codes(ADMIN, deny("*", not_resource=REPORTS)) == ["broad-action"]  # every action on the bucket


def test_what_the_denies_leave_is_judged_escalation_included():
    role_writes = (ADMIN, deny(not_action=["iam:*"]), deny("*", not_resource=[f"arn:aws:iam::{ACCOUNT}:role/*"]))
    found = codes(*role_writes)
    assert "broad-action" in found and "escalation:PutRolePolicy" in found
    assert violations("AGID-AWS-020", "aws:iam/policy:Policy", {"policy": policy(*role_writes)})


def test_a_deny_that_may_not_apply_narrows_nothing():
    conditional = deny(not_action=["s3:GetObject"], Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    assert "full-admin" in codes(ADMIN, conditional)
    # with an unconditional NotResource Deny beside it, every action on the bucket is left, not just GetObject
    assert codes(ADMIN, conditional, deny("*", not_resource=REPORTS)) == ["broad-action"]


def test_a_deny_on_fewer_resources_than_the_allow_does_not_narrow_its_actions():
    partial = deny(not_action=["s3:GetObject"], resources=REPORTS)  # other buckets keep every action
    assert "full-admin" in codes(ADMIN, partial)


def test_not_action_allow_narrowed_by_a_not_action_deny():
    everything_but_iam = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    assert codes(everything_but_iam, deny(not_action=["iam:PassRole"])) == []  # nothing is left
    left = codes(everything_but_iam, deny(not_action=["ec2:*", "iam:*"]))  # ec2:* is left, on every resource
    assert "broad-action" in left and all(c == "broad-action" or c.startswith("escalation:Ec2") for c in left)


def test_order_of_statements_does_not_matter():
    document = [deny("*", not_resource=REPORTS), deny(not_action=["s3:GetObject"]), ADMIN]
    assert codes(*document) == []
    assert json.loads(policy(*document))["Statement"][2] == ADMIN
