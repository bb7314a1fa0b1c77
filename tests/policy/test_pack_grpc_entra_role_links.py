"""AGID-AZ-020 over gRPC: which stack directory role a grant names is proven from the input that names it, never from
a bare dependency (issue 11, red12 #7). A roleId unknown at preview is a stack role's Output only when the grant
depends on stack roles and nothing else but the stack objects its other unknown inputs come from (the principal);
a literal roleObjectId names a stack role only when it equals that role's known object id."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-020"
CUSTOM = "azuread:index/customDirectoryRole:CustomDirectoryRole"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
ELIGIBILITY = "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest"
MEMBER = "azuread:index/directoryRoleMember:DirectoryRoleMember"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
VAULT = "azure-native:keyvault:Vault"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def res(type_, name, props, *dependencies):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in dependencies])


def custom(name, *actions):
    return res(CUSTOM, name, {"displayName": name, "version": "1.0", "enabled": True,
                              "permissions": [{"allowedResourceActions": list(actions)}]})


BROAD = custom("appcreds", "microsoft.directory/applications/credentials/update")
NARROW = custom("appreader", "microsoft.directory/applications/allProperties/read")
SERVICE_PRINCIPAL = res(SP, "agent-sp", {"clientId": "c"})
OTHER = res(VAULT, "vault", {"vaultName": "v"})


def assign(role_id, *dependencies, principal=PRINCIPAL, type_=ASSIGNMENT):
    props = ({"roleId": role_id, "principalObjectId": principal, "directoryScopeId": "/"} if type_ == ASSIGNMENT else
             {"roleDefinitionId": role_id, "principalId": principal, "directoryScopeId": "/", "justification": "j",
              "scheduleInfo": {}})
    return res(type_, "grant", props, *dependencies)


def findings(pack, *resources):
    """(resource name or None, level, message) of AGID-AZ-020's diagnostics for the stack."""
    return sorted((d.urn.rsplit("::", 1)[-1] if d.urn else None, d.enforcement_level, d.message)
                  for d in pack.analyze_stack(list(resources)) if d.policy_name == RULE)


@pytest.mark.parametrize("type_", [ASSIGNMENT, ELIGIBILITY])
def test_a_custom_role_named_by_its_output_is_judged_by_its_actions(pack, type_):
    [(name, level, message)] = findings(pack, BROAD, assign(UNKNOWN, BROAD, type_=type_))
    assert (name, level) == ("grant", "mandatory") and "the privileged directory role appcreds (custom role)" in message
    assert findings(pack, NARROW, assign(UNKNOWN, NARROW, type_=type_)) == []


def test_the_principals_own_output_is_explained_by_the_principal_input(pack):
    # role and principal both Outputs of the stack: the grant depends on both, each explained by its own input
    [(name, level, _)] = findings(pack, BROAD, SERVICE_PRINCIPAL,
                                  assign(UNKNOWN, BROAD, SERVICE_PRINCIPAL, principal=UNKNOWN))
    assert (name, level) == ("grant", "mandatory")
    assert findings(pack, NARROW, SERVICE_PRINCIPAL, assign(UNKNOWN, NARROW, SERVICE_PRINCIPAL, principal=UNKNOWN)) == []


@pytest.mark.parametrize("case", ["unrelated-dependency", "principal-dependency-with-a-literal-principal", "nothing"])
def test_a_bare_dependency_on_a_harmless_role_proves_nothing(pack, case):
    grant = {"unrelated-dependency": assign(UNKNOWN, NARROW, OTHER),
             # the literal principal needs no Output: the service principal may be what a Global Admin id hides behind
             "principal-dependency-with-a-literal-principal": assign(UNKNOWN, NARROW, SERVICE_PRINCIPAL),
             "nothing": assign(UNKNOWN)}[case]
    found = findings(pack, NARROW, OTHER, SERVICE_PRINCIPAL, grant)
    assert [(n, lvl) for n, lvl, _ in found] == [(None, "advisory")], found
    assert "cannot check until known: grant.roleId is computed during preview" in found[0][2] or \
        "cannot check until known: grant.roleDefinitionId is computed during preview" in found[0][2]


def test_a_literal_role_object_id_names_a_stack_role_only_by_its_known_object_id(pack):
    readers = res(DIRECTORY_ROLE, "readers", {"templateId": DIRECTORY_READERS, "objectId": "0a0a0a0a-0000-4000-8000-000000000001"})
    admins = res(DIRECTORY_ROLE, "admins", {"templateId": GLOBAL_ADMIN, "objectId": "0a0a0a0a-0000-4000-8000-000000000002"})

    def member(object_id, *dependencies):
        return res(MEMBER, "grant", {"roleObjectId": object_id, "memberObjectId": PRINCIPAL}, *dependencies)

    # Global Administrator's activated object id beside a dependency on Directory Readers: cannot check
    [(name, level, message)] = findings(pack, readers, member("0b0b0b0b-0000-4000-8000-000000000009", readers))
    assert (name, level) == ("grant", "mandatory")
    assert "cannot check: roleObjectId '0b0b0b0b-0000-4000-8000-000000000009' is the object id of a directory role this " \
           "stack does not activate" in message
    assert findings(pack, readers, member("0a0a0a0a-0000-4000-8000-000000000001")) == []
    [(name, level, message)] = findings(pack, admins, member("0A0A0A0A-0000-4000-8000-000000000002"))
    assert (name, level) == ("grant", "mandatory") and "Global Administrator" in message


def test_a_linked_directory_role_that_cannot_be_read_does_not_pass(pack):
    unread = res(DIRECTORY_ROLE, "unread", {"displayName": UNKNOWN})
    [(name, level, message)] = findings(pack, unread, assign(UNKNOWN, unread))
    assert (name, level) == ("grant", "mandatory") and "cannot be read at preview: cannot check" in message


def test_where_the_engine_sends_property_dependencies_the_role_inputs_own_decide(pack):
    def grant(role_sources):
        base = assign(UNKNOWN, NARROW, OTHER, SERVICE_PRINCIPAL)
        return StackResource(base.type, base.name, base.urn, base.properties, dependencies=base.dependencies,
                             property_dependencies={"roleId": [r.urn for r in role_sources]})

    # the vault and the principal are other inputs' (or depends_on's): roleId's own name the narrow role
    assert findings(pack, NARROW, OTHER, SERVICE_PRINCIPAL, grant([NARROW])) == []
    # roleId from the vault's Output beside depends_on the narrow role: cannot check
    found = findings(pack, NARROW, OTHER, SERVICE_PRINCIPAL, grant([OTHER]))
    assert [(n, lvl) for n, lvl, _ in found] == [(None, "advisory")]
