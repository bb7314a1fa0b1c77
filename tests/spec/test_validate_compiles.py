"""`agentid validate` refuses what the components refuse (red5: a spec granting
Microsoft.Authorization/roleAssignments/write, or AKS run command, at a resource group was "ok" in validate and
refused, or passed, in the preview): the same cloud compilers run on each agent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.runtime.cli import agentid

SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"


def spec_with(tmp_path: Path, actions: list[str]) -> Path:
    file = tmp_path / "agents.yaml"
    file.write_text(yaml.safe_dump({"agents": [{
        "name": "a", "owner": "team-a", "purpose": "p", "environment": "dev", "review_by": "2031-01-01",
        "tools": [{"name": "t", "azure": {"actions": actions, "scope": SCOPE}}],
        "trust": [{"github_actions": {"repository": "acme/x", "branch": "main"}}]}]}, sort_keys=False))
    return file


@pytest.mark.parametrize("operation, words", [
    ("Microsoft.Authorization/roleAssignments/write", "grant access or add credentials"),
    ("Microsoft.ContainerService/managedClusters/runCommand/action", "AKS cluster's own credential"),
    ("Microsoft.Compute/virtualMachines/runCommand/action", "run code on virtual machines"),
    ("Microsoft.Web/sites/publish/Action", "App Service or Functions app's code"),
    ("Microsoft.Storage/storageAccounts/listKeys/action", "account keys or admin credentials"),
])
def test_validate_refuses_what_the_azure_compiler_refuses(tmp_path, operation, words):
    file = spec_with(tmp_path, ["Microsoft.Storage/storageAccounts/read", operation])
    result = agentid("validate", str(file), "--allow-outside-files")
    assert result.returncode == 2, result.stdout
    [line, summary] = result.stderr.strip().splitlines()
    assert line.startswith(f"{file}:2: agents[0]: agent 'a', tool 't': '{operation}' lets the agent ")
    assert words in line and summary == f"{file}: 1 problem"


def test_validate_passes_the_look_alike_reads(tmp_path):
    file = spec_with(tmp_path, ["Microsoft.ContainerService/managedClusters/read",
                                "Microsoft.ContainerService/managedClusters/commandResults/read",
                                "Microsoft.Compute/virtualMachines/runCommands/read"])
    result = agentid("validate", str(file), "--allow-outside-files")
    assert result.returncode == 0 and result.stdout.strip() == f"{file}: ok (1 agents)", result.stderr


# --- red22 r22-4: AWS resource-policy writes on existing resources, refused like their Azure / GCP twins ----------

ACCOUNT = "111122223333"


def aws_spec_with(tmp_path: Path, actions: list[str], resources: list[str]) -> Path:
    file = tmp_path / "agents.yaml"
    file.write_text(yaml.safe_dump({"agents": [{
        "name": "a", "owner": "team-a", "purpose": "p", "environment": "dev", "review_by": "2031-01-01",
        "tools": [{"name": "t", "aws": {"actions": actions, "resources": resources}}],
        "trust": [{"github_actions": {"repository": "acme/x", "branch": "main"}}]}]}, sort_keys=False))
    return file


@pytest.mark.parametrize("action, resource", [
    ("kms:PutKeyPolicy", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("kms:CreateGrant", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("secretsmanager:PutResourcePolicy", f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:prod-db-AbCdEf"),
    ("lambda:AddPermission", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:support-admin"),
    ("lambda:CreateFunctionUrlConfig", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:support-admin"),
    ("lambda:UpdateFunctionUrlConfig", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:support-admin"),
    ("sqs:SetQueueAttributes", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:support-tickets"),
    ("sqs:AddPermission", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:support-tickets"),
    ("sns:SetTopicAttributes", f"arn:aws:sns:eu-west-1:{ACCOUNT}:events"),
    ("s3:PutBucketPolicy", "arn:aws:s3:::agent-reports"),
    ("s3:PutObjectAcl", "arn:aws:s3:::agent-reports/*"),
    ("ecr:SetRepositoryPolicy", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/images"),
    ("glacier:SetVaultAccessPolicy", f"arn:aws:glacier:eu-west-1:{ACCOUNT}:vaults/archive"),
    ("elasticfilesystem:PutFileSystemPolicy", f"arn:aws:elasticfilesystem:eu-west-1:{ACCOUNT}:file-system/fs-12345678"),
])
def test_validate_refuses_aws_resource_policy_writes(tmp_path, action, resource):
    file = aws_spec_with(tmp_path, [action], [resource])
    result = agentid("validate", str(file), "--allow-outside-files")
    assert result.returncode == 2, result.stdout
    [line, summary] = result.stderr.strip().splitlines()
    assert line.startswith(f"{file}:2: agents[0]: agent 'a', tool 't': {action} rewrites who may use the resource")
    assert "agent tools never hold it" in line and "kms:Decrypt" in line  # what would be valid instead
    assert summary == f"{file}: 1 problem"


def test_validate_passes_the_aws_data_actions_on_the_same_resources(tmp_path):
    file = aws_spec_with(tmp_path, ["secretsmanager:GetSecretValue"],
                         [f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:prod-db-AbCdEf"])
    result = agentid("validate", str(file), "--allow-outside-files")
    assert result.returncode == 0 and result.stdout.strip() == f"{file}: ok (1 agents)", result.stderr


def test_the_kits_own_agent_specs_still_validate():
    for file in sorted((Path(__file__).resolve().parents[2] / "stacks" / "agents").glob("*.yaml")):
        result = agentid("validate", str(file))
        assert result.returncode == 0, result.stderr
