"""Privilege escalation: within one policy (AGID-AWS-020) and across a role's policies (AGID-AWS-021)."""

import pytest

from agentid_policy_packs.rules.base import Unknown, Violation
from tests.policy.ruletools import ACCOUNT, UNKNOWN, allow, policy, resource, stack_outcomes, violations

POLICY = "aws:iam/policy:Policy"
LAMBDA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/triage-lambda-exec"
LAMBDA_COMPUTE = allow(["lambda:CreateFunction", "lambda:InvokeFunction"])


def methods(document: str) -> str:
    found = violations("AGID-AWS-020", POLICY, {"policy": document})
    return found[0] if found else ""


@pytest.mark.parametrize("document, method", [
    (policy(allow("iam:PassRole"), LAMBDA_COMPUTE), "PassRoleLambdaInvoke"),
    (policy(allow("iam:PassRole", "arn:aws:iam::*:role/*"), allow(["ec2:RunInstances"])), "PassRoleEc2RunInstances"),
    (policy(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/*")), "CreatePolicyVersion"),
    (policy(allow("iam:AttachRolePolicy")), "AttachRolePolicy"),
    (policy(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*")), "CreateAccessKey"),
    (policy(allow("iam:UpdateAssumeRolePolicy")), "UpdateAssumeRolePolicy"),
    (policy(allow("iam:AddUserToGroup")), "AddUserToGroup"),
    (policy(allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:function:*")), "LambdaUpdateFunctionCode"),
    (policy(allow("ssm:SendCommand")), "SsmSendCommand"),
    (policy(allow(["iam:PassRole", "glue:CreateDevEndpoint"])), "PassRoleGlueDevEndpoint"),
    (policy(allow(["iam:PassRole", "cloudformation:CreateStack"])), "PassRoleCloudFormationCreateStack"),
    (policy(allow(["iam:passrole", "CODEBUILD:CreateProject", "codebuild:StartBuild"])), "PassRoleCodeBuildCreateProject"),
    (policy(allow(["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"])),
     "PassRoleSageMakerNotebook"),
    (policy(allow(["iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
                   "datapipeline:ActivatePipeline"])), "PassRoleDataPipeline"),
    (policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), "PutRolePolicy"),
    # PassRole limited to Lambda still escalates through Lambda
    (policy(allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
            LAMBDA_COMPUTE), "PassRoleLambdaInvoke"),
])
def test_escalation_methods_are_flagged(document, method):
    assert method in methods(document)


@pytest.mark.parametrize("document", [
    # PassRole on one named role, only to Lambda: the look-alike
    policy(allow("iam:PassRole", LAMBDA_ROLE, Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
           allow(["lambda:CreateFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:triage-*")),
    # PassRole anywhere but only to EC2, with Lambda compute: no EC2 launch, so no method
    policy(allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}), LAMBDA_COMPUTE),
    # compute without PassRole
    policy(LAMBDA_COMPUTE),
    # attachments pinned to one policy ARN
    policy(allow("iam:AttachRolePolicy", Condition={"ArnEquals": {
        "iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})),
    # self-service keys via a policy variable
    policy(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")),
    # escalation denied outright
    policy(allow("iam:PutRolePolicy"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
    policy({"Effect": "Deny", "Action": "*", "Resource": "*"}),
    policy(allow("s3:GetObject", "arn:aws:s3:::reports/*")),
    policy(allow("sts:GetCallerIdentity")),
])
def test_defused_look_alikes_are_not_flagged(document):
    assert methods(document) == ""


def test_one_violation_per_policy_naming_every_method():
    [message] = violations("AGID-AWS-020", POLICY, {"policy": policy(allow(["iam:*", "lambda:*"]))})
    assert "PassRoleLambdaInvoke" in message and "CreatePolicyVersion" in message


def test_full_admin_is_left_to_the_wildcard_rule():
    # `*` on `*` is one root cause: AGID-AWS-010 reports it, AGID-AWS-020 does not repeat it.
    assert violations("AGID-AWS-020", POLICY, {"policy": policy(allow("*"))}) == []
    assert violations("AGID-AWS-010", POLICY, {"policy": policy(allow("*"))}) != []


def test_escalation_methods_data_names_real_actions():
    from agentid_components.iam_catalog import action_info
    from agentid_policy_packs.analysis import escalation_methods

    methods_ = escalation_methods()
    assert len(methods_) >= 60
    assert len({m.id for m in methods_}) == len(methods_)
    unknown = [a for m in methods_ for a in m.actions if action_info(a) is None]
    assert unknown == []


# --- across policies of one role (stack rule) -------------------------------

ROLE_T = "aws:iam/role:Role"


def _role(name="agent-triage", **props):
    return resource(ROLE_T, {"name": name, "assumeRolePolicy": "{}", **props}, name=name)


def _violations(resources):
    return [o for o in stack_outcomes("AGID-AWS-021", resources) if isinstance(o, Violation)]


def test_passrole_and_compute_split_across_inline_and_attached_policy():
    role = _role()
    passrole = resource("aws:iam/policy:Policy", {"name": "pass", "policy": policy(allow("iam:PassRole"))}, name="pass")
    attach = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                      {"role": "agent-triage", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/pass"}, name="att")
    compute = resource("aws:iam/rolePolicy:RolePolicy", {"role": "agent-triage", "policy": policy(LAMBDA_COMPUTE)},
                       name="compute")
    [violation] = _violations([role, passrole, attach, compute])
    assert violation.urn == role.urn and "PassRoleLambdaInvoke" in violation.message
    # each policy alone is fine for AGID-AWS-020
    assert _violations([role, compute]) == []
    assert methods(policy(allow("iam:PassRole"))) == "" and methods(policy(LAMBDA_COMPUTE)) == ""


def test_policies_of_different_roles_do_not_combine():
    one, two = _role("one"), _role("two")
    a = resource("aws:iam/rolePolicy:RolePolicy", {"role": "one", "policy": policy(allow("iam:PassRole"))}, name="a")
    b = resource("aws:iam/rolePolicy:RolePolicy", {"role": "two", "policy": policy(LAMBDA_COMPUTE)}, name="b")
    assert _violations([one, two, a, b]) == []


def test_unknown_role_reference_resolved_through_dependencies():
    role = _role(inlinePolicies=[{"name": "compute", "policy": policy(LAMBDA_COMPUTE)}])
    passrole = resource("aws:iam/rolePolicy:RolePolicy", {"role": UNKNOWN, "policy": policy(allow("iam:PassRole"))},
                        name="p", deps=(role.urn,))
    assert len(_violations([role, passrole])) == 1
    orphan = resource("aws:iam/rolePolicy:RolePolicy", {"role": UNKNOWN, "policy": policy(allow("iam:PassRole"))},
                      name="p")
    outcomes = stack_outcomes("AGID-AWS-021", [role, orphan])
    assert [o.path for o in outcomes if isinstance(o, Unknown)] == ["p.role"]


def test_scoped_passrole_in_another_policy_does_not_combine():
    role = _role(inlinePolicies=[
        {"name": "pass", "policy": policy(allow("iam:PassRole", LAMBDA_ROLE, Condition={
            "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))},
        {"name": "compute", "policy": policy(LAMBDA_COMPUTE)}])
    assert _violations([role]) == []
