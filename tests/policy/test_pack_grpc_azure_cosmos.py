"""AGID-AZ-031 over gRPC: Cosmos DB data-plane RBAC (definitions and assignments), flagged cases and look-alikes.

Role ids and data actions from https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-actions.
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

DEF = "azure-native:cosmosdb:SqlResourceSqlRoleDefinition"
ASSIGN = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
TABLE_ASSIGN = "azure-native:cosmosdb:TableResourceTableRoleAssignment"
ACCOUNT = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-agents/providers/"
           "Microsoft.DocumentDB/databaseAccounts/cosmos-agents")
DEFS = f"{ACCOUNT}/sqlRoleDefinitions"
CONTRIBUTOR, READER = f"{DEFS}/00000000-0000-0000-0000-000000000002", f"{DEFS}/00000000-0000-0000-0000-000000000001"
CUSTOM_WILD, CUSTOM_EXACT = "6b1bd4a1-9a53-4c57-8a4a-2a4f1d1a5a01", "6b1bd4a1-9a53-4c57-8a4a-2a4f1d1a5a02"
SQL = "Microsoft.DocumentDB/databaseAccounts"
BASE = {"accountName": "cosmos-agents", "resourceGroupName": "rg-agents"}
AGENT = "11111111-2222-3333-4444-555555555555"


def definition(name, guid, actions):
    return StackResource(DEF, name, urn(DEF, name), {**BASE, "roleDefinitionId": guid, "roleName": name,
                                                     "type": "CustomRole", "assignableScopes": [ACCOUNT],
                                                     "permissions": [{"dataActions": actions}]})


def assignment(name, role, scope, type_=ASSIGN):
    return StackResource(type_, name, urn(type_, name), {**BASE, "roleAssignmentId": name, "principalId": AGENT,
                                                         "roleDefinitionId": role, "scope": scope})


WILD = definition("items-all", CUSTOM_WILD, [f"{SQL}/readMetadata", f"{SQL}/sqlDatabases/containers/*"])
EXACT = definition("items-read", CUSTOM_EXACT, [f"{SQL}/readMetadata", f"{SQL}/sqlDatabases/containers/items/read",
                                                f"{SQL}/sqlDatabases/containers/executeQuery"])


def flagged(pack, *resources):
    return stack_findings(pack, "AGID-AZ-031", resources)


def test_contributor_at_account_scope_is_flagged_and_at_a_container_passes(pack):
    found = flagged(pack, assignment("a-root", CONTRIBUTOR, "/"), assignment("a-arm", CONTRIBUTOR, ACCOUNT + "/"),
                    assignment("a-table", "00000000-0000-0000-0000-000000000002", "/", TABLE_ASSIGN),
                    assignment("a-coll", CONTRIBUTOR, "/dbs/agents/colls/memory"),
                    assignment("a-db", CONTRIBUTOR, f"{ACCOUNT}/dbs/agents"),
                    assignment("a-reader", READER, "/"))
    assert [name for name, _ in found] == ["a-arm", "a-root", "a-table"], found
    assert "Built-in Data Contributor" in found[1][1] and AGENT in found[1][1]


def test_wildcard_custom_definitions_are_flagged_and_exact_ones_pass(pack):
    found = flagged(pack, WILD, EXACT, assignment("a-wild", f"{DEFS}/{CUSTOM_WILD}", "/"),
                    assignment("a-exact", f"{DEFS}/{CUSTOM_EXACT}", "/"),
                    assignment("a-wild-coll", f"{DEFS}/{CUSTOM_WILD}", "/dbs/agents/colls/memory"))
    assert [name for name, _ in found] == ["a-wild", "items-all"], found
    assert "containers/*" in found[1][1]


def test_unknown_roles_and_unreadable_shapes_never_pass(pack):
    found = flagged(pack, assignment("a-foreign", f"{DEFS}/9f0e1d2c-3b4a-5968-7a6b-5c4d3e2f1a0b", "/dbs/x"),
                    assignment("a-bad", "Contributor", "/"),
                    StackResource(DEF, "d-bad", urn(DEF, "d-bad"), {**BASE, "permissions": {"dataActions": ["*"]}}))
    assert [name for name, _ in found] == ["a-bad", "a-foreign", "d-bad"]
    assert all("cannot check" in message for _, message in found)
    later = [d for d in pack.analyze_stack([assignment("a-later", UNKNOWN, "/")]) if d.policy_name == "AGID-AZ-031"]
    assert later and "cannot check until known" in later[0].message
