"""`agentid revoke aws` against a real moto server: the exact deny, idempotence, clean refusals."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import boto3

from agentid.revoke_aws import revoke_sessions
from agentid_components import naming
from agentid_components.loader import load_inventory
from agentid_components.revocation import aws_revoke_sessions_policy
from tests.runtime.cli import agentid, agentid_process

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "stacks" / "agents" / "dev.yaml"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def iam(url: str):
    return boto3.client("iam", endpoint_url=url, region_name="us-east-1")


def create_role(url: str, agent: str) -> None:
    iam(url).create_role(RoleName=naming.aws_role_name(agent), AssumeRolePolicyDocument=json.dumps(TRUST))


def revoke_document(url: str, agent: str) -> dict:
    document = iam(url).get_role_policy(RoleName=naming.aws_role_name(agent), PolicyName=naming.REVOKE_POLICY_NAME)["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def issued_before(document: dict) -> dt.datetime:
    text = document["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def test_revoke_writes_the_deny_with_the_time_of_the_run_and_says_how_to_undo(aws):
    create_role(aws, "report-builder")
    before = utc_now()
    result = agentid_process("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", aws)
    after = utc_now()
    assert result.returncode == 0, result.stderr
    document = revoke_document(aws, "report-builder")
    cutoff = issued_before(document)
    assert before <= cutoff <= after + dt.timedelta(seconds=1)  # AWS's Date (whole seconds) rounded up
    assert document == aws_revoke_sessions_policy(cutoff)  # exactly the kit's deny, nothing else
    out = result.stdout
    assert "revoked the live AWS sessions of agent 'report-builder': wrote inline policy 'agentid-revoke-sessions' on role agent-report-builder" in out
    assert f"every session issued before {cutoff:%Y-%m-%dT%H:%M:%SZ} is now denied every action" in out
    assert "remove the trust statement for repo:example-org/revenue-reports:ref:refs/heads/main from role agent-report-builder" in out
    assert out.strip().endswith("undo: aws iam delete-role-policy --role-name agent-report-builder --policy-name agentid-revoke-sessions")


def test_revoke_twice_moves_the_cutoff_and_says_so(aws, monkeypatch):
    create_role(aws, "report-builder")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)  # the endpoint from the environment, as boto3 reads it
    assert agentid("revoke", "aws", "report-builder", "--inventory", str(DEV)).returncode == 0
    first = issued_before(revoke_document(aws, "report-builder"))
    time.sleep(1.05)  # the cutoff has one-second resolution
    second_run = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV))
    assert second_run.returncode == 0, second_run.stderr
    second = issued_before(revoke_document(aws, "report-builder"))
    assert second > first
    assert f"updated inline policy 'agentid-revoke-sessions' on role agent-report-builder (it was already there: cutoff moved from {first:%Y-%m-%dT%H:%M:%SZ} to {second:%Y-%m-%dT%H:%M:%SZ})" in second_run.stdout
    assert iam(aws).list_role_policies(RoleName="agent-report-builder")["PolicyNames"] == [naming.REVOKE_POLICY_NAME]


def test_a_later_cutoff_already_in_place_is_kept(aws):
    create_role(aws, "report-builder")
    agent = load_inventory(DEV).inventory.agent("report-builder")
    later = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    client = iam(aws)
    assert revoke_sessions(client, agent, later).action == "wrote"
    again = revoke_sessions(client, agent, dt.datetime.now(dt.timezone.utc))
    assert (again.action, again.cutoff, again.previous_cutoff) == ("kept", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
    assert revoke_document(aws, "report-builder") == aws_revoke_sessions_policy(later)


def test_revoke_accepts_the_json_inventory(aws, tmp_path):
    """The JSON inventory of the dev stack's agent file records its name suffix: revoke acts on agent-X-dev."""
    iam(aws).create_role(RoleName="agent-data-ingest-dev", AssumeRolePolicyDocument=json.dumps(TRUST))
    inventory_json = tmp_path / "inventory.json"
    made = agentid("inventory", str(DEV), "--format", "json", "--output", str(inventory_json))
    assert made.returncode == 0, made.stderr
    assert json.loads(inventory_json.read_text())["name_suffix"] == "dev"  # DEV is the dev stack's agentsFile
    result = agentid("revoke", "aws", "data-ingest", "--inventory", str(inventory_json), "--endpoint-url", aws)
    assert result.returncode == 0, result.stderr
    document = iam(aws).get_role_policy(RoleName="agent-data-ingest-dev", PolicyName=naming.REVOKE_POLICY_NAME)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert issued_before(document) <= utc_now() + dt.timedelta(seconds=1)  # AWS's Date, rounded up
    unsuffixed = agentid("revoke", "aws", "data-ingest", "--inventory", str(inventory_json), "--name-suffix", "",
                         "--endpoint-url", aws)
    assert unsuffixed.returncode == 2 and "agent-data-ingest" in unsuffixed.stderr  # the option still wins


