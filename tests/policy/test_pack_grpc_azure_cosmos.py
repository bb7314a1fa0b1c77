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


def assignment(name, role, scope, type_=ASSIGN, *depends_on, account="cosmos-agents"):
    return StackResource(type_, name, urn(type_, name), {**BASE, "accountName": account, "roleAssignmentId": name,
                                                         "principalId": AGENT, "roleDefinitionId": role, "scope": scope},
                         dependencies=[d.urn for d in depends_on])


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
    found = flagged(pack, WILD, EXACT, assignment("a-wild", f"{DEFS}/{CUSTOM_WILD}", "/", ASSIGN, WILD),
                    assignment("a-exact", f"{DEFS}/{CUSTOM_EXACT}", "/", ASSIGN, EXACT),
                    assignment("a-wild-coll", f"{DEFS}/{CUSTOM_WILD}", "/dbs/agents/colls/memory", ASSIGN, WILD))
    assert [name for name, _ in found] == ["a-wild", "items-all"], found
    assert "containers/*" in found[1][1]


def test_a_stack_definitions_guid_names_it_only_in_its_account_and_after_it(pack):
    """issue 11 (typed decoy): the stack's exact definition given an EXISTING role's GUID fails to create, and an
    assignment naming that GUID without depending on it assigns the existing role (a wildcard one, for all the pack
    can tell); so does one in another account (a definition is a child of its account). Look-alike: the assignment
    depending on it in its account passes (above)."""
    found = flagged(pack, EXACT, assignment("a-unordered", f"{DEFS}/{CUSTOM_EXACT}", "/"),
                    assignment("a-other-account", f"{DEFS}/{CUSTOM_EXACT}", "/", ASSIGN, EXACT, account="cosmos-prod"))
    assert [(name, message.rsplit("\n", 1)[-1]) for name, message in found] == [
        (name, f"[broad-grant] {name}: cannot check: role {CUSTOM_EXACT} is the id of this stack's items-read, but "
                             f"{name} is in another account or does not depend on it: were its create to fail (the id "
                             "taken), this would assign the existing role") for name in ("a-other-account", "a-unordered")]


def test_unknown_roles_and_unreadable_shapes_never_pass(pack):
    found = flagged(pack, assignment("a-foreign", f"{DEFS}/9f0e1d2c-3b4a-5968-7a6b-5c4d3e2f1a0b", "/dbs/x"),
                    assignment("a-bad", "Contributor", "/"),
                    StackResource(DEF, "d-bad", urn(DEF, "d-bad"), {**BASE, "permissions": {"dataActions": ["*"]}}))
    assert [name for name, _ in found] == ["a-bad", "a-foreign", "d-bad"]
    assert all("cannot check" in message for _, message in found)
    later = [d for d in pack.analyze_stack([assignment("a-later", UNKNOWN, "/")]) if d.policy_name == "AGID-AZ-031"]
    assert later and "cannot check until known" in later[0].message
