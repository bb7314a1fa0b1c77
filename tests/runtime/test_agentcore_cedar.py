"""`agentid cedar AGENT --target agentcore`: the spec's permits in AgentCore Policy's dialect, checked by Cedar itself.

The schema below is ours, written from the facts AWS documents for AgentCore Policy (Amazon Bedrock AgentCore
developer guide: "Schema constraints", "Policy scope", "Authorization flow";
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/policy-schema-constraints.html): namespace
`AgentCore`; principals `OAuthUser` (id from the JWT `sub`, claims as tags) and `IamEntity` (attribute `id` = the
caller's IAM ARN); resource `Gateway`; one action per Gateway tool, `TARGET___TOOL`, member of `CallTool` (member
of `Mcp`); context `input` = the tool's arguments. A Gateway would generate it from its tool manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import cedarpy
import pytest

from agentid.runtime.authorization import Authorizer
from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
GATEWAY = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/support-gw-a1b2c3"
OTHER_GATEWAY = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/other-gw-d4e5f6"
ACCOUNT = "123456789012"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/agent-support-triage-dev/ticket-mcp.trace-1"


def _action(arguments: dict[str, str]) -> dict:
    return {
        "memberOf": [{"id": "CallTool"}],
        "appliesTo": {
            "principalTypes": ["OAuthUser", "IamEntity"],
            "resourceTypes": ["Gateway"],
            "context": {"type": "Record", "attributes": {"input": {"type": "Record", "attributes": {
                name: {"type": kind, "required": False} for name, kind in arguments.items()}}}},
        },
    }


SCHEMA = {"AgentCore": {
    "entityTypes": {
        "OAuthUser": {"shape": {"type": "Record", "attributes": {"id": {"type": "String"}}}, "tags": {"type": "String"}},
        "IamEntity": {"shape": {"type": "Record", "attributes": {"id": {"type": "String"}}}},
        "Gateway": {},
    },
    "actions": {
        "Mcp": {},
        "CallTool": {"memberOf": [{"id": "Mcp"}]},
        "Tickets___search_tickets": _action({"ticket_url": "String", "query": "String"}),
        "Tickets___get_ticket": _action({"ticket_url": "String"}),
        "Tickets___delete_ticket": _action({"ticket_url": "String"}),  # on the Gateway, not granted to the agent
    },
}}


def _export(*options: str) -> str:
    result = agentid("cedar", "support-triage", "-i", str(DEV), "--target", "agentcore", "--gateway-arn", GATEWAY,
                     "--gateway-tool", "ticket-mcp=Tickets:search_tickets,get_ticket@ticket_url", "--name-suffix", "dev",
                     *options)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _decide(policies: str, principal: tuple[str, str], action: str, gateway: str = GATEWAY, **arguments: str) -> bool:
    kind, ident = principal
    entities = [{"uid": {"type": f"AgentCore::{kind}", "id": ident}, "attrs": {"id": ident}, "parents": []},
                {"uid": {"type": "AgentCore::Gateway", "id": gateway}, "attrs": {}, "parents": []}]
    request = {"principal": {"type": f"AgentCore::{kind}", "id": ident},
               "action": {"type": "AgentCore::Action", "id": action},
               "resource": {"type": "AgentCore::Gateway", "id": gateway},
               "context": {"input": arguments}}
    result = cedarpy.is_authorized(request, policies, entities, schema=SCHEMA)
    assert not result.diagnostics.errors, result.diagnostics.errors
    return result.decision == cedarpy.Decision.Allow


def test_iam_caller_export_validates_and_permits_only_the_agents_tools_at_its_targets():
    policies = _export("--account", ACCOUNT)
    assert 'principal is AgentCore::IamEntity' in policies
    assert 'action in [AgentCore::Action::"Tickets___search_tickets", AgentCore::Action::"Tickets___get_ticket"]' in policies
    assert f'resource == AgentCore::Gateway::"{GATEWAY}"' in policies
    validation = cedarpy.validate_policies(policies, SCHEMA)
    assert validation.validation_passed, validation.errors
    me = ("IamEntity", ROLE_SESSION)
    ticket = "https://mcp.tickets.example.com/tickets/42"
    assert _decide(policies, me, "Tickets___search_tickets", ticket_url=ticket, query="refund")
    assert _decide(policies, me, "Tickets___get_ticket", ticket_url="https://mcp.tickets.example.com")
    denied = [
        (me, "Tickets___delete_ticket", GATEWAY, ticket),  # a tool of the target the spec does not map
        (me, "Tickets___get_ticket", OTHER_GATEWAY, ticket),  # another Gateway
        (me, "Tickets___get_ticket", GATEWAY, "https://mcp.tickets.example.com.attacker.example/t/1"),  # look-alike host
        (("IamEntity", f"arn:aws:sts::{ACCOUNT}:assumed-role/agent-support-triage-dev-admin/x"), "Tickets___get_ticket",
         GATEWAY, ticket),  # a role whose name starts with the agent's
        (("IamEntity", f"arn:aws:sts::210987654321:assumed-role/agent-support-triage-dev/x"), "Tickets___get_ticket",
         GATEWAY, ticket),  # the same role name in another account
        (("OAuthUser", "agent-support-triage"), "Tickets___get_ticket", GATEWAY, ticket),  # another principal type
    ]
    for principal, action, gateway, url in denied:
        assert not _decide(policies, principal, action, gateway, ticket_url=url), (principal, action, gateway, url)
    assert not _decide(policies, me, "Tickets___get_ticket")  # no target argument: not shown to be inside the audience


def test_oauth_caller_export_names_the_token_subject_and_json_is_createpolicy_input():
    text = _export("--caller", "oauth", "--oauth-subject", "7d1fcli3nt")
    assert cedarpy.validate_policies(text, SCHEMA).validation_passed
    ticket = "https://mcp.tickets.example.com/tickets/1"
    assert _decide(text, ("OAuthUser", "7d1fcli3nt"), "Tickets___search_tickets", ticket_url=ticket)
    assert not _decide(text, ("OAuthUser", "someone-else"), "Tickets___search_tickets", ticket_url=ticket)
    exported = json.loads(_export("--caller", "oauth", "--oauth-subject", "7d1fcli3nt", "--format", "json"))
    assert [p["name"] for p in exported] == ["support_triage_ticket_mcp"]
    statement = exported[0]["definition"]["cedar"]["statement"]
    assert cedarpy.validate_policies(statement, SCHEMA).validation_passed and statement in text


def test_kit_dialect_is_what_the_broker_evaluates():
    agent = {a.name: a for a in load_inventory(DEV).inventory.agents}["support-triage"]
    result = agentid("cedar", "support-triage", "-i", str(DEV))
    assert result.returncode == 0, result.stderr
    assert result.stdout == Authorizer.from_spec([agent], base_dir=DEV.parent).text + "\n"
    assert 'permit (principal == Agent::"support-triage", action == Action::"ticket-mcp", resource)' in result.stdout
    assert "AgentCore" not in result.stdout


@pytest.mark.parametrize("options, message", [
    (["--gateway-tool", "nope=Tickets:get_ticket", "--account", ACCOUNT], "agent 'support-triage' has no tool 'nope'"),
    (["--gateway-tool", "ticket-mcp=Tick ets:get_ticket", "--account", ACCOUNT], "is not a Gateway target name"),
    (["--gateway-tool", "ticket-mcp=Tickets:get ticket", "--account", ACCOUNT], "is not an MCP tool name"),
    (["--gateway-tool", "ticket-mcp", "--account", ACCOUNT], "write SPEC_TOOL=TARGET:mcp_tool"),
    (["--gateway-tool", "ticket-mcp=Tickets:get_ticket@a.b", "--account", ACCOUNT], "is not an identifier"),
    (["--gateway-tool", "ticket-mcp=Tickets:get_ticket"], "needs --account"),
    (["--gateway-tool", "ticket-mcp=Tickets:get_ticket", "--account", "12345"], "needs --account"),
    (["--gateway-tool", "ticket-mcp=Tickets:get_ticket", "--caller", "oauth"], "needs --oauth-subject"),
    (["--account", ACCOUNT], "name at least one --gateway-tool"),
])
def test_bad_mappings_are_one_line_and_exit_2(options, message):
    result = agentid("cedar", "support-triage", "-i", str(DEV), "--target", "agentcore", "--gateway-arn", GATEWAY, *options)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_bad_gateway_and_target_are_refused():
    bad_arn = agentid("cedar", "support-triage", "-i", str(DEV), "--target", "agentcore", "--gateway-arn",
                      "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/x", "--gateway-tool",
                      "ticket-mcp=Tickets:get_ticket", "--account", ACCOUNT)
    assert bad_arn.returncode == 2 and "is not a Gateway ARN" in bad_arn.stderr
    bad_target = agentid("cedar", "support-triage", "-i", str(DEV), "--target", "opa")
    assert bad_target.returncode == 2 and "--target must be kit or agentcore" in bad_target.stderr


def test_users_own_policies_are_named_with_what_agentcore_cannot_see(tmp_path):
    """A user's Cedar file reads kit facts AgentCore Policy has no counterpart for (its context holds only `input`):
    the export leaves each policy out and says which, what it reads, and that a left-out forbid is allowed there."""
    from tests.runtime.spec_files import dev_with_cedar

    spec = dev_with_cedar(tmp_path, "support-triage", (
        '@id("only-with-a-user")\nforbid (principal, action, resource) when { context.on_behalf_of == "" };\n'
        'permit (principal, action, resource) when { resource.id like "https://mcp.tickets.example.com/*" && context.hour > 8 };\n'
    ))
    result = agentid("cedar", "support-triage", "-i", str(spec), "--target", "agentcore", "--gateway-arn", GATEWAY,
                     "--gateway-tool", "ticket-mcp=Tickets:search_tickets", "--account", ACCOUNT, "--name-suffix", "dev")
    assert result.returncode == 0, result.stderr
    assert "only-with-a-user" not in result.stdout and "context.on_behalf_of" not in result.stdout  # never half-translated
    assert result.stderr.splitlines() == [
        "note: policies/rules.cedar: forbid 'only-with-a-user'; reads context.on_behalf_of: not exported; the Gateway "
        "allows what the broker forbids: write its AgentCore counterpart by hand (only context.input exists there)",
        "note: policies/rules.cedar: permit 'policy #2'; reads context.hour, resource.id: not exported; the Gateway "
        "permits less than the broker: nothing widens",
    ]
