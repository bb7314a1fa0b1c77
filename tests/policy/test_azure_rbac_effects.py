"""Azure RBAC judged by effect: built-in roles by their definitions, role-assignment conditions, unknown roles.

Role ids and condition shapes are Azure's own (built-in role snapshot, components/data/; condition grammar:
https://learn.microsoft.com/en-us/azure/role-based-access-control/conditions-format and the "constrain roles"
examples of https://learn.microsoft.com/en-us/azure/role-based-access-control/delegate-role-assignments-examples).
"""

from __future__ import annotations

import pytest

from agentid_components import azure_catalog
from agentid_policy_packs.analysis.azure_conditions import ANY_ROLE, ConditionError, RoleSet, assignable_roles
from agentid_policy_packs.analysis.azure_roles import capabilities
from agentid_policy_packs.rules.base import Violation
from tests.policy.ruletools import UNKNOWN, resource, stack_outcomes, unknowns, violations

SUB = "/subscriptions/11111111-2222-4333-8444-555555555555"
RG = f"{SUB}/resourceGroups/rg"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def role_id(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def constrain(allowed: str, operator: str = "ForAnyOfAnyValues:GuidEquals",
              action: str = "Microsoft.Authorization/roleAssignments/write") -> str:
    return (f"((!(ActionMatches{{'{action}'}})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
            f"{operator} {{{allowed}}}))")


@pytest.mark.parametrize("guid, name, says", [
    (OWNER, "Owner", "can perform every control-plane operation of every provider (assign-roles"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
     "can perform every control-plane operation of every provider except Microsoft.Authorization/*/Delete"),
    ("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator", "can assign roles at its scope"),
    (RBAC_ADMIN, "Role Based Access Control Administrator", "can assign roles at its scope"),
    ("f1a07417-d97a-45cb-824c-7a7467783830", "Managed Identity Operator",
     "can attach any user-assigned managed identity in scope to compute it controls"),
    ("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator", "can read or write every secret, key"),
    ("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer", "can read or write every secret, key"),
    ("9980e02c-c2be-4d73-94e8-173b1dc7cf3c", "Virtual Machine Contributor", "can run code on virtual machines"),
])
def test_privileged_builtin_roles_are_judged_by_their_definitions(guid, name, says):
    [message] = violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id(guid), "scope": RG}, name="a")
    assert message.startswith(f"role assignment a at resource-group scope {RG} grants a privileged role: the built-in "
                              f"role {name} ({guid}) {says}"), message


@pytest.mark.parametrize("guid", [
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",  # Reader: */read reads everything, changes nothing
    BLOB_READER, BLOB_CONTRIBUTOR,
    "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User: exact getSecret, no wildcard
])
def test_builtin_roles_without_privileged_effects_pass(guid):
    assert violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id(guid), "scope": RG}) == []


def test_a_condition_allowing_only_harmless_roles_defuses_role_assignment_writes():
    props = {"roleDefinitionId": role_id(RBAC_ADMIN), "scope": RG,
             "condition": constrain(f"{BLOB_READER}, {BLOB_CONTRIBUTOR}")}
    assert violations("AGID-AZ-010", ASSIGNMENT, props) == []
    # GUIDs without dashes, as several built-in roles' conditions write them
    props["condition"] = constrain(BLOB_READER.replace("-", ""))
    assert violations("AGID-AZ-010", ASSIGNMENT, props) == []


