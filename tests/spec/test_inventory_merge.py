"""`agentid inventory` over several stacks or files: one inventory, each entry labelled with its stack or file."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from tests.spec.test_cli import ROOT, agentid


def _project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    agents = tmp_path / "stacks" / "agents"
    (agents / "prod.yaml").write_text((agents / "dev.yaml").read_text().replace("environment: dev", "environment: prod"))
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    return tmp_path


def test_two_stacks_merge_and_keep_the_same_agent_twice(tmp_path: Path):
    project = _project(tmp_path)
    result = agentid("inventory", "--stack", "dev", "--stack", "prod", "--format", "csv", cwd=project)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:3] == ["source", "agent", "owner"]
    by_stack = {stack: sorted({(r["agent"], r["environment"]) for r in rows if r["source"] == stack}) for stack in ("dev", "prod")}
    assert [agent for agent, _ in by_stack["dev"]] == [agent for agent, _ in by_stack["prod"]] and len(by_stack["dev"]) == 5
    assert {env for _, env in by_stack["dev"]} == {"dev"} and {env for _, env in by_stack["prod"]} == {"prod"}

    result = agentid("inventory", "--stack", "dev", "--stack", "prod", "--format", "json", cwd=project)
    document = json.loads(result.stdout)
    assert document["kind"] == "agentid/inventory-set"
    assert [(part["label"], part["kind"], part["source"]) for part in document["inventories"]] == [
        ("dev", "agentid/inventory", "stacks/agents/dev.yaml"), ("prod", "agentid/inventory", "stacks/agents/prod.yaml")]
    assert str(tmp_path) not in result.stdout  # no machine path in a shared inventory

    result = agentid("inventory", "--stack", "dev", "--stack", "prod", cwd=project)
    assert "| prod | support-triage |" in result.stdout and "| dev | support-triage |" in result.stdout
    assert "\n## Agent inventory (stacks/agents/prod.yaml)\n" in result.stdout


def test_a_directory_is_every_agent_file_in_it(tmp_path: Path):
    project = _project(tmp_path)
    result = agentid("inventory", "stacks/agents", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    labels = [part["label"] for part in json.loads(result.stdout)["inventories"]]
    assert labels == ["stacks/agents/dev.yaml", "stacks/agents/prod.yaml"]
    single = agentid("inventory", "stacks/agents/dev.yaml", "--format", "json", cwd=project)
    assert json.loads(single.stdout)["kind"] == "agentid/inventory"  # one file: the document that loads back


def test_what_cannot_be_listed_exits_2(tmp_path: Path):
    project = _project(tmp_path)
    cases = {("--stack", "platform"): "stack platform has no agent file (stacks/agents/platform.yaml does not exist)",
             ("--stack", "qa"): "no stack 'qa'",
             (): "name an agent file, a directory of them or --stack NAME"}
    for args, message in cases.items():
        result = agentid("inventory", *args, cwd=project)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    (project / "stacks" / "agents" / "prod.yaml").write_text("agents: []\n")
    result = agentid("inventory", "--stack", "dev", "--stack", "prod", cwd=project)
    assert result.returncode == 2 and "prod.yaml" in result.stderr and result.stdout == ""


def _revocation(document: dict, agent: str) -> list[str]:
    return next(a for a in document["agents"] if a["name"] == agent)["derived"]["revocation"]["aws"]


def test_revocation_steps_name_each_stacks_own_objects(tmp_path: Path):
    """dev's steps act on agent-X-dev, prod's on agent-X-prod (nameSuffix overrides the stack name)."""
    project = _project(tmp_path)
    (project / "stacks" / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  agent-identity-kit:nameSuffix: prod-eu\n")
    result = agentid("inventory", "--stack", "dev", "--stack", "prod", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    dev, prod = json.loads(result.stdout)["inventories"]
    assert (dev["name_suffix"], prod["name_suffix"]) == ("dev", "prod-eu")
    assert _revocation(dev, "report-builder")[0] == (
        "kill live sessions: `agentid revoke aws report-builder --inventory stacks/agents/dev.yaml --name-suffix dev` "
        "writes inline policy 'agentid-revoke-sessions' on role agent-report-builder-dev (Deny * when "
        "aws:TokenIssueTime is before now)")
    assert "role agent-report-builder-prod-eu " in _revocation(prod, "report-builder")[0]
    [cognito] = [step for step in _revocation(prod, "support-triage") if "Cognito" in step]
    assert cognito.startswith("delete the Cognito app client 'agent-support-triage-prod-eu'")
    assert "agent-report-builder-dev" not in json.dumps(prod) and "-prod-eu" not in json.dumps(dev)


def test_a_file_takes_the_suffix_of_the_one_stack_using_it(tmp_path: Path):
    project = _project(tmp_path)
    single = agentid("inventory", "agents/prod.yaml", "--format", "json", cwd=project / "stacks")
    assert single.returncode == 0, single.stderr
    assert json.loads(single.stdout)["name_suffix"] == "prod"  # found from the file's project, not the cwd
    (project / "stacks" / "Pulumi.staging.yaml").write_text(
        "config:\n  agent-identity-kit:agentsFile: agents/prod.yaml\n")
    shared = agentid("inventory", "stacks/agents/prod.yaml", cwd=project)
    assert shared.returncode == 2 and shared.stdout == ""
    assert ("stacks prod, staging all use it with different suffixes (or give --stack for each): pass --name-suffix "
            "SUFFIX") in shared.stderr
    chosen = agentid("inventory", "stacks/agents/prod.yaml", "--format", "json", "--name-suffix", "staging", cwd=project)
    assert json.loads(chosen.stdout)["name_suffix"] == "staging"
    bad = agentid("inventory", "stacks/agents/prod.yaml", "--name-suffix", "Prod_EU", cwd=project)
    assert bad.returncode == 2 and "--name-suffix 'Prod_EU' is not valid" in bad.stderr


GITHUB = ("stacks dev and prod both create the GitHub Actions OIDC provider (token.actions.githubusercontent.com), which "
          "one AWS account holds once: move it to the platform stack (platform: github_actions: true; config "
          "platformStack in each agent stack) or reference it (awsGithubOidcProviderArn)")
IRSA = ("stacks dev and prod both create the IRSA OIDC provider of https://aks-dev.oidc.example.net/00000000-0000-0000-"
        "0000-000000000000/, which one AWS account holds once: create it once and reference it in each stack "
        "(awsKubernetesOidcProviderArns)")
ENTRA = ("stacks dev and prod both create the Entra API application of https://catalog.data.example.com, which one "
         "Entra tenant holds once: move it to the platform stack (platform: apis with provider entra; config "
         "platformStack in each agent stack) or reference it (azureApiApplications)")


def _prod(project: Path, *lines: str) -> None:
    (project / "stacks" / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n" + "".join(f"  {line}\n" for line in lines))


def test_two_stacks_creating_one_accounts_shared_objects_are_named(tmp_path: Path):
    project = _project(tmp_path)
    inventory = agentid("inventory", "--stack", "dev", "--stack", "prod", "--format", "json", cwd=project)
    assert inventory.returncode == 0 and json.loads(inventory.stdout)["kind"] == "agentid/inventory-set"
    assert inventory.stderr.splitlines() == [f"warning: {GITHUB}", f"warning: {IRSA}", f"warning: {ENTRA}"]
    validate = agentid("validate", "--stack", "dev", "--stack", "prod", cwd=project)
    assert validate.returncode == 2
    assert [line for line in validate.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {GITHUB}", f"error: {IRSA}", f"error: {ENTRA}"]
    assert agentid("validate", "--stack", "dev", cwd=project).returncode == 0  # one stack alone collides with nothing


def test_referenced_or_platform_objects_and_other_accounts_do_not_collide(tmp_path: Path):
    project = _project(tmp_path)
    _prod(project, "agent-identity-kit:platformStack: organization/agent-identity-kit/platform")
    validate = agentid("validate", "--stack", "dev", "--stack", "prod", cwd=project)
    assert [line for line in validate.stderr.splitlines() if line.startswith("error:")] == [f"error: {IRSA}"]
    _prod(project, "agent-identity-kit:platformStack: organization/agent-identity-kit/platform",
          'agent-identity-kit:awsKubernetesOidcProviderArns: {"https://aks-dev.oidc.example.net/00000000-0000-0000-'
          '0000-000000000000/": "arn:aws:iam::111122223333:oidc-provider/aks-dev.oidc.example.net/x"}')
    validate = agentid("validate", "--stack", "dev", "--stack", "prod", cwd=project)
    assert validate.returncode == 0 and validate.stderr == "", validate.stderr
    _prod(project, "aws:allowedAccountIds: ['999999999999']", "azuread:tenantId: 4d2c1a77-0000-4000-8000-000000000001")
    (project / "stacks" / "Pulumi.dev.yaml").write_text(
        (project / "stacks" / "Pulumi.dev.yaml").read_text() + "  aws:allowedAccountIds: ['111122223333']\n")
    validate = agentid("validate", "--stack", "dev", "--stack", "prod", cwd=project)
    # other AWS account: no AWS collision; dev's tenant is not pinned, so the Entra application may still collide
    assert [line for line in validate.stderr.splitlines() if line.startswith("error:")] == [f"error: {ENTRA}"]
