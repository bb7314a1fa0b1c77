"""AGID-AZ-013 over gRPC: an assignment of a custom role the stack defines is judged with THAT definition's
permissions (issue 11), whether it names the role by GUID or, at a real `pulumi preview`, by the definition's id
Output (`role_definition_id=definition.id`: unknown until the role exists). Before, AGID-AZ-010 reported every such
assignment "cannot check until known", a narrow role as much as an Owner-like one. The Output link is followed only
when the assignment depends on stack role definitions and nothing else (iam_links.output_sources); an unknown
roleDefinitionId with no such source stays "cannot check until known"."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-013"
DEFINITION = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
PIM = "azure-native:authorization:PimRoleEligibilitySchedule"
VAULT = "azure-native:keyvault:Vault"
RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/agents"
GUID = "0f0e0d0c-0b0a-4909-8807-060504030201"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def definition(*actions, name="role", guid=None):
    props = {"roleName": f"{name}-role", "scope": RG, "assignableScopes": [RG],
             "permissions": [{"actions": list(actions), "notActions": [], "dataActions": [], "notDataActions": []}]}
    if guid:
        props["roleDefinitionId"] = guid
    return StackResource(DEFINITION, name, urn(DEFINITION, name), props)


def assignment(role, *dependencies, type_=ASSIGNMENT, name="grant", **extra):
    props = {"scope": RG, "roleDefinitionId": role, "principalId": PRINCIPAL, "principalType": "ServicePrincipal",
             **extra}
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in dependencies])


def diagnostics(pack, *resources):
    """(policy, level, resource name or None, message) of the Azure role rules' diagnostics, resource and stack."""
    found = []
    for resource in resources:
        found += [(d.policy_name, d.enforcement_level, resource.name, d.message)
                  for d in pack.analyze(resource.type, resource.name, resource.urn, resource.properties)]
    found += [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1] if d.urn else None, d.message)
              for d in pack.analyze_stack(list(resources))]
    return sorted(f for f in found if f[0] in ("AGID-AZ-010", "AGID-AZ-013"))


BROAD = ("*",)
ESCALATING = ("Microsoft.Authorization/roleAssignments/write",)
NARROW = ("Microsoft.Storage/storageAccounts/read",)


@pytest.mark.parametrize("actions", [BROAD, ESCALATING])
@pytest.mark.parametrize("type_", [ASSIGNMENT, PIM])
def test_a_privileged_custom_role_assigned_through_its_id_output_blocks(pack, actions, type_):
    role = definition(*actions)
    [(policy, level, name, message)] = diagnostics(pack, role, assignment(UNKNOWN, role, type_=type_))
    assert (policy, level, name) == (RULE, "mandatory", "grant")
    assert "grants a privileged role: the custom role role-role defined in this stack (its id Output, role) can" in message
    assert "cannot check until known" not in message


def test_a_narrow_custom_role_assigned_through_its_id_output_passes(pack):
    role = definition(*NARROW)
    assert diagnostics(pack, role, assignment(UNKNOWN, role)) == []
    assert diagnostics(pack, role, assignment(UNKNOWN, role, type_=PIM)) == []


@pytest.mark.parametrize("actions, flagged", [(BROAD, True), (ESCALATING, True), (NARROW, False)])
def test_a_custom_role_named_by_its_guid_is_judged_the_same(pack, actions, flagged):
    role = definition(*actions, guid=GUID)
    arm_id = f"/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/{GUID}"
    found = diagnostics(pack, role, assignment(arm_id, role))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == ([(RULE, "mandatory", "grant")] if flagged else [])


def test_a_guid_of_a_stack_role_the_assignment_does_not_wait_for_is_not_that_role(pack):
    """issue 11 (typed decoy): the stack's narrow `RoleDefinition` given an EXISTING custom role's GUID fails to create
    (the id is taken), and an assignment naming that GUID without depending on it assigns the existing role, whatever
    it holds: cannot check. Look-alike above: the same assignment depending on the definition is judged by it."""
    role = definition(*NARROW, guid=GUID)
    arm_id = f"/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/{GUID}"
    [(policy, level, name, message)] = diagnostics(pack, role, assignment(arm_id))
    assert (policy, level, name) == (RULE, "mandatory", "grant")
    assert message.rsplit("\n", 1)[-1] == (
        f"[unparseable] role assignment grant: cannot check role {GUID}: the stack's role role has that id, but grant "
        "does not depend on it: were its create to fail (the id taken by an existing role), this would assign the "
        "existing role")


