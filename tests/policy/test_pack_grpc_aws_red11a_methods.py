"""red11a 7 + 8 over gRPC: PassRole service paths (pathfinding.cloud omics-001, kinesisanalytics-001, emrserverless-001,
gamelift-001, imagebuilder-001, ecs-009; Chatbot, maintenance windows, Config remediation, AppStream, MWAA,
CodePipeline, AgentCore harness/browser) and credential-access actions (AgentCore token vault, sts:AssumeRoot,
sts:GetFederationToken, iam:UpdateSAMLProvider, Cognito admin writes, ds/lightsail/rds password resets) got only
AGID-AWS-012's advisory: each is an escalation method now (escalation_methods.yaml), AGID-AWS-020 mandatory, also
when spelled with IAM wildcards; the read-only twin of each policy passes AGID-AWS-020."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

POLICY = "aws:iam/policy:Policy"

CASES = {
    "PassRoleOmicsWorkflow": ["iam:PassRole", "omics:CreateWorkflow", "omics:StartRun"],
    "PassRoleKinesisAnalyticsApplication": ["iam:PassRole", "kinesisanalytics:CreateApplication",
                                            "kinesisanalytics:StartApplication"],
    "PassRoleEmrServerlessJob": ["iam:PassRole", "emr-serverless:CreateApplication", "emr-serverless:StartJobRun"],
    "PassRoleGameLiftFleet": ["iam:PassRole", "gamelift:CreateBuild", "gamelift:CreateFleet"],
    "PassRoleImageBuilderImage": ["iam:PassRole", "imagebuilder:CreateInfrastructureConfiguration",
                                  "imagebuilder:CreateComponent", "imagebuilder:CreateImageRecipe",
                                  "imagebuilder:CreateImage"],
    "PassRoleEcsStartTaskOverride": ["iam:PassRole", "ecs:StartTask"],
    "PassRoleChatbotSlackChannel": ["iam:PassRole", "chatbot:CreateSlackChannelConfiguration"],
    "PassRoleSsmMaintenanceWindowTask": ["iam:PassRole", "ssm:CreateMaintenanceWindow",
                                         "ssm:RegisterTaskWithMaintenanceWindow"],
    "PassRoleConfigRemediation": ["iam:PassRole", "config:PutConfigRule", "config:PutRemediationConfigurations"],
    "PassRoleAppStreamFleet": ["iam:PassRole", "appstream:CreateFleet", "appstream:CreateStack",
                               "appstream:AssociateFleet", "appstream:CreateStreamingURL"],
    "PassRoleMwaaEnvironment": ["iam:PassRole", "airflow:CreateEnvironment"],
    "PassRoleCodePipeline": ["iam:PassRole", "codepipeline:CreatePipeline", "codepipeline:StartPipelineExecution"],
    "PassRoleBedrockHarness": ["iam:PassRole", "bedrock-agentcore:CreateHarness", "bedrock-agentcore:InvokeHarness"],
    "BedrockUpdateAgentRuntime": ["bedrock-agentcore:UpdateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime"],
    "AgentCoreTokenVaultOauth2Token": ["bedrock-agentcore:GetWorkloadAccessTokenForUserId",
                                       "bedrock-agentcore:GetResourceOauth2Token"],
    "AgentCoreTokenVaultApiKey": ["bedrock-agentcore:GetWorkloadAccessTokenForUserId",
                                  "bedrock-agentcore:GetResourceApiKey"],
    "StsAssumeRoot": ["sts:AssumeRoot"],
    "StsGetFederationToken": ["sts:GetFederationToken"],
    "UpdateSamlProvider": ["iam:UpdateSAMLProvider"],
    "CognitoAdminSetUserPassword": ["cognito-idp:AdminSetUserPassword"],
    "CognitoAdminAddUserToGroup": ["cognito-idp:AdminAddUserToGroup"],
    "SsmUpdateMaintenanceWindowTask": ["ssm:UpdateMaintenanceWindowTask"],
    "DirectoryServiceResetUserPassword": ["ds:ResetUserPassword"],
    "LightsailInstanceAccessDetails": ["lightsail:GetInstanceAccessDetails"],
    "RdsModifyDBInstanceMasterPassword": ["rds:ModifyDBInstance"],
}
# The read-only twin of each service (same resources, nothing that runs code or hands out a credential).
READ_TWIN = {
    "omics": ["omics:GetWorkflow", "omics:ListRuns"], "kinesisanalytics": ["kinesisanalytics:DescribeApplication"],
    "emr-serverless": ["emr-serverless:GetApplication"], "gamelift": ["gamelift:DescribeFleetAttributes"],
    "imagebuilder": ["imagebuilder:GetImage"], "ecs": ["ecs:DescribeTasks"], "chatbot": ["chatbot:DescribeSlackChannels"],
    "ssm": ["ssm:DescribeMaintenanceWindows", "ssm:GetMaintenanceWindowTask"], "config": ["config:DescribeConfigRules"],
    "appstream": ["appstream:DescribeFleets", "appstream:DescribeStacks"], "airflow": ["airflow:GetEnvironment"],
    "codepipeline": ["codepipeline:GetPipeline"], "bedrock-agentcore": ["bedrock-agentcore:GetAgentRuntime"],
    "sts": ["sts:GetCallerIdentity"], "iam": ["iam:GetSAMLProvider"], "cognito-idp": ["cognito-idp:AdminGetUser"],
    "ds": ["ds:DescribeDirectories"], "lightsail": ["lightsail:GetInstance"], "rds": ["rds:DescribeDBInstances"],
}


def policy(actions: list[str]) -> tuple:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    return (POLICY, "tool", {"policy": json.dumps(document)})


def _aws020(pack, actions: list[str]) -> list[str]:
    return flagged_names(pack, "AGID-AWS-020", policy(actions), "mandatory")


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_method_blocks_and_its_read_only_twin_passes(pack, method) -> None:
    actions = CASES[method]
    assert _aws020(pack, actions) == ["tool"]
    services = {a.split(":", 1)[0] for a in actions if a != "iam:PassRole"}
    twin = [a for s in sorted(services) for a in READ_TWIN[s]]
    assert flagged_names(pack, "AGID-AWS-020", policy(twin)) == []


@pytest.mark.parametrize("actions", [
    ["iam:PassRole", "omics:Create*", "omics:Start*"],           # IAM wildcards match as IAM matches them
    ["iam:Pass*", "gamelift:CreateB?ild", "gamelift:CreateFleet"],
    ["bedrock-agentcore:GetWorkloadAccessToken*", "bedrock-agentcore:GetResource*"],
    ["sts:Assume*"],
    ["cognito-idp:AdminSet*"],
    ["lightsail:GetInstance*"],
])
def test_wildcard_spellings_block(pack, actions) -> None:
    assert _aws020(pack, actions) == ["tool"]


def test_passrole_pinned_to_another_service_does_not_complete_a_passrole_path(pack) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["omics:CreateWorkflow", "omics:StartRun"], "Resource": "*"}]}
    assert flagged_names(pack, "AGID-AWS-020", (POLICY, "tool", {"policy": json.dumps(document)})) == []


def test_a_named_user_pool_password_reset_is_not_an_unbounded_one(pack) -> None:
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "ds:ResetUserPassword",
        "Resource": "arn:aws:ds:eu-west-1:111122223333:directory/d-1234567890"}]}
    assert flagged_names(pack, "AGID-AWS-020", (POLICY, "tool", {"policy": json.dumps(document)})) == []
