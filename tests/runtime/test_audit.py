"""`agentid audit aws` against a real moto server holding what the kit deploys, plus planted problems."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid, agentid_process
from tests.runtime.deployed import ACCOUNT, deploy_agent

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "stacks" / "agents" / "dev.yaml"
LOADED = load_inventory(DEV)
INVENTORY = LOADED.inventory
PINNED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/shadow:ref:refs/heads/main",
        }},
    }],
}
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def audit_json(url: str, inventory: Path = DEV, process: bool = False) -> tuple[int, dict]:
    run = agentid_process if process else agentid
    result = run("audit", "aws", "--inventory", str(inventory), "--endpoint-url", url, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def iam(url: str):
    return boto3.client("iam", endpoint_url=url, region_name="us-east-1")


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture
def deployed(aws):
    for agent in INVENTORY.agents:
        if "aws" in agent.clouds:  # agents on other clouds only have no role to deploy
            deploy_agent(aws, agent)
    return aws


def add_trust_statement(url: str, role: str, statement: dict) -> None:
    client = iam(url)
    document = client.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    document["Statement"].append(statement)
    client.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(document))


def test_the_kits_own_deployment_is_clean_even_after_a_revoke(deployed):
    # the statement the broker's AssumeRole needs when the agent already runs as its role (Roles Anywhere)
    add_trust_statement(deployed, "agent-data-ingest", {
        "Sid": "BrokerSelfAssume", "Effect": "Allow", "Principal": {"AWS": role_arn("agent-data-ingest")},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    })
    iam(deployed).create_role(RoleName="unrelated-service-role", AssumeRolePolicyDocument=json.dumps(PINNED_TRUST))
    iam(deployed).create_user(UserName="alice")  # a human: not the audit's business
    assert agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", deployed).returncode == 0
    code, report = audit_json(deployed)
    assert (code, report["findings"]) == (0, [])
    table = agentid("audit", "aws", "--inventory", str(DEV), "--endpoint-url", deployed)
    assert table.returncode == 0
    assert table.stdout.strip() == "no findings: every agent identity in the account matches the inventory"


def test_finds_a_planted_key_an_undeclared_agent_role_and_an_extra_wildcard_policy(deployed):
    client = iam(deployed)
    # a static key on an IAM user named after an inventoried agent
    client.create_user(UserName="report-builder")
    key_id = client.create_access_key(UserName="report-builder")["AccessKey"]["AccessKeyId"]
    # an agent role the inventory does not declare (tagged like ours), trusting anyone
    client.create_role(
        RoleName="shadow-bot-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
        Tags=[{"Key": "agent", "Value": "shadow-bot"}],
    )
    # an extra wildcard policy on a declared agent's role
    wildcard = client.create_policy(PolicyName="quick-fix", PolicyDocument=json.dumps(WILDCARD))["Policy"]["Arn"]
    client.attach_role_policy(RoleName="agent-data-ingest", PolicyArn=wildcard)

    code, report = audit_json(deployed, process=True)
    assert code == 1
    found = sorted((f["rule"], f["agent"], f["principal"], f["level"]) for f in report["findings"])
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/report-builder"
    assert found == sorted([
        ("agent-access-key", "report-builder", user_arn, "error"),
        ("agent-iam-user", "report-builder", user_arn, "error"),
        ("broad-grant", "data-ingest", role_arn("agent-data-ingest"), "error"),
        ("excess-grant", "data-ingest", role_arn("agent-data-ingest"), "warning"),  # the kit's boundary still caps it
        ("unknown-agent-identity", "shadow-bot", role_arn("shadow-bot-role"), "error"),
        ("weak-trust", "shadow-bot", role_arn("shadow-bot-role"), "error"),
    ])
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["agent-access-key"]["detail"] == key_id
    assert f"access key {key_id} of IAM user report-builder (agent 'report-builder'): Active" in by_rule["agent-access-key"]["message"]
    assert "never used" in by_rule["agent-access-key"]["message"]
    excess = by_rule["excess-grant"]["message"]
    assert excess.startswith(f"role agent-data-ingest: managed policy {wildcard} grants ")
    assert "s3:DeleteBucket on *" in excess or "and " in excess
    assert f"the permissions boundary arn:aws:iam::{ACCOUNT}:policy/agent-data-ingest-boundary blocks them today" in excess
    assert by_rule["broad-grant"]["detail"] == f"broad-action@managed policy {wildcard}:Statement[0] (Everything)"
    assert by_rule["weak-trust"]["detail"].startswith("public-principal@")
    assert "tag agent=shadow-bot" in by_rule["unknown-agent-identity"]["message"]


def test_excess_grant_without_a_boundary_is_an_error_and_names_what_is_extra(deployed):
    client = iam(deployed)
    client.delete_role_permissions_boundary(RoleName="agent-report-builder")
    client.put_role_policy(RoleName="agent-report-builder", PolicyName="extra", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::example-sales-exports/weekly/*"}],
    }))
    code, report = audit_json(deployed)
    assert code == 1
    [finding] = report["findings"]
    assert (finding["rule"], finding["level"], finding["detail"]) == ("excess-grant", "error", "inline policy extra")
    # s3:GetObject there is declared (read-sales-exports); only the write is extra
    assert finding["message"] == (
        "role agent-report-builder: inline policy extra grants 1 action(s) that agent 'report-builder' does not declare: "
        "s3:PutObject on arn:aws:s3:::example-sales-exports/weekly/*; remove it (the agent's tools are its only grants)"
    )


def test_inventory_agents_missing_from_the_account_and_agent_named_users(aws):
    deploy_agent(aws, INVENTORY.agent("report-builder"))
    iam(aws).create_user(UserName="agent-ghost")
    iam(aws).create_role(  # a second role claiming a declared agent
        RoleName="report-builder-legacy", AssumeRolePolicyDocument=json.dumps(PINNED_TRUST),
        Tags=[{"Key": "agent", "Value": "report-builder"}],
    )
    code, report = audit_json(aws)
    assert code == 1
    found = sorted((f["rule"], f["agent"]) for f in report["findings"])
    assert found == [
        ("agent-iam-user", "ghost"),
        ("agent-missing", "data-ingest"),
        ("agent-missing", "deploy-reviewer"),
        ("agent-missing", "support-triage"),
        ("undeclared-trust", "report-builder"),  # the legacy role trusts a repository report-builder does not declare
        ("unknown-agent-identity", "ghost"),
        ("unknown-agent-identity", "report-builder"),
    ]
    legacy = next(f for f in report["findings"] if f["rule"] == "unknown-agent-identity" and f["agent"] == "report-builder")
    assert legacy["message"] == (
        "role report-builder-legacy belongs to agent 'report-builder' (tag agent=report-builder), whose one role is "
        "agent-report-builder: a second identity the inventory does not know; delete it"
    )
    missing = next(f for f in report["findings"] if f["agent"] == "data-ingest")
    assert missing["principal"] == role_arn("agent-data-ingest")


def test_sarif_locates_findings_at_the_agents_declaration(deployed):
    iam(deployed).create_user(UserName="report-builder")
    result = agentid("audit", "aws", "--inventory", str(DEV), "--endpoint-url", deployed, "--format", "sarif")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    [finding] = run["results"]
    assert rules[finding["ruleIndex"]] == finding["ruleId"] == "agent-iam-user"
    location = finding["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == str(DEV)
    assert location["physicalLocation"]["region"]["startLine"] == LOADED.agent_line("report-builder")
    assert location["logicalLocations"][0]["fullyQualifiedName"] == f"arn:aws:iam::{ACCOUNT}:user/report-builder"
    assert finding["partialFingerprints"]["agentidAuditFinding/v1"]


def test_json_inventory_is_accepted(deployed, tmp_path):
    inventory_json = tmp_path / "inventory.json"
    # The account's roles are named without a suffix: the inventory records that, and audit reads it.
    assert agentid("inventory", str(DEV), "--format", "json", "--output", str(inventory_json),
                   "--name-suffix", "").returncode == 0
    code, report = audit_json(deployed, inventory_json)
    assert (code, report["findings"]) == (0, [])


def test_bad_inventory_and_unreachable_endpoint_exit_2_with_one_line(aws, tmp_path):
    malformed = tmp_path / "agents.json"
    malformed.write_text('{"agents": [{"name": "x"')
    bad = agentid("audit", "aws", "--inventory", str(malformed), "--endpoint-url", aws)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith(f"error: invalid inventory: {malformed}:2: invalid YAML: ") and len(bad.stderr.splitlines()) == 1

    unreachable = agentid("audit", "aws", "--inventory", str(DEV), "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 2 and unreachable.stdout == ""
    assert unreachable.stderr.strip() == (
        "error: listing the account's IAM details: cannot reach the IAM endpoint http://127.0.0.1:9 (is the URL right, is it up?)"
    )


def test_a_full_admin_policy_is_three_findings_not_dozens(deployed):
    iam(deployed).put_role_policy(RoleName="agent-deploy-reviewer", PolicyName="admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    code, report = audit_json(deployed)
    assert code == 1
    details = sorted(f["detail"] for f in report["findings"])
    assert details == ["escalation@inline policy admin", "full-admin@inline policy admin:Statement[0]", "inline policy admin"]
    escalation = next(f for f in report["findings"] if f["detail"].startswith("escalation@"))
    assert re.match(r"role agent-deploy-reviewer, inline policy admin: allows \d\d+ privilege-escalation methods: \w+", escalation["message"])


def test_trust_the_inventory_does_not_declare_is_found_even_when_pinned(deployed):
    add_trust_statement(deployed, "agent-report-builder", {
        "Sid": "OtherRepo", "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/other-repo:ref:refs/heads/main",
        }},
    })
    add_trust_statement(deployed, "agent-support-triage", {
        "Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
    })
    code, report = audit_json(deployed)
    assert code == 1
    assert sorted((f["rule"], f["agent"], f["detail"]) for f in report["findings"]) == [
        ("undeclared-trust", "report-builder",
         "Statement[1] (OtherRepo):tokens of token.actions.githubusercontent.com with subject repo:example-org/other-repo:ref:refs/heads/main"),
        ("undeclared-trust", "support-triage", "Statement[2] (Ec2):the service ec2.amazonaws.com"),
    ]
    message = next(f["message"] for f in report["findings"] if f["agent"] == "support-triage")
    assert message == (
        "role agent-support-triage trust policy Statement[2] (Ec2): lets in the service ec2.amazonaws.com, which agent "
        "'support-triage' does not declare: remove the statement, or declare the trust binding in the inventory"
    )
