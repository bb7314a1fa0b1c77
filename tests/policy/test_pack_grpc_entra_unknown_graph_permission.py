"""AGID-AZ-053 and AGID-AZ-054 over gRPC: Microsoft Graph app role ids the kit does not know used to pass in silence.

AZ-053 (mandatory) when Graph is known to be the resource: an Application's requiredResourceAccesses for Graph, an
ApplicationApiAccess of Graph, an AppRoleAssignment depending on the stack's lookup of Graph's service principal.
AZ-054 (advisory) for an AppRoleAssignment whose resource is a stack service principal of another API and whose role
is neither a known Graph permission nor an app role of the stack (AGID-AZ-066 blocks it on a resource it cannot read). Ids: https://learn.microsoft.com/en-us/graph/permissions-reference.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.analysis.entra import known_graph_app_role
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn
from tests.policy.ruletools import UNKNOWN

GRAPH = "00000003-0000-0000-c000-000000000000"
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"
SITES_SELECTED = "883ea226-0bf2-4a8f-9f9d-92c9162a727d"
ROLE_MANAGEMENT_RW = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"  # privileged: AGID-AZ-021's
NOT_KNOWN = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"  # our own made-up id: in no catalogue
APPLICATION = "azuread:index/application:Application"
API_ACCESS = "azuread:index/applicationApiAccess:ApplicationApiAccess"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APP_ROLE = "azuread:index/applicationAppRole:ApplicationAppRole"


def resource(type_, name, props, depends=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[urn(t, n) for t, n in depends])


def application(*role_ids, api=GRAPH, kind="Role"):
    return resource(APPLICATION, "app", {"displayName": "agent", "requiredResourceAccesses": [
        {"resourceAppId": api, "resourceAccesses": [{"id": role_id, "type": kind} for role_id in role_ids]}]})


def graph_sp(client_id=GRAPH):
    return resource(SERVICE_PRINCIPAL, "graph", {"clientId": client_id, "useExisting": True})


def assignment(role_id, via_graph=True, target="4c0cb1a0-1d5e-4a4c-9a43-31e57d2b4d33"):
    return resource(ASSIGNMENT, "grant", {"appRoleId": role_id, "principalObjectId": "p", "resourceObjectId": target},
                    depends=[(SERVICE_PRINCIPAL, "graph")] if via_graph else [])


def names(pack, rule_id, resources, level=None):
    return [name for name, _ in stack_findings(pack, rule_id, resources, level)]


@pytest.mark.parametrize("resources", [
    [application(USER_READ_ALL, NOT_KNOWN)],
    [application("{0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}", api="{00000003-0000-0000-C000-000000000000}")],
    [resource(API_ACCESS, "app", {"applicationId": "/applications/x", "apiClientId": GRAPH, "roleIds": [NOT_KNOWN]})],
    [graph_sp(), assignment(NOT_KNOWN)],
], ids=["application", "application-other-spellings", "api-access", "assignment-via-graph-sp"])
def test_unknown_graph_permission_blocks(pack, resources):
    flagged = names(pack, "AGID-AZ-053", resources, "mandatory")
    assert flagged == [resources[-1].name]
    assert names(pack, "AGID-AZ-054", resources) == []


@pytest.mark.parametrize("resources", [
    [application(USER_READ_ALL, SITES_SELECTED)],
    [application(ROLE_MANAGEMENT_RW)],  # known (privileged): AGID-AZ-021 blocks it, not as unknown
    [application(NOT_KNOWN, kind="Scope")],  # delegated scopes are judged by name (AGID-AZ-021)
    [application(NOT_KNOWN, api="11111111-2222-3333-4444-555555555555")],  # not Graph: an id of another API
    [graph_sp(), assignment(USER_READ_ALL)],
    [graph_sp(client_id="11111111-2222-3333-4444-555555555555"), assignment(USER_READ_ALL)],
], ids=["reviewed-reads", "privileged", "delegated", "other-api", "assignment-known", "assignment-other-sp"])
def test_known_or_non_graph_ids_pass(pack, resources):
    assert names(pack, "AGID-AZ-053", resources) == []


def test_unknown_at_preview_is_cannot_check(pack):
    [(_, message)] = stack_findings(pack, "AGID-AZ-053", [application(UNKNOWN)])
    assert "cannot check until known: app.requiredResourceAccesses[0].resourceAccesses[0].id" in message


def test_assignment_of_a_role_nobody_can_name_on_an_object_id_literal_blocks(pack):
    """red20 r20-3: Graph's object id differs per tenant, so a literal resource may be Graph: AGID-AZ-066, mandatory
    (it was AGID-AZ-054 advisory); on the stack's own API's service principal it stays advisory."""
    resources = [assignment(NOT_KNOWN, via_graph=False)]
    assert names(pack, "AGID-AZ-066", resources, "mandatory") == ["grant"]
    assert names(pack, "AGID-AZ-054", resources) == []
    assert names(pack, "AGID-AZ-053", resources) == []
    own = resource(SERVICE_PRINCIPAL, "api", {"clientId": UNKNOWN})
    traced = StackResource(ASSIGNMENT, "grant", urn(ASSIGNMENT, "grant"),
                           {"appRoleId": NOT_KNOWN, "principalObjectId": "p", "resourceObjectId": UNKNOWN},
                           dependencies=[own.urn], property_dependencies={"resourceObjectId": [own.urn]})
    assert names(pack, "AGID-AZ-054", [own, traced], "advisory") == ["grant"]
    assert names(pack, "AGID-AZ-066", [own, traced]) == []


@pytest.mark.parametrize("resources", [
    [assignment(USER_READ_ALL, via_graph=False)],
    [assignment("00000000-0000-0000-0000-000000000000", via_graph=False)],
    [resource(APP_ROLE, "role", {"applicationId": "/applications/x", "roleId": NOT_KNOWN.upper(),
                                 "allowedMemberTypes": ["Application"], "value": "tickets.read"}),
     assignment(NOT_KNOWN, via_graph=False)],
    [resource(APPLICATION, "api", {"displayName": "api", "appRoles": [{"id": NOT_KNOWN, "value": "tickets.read"}]}),
     assignment(NOT_KNOWN, via_graph=False)],
], ids=["known-graph-id", "default-access", "stack-app-role", "stack-application-app-roles"])
def test_assignments_of_roles_the_pack_can_name_pass(pack, resources):
    assert names(pack, "AGID-AZ-054", resources) == []


def test_known_ids_cover_both_lists_and_only_graph():
    assert known_graph_app_role(USER_READ_ALL.upper()) == "User.Read.All"
    assert known_graph_app_role(ROLE_MANAGEMENT_RW) == "RoleManagement.ReadWrite.Directory"
    assert known_graph_app_role("dc890d15-9560-4a4c-9b7f-a736ec74ec40") is None  # Exchange's full_access_as_app
    assert known_graph_app_role(NOT_KNOWN) is None
