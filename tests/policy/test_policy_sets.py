"""IAM patterns as sets (aws_patterns) and Deny coverage decided on them (issue 10, kind 1)."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agentid_policy_packs.analysis import identity_policy_findings, is_allowed
from agentid_policy_packs.analysis.aws_patterns import covers, covers_complement, matches, overlaps, overlaps_outside
from tests.policy.ruletools import allow, policy, violations

POLICY = "aws:iam/policy:Policy"
# Every string of length <= 6 over {a, b, x}: 'x' stands for every character no pattern names.
_STRINGS = ["".join(t) for n in range(7) for t in itertools.product("abx", repeat=n)]
globs = st.text(alphabet="ab*?", min_size=1, max_size=4)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(globs, min_size=1, max_size=2), st.lists(globs, min_size=1, max_size=2))
def test_inclusion_and_overlap_agree_with_enumeration(outer, inner):
    outer_rx, inner_rx = [_regex(p) for p in outer], [_regex(p) for p in inner]
    in_inner = [s for s in _STRINGS if any(r.fullmatch(s) for r in inner_rx)]
    assert covers(outer, inner) == all(any(r.fullmatch(s) for r in outer_rx) for s in in_inner)
    assert overlaps(outer, inner) == any(any(r.fullmatch(s) for r in outer_rx) for s in in_inner)


def test_set_questions_on_iam_shapes():
    assert covers(["*"], ["?"]) and not covers(["?"], ["*"])
    assert not covers(["arn:aws:iam::*:role/?"], ["arn:aws:iam::*:role/*"])
    assert covers(["arn:aws:iam::*:role/*"], ["arn:aws:iam::123456789012:role/agent-?"])
    assert covers(["IAM:*"], ["iam:Pass*"], ignore_case=True) and not covers(["IAM:*"], ["iam:Pass*"])
    assert not covers(["s3:Get*", "s3:Put*"], ["s3:*"], ignore_case=True)
    assert covers_complement(["iam:*"], ["*:*"], universe="*:*") and not covers_complement(["iam:*"], ["*:*"])
    assert not covers_complement(["iam:*"], ["s3:*"], universe="*:*")
    assert overlaps(["role/a*"], ["role/*b"]) and not overlaps(["role/a?"], ["role/b*"])
    assert covers(["b", "??*"], ["*b"]) and not covers(["c", "??*"], ["*b"])  # a literal joins the union
    assert matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/k") and not matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/k")


def test_deny_on_one_character_does_not_cover_everything():
    # issue 10's illustration: the old text comparison let both pass clean
    document = policy(allow("*:*"), {"Effect": "Deny", "Action": "*", "Resource": "?"})
    assert violations("AGID-AWS-010", POLICY, {"policy": document}) == [
        "policy Statement[0]: allows every action on every resource"]
    passrole = policy(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]),
                      {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/?"})
    assert "PassRoleLambdaInvoke" in violations("AGID-AWS-020", POLICY, {"policy": passrole})[0]


def test_deny_that_covers_the_allow_as_a_set_removes_it():
    for deny in ({"Effect": "Deny", "Action": "*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "IAM:*", "Resource": "arn:aws:iam::*"},
                 {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:s3:::*"},
                 # a condition that always holds does not make the Deny conditional
                 {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                  "Condition": {"StringEquals": {"aws:userid": "${aws:userid}"}}}):
        document = policy(allow("iam:PutRolePolicy", "arn:aws:iam::*:role/*"), deny)
        assert violations("AGID-AWS-020", POLICY, {"policy": document}) == [], deny


def test_deny_that_leaves_part_of_the_allow_does_not_remove_it():
    for deny in ({"Effect": "Deny", "Action": "iam:Put*", "Resource": "arn:aws:iam::*:role/a*"},
                 {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:iam::*:role/*"},
                 # conditional: it may not apply
                 {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                  "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}):
        document = policy(allow("iam:PutRolePolicy", "arn:aws:iam::*:role/*"), deny)
        assert "PutRolePolicy" in violations("AGID-AWS-020", POLICY, {"policy": document})[0], deny


def test_not_action_allow_is_removed_only_by_a_deny_of_its_whole_complement():
    kept = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                  {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert [f.code for f in identity_policy_findings(kept)][:1] == ["not-action-allow"]
    gone = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                  {"Effect": "Deny", "NotAction": "iam:Get*", "Resource": "*"})
    assert identity_policy_findings(gone) == []


def test_is_allowed_honours_a_deny_whose_condition_always_holds():
    documents = [policy(allow("s3:GetObject", "arn:aws:s3:::b/*"),
                        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}})]
    assert not is_allowed(documents, "s3:GetObject", "arn:aws:s3:::b/k")


def test_hostile_patterns_are_answered_in_bounded_time():
    # A glob's full automaton can be exponential (`*a` then 40 `?`: 2^40 states), and a union of
    # `*X*` Deny patterns multiplies; the gate must answer (conservatively) instead of hanging.
    import time

    from agentid_policy_packs.analysis import identity_policy_findings

    blowup = "arn:aws:s3:::b/*a" + "?" * 40
    started = time.process_time()
    assert matches(blowup, "arn:aws:s3:::b/" + "a" * 41) and not matches(blowup, "arn:aws:s3:::b/" + "a" * 40)
    assert not covers(["arn:aws:s3:::b/x*"], [blowup])
    assert covers(["arn:aws:s3:::b/*"], [blowup])
    connect = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "connect:Create*", "Resource": "*"},
        {"Effect": "Deny", "Resource": "*", "Action": [
            "connect:Start*", "connect:Stop*", "connect:Resume*", "connect:Suspend*", "connect:*Contact",
            "connect:SearchContacts", "connect:*ContactAttributes*", "connect:*RealtimeContact*",
            "connect:*AnalyticsData*", "connect:*MetricData*", "connect:*UserData*"]}]}
    assert [f.code for f in identity_policy_findings(connect)]  # Create* is not denied: still judged
    many = ["s3:" + "*".join("abcdefgh"[:k]) + "*" for k in range(1, 9)] + ["s3:*a*b*c*d*e*f*g*h*i*"]
    assert not covers(many, ["s3:*z"], ignore_case=True)
    assert time.process_time() - started < 5


def test_a_function_the_holder_creates_under_the_name_it_may_invoke_completes_the_method():
    # red3 finding 9: CreateFunction and InvokeFunction on the one function ARN 'f' escalate with PassRole *:
    # the holder creates 'f' with the passed role, then invokes it.
    passrole = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
    fn = "arn:aws:lambda:eu-west-1:123456789012:function:"
    same = policy(passrole, allow(["lambda:CreateFunction", "lambda:InvokeFunction"], resource=fn + "f"))
    assert "PassRoleLambdaInvoke" in " ".join(violations("AGID-AWS-020", POLICY, {"policy": same}))
    apart = policy(passrole, allow("lambda:CreateFunction", resource=fn + "new-*"), allow("lambda:InvokeFunction", resource=fn + "old-*"))
    assert not [v for v in violations("AGID-AWS-020", POLICY, {"policy": apart}) if "PassRoleLambdaInvoke" in v]


@settings(max_examples=400, deadline=None, database=None)
@given(globs, globs, st.lists(globs, max_size=2))
def test_a_shared_name_outside_the_excluded_ones_is_never_missed(left, right, excluded):
    """overlaps_outside (SsmReplaceDocument: a name both the delete and the create reach, less the names a NotResource
    or a Deny takes out) never answers "no shared name" when one exists; with nothing excluded it is `overlaps`."""
    rx = [_regex(p) for p in (left, right)]
    out = [_regex(p) for p in excluded]
    witness = any(rx[0].fullmatch(s) and rx[1].fullmatch(s) and not any(r.fullmatch(s) for r in out) for s in _STRINGS)
    if witness:
        assert overlaps_outside([left], [right], excluded)
    if not excluded:
        assert overlaps_outside([left], [right]) == overlaps([left], [right])


def test_shared_names_outside_exclusions_on_document_arns():
    doc = "arn:aws:ssm:eu-west-1:111122223333:document/"
    assert overlaps_outside([doc + "ops-run"], [doc + "*"], [doc + "agent-*"])
    assert not overlaps_outside([doc + "ops-run"], [doc + "*"], [doc + "ops-*"])
    assert not overlaps_outside(["*"], [doc + "ops-run"], [doc + "ops-run"])
    assert not overlaps_outside([doc + "ops-?un"], [doc + "*run"], [doc + "ops-r*"])
    assert overlaps_outside([doc + "ops-?un"], [doc + "*un"], [doc + "ops-r*"])
