"""`agentid validate` and `agentid inventory` as a user runs them: exit codes, output, files."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentid_components.loader import load_inventory

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "stacks" / "agents" / "dev.yaml"


def agentid(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentid.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_validate_example_stack_exits_0():
    result = agentid("validate", str(DEV))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{DEV}: ok (5 agents)"


def test_validate_reports_every_problem_and_exits_2(tmp_path):
    shutil.copytree(DEV.parent / "certs", tmp_path / "certs")
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEV.read_text().replace("dynamodb:GetItem", "dynamodb:GetItems").replace("    owner: finance-analytics\n", ""))
    result = agentid("validate", str(DEV), str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    text = bad.read_text().splitlines()
    action = next(n for n, line in enumerate(text, 1) if "dynamodb:GetItems" in line)
    report_builder = text.index("  - name: report-builder") + 1
    assert lines == [
        f"{bad}:{action}: agents[0].tools[0].aws.actions[0]: unknown AWS action 'dynamodb:GetItems': did you mean 'dynamodb:GetItem'?",
        f"{bad}:{report_builder}: agents[1].owner: required key 'owner' is missing (team or e-mail that answers for the agent)",
        f"{bad}: 2 problems",
    ]
    assert result.stdout.strip() == f"{DEV}: ok (5 agents)"


def test_validate_missing_file_exits_2(tmp_path):
    result = agentid("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{tmp_path / 'nope.yaml'}:1: cannot read the file: No such file or directory")


def test_json_inventory_round_trips_and_is_portable(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(DEV.parent, project / "stacks" / "agents")
    (project / "Pulumi.yaml").write_text("name: agent-identity-kit\nruntime: python\n")
    agents = project / "stacks" / "agents" / "dev.yaml"
    out = project / "reports" / "inventory.json"
    out.parent.mkdir()
    result = agentid("inventory", str(agents), "--format", "json", "--output", str(out))
    assert result.returncode == 2  # no stack of this project names the file: its physical names are unknown
    assert result.stderr == (
        f"agentid inventory: {agents}: the revocation steps name the stack's cloud objects, which end in its name "
        "suffix, and no stack of a Pulumi project holding it uses it: pass --name-suffix SUFFIX (config nameSuffix, "
        "by default the stack name, e.g. dev; '' for names without one)\n")
    assert not out.exists()
    result = agentid("inventory", str(agents), "--format", "json", "--output", str(out), "--name-suffix", "qa")
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["name_suffix"] == "qa"
    assert document["kind"] == "agentid/inventory"
    ingest = next(a for a in document["agents"] if a["name"] == "data-ingest")
    assert ingest["derived"]["clouds"] == ["aws", "azure"]
    assert ingest["derived"]["credential_lifetime_minutes"] == 30
    assert ingest["derived"]["trust_bindings"][0] == "spiffe: spiffe://data.example.org/ns/ingest/sa/partner-loader"
    assert ingest["derived"]["revocation"]["aws"][0] == (
        f"kill live sessions: `agentid revoke aws data-ingest --inventory ../stacks/agents/dev.yaml --name-suffix qa` "
        "writes inline policy 'agentid-revoke-sessions' on role agent-data-ingest-qa (Deny * when aws:TokenIssueTime "
        "is before now)")
    # No absolute path: the files it names are relative to the JSON file, so the whole checkout can move.
    assert "base_dir" not in document and str(tmp_path) not in out.read_text()
    assert ingest["trust"][0]["spiffe"]["ca_bundle"] == "../stacks/agents/certs/data-example-org-ca.pem"
    assert document["source"] == "../stacks/agents/dev.yaml"
    moved = tmp_path / "moved"
    project.rename(moved)
    assert load_inventory(moved / "reports" / "inventory.json").inventory == load_inventory(moved / "stacks" / "agents" / "dev.yaml").inventory.model_copy(
        update={"agents": [
            a.model_copy(update={"trust": [b.model_copy(update={"spiffe": b.spiffe.model_copy(update={"ca_bundle": "../stacks/agents/" + b.spiffe.ca_bundle})})
                                           if b.spiffe and b.spiffe.ca_bundle else b for b in a.trust]})
            for a in load_inventory(moved / "stacks" / "agents" / "dev.yaml").inventory.agents]})
    assert agentid("validate", str(moved / "reports" / "inventory.json"), cwd=tmp_path).returncode == 0


def test_csv_inventory_has_one_row_per_permission():
    result = agentid("inventory", str(DEV), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    triage = [r for r in rows if r["agent"] == "support-triage"]
    assert [(r["tool"], r["permission"]) for r in triage] == [
        ("read-tickets", "dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets"),
        ("read-tickets", "dynamodb:Query on arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets, "
                         "arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets/index/by-customer"),
        ("ticket-mcp", "tickets.read on https://mcp.tickets.example.com (cognito)"),
        ("ticket-mcp", "tickets.comment on https://mcp.tickets.example.com (cognito)"),
    ]
    assert triage[0]["owner"] == "support-platform@example.com"
    assert "delete the EKS Pod Identity association dev-agents/support/triage-agent" in triage[0]["revocation"]


def test_markdown_inventory_lists_owner_trust_and_revocation():
    result = agentid("inventory", str(DEV), "--format", "markdown")
    assert result.returncode == 0
    assert "| report-builder | finance-analytics | dev | 2099-03-31 | aws, azure | 10 min |" in result.stdout
    assert "- `github_actions: repo:example-org/platform-deployments:environment:plan-review`" in result.stdout
    assert "delete the federated identity credentials of managed identity id-agent-deploy-reviewer" in result.stdout


def test_inventory_of_invalid_file_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: []\n")
    out = tmp_path / "out.json"
    result = agentid("inventory", str(bad), "--format", "json", "--output", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{bad}:1: agents: 'agents' is empty: list at least one entry"
    assert not out.exists()


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["inventory", "--help"]])
def test_help(args):
    result = agentid(*args)
    assert result.returncode == 0 and "Usage" in result.stdout
