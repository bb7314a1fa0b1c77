"""Spec and config errors annotate the pull request: SARIF results at their file and line, one line on the console.

Before: an invalid agent file or a stack config the components refuse gave a SARIF log with no result (only a
tool notification, which code scanning does not show on the diff), and a config error printed a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import AGENT_GUARD, run_cli


def _results(run) -> list[tuple[str, str, int, str]]:
    log = run.json("out.sarif")
    results = log["runs"][0]["results"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"], r["message"]["text"]) for r in results]


def test_each_spec_problem_is_a_result_at_its_line(project: Path) -> None:
    agents = project / "stacks" / "agents" / "dev.yaml"
    text = agents.read_text()
    agents.write_text(text.replace("[dynamodb:GetItem,", "[dynamodb:GetItems,", 1).replace("    owner: finance-analytics\n", ""))
    bad_action = next(n for n, line in enumerate(agents.read_text().splitlines(), 1) if "dynamodb:GetItems" in line)
    run = run_cli(project, "--policy-pack", str(AGENT_GUARD), "--sarif", "out.sarif")
    assert run.code == 2, run.stdout
    results = _results(run)
    assert [(rule, uri) for rule, uri, _, _ in results] == [("agentid/spec", "stacks/agents/dev.yaml")] * 2
    assert results[0][2] == bad_action
    assert results[0][3].startswith("agents[0].tools[0].aws.actions[0]: unknown AWS action 'dynamodb:GetItems'")
    assert results[1][3].startswith("agents[1].owner: required key 'owner' is missing")


def test_a_config_error_is_one_line_and_a_result_at_the_stack_config(project: Path) -> None:
    config = project / "stacks" / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("agent-identity-kit:azureResourceGroup: rg-agent-identities-dev",
                                                 "agent-identity-kit:azureResourceGroup: 'not a group!'"))
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "azureResourceGroup" in text)
    run = run_cli(project, "--policy-pack", str(AGENT_GUARD), "--sarif", "out.sarif", "--json", "out.json")
    assert run.code == 2, run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    error_lines = [text for text in run.stdout.splitlines() if text.startswith("error (config): ")]
    assert len(error_lines) == 1 and "azureResourceGroup 'not a group!'" in error_lines[0], run.stdout
    assert [(rule, uri, at) for rule, uri, at, _ in _results(run)] == [("agentid/config", "stacks/Pulumi.dev.yaml", line)]
    assert run.json("out.json")["error"]["kind"] == "config"


def test_a_missing_resource_group_is_one_line_without_traceback(project: Path) -> None:
    config = project / "stacks" / "Pulumi.dev.yaml"
    config.write_text("\n".join(t for t in config.read_text().splitlines() if "azureResourceGroup" not in t) + "\n")
    run = run_cli(project, "--policy-pack", str(AGENT_GUARD), "--sarif", "out.sarif")
    assert run.code == 2 and "Traceback" not in run.stdout + run.stderr
    error_lines = [text for text in run.stdout.splitlines() if text.startswith("error (config): ")]
    assert len(error_lines) == 1 and "pulumi config set agent-identity-kit:azureResourceGroup RG" in error_lines[0]
    assert [(rule, uri) for rule, uri, _, _ in _results(run)] == [("agentid/config", "stacks/Pulumi.dev.yaml")]


def test_preview_json_carries_the_outputs_the_broker_reads(project: Path) -> None:
    from agentid.runtime import AgentGrants

    run = run_cli(project, "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code == 0, run.stdout
    outputs = run.json("out.json")["outputs"]
    assert set(outputs) == {"inventory"}  # no output holds a secret: Cognito's client secret is in Secrets Manager
    cognito = AgentGrants.from_stack_outputs(json.loads(json.dumps(outputs)), "support-triage").oauth_tools["ticket-mcp"]
    assert cognito.client_secret_ref.startswith("arn:aws:secretsmanager:") and cognito.issuer.startswith("https://cognito-idp.")
    grants = AgentGrants.from_stack_outputs(json.loads(json.dumps(outputs)), "report-builder")
    assert grants.role_arn.endswith(":role/agent-report-builder-dev")
    assert set(grants.session_policies) == {"read-sales-exports", "list-sales-exports"}


def test_an_overdue_review_is_a_finding_on_that_agent_not_a_failed_run(project: Path, today) -> None:
    import datetime as dt

    agents = project / "stacks" / "agents" / "dev.yaml"
    text = agents.read_text()
    assert "review_by: 2099-03-31" in text  # report-builder's
    agents.write_text(text.replace("review_by: 2099-03-31", f"review_by: {today - dt.timedelta(days=1)}"))
    run = run_cli(project, "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code == 0, run.stdout  # advisory: the gate still reaches a verdict on the whole stack
    result = run.json("out.json")
    assert result["error"] is None and result["verdict"] == "pass"
    overdue = {(v["policy"], v["agent"]) for v in result["violations"] if "has passed" in v["message"]}
    assert overdue == {("AGID-INV-001", "report-builder")}