@pytest.mark.parametrize("condition, says", [
    (constrain(f"{BLOB_READER}, {OWNER.replace('-', '')}"), "; its condition still allows Owner (" + OWNER + ")"),
    # "any role but these": Contributor and every custom role stay assignable
    (constrain(f"{OWNER}, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "ForAnyOfAllValues:GuidNotEquals"),
     "its condition excludes only User Access Administrator (18d7d88d-d35e-4fb5-a5c3-7773c20a72d9), Owner (" + OWNER + "), any other role may be assigned"),
    # differs from SOME value of a two-value set: true for every role
    (constrain(f"{BLOB_READER}, {BLOB_CONTRIBUTOR}", "ForAnyOfAnyValues:GuidNotEquals"), "(Microsoft.Authorization/roleAssignments/write)"),
    # the restriction gates deletes only; writes are free
    (constrain(BLOB_READER, action="Microsoft.Authorization/roleAssignments/delete"), "(Microsoft.Authorization/roleAssignments/write)"),
    # OR with a non-role attribute widens to every role
    (constrain(BLOB_READER)[:-2] + " OR @Request[Microsoft.Authorization/roleAssignments:PrincipalType] "
     "ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))", "(Microsoft.Authorization/roleAssignments/write)"),
    ("((!(ActionMatches{'x'}) OR", "its condition cannot be read"),
    ("", "can assign roles at its scope"),
])
def test_conditions_that_do_not_bound_the_assignable_roles_are_flagged(condition, says):
    [message] = violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id(RBAC_ADMIN), "scope": RG,
                                                        "condition": condition})
    assert says in message, message


def test_condition_algebra():
    a, b = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    write = f"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{a}, {b}}}"
    assert assignable_roles(write) == RoleSet(True, frozenset({a, b}))
    assert assignable_roles(f"NOT ({write})") == RoleSet(False, frozenset({a, b}))
    only_a = f"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidEquals {a}"
    assert assignable_roles(f"{write} && {only_a}") == RoleSet(True, frozenset({a}))
    # an attribute we do not model may be false: AND keeps the role bound, NOT cannot invert it into one
    other = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
    assert assignable_roles(f"{write} AND {other}") == RoleSet(True, frozenset({a, b}))
    assert assignable_roles(f"!({other})") == ANY_ROLE
    assert assignable_roles(None) == ANY_ROLE
    with pytest.raises(ConditionError):
        assignable_roles("(" * 100 + write + ")" * 100)
    with pytest.raises(ConditionError):
        assignable_roles("x" * 9000)


def test_builtin_role_conditions_bound_their_own_assignment_writes():
    # Key Vault Data Access Administrator may assign only Key Vault data roles (its block's own condition)
    [message] = violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id("8b54135c-b56d-4d72-a534-26097cfdc8d8"),
                                                        "scope": RG})
    assert "Key Vault Data Access Administrator" in message and "its condition still allows" in message
    assert "Key Vault Administrator (00482a5a-887f-4fb3-b363-3b7fe8e74483)" in message  # a data wildcard role


def test_unknown_condition_waits_for_preview():
    assert unknowns("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id(RBAC_ADMIN), "condition": UNKNOWN}) == ["condition"]


def test_every_capability_operation_is_a_real_operation_of_its_plane():
    for capability in capabilities():
        for operation in capability.operations:
            assert azure_catalog.operation_plane(operation) == capability.plane, operation


def test_assignments_of_roles_the_gate_cannot_judge_are_reported():
    custom = "0f0e0d0c-0b0a-4909-8807-060504030201"
    stranger = "12345678-1234-4234-8234-123456789abc"
    resources = [
        resource(DEFINITION, {"roleDefinitionId": custom, "permissions": []}, "def"),
        resource(ASSIGNMENT, {"roleDefinitionId": role_id(custom), "scope": RG}, "mine",
                 (f"urn:pulumi:dev::kit::{DEFINITION}::def",)),
        resource(ASSIGNMENT, {"roleDefinitionId": role_id(BLOB_READER), "scope": RG}, "builtin"),
        resource(ASSIGNMENT, {"roleDefinitionId": role_id(stranger), "scope": RG}, "stranger"),
        resource(ASSIGNMENT, {"roleDefinitionId": "Owner", "scope": RG}, "by-name"),
        resource(ASSIGNMENT, {"roleDefinitionId": UNKNOWN, "scope": RG}, "pending"),
    ]
    found = [o for o in stack_outcomes("AGID-AZ-013", resources) if isinstance(o, Violation)]
    assert [o.urn.rsplit("::", 1)[-1] for o in found] == ["stranger", "by-name"]
    assert found[0].message.startswith(f"role assignment stranger: cannot check role {stranger}: it is neither a "
                                       "built-in role of the snapshot (")
    assert "does not name a role" in found[1].message


def test_a_builtin_role_definition_is_not_a_custom_role_assignable_at_root():
    from agentid_policy_packs.rules.files import AZURE_ROLE, lint_document

    owner_json = {"roleName": "Reader", "roleType": "BuiltInRole", "assignableScopes": ["/"],
                  "name": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                  "permissions": [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}]}
    messages = [f.message for f in lint_document(AZURE_ROLE, owner_json, "reader.json")]
    assert not any("assignable at root" in m for m in messages), messages
    owner_json["name"] = "12345678-1234-4234-8234-123456789abc"  # the label alone does not make a role built in
    assert any("assignable at root scope /" in m for m in [f.message for f in lint_document(AZURE_ROLE, owner_json)])


