"""The inventory's revocation steps print real commands: valid shell, the agent file they were rendered from,
and (checked against what the kit deploys, in moto) the very trust statement the jq filter removes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from agentid_components.loader import load_inventory
from agentid_components.revocation import revocation_steps
from tests.runtime.deployed import deploy_agent
from tests.runtime.test_audit import iam

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "stacks" / "agents" / "dev.yaml"
AGENTS = load_inventory(DEV).inventory.agents


def commands(agent, inventory: str = "stacks/agents/dev.yaml") -> list[str]:
    steps = [step for cloud in revocation_steps(agent, inventory).values() for step in cloud]
    return [match.group(1) for step in steps for match in [re.search(r"`([^`]+)`", step)] if match]


def test_every_step_but_a_detach_carries_a_command_that_parses_as_shell():
    for agent in AGENTS:
        steps = [step for cloud in revocation_steps(agent, "stacks/agents/dev.yaml").values() for step in cloud]
        assert all("`" in step for step in steps if not step.startswith("detach ")), steps
        for command in commands(agent):
            assert subprocess.run(["bash", "-n", "-c", command], capture_output=True).returncode == 0, command


def test_the_first_step_names_the_agent_file_it_was_rendered_from():
    assert commands(AGENTS[0], "stacks/agents/dev.yaml")[:2] == [
        'agentid revoke support-triage --inventory stacks/agents/dev.yaml --list "$AGENTID_REVOCATION_LIST"',
        "agentid revoke aws support-triage --inventory stacks/agents/dev.yaml"]


def test_every_agent_has_the_broker_step_whatever_its_clouds(tmp_path):
    """An agent with only an `oidc` tool lives on no cloud: its one step is the brokers' revocation list."""
    spec = tmp_path / "agents.yaml"
    spec.write_text(
        "agents:\n  - name: chat-helper\n    owner: platform\n    purpose: Answers through one MCP server.\n"
        "    environment: dev\n    review_by: 2031-01-01\n    tools:\n      - name: search\n"
        "        oauth: {audience: 'https://mcp.example.com', scopes: [search.read], provider: oidc, issuer: 'https://idp.example.com'}\n"
        "    trust:\n      - github_actions: {repository: example-org/chat, branch: main}\n")
    agent = load_inventory(spec).inventory.agent("chat-helper")
    assert list(revocation_steps(agent, "agents.yaml")) == ["broker"]
    assert commands(agent, "agents.yaml") == ['agentid revoke chat-helper --inventory agents.yaml --list "$AGENTID_REVOCATION_LIST"']


def test_the_trust_command_removes_a_statement_the_deployed_role_really_has(aws):
    agent = next(a for a in AGENTS if a.name == "report-builder")
    deploy_agent(aws, agent)
    document = iam(aws).get_role(RoleName="agent-report-builder")["Role"]["AssumeRolePolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    sids = {statement.get("Sid") for statement in document["Statement"]}
    removed = [re.search(r'select\(\.Sid == "([^"]+)"\)', c).group(1) for c in commands(agent) if "update-assume-role-policy" in c]
    assert removed and set(removed) <= sids
