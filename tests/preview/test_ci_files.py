"""The CI workflow and pre-commit hooks shipped in the repository say what the docs promise."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from typer.main import get_command

from .conftest import REPO


def _registered_commands() -> set[str]:
    from agentid import cli

    cli._register_commands()
    return set(get_command(cli.app).commands)


def test_pull_requests_run_the_offline_gate_and_upload_sarif() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "agent-identity.yml").read_text())
    gate = workflow["jobs"]["gate"]
    assert gate["if"] == "github.event_name == 'pull_request'"
    assert gate["permissions"]["security-events"] == "write"
    runs = " ".join(step.get("run", "") for step in gate["steps"])
    assert "pip install -q -e ." in runs
    assert gate["env"]["STACK"] == "${{ matrix.stack }}"  # a value from file names reaches the shell as a variable
    assert 'agentid preview --stack "$STACK"' in runs and '--sarif "preview-$STACK.sarif"' in runs
    upload = next(s for s in gate["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "preview-${{ matrix.stack }}.sarif"
    assert upload["if"].startswith("always()")  # the alerts matter most when the gate fails


def test_main_deploys_with_the_pack_and_oidc_credentials_only() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "agent-identity.yml").read_text())
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"]["id-token"] == "write"
    uses = {s["uses"].split("@")[0]: s for s in deploy["steps"] if "uses" in s}
    assert "role-to-assume" in uses["aws-actions/configure-aws-credentials"]["with"]
    assert "aws-access-key-id" not in uses["aws-actions/configure-aws-credentials"]["with"]
    assert set(uses["azure/login"]["with"]) == {"client-id", "tenant-id", "subscription-id"}  # federated, no secret
    runs = [s.get("run", "") for s in deploy["steps"]]
    assert any(r.startswith("pulumi preview") and "--policy-pack policy_packs/agent_guard" in r for r in runs)
    assert any(r.startswith("pulumi up") and "--policy-pack policy_packs/agent_guard" in r for r in runs)


LOCAL_HOOKS = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
OFFERED_HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


def test_the_repository_and_its_consumers_get_the_same_hooks() -> None:
    ids = {"agentid-validate", "agentid-lint", "agentid-preview"}
    assert {h["id"] for h in LOCAL_HOOKS} == {h["id"] for h in OFFERED_HOOKS} == ids
    validate = next(h for h in LOCAL_HOOKS if h["id"] == "agentid-validate")
    assert re.search(validate["files"], "stacks/agents/dev.yaml")
    assert not re.search(validate["files"], "stacks/Pulumi.dev.yaml")


@pytest.mark.parametrize("hook", LOCAL_HOOKS + OFFERED_HOOKS, ids=lambda h: h["id"])
def test_each_hook_calls_a_command_the_cli_has(hook: dict) -> None:
    program, command, *_ = shlex.split(hook["entry"])
    assert program == "agentid"
    assert command in _registered_commands()
