"""The pure analysis core: parsing, unbounded resources, effective grants, trust and Azure helpers."""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.analysis import (
    TRUST,
    Grant,
    PolicyParseError,
    effective_grants,
    identity_policy_findings,
    is_allowed,
    is_unbounded,
    parse_policy,
    role_definition_verdict,
    trust_policy_findings,
)


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_statement_as_object_or_list_and_string_or_object_document():
    single = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    assert parse_policy(single).statements == parse_policy(json.dumps(single)).statements
    assert len(parse_policy(doc({"Effect": "Allow", "Action": ["a:B"], "Resource": ["*"]},
                                {"Effect": "Deny", "Action": "a:C", "Resource": "*"})).statements) == 2


def test_action_matching_is_case_insensitive_and_honours_not_action():
    statement = parse_policy(doc({"Effect": "Allow", "Action": "IAM:pass*", "Resource": "*"})).statements[0]
    assert statement.matches_action("iam:PassRole") and not statement.matches_action("iam:GetRole")
    negated = parse_policy(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})).statements[0]
    assert negated.matches_action("s3:GetObject") and not negated.matches_action("IAM:PassRole")


@pytest.mark.parametrize("bad, reason", [
    ("[]", "JSON object"),
    (doc(), "Statement"),
    ({"Version": "2020-01-01", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, "Version"),
    (doc({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}), "both Action and NotAction"),
    (doc({"Effect": "Allow", "Action": "not an action", "Resource": "*"}), "is not an action"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject"}), "needs Resource"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}), "no Principal"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": "x"}}),
     "Condition"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Extra": 1}), "unknown keys"),
])
def test_malformed_documents_raise_parse_error(bad, reason):
    with pytest.raises(PolicyParseError, match=reason):
        parse_policy(json.dumps(bad) if isinstance(bad, dict) else bad)


def test_trust_policy_needs_principal_and_no_resource():
    with pytest.raises(PolicyParseError, match="Principal"):
        parse_policy(doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), TRUST)
    parse_policy(doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}),
                 TRUST)


@pytest.mark.parametrize("pattern, unbounded", [
    ("*", True), ("arn:aws:iam::*:role/*", True), ("arn:aws:iam::123456789012:role/*", True),
    ("arn:aws:s3:::*", True), ("arn:aws:s3:::*/*", True), ("arn:*:*:*:*:*", True),
    ("arn:aws:iam::123456789012:role/agent-*", False), ("arn:aws:s3:::reports/*", False),
    ("arn:aws:iam::*:user/${aws:username}", False), ("arn:aws:lambda:*:*:function:triage", False),
])
def test_unbounded_resource_patterns(pattern, unbounded):
    assert is_unbounded(pattern) is unbounded


def test_effective_grants_apply_unconditional_denies():
    grants = effective_grants([doc(
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"},
        {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:1:q",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    )])
    actions = {g.action for g in grants}
    assert "s3:GetObject" in actions and "s3:GetObjectAcl" not in actions
    assert Grant("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q", conditional=True) in grants
    assert all(g.resource == "arn:aws:s3:::reports/*" for g in grants if g.action.startswith("s3:"))


def test_effective_grants_of_not_action_and_not_resource():
    grants = effective_grants([json.dumps(doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}))])
    assert not any(g.action.startswith("iam:") for g in grants)
    assert {g.except_resources for g in grants} == {("arn:aws:s3:::x",)}
    assert len({g.action for g in grants}) > 10_000  # every other action AWS knows


def test_is_allowed_on_concrete_arns():
    documents = [doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/2026/*"}),
                 doc({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/2026/secret/*"})]
    assert is_allowed(documents, "S3:getobject", "arn:aws:s3:::reports/2026/q1.csv")
    assert not is_allowed(documents, "s3:GetObject", "arn:aws:s3:::reports/2026/secret/k")
    assert not is_allowed(documents, "s3:PutObject", "arn:aws:s3:::reports/2026/q1.csv")


def test_document_verdicts_never_raise():
    assert [f.code for f in identity_policy_findings("{")] == ["unparseable"]
    assert [f.code for f in trust_policy_findings(None)] == ["unparseable"]
    assert [f.code for f in role_definition_verdict("x")] == ["unparseable"]
    assert identity_policy_findings(doc({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})) == []



def test_huge_or_non_finite_condition_numbers_never_raise():
    # issue 10: a 401-digit number is a value like any other (no float overflow); inf/nan cannot be judged
    huge = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                "Condition": {"NumericLessThan": {"s3:max-keys": 10 ** 400}}})
    assert identity_policy_findings(huge) == []
    for value in (float("inf"), float("nan")):
        bad = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                   "Condition": {"NumericLessThan": {"s3:max-keys": value}}})
        [finding] = identity_policy_findings(bad)
        assert finding.code == "unparseable" and "must be finite numbers" in finding.message
