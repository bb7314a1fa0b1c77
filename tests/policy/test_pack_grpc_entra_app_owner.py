"""AGID-AZ-033 over gRPC: owners of Entra applications that hold privileged permissions or that the stack does not
define, and look-alikes.

Graph app role ids from https://learn.microsoft.com/en-us/graph/permissions-reference (Application.ReadWrite.All,
User.Read.All); directory role template ids from the Entra permissions reference.
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

APP = "azuread:index/application:Application"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
OWNER = "azuread:index/applicationOwner:ApplicationOwner"
ASSIGN = "azuread:index/appRoleAssignment:AppRoleAssignment"
DRA = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
GRAPH = "00000003-0000-0000-c000-000000000000"
APP_RW_ALL, USER_READ_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "df021288-bdef-4463-88db-98f22de89214"
APP_ADMIN, DIRECTORY_READERS = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
AGENT_SP = "0f0e0d0c-0b0a-0908-0706-050403020100"


def res(type_, name, props, *deps):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in deps])


def app(name, role_id=None, owners=None):
    props = {"displayName": name}
    if role_id:
        props["requiredResourceAccesses"] = [{"resourceAppId": GRAPH, "resourceAccesses": [{"id": role_id,
                                                                                           "type": "Role"}]}]
    if owners is not None:
        props["owners"] = owners
    return res(APP, name, props)


def flagged(pack, *resources):
    return stack_findings(pack, "AGID-AZ-033", resources)


def test_owner_of_an_app_asking_for_tenant_write_is_flagged_and_of_a_reader_app_passes(pack):
    admin_app, reader_app = app("admin-tool", APP_RW_ALL), app("reports", USER_READ_ALL)
    found = flagged(pack, admin_app, reader_app,
                    res(OWNER, "own-admin", {"applicationId": UNKNOWN, "ownerObjectId": AGENT_SP}, admin_app),
                    res(OWNER, "own-reports", {"applicationId": UNKNOWN, "ownerObjectId": AGENT_SP}, reader_app))
    assert [name for name, _ in found] == ["own-admin"]
    assert AGENT_SP in found[0][1] and "Application.ReadWrite.All" in found[0][1]


def test_owners_listed_on_the_app_or_its_service_principal(pack):
    admin_app = app("admin-tool", APP_RW_ALL, owners=[AGENT_SP])
    sp = res(SP, "admin-sp", {"clientId": UNKNOWN, "owners": [AGENT_SP]}, admin_app)
    plain_app = app("plain", None, owners=[AGENT_SP])
    plain_sp = res(SP, "plain-sp", {"clientId": UNKNOWN, "owners": [AGENT_SP]}, plain_app)
    assert [name for name, _ in flagged(pack, admin_app, sp, plain_app, plain_sp)] == ["admin-sp", "admin-tool"]


def test_privilege_granted_to_the_service_principal_counts(pack):
    tool = app("tool")
    sp = res(SP, "tool-sp", {"clientId": UNKNOWN}, tool)
    graph_sp = res(SP, "graph", {"clientId": GRAPH, "useExisting": True})
    owner = res(OWNER, "own-tool", {"applicationId": UNKNOWN, "ownerObjectId": UNKNOWN}, tool)
    granted = res(ASSIGN, "grant", {"appRoleId": APP_RW_ALL, "principalObjectId": UNKNOWN,
                                    "resourceObjectId": UNKNOWN}, sp, graph_sp)
    found = flagged(pack, tool, sp, graph_sp, owner, granted)
    assert [name for name, _ in found] == ["own-tool"] and "id unknown at preview" in found[0][1]
    role = res(DRA, "admin-role", {"roleId": APP_ADMIN, "principalObjectId": UNKNOWN}, sp)
    assert "directory role Application Administrator" in flagged(pack, tool, sp, owner, role)[0][1]
    readers = res(DRA, "readers", {"roleId": DIRECTORY_READERS, "principalObjectId": UNKNOWN}, sp)
    harmless = res(ASSIGN, "grant-read", {"appRoleId": USER_READ_ALL, "principalObjectId": UNKNOWN,
                                          "resourceObjectId": UNKNOWN}, sp, graph_sp)
    assert flagged(pack, tool, sp, graph_sp, owner, readers, harmless) == []


def test_unknown_owner_lists_are_reported(pack):
    admin_app = app("admin-tool", APP_RW_ALL, owners=UNKNOWN)
    diags = [d for d in pack.analyze_stack([admin_app]) if d.policy_name == "AGID-AZ-033"]
    assert diags and "cannot check until known: admin-tool.owners" in diags[0].message


# --- owners of applications and service principals the stack does not define (issue 11, red4 / red3 c06, l04) ---

OUTSIDE_APP = "/applications/33333333-3333-3333-3333-333333333333"
OUTSIDE_CLIENT = "55555555-5555-5555-5555-555555555555"


def test_an_owner_of_an_application_outside_the_stack_is_flagged(pack):
    owner = res(OWNER, "o", {"applicationId": OUTSIDE_APP, "ownerObjectId": AGENT_SP})
    [(name, message)] = flagged(pack, owner)
    assert name == "o" and f"makes {AGENT_SP} owner of application {OUTSIDE_APP}, which the stack does not define" in message
    assert [d.enforcement_level for d in pack.analyze_stack([owner]) if d.policy_name == "AGID-AZ-033"] == ["mandatory"]


def test_owners_on_a_service_principal_of_an_outside_app_or_of_microsoft_graph_are_flagged(pack):
    graph_sp = res(SP, "sp", {"clientId": GRAPH, "owners": [AGENT_SP]})
    outside_sp = res(SP, "vendor-sp", {"clientId": OUTSIDE_CLIENT, "owners": [AGENT_SP]})
    found = flagged(pack, graph_sp, outside_sp)
    assert [name for name, _ in found] == ["sp", "vendor-sp"]
    assert "owner of Microsoft Graph's service principal" in found[0][1]
    assert f"owner of the service principal of application {OUTSIDE_CLIENT}" in found[1][1]


def test_look_alikes_pass_owners_of_the_stacks_own_unprivileged_app_and_outside_principals_without_owners(pack):
    plain = app("plain")
    own_owner = res(OWNER, "own-plain", {"applicationId": UNKNOWN, "ownerObjectId": AGENT_SP}, plain)
    own_sp = res(SP, "plain-sp", {"clientId": UNKNOWN, "owners": [AGENT_SP]}, plain)
    no_owner_sp = res(SP, "graph", {"clientId": GRAPH, "useExisting": True})
    empty_owners = res(SP, "vendor-sp", {"clientId": OUTSIDE_CLIENT, "owners": []})
    assert flagged(pack, plain, own_owner, own_sp, no_owner_sp, empty_owners) == []


def test_owners_of_an_outside_service_principal_unknown_at_preview_are_reported(pack):
    sp = res(SP, "vendor-sp", {"clientId": OUTSIDE_CLIENT, "owners": UNKNOWN})
    diags = [d for d in pack.analyze_stack([sp]) if d.policy_name == "AGID-AZ-033"]
    assert len(diags) == 1 and "cannot check until known: vendor-sp.owners" in diags[0].message


CUSTOM = "azuread:index/customDirectoryRole:CustomDirectoryRole"


def test_owner_of_an_app_holding_a_privileged_custom_directory_role_is_flagged_like_a_built_in_one(pack):
    """red11a r08: a stack custom role is judged by its resource actions, as AGID-AZ-020 judges its assignment."""
    def custom(name, action):
        return res(CUSTOM, name, {"displayName": name, "version": "1.0", "enabled": True,
                                  "permissions": [{"allowedResourceActions": [action]}]})

    sync_creds = custom("synccreds", "microsoft.directory/servicePrincipals/synchronizationCredentials/manage")
    reader = custom("appreader", "microsoft.directory/applications/allProperties/read")
    found = []
    for role in (sync_creds, reader):
        owned = app(f"tool-{role.name}", owners=[AGENT_SP])
        sp = res(SP, f"sp-{role.name}", {"clientId": UNKNOWN}, owned)
        assignment = res(DRA, f"dra-{role.name}", {"roleId": UNKNOWN, "principalObjectId": UNKNOWN,
                                                   "directoryScopeId": "/"}, role, sp)
        found += flagged(pack, role, owned, sp, assignment)
    assert [name for name, _ in found] == ["tool-synccreds"]
    assert "directory role synccreds (custom role)" in found[0][1]


def test_depending_on_a_harmless_stack_app_does_not_make_an_outside_app_the_stacks(pack):
    """issue 11: an ApplicationOwner of an EXISTING privileged application (its literal id) and a ServicePrincipal of an
    existing app's client id with owners, each with `depends_on=[a harmless stack app]`, passed as owners of the
    harmless app. They are owners of apps the stack does not define; the look-alikes (the stack app's own Outputs)
    pass."""
    plain = app("plain")
    owner = res(OWNER, "o-decoy", {"applicationId": OUTSIDE_APP, "ownerObjectId": AGENT_SP}, plain)
    sp = res(SP, "sp-decoy", {"clientId": OUTSIDE_CLIENT, "owners": [AGENT_SP]}, plain)
    own_owner = res(OWNER, "o-own", {"applicationId": UNKNOWN, "ownerObjectId": AGENT_SP}, plain)
    own_sp = res(SP, "sp-own", {"clientId": UNKNOWN, "owners": [AGENT_SP]}, plain)
    found = flagged(pack, plain, owner, sp, own_owner, own_sp)
    assert [name for name, _ in found] == ["o-decoy", "sp-decoy"], found
    assert f"owner of application {OUTSIDE_APP}, which the stack does not define" in found[0][1]
    assert f"owner of the service principal of application {OUTSIDE_CLIENT}, which the stack does not define" in found[1][1]
