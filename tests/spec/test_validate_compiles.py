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
