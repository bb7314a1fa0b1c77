"""Delegated role and user creation pinned to a permissions boundary is judged by what the boundary allows.

AWS: "Delegating responsibility to others using permissions boundaries"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): iam:CreateRole with
`StringEquals iam:PermissionsBoundary <ARN>` creates only roles whose permissions the boundary caps.
"""

from __future__ import annotations

import pytest

from agentid_policy_packs.analysis import identity_policy_findings
from tests.policy.ruletools import ACCOUNT, allow, policy, violations

POLICY = "aws:iam/policy:Policy"
DELEGATED = f"arn:aws:iam::{ACCOUNT}:role/delegated/*"
CUSTOMER_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/DelegatedBoundary"
ADMIN_BOUNDARY = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_BOUNDARY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def create(actions, boundary, operator="StringEquals", resource=DELEGATED):
    return allow(actions, resource, Condition={operator: {"iam:PermissionsBoundary": boundary}})


def verdicts(*statements) -> dict[str, list[str]]:
    props = {"policy": policy(*statements)}
    return {rule: violations(rule, POLICY, props) for rule in ("AGID-AWS-012", "AGID-AWS-014", "AGID-AWS-020")}


def test_known_harmless_boundary_bounds_creation():
    assert verdicts(create("iam:CreateRole", READ_BOUNDARY)) == {"AGID-AWS-012": [], "AGID-AWS-014": [],
                                                                 "AGID-AWS-020": []}


def test_customer_boundary_is_a_lower_cannot_judge_finding_not_high():
    found = verdicts(create(["iam:CreateRole", "iam:CreateUser"], CUSTOMER_BOUNDARY,
                            resource=[DELEGATED, f"arn:aws:iam::{ACCOUNT}:user/delegated/*"]))
    assert found["AGID-AWS-012"] == [] and found["AGID-AWS-020"] == []
    [message] = found["AGID-AWS-014"]
    assert "iam:CreateRole, iam:CreateUser pinned to permissions boundary " + CUSTOMER_BOUNDARY in message


def test_admin_boundary_bounds_nothing():
    [message] = verdicts(create("iam:CreateRole", ADMIN_BOUNDARY))["AGID-AWS-012"]
    assert "AdministratorAccess allows admin or privilege escalation, so it bounds nothing" in message


@pytest.mark.parametrize("operator,boundary", [
    ("StringEqualsIfExists", CUSTOMER_BOUNDARY),  # a CreateRole without any boundary passes the condition
    ("StringLike", f"arn:aws:iam::{ACCOUNT}:policy/*"),  # any policy, an admin one included
    ("StringNotEquals", CUSTOMER_BOUNDARY),
    ("ForAllValues:StringEquals", CUSTOMER_BOUNDARY),  # holds when the key is absent
])
def test_a_condition_that_does_not_force_the_boundary_pins_nothing(operator, boundary):
    found = verdicts(create("iam:CreateRole", boundary, operator))
    assert found["AGID-AWS-012"] and not found["AGID-AWS-014"]


def test_other_actions_in_the_statement_are_still_judged():
    found = verdicts(create(["iam:CreateRole", "iam:DeleteRole"], READ_BOUNDARY, resource="*"))
    [message] = found["AGID-AWS-012"]
    assert "iam:DeleteRole" in message and "iam:CreateRole" not in message


def test_escalation_defused_only_by_a_boundary_that_is_not_itself_admin():
    def methods(boundary):
        statements = [create("iam:CreateRole", boundary, resource="*"),
                      allow("iam:PutRolePolicy", "*", Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}})]
        return {f.code for f in identity_policy_findings(policy(*statements))}

    assert "escalation:CreateRoleWithPolicy" not in methods(READ_BOUNDARY)
    assert "escalation:CreateRoleWithPolicy" in methods(ADMIN_BOUNDARY)
