"""pathfinding.cloud one-hop paths to admin, over gRPC (red7b f10): each grant on Resource "*" is AGID-AWS-020
(escalation). They had been only AGID-AWS-012's advisory. Look-alikes: the same service's reads, and the
creating actions without the role to pass. Sources: https://pathfinding.cloud/paths/<id> (named per case).
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

PASS = "iam:PassRole"
PATHS = {
    "ecs-008": [PASS, "ecs:RunTask"],
    "batch-002": ["batch:SubmitJob"],
    "cognito-identity-001": [PASS, "cognito-identity:SetIdentityPoolRoles"],
    "amplify-001": [PASS, "amplify:CreateApp", "amplify:CreateBranch", "amplify:StartJob"],
    "braket-001": [PASS, "braket:CreateJob"],
    "bedrock-003": [PASS, "bedrock-agentcore:CreateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime"],
    "bedrock-004": ["bedrock-agentcore:InvokeAgentRuntimeCommand"],
    "bedrock-006": [PASS, "bedrock-agentcore:CreateBrowser", "bedrock-agentcore:StartBrowserSession",
                    "bedrock-agentcore:ConnectBrowserAutomationStream"],
    "bedrock-007": ["bedrock-agentcore:StartBrowserSession", "bedrock-agentcore:ConnectBrowserAutomationStream"],
    "codedeploy-001": ["codedeploy:CreateDeployment"],
    "glue-007": [PASS, "glue:CreateSession", "glue:RunStatement"],
}
LOOK_ALIKES = {
    "ecs-008": ["ecs:DescribeTasks", "ecs:ListTasks"],
    "cognito-identity-001": ["cognito-identity:GetIdentityPoolRoles"],
    "amplify-001": ["amplify:CreateApp", "amplify:CreateBranch", "amplify:GetJob"],
    "braket-001": ["braket:GetJob", "braket:SearchJobs"],
    "glue-007": ["glue:CreateSession", "glue:GetSession"],
    "bedrock-006": ["bedrock-agentcore:GetBrowser", "bedrock-agentcore:ListBrowsers"],
}


def policy(actions: list[str]) -> tuple:
    return ("aws:iam/rolePolicy:RolePolicy", "agent-policy", {"role": "agent-role", "policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})})


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_one_hop_path_to_admin_on_every_resource_escalates(pack, path) -> None:
    assert set(flagged_names(pack, "AGID-AWS-020", policy(PATHS[path]), "mandatory")) == {"agent-policy"}, path


@pytest.mark.parametrize("path", sorted(LOOK_ALIKES))
def test_its_reads_or_half_of_it_do_not(pack, path) -> None:
    assert flagged_names(pack, "AGID-AWS-020", policy(LOOK_ALIKES[path])) == [], path