def test_an_unknown_role_with_no_stack_source_cannot_be_checked(pack):
    narrow, vault = definition(*NARROW), StackResource(VAULT, "vault", urn(VAULT, "vault"), {"vaultName": "v"})
    for grant in (assignment(UNKNOWN),  # nothing explains it
                  assignment(UNKNOWN, narrow, vault)):  # the vault may be the Output an Owner id hides behind
        found = diagnostics(pack, narrow, vault, grant)
        assert [(p, n) for p, _, n, _ in found] == [(RULE, None)], found
        assert "cannot check until known: roleDefinitionId is computed during preview" in found[0][3]


def test_unknown_custom_role_permissions_cannot_be_checked(pack):
    role = definition(*NARROW)
    role = StackResource(DEFINITION, "role", role.urn, {**role.properties, "permissions": UNKNOWN})
    found = [f for f in diagnostics(pack, role, assignment(UNKNOWN, role)) if f[0] == RULE]
    assert [(p, n) for p, _, n, _ in found] == [(RULE, None)]
    assert "cannot check until known: role.permissions (the role grant assigns)" in found[0][3]


def test_an_abac_condition_bounds_a_custom_assignment_writer_as_it_does_a_builtin(pack):
    role = definition(*ESCALATING)
    condition = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
                 "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
                 "{2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}))")
    assert diagnostics(pack, role, assignment(UNKNOWN, role, condition=condition, conditionVersion="2.0")) == []


IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def test_an_unknown_principal_explains_its_own_identity_dependency(pack):
    # role_definition_id=definition.id, principal_id=identity.principal_id: both Outputs of the stack
    identity = StackResource(IDENTITY, "agent-id", urn(IDENTITY, "agent-id"), {"resourceName": "agent-id"})
    broad, narrow = definition(*BROAD), definition(*NARROW)
    [(policy, level, name, _)] = diagnostics(pack, broad, identity, assignment(UNKNOWN, broad, identity,
                                                                               principalId=UNKNOWN))
    assert (policy, level, name) == (RULE, "mandatory", "grant")
    assert diagnostics(pack, narrow, identity, assignment(UNKNOWN, narrow, identity, principalId=UNKNOWN)) == []
    # a literal principal needs no Output: the identity may be what an Owner id hides behind
    found = diagnostics(pack, narrow, identity, assignment(UNKNOWN, narrow, identity))
    assert [(p, n) for p, _, n, _ in found] == [(RULE, None)]
    # an unknown scope explains nothing: any dependency may be the scope's
    vault = StackResource(VAULT, "vault", urn(VAULT, "vault"), {"vaultName": "v"})
    found = diagnostics(pack, narrow, identity, vault, assignment(UNKNOWN, narrow, identity, vault, principalId=UNKNOWN,
                                                                  scope=UNKNOWN))
    assert [(p, n) for p, _, n, _ in found] == [(RULE, None)]


def test_a_system_assigned_identity_explains_its_holders_dependency(pack):
    web = "azure-native:web:WebApp"
    app = StackResource(web, "app", urn(web, "app"), {"name": "app", "identity": {"type": "SystemAssigned"}})
    plain = StackResource(web, "app", urn(web, "app"), {"name": "app"})
    broad = definition(*BROAD)
    [(policy, _, name, _)] = diagnostics(pack, broad, app, assignment(UNKNOWN, broad, app, principalId=UNKNOWN))
    assert (policy, name) == (RULE, "grant")
    # a resource without an identity holds no principal id: its dependency is unexplained
    found = diagnostics(pack, broad, plain, assignment(UNKNOWN, broad, plain, principalId=UNKNOWN))
    assert [(p, n) for p, _, n, _ in found] == [(RULE, None)]


def test_where_the_engine_sends_property_dependencies_the_role_ids_own_decide(pack):
    identity = StackResource(IDENTITY, "agent-id", urn(IDENTITY, "agent-id"), {"resourceName": "agent-id"})
    vault = StackResource(VAULT, "vault", urn(VAULT, "vault"), {"vaultName": "v"})
    broad, narrow = definition(*BROAD), definition(*NARROW)

    def grant(role, role_sources):
        base = assignment(UNKNOWN, role, identity, vault, principalId=UNKNOWN, scope=UNKNOWN)
        return StackResource(base.type, base.name, base.urn, base.properties, dependencies=base.dependencies,
                             property_dependencies={"roleDefinitionId": [r.urn for r in role_sources],
                                                    "principalId": [identity.urn], "scope": [vault.urn]})

    # scope and principal from other resources no longer hide which role the id comes from
    assert diagnostics(pack, narrow, identity, vault, grant(narrow, [narrow])) == []
    assert [(p, n) for p, _, n, _ in diagnostics(pack, broad, identity, vault, grant(broad, [broad]))] == [
        (RULE, "grant")]
    # the role id computed from the vault's Output (a constant behind it), depends_on the narrow role: cannot check
    found = diagnostics(pack, narrow, identity, vault, grant(narrow, [vault]))
    assert [(p, n) for p, _, n, _ in found] == [(RULE, None)]