def test_missing_role_is_refused_cleanly_and_nothing_changes(aws):
    create_role(aws, "report-builder")  # another agent's role exists; data-ingest's does not
    result = agentid("revoke", "aws", "data-ingest", "--inventory", str(DEV), "--endpoint-url", aws)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: role agent-data-ingest of agent 'data-ingest' does not exist in this account (endpoint {aws}): nothing was changed"
        " (a stack names its roles agent-NAME-SUFFIX, SUFFIX its stack: pass --name-suffix SUFFIX)"
    )
    assert result.stdout == ""
    assert [r["RoleName"] for r in iam(aws).list_roles()["Roles"]] == ["agent-report-builder"]
    assert iam(aws).list_role_policies(RoleName="agent-report-builder")["PolicyNames"] == []


def test_unknown_agent_malformed_inventory_and_unreachable_endpoint_exit_2(aws, tmp_path):
    create_role(aws, "report-builder")
    unknown = agentid("revoke", "aws", "nobody", "--inventory", str(DEV), "--endpoint-url", aws)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        f"error: agent 'nobody' is not in {DEV} (it lists: bq-analyst, data-ingest, deploy-reviewer, report-builder, support-triage)"
    )

    malformed = tmp_path / "agents.yaml"
    malformed.write_text("agents:\n  - name: report-builder\n    owner: [\n")
    bad = agentid("revoke", "aws", "report-builder", "--inventory", str(malformed), "--endpoint-url", aws)
    assert bad.returncode == 2
    assert bad.stderr.startswith(f"error: invalid inventory: {malformed}:") and len(bad.stderr.strip().splitlines()) == 1

    unreachable = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 2
    assert unreachable.stderr.strip() == (
        "error: reading role agent-report-builder: cannot reach the IAM endpoint http://127.0.0.1:9 (is the URL right, is it up?)"
    )
    assert iam(aws).list_role_policies(RoleName="agent-report-builder")["PolicyNames"] == []


def test_agent_without_aws_tools_has_nothing_to_revoke(aws, tmp_path):
    oauth_only = tmp_path / "agents.yaml"
    oauth_only.write_text(
        "agents:\n"
        "  - name: chat-helper\n"
        "    owner: platform\n"
        "    purpose: Answers questions through one MCP server.\n"
        "    environment: dev\n"
        "    review_by: 2099-01-01\n"
        "    tools:\n"
        "      - name: search\n"
        "        oauth: {audience: 'https://mcp.example.com', scopes: [search.read], provider: entra}\n"
        "    trust:\n"
        "      - github_actions: {repository: example-org/chat, branch: main}\n"
    )
    result = agentid("revoke", "aws", "chat-helper", "--inventory", str(oauth_only), "--endpoint-url", aws)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip() == ("error: agent 'chat-helper' has no AWS tools, so no AWS role: nothing to revoke on AWS; "
                                     "`agentid revoke chat-helper --inventory FILE --list FILE` makes every broker refuse it, "
                                     "on every hop, whatever its clouds")


def test_missing_credentials_exit_2(aws, monkeypatch):
    create_role(aws, "report-builder")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", aws)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: reading role agent-report-builder: no AWS credentials found "
        "(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    )


def test_revoke_finds_a_stack_suffixed_role_with_name_suffix(aws):
    # Components name the role agent-NAME-SUFFIX (the stack): --name-suffix points revoke at it.
    iam(aws).create_role(RoleName=naming.aws_role_name("deploy-reviewer", "prod"), AssumeRolePolicyDocument=json.dumps(TRUST))
    missing = agentid_process("revoke", "aws", "deploy-reviewer", "--inventory", str(DEV), "--endpoint-url", aws)
    assert missing.returncode == 2
    assert "role agent-deploy-reviewer of agent 'deploy-reviewer' does not exist" in missing.stderr
    assert "pass --name-suffix SUFFIX" in missing.stderr
    result = agentid_process("revoke", "aws", "deploy-reviewer", "--inventory", str(DEV), "--endpoint-url", aws,
                             "--name-suffix", "prod")
    assert result.returncode == 0, result.stderr
    assert "on role agent-deploy-reviewer-prod" in result.stdout
    bad = agentid_process("revoke", "aws", "deploy-reviewer", "--inventory", str(DEV), "--endpoint-url", aws,
                          "--name-suffix", "Prod!")
    assert bad.returncode == 2 and "--name-suffix 'Prod!' is not valid" in bad.stderr
