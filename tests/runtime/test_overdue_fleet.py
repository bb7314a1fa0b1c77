"""An overdue review is a finding on that agent, never a reason the emergency commands refuse to work.

Before: a past `review_by` made the whole file fail to load, so `inventory`, `audit aws` and `revoke aws`
refused every agent on the day an owner missed a review, and `revoke` needed every agent's certificate file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from agentid_components import naming
from tests.runtime.cli import agentid, agentid_process
from tests.runtime.deployed import deploy_agent
from tests.runtime.test_audit import iam

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "stacks" / "agents" / "dev.yaml"
CA_BUNDLE = "data-example-org-ca.pem"  # data-ingest's SPIFFE trust anchor: a file only that agent names


@pytest.fixture
def overdue_fleet(tmp_path: Path, today: dt.date) -> Path:
    """The dev agents with report-builder's review a day overdue."""
    shutil.copytree(DEV.parent, tmp_path / "agents")
    agents = tmp_path / "agents" / "dev.yaml"
    assert "review_by: 2099-03-31" in agents.read_text()  # report-builder's
    text = agents.read_text().replace("review_by: 2099-03-31", f"review_by: {today - dt.timedelta(days=1)}")
    agents.write_text(text)
    return agents


def test_validate_reports_the_overdue_agent_at_its_line_and_exits_1(overdue_fleet, today):
    result = agentid_process("validate", str(overdue_fleet))
    assert result.returncode == 1, result.stderr
    line = next(n for n, text in enumerate(overdue_fleet.read_text().splitlines(), 1) if f"review_by: {today - dt.timedelta(days=1)}" in text)
    assert result.stderr.splitlines() == [
        f"{overdue_fleet}:{line}: agents[1].review_by: review of agent 'report-builder' is overdue: review_by "
        f"{today - dt.timedelta(days=1)} is before today ({today}); finance-analytics must re-approve the agent and set "
        f"a date on or after {today}",
        f"{overdue_fleet}: valid, 1 overdue review",
    ]


def test_a_review_due_today_is_not_overdue(tmp_path, today):
    shutil.copytree(DEV.parent, tmp_path / "agents")
    agents = tmp_path / "agents" / "dev.yaml"
    agents.write_text(agents.read_text().replace("review_by: 2099-03-31", f"review_by: {today}"))
    assert f"review_by: {today}" in agents.read_text()
    assert agentid_process("validate", str(agents)).returncode == 0


def test_today_comes_from_the_flag_and_a_bad_date_is_one_line(overdue_fleet):
    assert agentid_process("--today", "2099-03-01", "validate", str(DEV)).returncode == 1  # deploy-reviewer: 2099-02-28
    assert agentid_process("--today", "2099-02-28", "validate", str(DEV)).returncode == 0  # the earliest review date
    bad = agentid_process("--today", "tomorrow", "validate", str(DEV))
    assert bad.returncode == 2
    assert "--today: 'tomorrow' is not a date (YYYY-MM-DD)" in bad.stderr and "Traceback" not in bad.stderr


def test_inventory_lists_overdue_agents(overdue_fleet, tmp_path):
    (overdue_fleet.parent / "certs" / CA_BUNDLE).unlink()  # inventory still checks the files...
    assert agentid("inventory", str(overdue_fleet)).returncode == 2
    shutil.copy(DEV.parent / "certs" / CA_BUNDLE, overdue_fleet.parent / "certs")  # ...and renders with them
    result = agentid("inventory", str(overdue_fleet), "--format", "json", "-o", str(tmp_path / "inventory.json"),
                     "--name-suffix", "dev")
    assert result.returncode == 0, result.stderr
    names = [a["name"] for a in json.loads((tmp_path / "inventory.json").read_text())["agents"]]
    assert names == ["support-triage", "report-builder", "deploy-reviewer", "data-ingest", "bq-analyst"]


def test_revoke_works_on_an_overdue_agent_without_another_agents_certificate(aws, overdue_fleet):
    (overdue_fleet.parent / "certs" / CA_BUNDLE).unlink()
    for agent in ("report-builder", "support-triage"):
        iam(aws).create_role(RoleName=naming.aws_role_name(agent), AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}))
        result = agentid_process("revoke", "aws", agent, "--inventory", str(overdue_fleet), "--endpoint-url", aws)
        assert result.returncode == 0, result.stderr
        assert iam(aws).get_role_policy(RoleName=naming.aws_role_name(agent), PolicyName=naming.REVOKE_POLICY_NAME)


def test_audit_reports_the_overdue_review_as_a_finding_on_that_agent(aws, overdue_fleet, today):
    from agentid_components.loader import load_inventory

    for agent in load_inventory(DEV).inventory.agents:
        if "aws" in agent.clouds:
            deploy_agent(aws, agent)
    (overdue_fleet.parent / "certs" / CA_BUNDLE).unlink()
    result = agentid("audit", "aws", "--inventory", str(overdue_fleet), "--endpoint-url", aws, "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["agent"], f["principal"]) for f in findings] == [
        ("review-overdue", "report-builder", f"arn:aws:iam::{naming_account(findings)}:role/agent-report-builder"),
    ]
    assert findings[0]["message"].startswith("review of agent 'report-builder' is overdue")


def naming_account(findings: list[dict]) -> str:
    return findings[0]["principal"].split(":")[4]
