"""Escalation judged on sets, conditions by value, resource types per action, and self as a target
(issue 10, kinds 2-5): each flagged case beside the look-alike that must pass."""

from __future__ import annotations

import pytest

from tests.policy.ruletools import ACCOUNT, allow, policy, resource, violations
from agentid_policy_packs.rules.base import run_resource_rule
from agentid_policy_packs.rules.registry import RULES_BY_ID

POLICY = "aws:iam/policy:Policy"
COMPUTE = allow(["lambda:CreateFunction", "lambda:InvokeFunction"])
PREFIX = "policy allows 1 privilege-escalation method(s): "


def escalation(*statements) -> list[str]:
    return violations("AGID-AWS-020", POLICY, {"policy": policy(*statements)})


def attach(condition):
    return allow("iam:AttachRolePolicy", Condition=condition)


ATTACH_MESSAGE = (PREFIX + "AttachRolePolicy. First: allows privilege escalation (AttachRolePolicy): can attach any "
                  "managed policy to a role (its own, or one it can use) — iam:AttachRolePolicy by Statement[0]")
PUT_MESSAGE = (PREFIX + "PutRolePolicy. First: allows privilege escalation (PutRolePolicy): can write an inline "
               "policy granting anything to a role — iam:PutRolePolicy by Statement[0]")


# --- kind 2: a condition bounds the targets only if its operator and value do ---------------------