PIM = "azure-native:authorization:PimRoleEligibilitySchedule"


def test_pim_eligibility_is_judged_like_an_assignment():
    props = {"roleDefinitionId": role_id(OWNER), "scope": SUB, "principalId": "p", "requestType": "AdminAssign"}
    [message] = violations("AGID-AZ-010", PIM, props, name="standby")
    assert message.startswith(f"eligible role assignment (PIM) standby at subscription scope {SUB} grants a privileged "
                              "role: the built-in role Owner")
    reader = {**props, "roleDefinitionId": role_id(BLOB_READER)}
    assert violations("AGID-AZ-010", PIM, reader) == []
    assert violations("AGID-AZ-011", PIM, reader, name="e") == [
        f"eligible role assignment (PIM) e is at subscription scope {SUB}: it reaches every resource below it"]


def test_role_grants_over_grpc():
    from pathlib import Path

    from agentid.analyzer_client import PackProcess

    pack_dir = Path(__file__).resolve().parents[2] / "policy_packs" / "agent_guard"
    good = constrain(f"{BLOB_READER}, {BLOB_CONTRIBUTOR}")
    cases = {
        "delegate-any": ({"roleDefinitionId": role_id(RBAC_ADMIN), "scope": RG, "principalId": "p"}, True),
        "delegate-bounded": ({"roleDefinitionId": role_id(RBAC_ADMIN), "scope": RG, "principalId": "p",
                              "condition": good, "conditionVersion": "2.0"}, False),
        "mi-operator": ({"roleDefinitionId": role_id("f1a07417-d97a-45cb-824c-7a7467783830"), "scope": RG}, True),
        "reader": ({"roleDefinitionId": role_id("acdd72a7-3385-48ef-bd42-f606fba81ae7"), "scope": RG}, False),
    }
    with PackProcess.start(pack_dir, timeout=60) as pack:
        pack.configure({})
        for name, (props, flagged) in cases.items():
            urn = f"urn:pulumi:dev::kit::{ASSIGNMENT}::{name}"
            diags = [d for d in pack.analyze(ASSIGNMENT, name, urn, props) if d.policy_name == "AGID-AZ-010"]
            assert bool(diags) == flagged, (name, diags)
            if flagged:
                assert diags[0].enforcement_level == "mandatory"


def test_key_vault_access_policies_with_all_are_flagged():
    vault = "azure-native:keyvault:Vault"
    entry = {"tenantId": "t", "objectId": "agent-oid", "permissions": {"secrets": ["get", "list"], "keys": ["All"]}}
    assert violations("AGID-AZ-014", vault, {"properties": {"accessPolicies": [entry]}}, name="kv") == [
        "key vault kv: properties.accessPolicies[0] gives agent-oid every operation on keys ('all'), purge included, "
        "outside Azure RBAC"]
    exact = {**entry, "permissions": {"secrets": ["get"]}}
    assert violations("AGID-AZ-014", vault, {"properties": {"accessPolicies": [exact], "enableRbacAuthorization": False}}) == []
    assert violations("AGID-AZ-014", "azure-native:keyvault:AccessPolicy", {"policy": entry, "vaultName": "kv"})
    assert unknowns("AGID-AZ-014", vault, {"properties": {"accessPolicies": UNKNOWN}}) == ["properties.accessPolicies"]
