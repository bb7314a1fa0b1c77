"""Policy variables in conditions that should pin the caller, over gRPC (red7b f01, f18).

`aws:PrincipalOrgID = ${aws:PrincipalOrgID}` compares the caller's organisation with itself: true for every
caller, so it bounds nothing, and neither does `aws:PrincipalAccount = ${aws:PrincipalAccount}`,
`kms:CallerAccount = ${aws:PrincipalAccount}` or a GitHub trust whose `sub` is `${token.actions...:sub}`
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html). The look-alikes name one
organisation, account or subject, or the resource's own organisation (`${aws:ResourceOrgID}`), and pass.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names as flagged

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ROLE = "aws:iam/role:Role"
GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


def document(statement: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


def bucket_policy(condition: dict) -> tuple:
    return (BUCKET_POLICY, "data-policy", {"bucket": "data", "policy": document(
        {"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*", "Condition": condition})})


def public_role(condition: dict) -> tuple:
    return (ROLE, "shared-role", {"assumeRolePolicy": document(
        {"Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": condition})})


def github_role(subject: str) -> tuple:
    return (ROLE, "deploy-role", {"assumeRolePolicy": document({
        "Principal": {"Federated": GITHUB}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                       "token.actions.githubusercontent.com:sub": subject}}})})


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgID}"}},
    {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    {"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalTag/org}"}},
    {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/reader"}},
])
def test_a_condition_the_caller_fills_in_does_not_bound_principal_star(pack, condition) -> None:
    for resource in (bucket_policy(condition), public_role(condition)):
        assert flagged(pack, "AGID-AWS-030", resource, "mandatory") == [resource[1]]


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}},  # the resource's own organisation
])
def test_a_condition_naming_one_organisation_bounds_principal_star(pack, condition) -> None:
    pack.configure({"all": {"ownOrganizationIds": ["o-a1b2c3d4e5"]}})  # the gate lists the organization (r15-7)
    try:
        assert flagged(pack, "AGID-AWS-030", bucket_policy(condition)) == []
        assert flagged(pack, "AGID-AWS-030", public_role(condition)) == []
    finally:
        pack.configure({})


def test_a_key_policy_bounded_by_the_callers_own_account_is_public(pack) -> None:
    condition = {"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}}
    key = (KEY_POLICY, "key-policy", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "policy": document(
        {"Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:CreateGrant"], "Resource": "*",
         "Condition": condition})})
    assert flagged(pack, "AGID-AWS-030", key, "mandatory") == ["key-policy"]


def test_a_github_subject_that_is_a_policy_variable_trusts_every_repository(pack) -> None:
    assert flagged(pack, "AGID-AWS-031", github_role("${token.actions.githubusercontent.com:sub}")) == ["deploy-role"]
    assert flagged(pack, "AGID-AWS-031", github_role("repo:acme/agents:environment:prod")) == []
