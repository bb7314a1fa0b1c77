"""Conditions judged by operator and value, against an injected date (issue 10, kind 2)."""

from __future__ import annotations

from datetime import date

import pytest

from agentid_policy_packs.analysis.aws_conditions import ALWAYS, NEVER, OPEN, RESTRICTS, UNKNOWN, verdict

TODAY = date(2026, 11, 30)  # injected: no verdict below depends on the wall clock


@pytest.mark.parametrize("operator, key, values, expected", [
    # a `*` value matches whatever is present: bounds nothing
    ("StringLike", "aws:resourcetag/team", ("*",), OPEN),
    ("ArnLike", "aws:principalarn", ("arn:*",), ALWAYS),
    ("StringLike", "aws:resourcetag/team", ("prod-*",), RESTRICTS),
    # self-referential policy variables
    ("StringEquals", "aws:userid", ("${aws:userid}",), ALWAYS),
    ("ArnEquals", "aws:principalarn", ("${aws:PrincipalArn}",), ALWAYS),
    ("StringNotEquals", "aws:userid", ("${aws:userid}",), NEVER),
    ("StringEquals", "aws:userid", ("AIDAEXAMPLE",), RESTRICTS),
    # time: past bounds never change again, future ones can
    ("DateLessThan", "aws:currenttime", ("2020-01-01T00:00:00Z",), NEVER),
    ("DateGreaterThan", "aws:currenttime", ("2020-01-01",), ALWAYS),
    ("DateLessThan", "aws:currenttime", ("2999-01-01T00:00:00Z",), OPEN),
    ("DateGreaterThan", "aws:currenttime", ("2999-01-01",), OPEN),
    ("NumericLessThan", "aws:epochtime", ("1577836800",), NEVER),
    ("DateLessThan", "aws:currenttime", ("yesterday",), UNKNOWN),
    # no live session was issued in 2020: "issued before 2020" never holds again, "after" always does
    ("DateLessThan", "aws:tokenissuetime", ("2020-01-01T00:00:00Z",), NEVER),
    ("DateGreaterThan", "aws:tokenissuetime", ("2020-01-01T00:00:00Z",), ALWAYS),
    ("DateLessThan", "aws:tokenissuetime", ("2026-11-30T00:00:00Z",), OPEN),  # a revocation cut-off of today
    ("DateLessThan", "aws:multifactorauthage", ("2020-01-01T00:00:00Z",), RESTRICTS),
    # IfExists: true when the caller makes the key absent, unless the key is always there
    ("StringEqualsIfExists", "aws:resourcetag/team", ("sre",), OPEN),
    ("StringEqualsIfExists", "aws:principalaccount", ("123456789012",), RESTRICTS),
    # set qualifiers
    ("ForAllValues:StringEquals", "aws:tagkeys", ("team",), OPEN),
    ("ForAnyValue:StringEquals", "aws:calledvia", ("cloudformation.amazonaws.com",), RESTRICTS),
    # Null: "must be present" bounds a tag; "must be absent" lets the caller pick an untagged target
    ("Null", "aws:resourcetag/team", ("false",), RESTRICTS),
    ("Null", "aws:resourcetag/team", ("true",), OPEN),
    ("Null", "aws:userid", ("true",), NEVER),
    # operators IAM does not have: cannot tell
    ("StringSortOf", "aws:userid", ("x",), UNKNOWN),
    ("Sometimes:StringEquals", "aws:userid", ("x",), UNKNOWN),
])
def test_condition_verdicts(operator, key, values, expected):
    assert verdict(operator, key, values, TODAY) == expected


def test_key_known_present_for_the_action_makes_if_exists_bind():
    assert verdict("StringEqualsIfExists", "iam:passedtoservice", ("lambda.amazonaws.com",), TODAY) == OPEN
    assert verdict("StringEqualsIfExists", "iam:passedtoservice", ("lambda.amazonaws.com",), TODAY,
                   present=("iam:passedtoservice",)) == RESTRICTS


def test_the_date_decides_only_through_the_injected_today():
    key, value = "aws:currenttime", ("2026-06-01T00:00:00Z",)
    assert verdict("DateLessThan", key, value, date(2026, 1, 1)) == OPEN
    assert verdict("DateLessThan", key, value, date(2027, 1, 1)) == NEVER


def test_an_allow_that_can_never_apply_again_is_inert():
    from tests.policy.ruletools import allow, policy, violations

    expired = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    assert violations("AGID-AWS-010", "aws:iam/policy:Policy", {"policy": policy(allow("*", Condition=expired))}) == []
    still_open = {"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}
    assert violations("AGID-AWS-010", "aws:iam/policy:Policy", {"policy": policy(allow("*", Condition=still_open))}) == [
        "policy Statement[0]: allows every action on every resource"]


def test_whole_document_verdicts_take_an_injected_today():
    from agentid_policy_packs.analysis import identity_policy_findings

    window = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"}}}]}
    assert [f.code for f in identity_policy_findings(window, today=date(2026, 1, 1))] == [
        "star-resource", "escalation:PutRolePolicy"]
    assert identity_policy_findings(window, today=date(2027, 1, 1)) == []  # the window has closed: inert
