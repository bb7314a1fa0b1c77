"""The CI workflow and pre-commit hooks shipped in the repository say what the docs promise."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

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
    # The pull request's program never runs outside the sandbox in CI (and the runner may sandbox it).
    assert "--require-sandbox" in runs and "kernel.apparmor_restrict_unprivileged_userns=0" in runs
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


# --- the template runs as written: schema, security audit, pins, matrix, deploy, forks ------------------------------

WORKFLOW = REPO / ".github" / "workflows" / "agent-identity.yml"
TOOLS = Path(sys.executable).parent


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_is_valid_against_githubs_workflow_schema() -> None:
    run = subprocess.run([str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above_offline() -> None:
    run = subprocess.run([str(TOOLS / "zizmor"), "--offline", "--format", "json", "--min-severity", "medium", str(WORKFLOW)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and json.loads(run.stdout) == [], run.stdout + run.stderr


def test_every_action_is_pinned_to_a_commit_and_names_its_release() -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", WORKFLOW.read_text(), re.M)
    assert len(uses) >= 9
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), (action, comment)


def test_the_matrix_is_computed_from_the_stack_files(tmp_path: Path) -> None:
    jobs = _workflow()["jobs"]
    for job in ("gate", "deploy"):
        assert jobs[job]["needs"] == "stacks"
        assert jobs[job]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    script = next(s["run"] for s in jobs["stacks"]["steps"] if s.get("id") == "list")
    (tmp_path / "stacks").mkdir()
    for name in ("Pulumi.dev.yaml", "Pulumi.prod-eu.yaml", "Pulumi.platform.yaml", "Pulumi.yaml.bak", "dev.yaml"):
        (tmp_path / "stacks" / name).write_text("config: {}\n")
    output = tmp_path / "github_output"
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env={**os.environ, "GITHUB_OUTPUT": str(output)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert output.read_text() == 'stacks=["platform", "dev", "prod-eu"]\n'  # deployed first: agent stacks read it
    (tmp_path / "stacks" / "Pulumi.$(id).yaml").write_text("config: {}\n")  # a file name is not a shell command
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env={**os.environ, "GITHUB_OUTPUT": str(output)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "stack names must match" in run.stderr


def test_matrix_values_reach_the_shell_only_as_variables() -> None:
    for name, job in _workflow()["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), (name, step.get("name"))


def test_the_deploy_job_creates_the_virtualenv_pulumi_yaml_names_and_selects_the_stack() -> None:
    venv = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["runtime"]["options"]["virtualenv"]
    deploy = _workflow()["jobs"]["deploy"]
    runs = [s.get("run", "") for s in deploy["steps"]]
    create = next(i for i, r in enumerate(runs) if f"python3 -m venv {venv} " in r)
    assert f"{venv}/bin/pip install -q -e .\n" in runs[create] and "[dev]" not in WORKFLOW.read_text()
    select = next(i for i, r in enumerate(runs) if r.startswith('pulumi stack select --create "$STACK"'))
    first_pulumi = next(i for i, r in enumerate(runs) if r.startswith(("pulumi preview", "pulumi up")))
    assert create < select < first_pulumi


def test_fork_pull_requests_skip_the_sarif_upload_and_keep_the_reports() -> None:
    gate = _workflow()["jobs"]["gate"]
    upload = next(s for s in gate["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "!github.event.pull_request.head.repo.fork" in upload["if"]
    keep = next(s for s in gate["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert keep["if"] == "always()"


# --- pre-commit: hooks that apply here, and a consumer's working agentid-preview -------------------------------------


def _tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.mark.parametrize("hook", LOCAL_HOOKS, ids=lambda h: h["id"])
def test_each_local_hook_matches_files_that_exist(hook: dict) -> None:
    assert any(re.search(hook["files"], path) for path in _tracked_files()), hook["files"]


def test_the_offered_lint_hook_matches_the_repositorys_policy_json() -> None:
    lint = next(h for h in OFFERED_HOOKS if h["id"] == "agentid-lint")
    matched = [p for p in _tracked_files() if re.search(lint["files"], p) and p.endswith(".json")]
    assert matched == ["policies/github-deploy-role-trust.json"]


@pytest.mark.skipif(not shutil.which("git"), reason="pre-commit needs git")
def test_a_consumer_gets_a_working_agentid_preview_hook(tmp_path: Path) -> None:
    """`pre-commit try-repo` installs this repository as a consumer's hook would (its own virtualenv, no editable
    install, offline from the package index this machine is configured with) and runs agentid-preview in a
    repository that has only a Pulumi project and an agent file: the default pack comes from the install."""
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    shutil.copy(REPO / "Pulumi.yaml", consumer)
    shutil.copytree(REPO / "stacks", consumer / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "waivers.yaml", consumer)  # the dev stack's waiver and trusted issuers (AGID-AZ-001, GEN-003)
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=consumer, check=True)
    subprocess.run([*git, "add", "-A"], cwd=consumer, check=True)
    subprocess.run([*git, "commit", "-qm", "consumer"], cwd=consumer, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    # A hang guard: the hook's virtualenv installs the kit and about 1 GB of dependencies, which took 10 minutes on
    # this 2-core machine while other installs ran, half of the 1,200 s this allowed before.
    run = subprocess.run([str(TOOLS / "pre-commit"), "try-repo", str(REPO), "agentid-preview", "--all-files",
                          "--hook-stage", "pre-push", "--verbose"],
                         cwd=consumer, env=env, capture_output=True, text=True, timeout=2400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert re.search(r"agentid preview\.+Passed", run.stdout)
    assert "PASS" in run.stdout  # the gate's own verdict, printed by the hook