@pytest.mark.parametrize("condition", [
    {"ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}},  # includes AdministratorAccess
    {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}},  # is admin
    {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/IAMFullAccess"}},  # escalation by its document
    {"ArnNotEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}},  # negative: all the others
])
def test_attachment_conditions_that_do_not_pin_to_non_admin_policies(condition):
    assert escalation(attach(condition)) == [ATTACH_MESSAGE]


def test_attachment_pinned_to_a_named_read_only_policy_passes():
    assert escalation(attach({"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})) == []


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:ResourceTag/team": "*"}},  # any tag value: bounds nothing
    {"StringEqualsIfExists": {"aws:ResourceTag/team": "sre"}},  # an untagged role satisfies it
    {"StringEquals": {"aws:userid": "${aws:userid}"}},  # always true
    {"ArnEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}},  # always true
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},  # true for good
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},  # true when no tags are sent
    {"Bool": {"aws:SecureTransport": "true"}},  # the caller chooses TLS: not a target bound
    {"StringSortOf": {"aws:ResourceTag/team": "sre"}},  # unknown operator: cannot tell, flag
])
def test_conditions_that_bound_nothing_keep_the_finding(condition):
    assert escalation(allow("iam:PutRolePolicy", Condition=condition)) == [PUT_MESSAGE]


@pytest.mark.parametrize("statement", [
    allow("iam:PutRolePolicy", Condition={"StringEquals": {"aws:ResourceTag/team": "sre"}}),
    allow("iam:PutRolePolicy", Condition={"StringEquals": {"iam:ResourceTag/team": "sre"}}),
    allow("ssm:SendCommand", Condition={"StringEquals": {"ssm:resourceTag/team": "sre"}}),
    allow("ssm:SendCommand", Condition={"Null": {"aws:ResourceTag/team": "false"}}),
    allow("iam:PutRolePolicy", Condition={"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}),
    allow("iam:PutRolePolicy", Condition={"StringEquals": {"aws:CalledViaFirst": "cloudformation.amazonaws.com"}}),
    allow("iam:PutRolePolicy", Condition={"Bool": {"aws:ViaAWSService": "true"}}),
    allow("iam:PutRolePolicy", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),  # inert
    allow("iam:PutRolePermissionsBoundary", Condition={"StringEquals": {
        "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/agent-boundary"}}),
])
def test_conditions_that_bound_the_targets_are_honoured(statement):
    assert escalation(statement) == []


def test_passed_to_service_judged_by_operator():
    excluded = {"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert escalation(allow("iam:PassRole", Condition=excluded), COMPUTE) == []
    other = {"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}}  # always sent with PassRole
    assert escalation(allow("iam:PassRole", Condition=other), COMPUTE) == []
    anything = {"StringLike": {"iam:PassedToService": "*"}}
    assert "PassRoleLambdaInvoke" in escalation(allow("iam:PassRole", Condition=anything), COMPUTE)[0]


# --- kinds 3 and 5: unbounded per resource type the action accepts --------------------------------

@pytest.mark.parametrize("pattern", ["arn:aws:iam::*:role/*", "arn:aws:iam::*:role*", f"arn:aws:iam::{ACCOUNT}:role/*-*",
                                     "arn:aws:iam::*:role/?*"])
def test_passrole_on_any_role_shape_is_unbounded(pattern):
    [message] = escalation(allow("iam:PassRole", pattern), COMPUTE)
    assert message.startswith(PREFIX + "PassRoleLambdaInvoke.")


@pytest.mark.parametrize("pattern", ["arn:aws:s3:::*", "arn:aws:dynamodb:*:*:table/*",
                                     f"arn:aws:iam::{ACCOUNT}:role/agent-*"])
def test_passrole_on_patterns_of_another_type_or_a_named_prefix_passes(pattern):
    assert escalation(allow("iam:PassRole", pattern), COMPUTE) == []


def test_a_name_pattern_does_not_bound_what_the_caller_creates():
    from agentid_policy_packs.analysis.aws_resources import unbounded_for

    assert unbounded_for("iam:CreateRole", "arn:aws:iam::*:role/managed/*")
    assert unbounded_for("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:*:*:training-job/*canvas*")
    assert not unbounded_for("sagemaker:DescribeTrainingJob", "arn:aws:sagemaker:*:*:training-job/*canvas*")
    assert not unbounded_for("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/managed/agent-x")


def test_send_command_needs_a_useful_document_and_any_instance():
    shell = "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"
    assert escalation(allow("ssm:SendCommand", [shell, "arn:aws:ec2:*:*:instance/*"])) == [
        PREFIX + "SsmSendCommand. First: allows privilege escalation (SsmSendCommand): can run commands on instances "
        "and act with their instance profiles — ssm:SendCommand by Statement[0]"]
    # a fixed-purpose AWS document runs no command of the caller's
    assert escalation(allow("ssm:SendCommand", ["arn:aws:ssm:*::document/AWS-UpdateSSMAgent",
                                                "arn:aws:ec2:*:*:instance/*"])) == []
    # one named instance: the document alone reaches nothing else
    assert escalation(allow("ssm:SendCommand", [shell, f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0abc"])) == []


def test_an_unbounded_arn_of_a_type_the_action_does_not_accept_meets_nothing():
    assert escalation(allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:layer:*")) == []
    assert "LambdaUpdateFunctionCode" in escalation(allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:function:*"))[0]


# --- kind 4: self is a target ----------------------------------------------------------------------

def test_permissions_writes_on_a_named_role_escalate_and_say_why():
    assert escalation(allow("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/agent-x")) == [
        PUT_MESSAGE + f" on arn:aws:iam::{ACCOUNT}:role/agent-x (a write to an IAM principal or policy escalates "
        f"whatever its name: the holder of this policy may be arn:aws:iam::{ACCOUNT}:role/agent-x itself, "
        "or able to use it)"]
    assert escalation(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}")) == [
        PREFIX + "PutUserPolicy. First: allows privilege escalation (PutUserPolicy): can write an inline policy "
        "granting anything to a user — iam:PutUserPolicy by Statement[0] on arn:aws:iam::*:user/${aws:username}, "
        "the caller itself"]
    assert "AddUserToGroup" in escalation(allow("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT}:group/admins"))[0]
    assert "CreatePolicyVersion" in escalation(
        allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/agent-x-tools"))[0]


def test_a_role_policy_writing_its_own_role_names_it():
    document = policy(allow("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/agent-x"))
    outcomes = run_resource_rule(RULES_BY_ID["AGID-AWS-020"], resource(
        "aws:iam/rolePolicy:RolePolicy", {"role": "agent-x", "policy": document}))
    assert [o.message for o in outcomes] == [
        PREFIX + "UpdateAssumeRolePolicy. First: allows privilege escalation (UpdateAssumeRolePolicy): can rewrite a "
        "role's trust policy to let itself assume it — iam:UpdateAssumeRolePolicy by Statement[0] on "
        f"arn:aws:iam::{ACCOUNT}:role/agent-x, its own role agent-x"]


def test_self_service_writes_that_change_no_permission_pass():
    assert escalation(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")) == []
    assert escalation(allow(["iam:GetRole", "iam:ListRolePolicies"], f"arn:aws:iam::{ACCOUNT}:role/agent-x")) == []


def test_writes_to_aws_managed_policies_reach_nothing():
    # only AWS writes policies in account `aws` (iam-vulnerable's defused variant fp4 has this shape)
    assert escalation(allow(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
                            "arn:aws:iam::aws:policy/AdministratorAccess")) == []
    assert "CreatePolicyVersion" in escalation(allow("iam:CreatePolicyVersion", "arn:aws:iam::*:policy/*"))[0]


def test_a_grant_only_for_sessions_issued_before_a_past_date_is_inert():
    issued_before_2020 = {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}
    assert escalation(allow("iam:PutRolePolicy", Condition=issued_before_2020)) == []
    issued_after_2020 = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}
    assert escalation(allow("iam:PutRolePolicy", Condition=issued_after_2020)) == [PUT_MESSAGE]


def test_a_created_name_under_a_named_parent_is_bounded_by_the_parent():
    # every Lambda execution role: CreateLogStream on log-group:NAME:* creates streams in one named group
    from agentid_policy_packs.analysis.aws_resources import unbounded_for

    group = "arn:aws:logs:us-east-1:111122223333:log-group:"
    assert not unbounded_for("logs:CreateLogStream", group + "app:*")
    assert unbounded_for("logs:CreateLogStream", group + "a*:*")  # the caller picks the group too
    assert unbounded_for("iam:CreateRole", "arn:aws:iam::111122223333:role/managed/*")  # the name is the caller's
