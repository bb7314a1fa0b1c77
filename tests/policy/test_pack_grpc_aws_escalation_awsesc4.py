"""issue 11 (red17 r17-8, awsesc4) over gRPC: twins of listed escalation methods that passed with AWS-012's advisory.

Each new method of escalation_methods.yaml blocks alone as AGID-AWS-020 (mandatory) on a managed policy granting it on
`*`, with its exact method id; each has a look-alike (the read-only twins of the same service, or the method without the
part that makes it one) that AGID-AWS-020 and AGID-AWS-021 pass. The twins were found by
tests/policy/test_escalation_twins.py; the r17-8 repro (tools/red17repro/r17-8) covers the gate end to end.
Also: an Allow of eks:AssociateAccessPolicy with a Deny of every other eks:policyArn than the view policy is the same
safe pin as the Allow's own condition, and passes.
"""

from __future__ import annotations


import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn
from tests.policy.test_pack_grpc_aws_escalation_awsesc3 import (  # noqa: F401 - one set of helpers
    TRUST,
    allow,
    aws020,
    blocks_alone,
    document,
    passes_aws020_and_021,
)

POLICY = "aws:iam/policy:Policy"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def deny(actions, condition, resource="*") -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": resource, "Condition": condition}


PASS_BEDROCK = {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
FLAGGED = {
    # r17-8
    "BedrockUpdateAgentRuntime": [allow("bedrock-agentcore:UpdateAgentRuntime")],
    "MqCreateUser": [allow("mq:CreateUser")],
    "CognitoAdminUpdateUserAttributes": [allow("cognito-idp:AdminUpdateUserAttributes")],
    "PassRoleBedrockAgent": [allow(["bedrock:CreateAgent", "bedrock:PrepareAgent", "bedrock:CreateAgentAlias",
                                    "bedrock:InvokeAgent"]), allow("iam:PassRole", condition=PASS_BEDROCK)],
    "PassRoleBedrockUpdateAgent": [allow(["bedrock:UpdateAgent", "bedrock:PrepareAgent", "bedrock:InvokeAgent",
                                          "iam:PassRole"])],
    "MwaaUpdateEnvironment": [allow("airflow:UpdateEnvironment")],
    "GrafanaServiceAccountToken": [allow("grafana:CreateWorkspaceServiceAccountToken")],
    "GrafanaApiKey": [allow("grafana:CreateWorkspaceApiKey")],
    "MskAssociateScramSecret": [allow("kafka:BatchAssociateScramSecret")],
    # awsesc3's findings
    "SsmReplaceDocument": [allow(["ssm:DeleteDocument", "ssm:CreateDocument"])],
    "RolesAnywherePutAttributeMapping": [allow("rolesanywhere:PutAttributeMapping")],
    "RolesAnywhereDisableCrl": [allow("rolesanywhere:DisableCrl")],
    "RolesAnywhereDeleteCrl": [allow("rolesanywhere:DeleteCrl")],
    "RolesAnywhereUpdateCrl": [allow("rolesanywhere:UpdateCrl")],
    # the verb-twin sweep (test_escalation_twins.py)
    "ElastiCacheCreateUserInGroup": [allow(["elasticache:CreateUser", "elasticache:ModifyUserGroup"])],
    "MemoryDbCreateUserInAcl": [allow(["memorydb:CreateUser", "memorydb:UpdateAcl"])],
    "IamReactivateAccessKey": [allow("iam:UpdateAccessKey")],
    "AmplifyUpdateAppBuildSpec": [allow("amplify:UpdateApp")],
    "AmplifyUpdateBranchBuildSpec": [allow("amplify:UpdateBranch")],
    "PassRoleAppStreamUpdateFleet": [allow(["appstream:UpdateFleet", "appstream:CreateStreamingURL", "iam:PassRole"])],
    "PassRoleAutoScalingUpdateGroup": [allow(["autoscaling:UpdateAutoScalingGroup", "ec2:CreateLaunchTemplate",
                                              "iam:PassRole"])],
    "PassRoleBedrockUpdateHarness": [allow(["bedrock-agentcore:UpdateHarness", "iam:PassRole"])],
    "PassRoleChatbotUpdateSlackChannel": [allow(["chatbot:UpdateSlackChannelConfiguration", "iam:PassRole"])],
    "PassRoleChatbotUpdateTeamsChannel": [allow(["chatbot:UpdateMicrosoftTeamsChannelConfiguration", "iam:PassRole"])],
    "PassRoleCodePipelineUpdate": [allow(["codepipeline:UpdatePipeline", "iam:PassRole"])],
    # updates of a resource its own triggers run need no start/invoke (as lambda:UpdateFunctionCode alone)
    "PassRoleGlueUpdateJob": [allow(["glue:UpdateJob", "iam:PassRole"])],
    "CodeBuildUpdateProjectBuildspec": [allow("codebuild:UpdateProject")],
    "PassRoleElasticBeanstalkCreateEnvironment": [allow(["elasticbeanstalk:CreateApplicationVersion",
                                                         "elasticbeanstalk:CreateEnvironment", "iam:PassRole"])],
    "PassRoleEmrServerlessExistingApplication": [allow(["emr-serverless:StartJobRun", "iam:PassRole"])],
    "PassRoleImageBuilderUpdateInfrastructure": [allow(["imagebuilder:UpdateInfrastructureConfiguration",
                                                        "imagebuilder:CreateComponent", "imagebuilder:CreateImageRecipe",
                                                        "imagebuilder:CreateImage", "iam:PassRole"])],
    "PassRoleImageBuilderImportComponent": [allow(["imagebuilder:CreateInfrastructureConfiguration",
                                                   "imagebuilder:ImportComponent", "imagebuilder:CreateImageRecipe",
                                                   "imagebuilder:CreateImage", "iam:PassRole"])],
    "RolesAnywhereEnableTrustAnchor": [allow("rolesanywhere:EnableTrustAnchor")],
    "RolesAnywhereEnableProfile": [allow("rolesanywhere:EnableProfile")],
    # other spellings: wildcards IAM expands to the same actions
    "MqCreateUser by wildcard": [allow("mq:CreateU*")],
    "GrafanaApiKey by wildcard": [allow("grafana:*WorkspaceApiKey")],
    "CognitoAdminUpdateUserAttributes by wildcard": [allow("cognito-idp:AdminUpdateUser?ttributes")],
}
METHOD = {case: case.split(" ", 1)[0] for case in FLAGGED}

PASS_LAMBDA = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
LOOK_ALIKE = {
    "AgentCore runtime reads": [allow(["bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:ListAgentRuntimes"])],
    "MQ user reads": [allow(["mq:DescribeUser", "mq:ListUsers"])],
    "Cognito user reads": [allow(["cognito-idp:AdminGetUser", "cognito-idp:ListUsers"])],
    "Bedrock agent with a role passed to Lambda only": [
        allow(["bedrock:CreateAgent", "bedrock:PrepareAgent", "bedrock:InvokeAgent"]),
        allow("iam:PassRole", condition=PASS_LAMBDA)],
    "Bedrock agent update without a role": [allow(["bedrock:UpdateAgent", "bedrock:PrepareAgent", "bedrock:InvokeAgent"])],
    "MWAA reads and web login": [allow(["airflow:GetEnvironment", "airflow:ListEnvironments"])],
    "Grafana reads": [allow(["grafana:DescribeWorkspace", "grafana:ListWorkspaceServiceAccountTokens"])],
    "MSK SCRAM reads and disassociation": [allow(["kafka:ListScramSecrets", "kafka:BatchDisassociateScramSecret"])],
    "SSM document create without delete": [allow("ssm:CreateDocument")],
    "SSM document replace of change calendars": [allow(["ssm:DeleteDocument", "ssm:CreateDocument"], condition={
        "StringEquals": {"ssm:DocumentType": "ChangeCalendar"}})],
    "Roles Anywhere CRL import and reads": [allow(["rolesanywhere:ImportCrl", "rolesanywhere:GetCrl",
                                                   "rolesanywhere:EnableCrl"])],
    "ElastiCache user without a group": [allow("elasticache:CreateUser")],
    "MemoryDB user without an ACL": [allow("memorydb:CreateUser")],
    "access-key listing": [allow(["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"])],
    "Amplify job without a build-spec write": [allow("amplify:StartJob")],
    "Auto Scaling group update without a launch template": [allow(["autoscaling:UpdateAutoScalingGroup", "iam:PassRole"])],
    "pipeline update without a PassRole": [allow(["codepipeline:UpdatePipeline", "codepipeline:StartPipelineExecution"])],
    "harness update with a role passed to Lambda": [allow("bedrock-agentcore:UpdateHarness"),
                                                    allow("iam:PassRole", condition=PASS_LAMBDA)],
    "Glue job update without a PassRole": [allow(["glue:UpdateJob", "glue:StartJobRun"])],
    "CodeBuild project reads": [allow(["codebuild:BatchGetProjects", "codebuild:ListProjects"])],
    "EMR Serverless job with a role passed to Glue": [allow("emr-serverless:StartJobRun"), allow(
        "iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}})],
    "Image Builder import without a passed role": [allow([
        "imagebuilder:CreateInfrastructureConfiguration", "imagebuilder:ImportComponent",
        "imagebuilder:CreateImageRecipe", "imagebuilder:CreateImage"])],
    "Roles Anywhere disables": [allow(["rolesanywhere:DisableTrustAnchor", "rolesanywhere:DisableProfile"])],
    "Cognito reset and EC2 attribute reset": [allow(["cognito-idp:AdminResetUserPassword", "ec2:ResetInstanceAttribute"])],
    "classified non-methods": [allow(["iam:UpdateRole", "lambda:UpdateFunctionUrlConfig", "ssm:UpdateMaintenanceWindow",
                                      "gamelift:UpdateBuild", "ssm:PutParameter"])],
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_each_method_blocks_alone(pack, case) -> None:
    assert f"({METHOD[case]}): can " in blocks_alone(pack, *FLAGGED[case])


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_each_look_alike_passes(pack, case) -> None:
    passes_aws020_and_021(pack, *LOOK_ALIKE[case])


def test_a_named_agentcore_runtime_or_mwaa_environment_is_aws056s_target_not_aws020s(pack) -> None:
    """UpdateAgentRuntime / UpdateEnvironment on one named resource take over what it runs as: AGID-AWS-056 judges the
    target (one the stack does not define: cannot check), AGID-AWS-020 only the unbounded grant."""
    for action, arn in (("bedrock-agentcore:UpdateAgentRuntime",
                         "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/support-abc123"),
                        ("airflow:UpdateEnvironment", "arn:aws:airflow:eu-west-1:111122223333:environment/etl")):
        statement = allow(action, arn)
        assert aws020(pack, statement) == ([], [])
        role = StackResource(ROLE, "ci", urn(ROLE, "ci"), {"name": "ci-deploy", "assumeRolePolicy": TRUST})
        attached = StackResource(ROLE_POLICY, "p0", urn(ROLE_POLICY, "p0"),
                                 {"role": "ci-deploy", "policy": document(statement)})
        found = stack_findings(pack, "AGID-AWS-056", [role, attached], "mandatory")
        assert found and all(arn in message for _, message in found), (action, found)


EKS_ALLOW = allow("eks:AssociateAccessPolicy")


@pytest.mark.parametrize("operator", ["StringNotEquals", "ArnNotEquals", "StringNotEqualsIgnoreCase"])
def test_a_deny_of_every_access_policy_but_the_view_policy_is_the_safe_pin(pack, operator) -> None:
    assert aws020(pack, EKS_ALLOW, deny("eks:AssociateAccessPolicy", {operator: {"eks:policyArn": VIEW}})) == ([], [])
    assert aws020(pack, EKS_ALLOW, deny("eks:*", {operator: {"eks:policyArn": [VIEW]}})) == ([], [])


@pytest.mark.parametrize(("case", "statement"), [
    ("the deny leaves cluster-admin too", deny("eks:AssociateAccessPolicy", {
        "StringNotEquals": {"eks:policyArn": [VIEW, CLUSTER_ADMIN]}})),
    ("the deny's value is a pattern", deny("eks:AssociateAccessPolicy", {
        "StringNotLike": {"eks:policyArn": "arn:aws:eks::aws:cluster-access-policy/*View*"}})),
    ("the deny is on one cluster's entries only", deny("eks:AssociateAccessPolicy", {
        "StringNotEquals": {"eks:policyArn": VIEW}}, "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/*")),
    ("the deny has a second condition", {**deny("eks:AssociateAccessPolicy", {
        "StringNotEquals": {"eks:policyArn": VIEW}}), "Condition": {"StringNotEquals": {"eks:policyArn": VIEW},
                                                                   "Bool": {"aws:ViaAWSService": "false"}}}),
    ("the deny is a set qualifier", deny("eks:AssociateAccessPolicy", {
        "ForAnyValue:StringNotEquals": {"eks:policyArn": VIEW}})),
    ("the deny is of another action", deny("eks:CreateAccessEntry", {"StringNotEquals": {"eks:policyArn": VIEW}})),
])
def test_a_deny_that_leaves_more_than_the_view_policy_keeps_the_method(pack, case, statement) -> None:
    names, messages = aws020(pack, EKS_ALLOW, statement)
    assert names == ["tool"], case
    assert "(EksAssociateAccessPolicy): can " in messages[0]


# the same kind for every pinning key: a Deny of every other value is the Allow's own pin (iam:PassedToService,
# iam:PolicyARN, a resource tag), judged as that pin would be
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.mark.parametrize(("case", "statements"), [
    ("PassRole to Lambda only, by a Deny", [allow(["iam:PassRole", "ec2:RunInstances"]), deny(
        "iam:PassRole", {"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})]),
    ("attachments of ReadOnlyAccess only, by a Deny", [allow("iam:AttachRolePolicy"), deny(
        "iam:AttachRolePolicy", {"ArnNotEquals": {"iam:PolicyARN": READ_ONLY}})]),
    ("code updates of tagged functions only, by a Deny", [allow("lambda:UpdateFunctionCode"), deny(
        "lambda:*", {"StringNotEquals": {"aws:ResourceTag/team": "agents"}})]),
])
def test_a_deny_of_every_other_value_pins_as_the_allows_condition_does(pack, case, statements) -> None:
    assert aws020(pack, *statements) == ([], []), case


@pytest.mark.parametrize(("case", "statements", "method"), [
    ("PassRole to EC2 only, by a Deny", [allow(["iam:PassRole", "ec2:RunInstances"]), deny(
        "iam:PassRole", {"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})], "PassRoleEc2RunInstances"),
    ("attachments of AdministratorAccess only, by a Deny", [allow("iam:AttachRolePolicy"), deny(
        "iam:AttachRolePolicy", {"ArnNotEquals": {"iam:PolicyARN": ADMIN}})], "AttachRolePolicy"),
    ("attachments of any AWS managed policy, by a Deny", [allow("iam:AttachRolePolicy"), deny(
        "iam:AttachRolePolicy", {"ArnNotLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}})], "AttachRolePolicy"),
])
def test_a_deny_that_leaves_a_privileged_value_keeps_the_method(pack, case, statements, method) -> None:
    names, messages = aws020(pack, *statements)
    assert names == ["tool"], case
    assert f"({method}): can " in messages[0], messages


def test_a_bedrock_agent_split_across_two_policies_of_one_role_is_found_by_aws021(pack) -> None:
    """PassRole in one policy, the agent's create/prepare/invoke in another: neither is AGID-AWS-020's alone, the role is
    AGID-AWS-021's; with the role passed to Lambda only, nothing."""
    agent = document(allow(["bedrock:CreateAgent", "bedrock:PrepareAgent", "bedrock:InvokeAgent"]))
    role = StackResource(ROLE, "ci", urn(ROLE, "ci"), {"name": "ci-deploy", "assumeRolePolicy": TRUST})

    def attached(*documents):
        return [role, *(StackResource(ROLE_POLICY, f"p{i}", urn(ROLE_POLICY, f"p{i}"), {"role": "ci-deploy", "policy": d})
                        for i, d in enumerate(documents))]

    [(name, message)] = stack_findings(pack, "AGID-AWS-021", attached(agent, document(allow("iam:PassRole"))), "mandatory")
    assert name == "ci" and "(PassRoleBedrockAgent)" in message
    lambda_only = document(allow("iam:PassRole", condition=PASS_LAMBDA))
    assert stack_findings(pack, "AGID-AWS-021", attached(agent, lambda_only)) == []
