"""Entra ID and Azure AI rules: privileged directory roles, tenant-wide Graph permissions, implicit grant and
public clients, local (key) auth on AI services. Each rule: a flagged case and a look-alike that must pass,
called directly and driven over gRPC as the engine drives the pack.

Ids are Microsoft's (role template ids: learn.microsoft.com/en-us/entra/identity/role-based-access-control/
permissions-reference; Graph app role ids: learn.microsoft.com/en-us/graph/permissions-reference); type tokens and
input names are those of pulumi-azuread 6 and pulumi-azure-native 3 (camelCase as the engine sends them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid_policy_packs.rules.base import Unknown, Violation
from tests.policy.ruletools import UNKNOWN, resource, stack_outcomes, unknowns, violations

PACK = Path(__file__).resolve().parents[2] / "policy_packs" / "agent_guard"
GRAPH = "00000003-0000-0000-c000-000000000000"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # low-privilege (no PRIVILEGED label)
ROLE_MANAGEMENT_RW = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
DIRECTORY_READ_ALL = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"
DIRECTORY_RW_DELEGATED = "c5366453-9fb0-48a5-a156-24f0c49a4b84"  # the delegated scope, not the app role

ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
ELIGIBILITY = "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
APPLICATION = "azuread:index/application:Application"
API_ACCESS = "azuread:index/applicationApiAccess:ApplicationApiAccess"
REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration"
FALLBACK = "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"
COGNITIVE = "azure-native:cognitiveservices:Account"
SEARCH = "azure-native:search:Service"


def stack_violations(rule_id, resources):
    return [(o.urn.rsplit("::", 1)[-1], o.message) for o in stack_outcomes(rule_id, resources) if isinstance(o, Violation)]


# --- AGID-AZ-020: privileged directory roles -------------------------------------------------------------


def test_privileged_directory_roles_by_template_id_and_by_display_name():
    role = resource(DIRECTORY_ROLE, {"displayName": "Privileged Role Administrator"}, "pra")
    resources = [
        resource(ASSIGNMENT, {"roleId": GLOBAL_ADMIN, "principalObjectId": "x"}, "ga"),
        resource(ELIGIBILITY, {"roleDefinitionId": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "principalId": "x",
                               "directoryScopeId": "/", "justification": "j"}, "appadmin"),
        role,
        resource(ASSIGNMENT, {"roleId": UNKNOWN, "principalObjectId": "x"}, "via-role", deps=(role.urn,)),
        # look-alikes that pass: a non-privileged built-in role, a role activated by a harmless name
        resource(ASSIGNMENT, {"roleId": DIRECTORY_READERS, "principalObjectId": "x"}, "reader"),
    ]
    assert stack_violations("AGID-AZ-020", resources) == [
        ("ga", f"ga assigns the privileged directory role Global Administrator ({GLOBAL_ADMIN}): its holder controls "
               "every part of the tenant"),
        ("appadmin", "appadmin makes eligible for the privileged directory role Application Administrator "
                     "(9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3): its holder adds credentials to any application and "
                     "acts with its permissions"),
        ("via-role", "via-role assigns the privileged directory role Privileged Role Administrator "
                     "(e8611ab8-c189-46e8-94e1-60213ab1f814): its holder assigns any directory role, Global "
                     "Administrator included"),
    ]


def test_directory_role_unknown_and_unlinked_cannot_be_checked():
    harmless = resource(DIRECTORY_ROLE, {"displayName": "Directory Readers"}, "gr")
    outcomes = stack_outcomes("AGID-AZ-020", [
        harmless, resource(ASSIGNMENT, {"roleId": UNKNOWN}, "linked", deps=(harmless.urn,)),
        resource(ASSIGNMENT, {"roleId": UNKNOWN}, "unlinked")])
    assert [(type(o), o.urn.rsplit("::", 1)[-1]) for o in outcomes] == [(Unknown, "unlinked")]


# --- AGID-AZ-021: tenant-wide Microsoft Graph permissions ------------------------------------------------


def test_graph_app_role_assignment_of_tenant_write_permission():
    [message] = violations("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": ROLE_MANAGEMENT_RW,
                                                                "principalObjectId": "a", "resourceObjectId": "g"})
    assert message == (f"r is granted the Microsoft Graph application permission RoleManagement.ReadWrite.Directory "
                       f"({ROLE_MANAGEMENT_RW}, appRoleId): the app assigns itself any directory role, Global "
                       "Administrator included")
    assert violations("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": DIRECTORY_READ_ALL}) == []
    assert unknowns("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": UNKNOWN}) == ["appRoleId"]


def test_application_requesting_graph_app_roles():
    props = {"displayName": "agent", "requiredResourceAccesses": [{"resourceAppId": GRAPH, "resourceAccesses": [
        {"id": DIRECTORY_READ_ALL, "type": "Role"},
        {"id": "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "type": "Role"},
        {"id": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "type": "Scope"},  # same GUID as a scope: not an app role
    ]}]}
    [message] = violations("AGID-AZ-021", APPLICATION, props)
    assert message.startswith("r asks for the Microsoft Graph application permission Directory.ReadWrite.All "
                              "(19dbc75e-c2e2-444c-a770-ec69d8559fc7, requiredResourceAccesses[0].resourceAccesses[1].id)")
    # the same id on another API is not Graph's permission
    other = {"requiredResourceAccesses": [{"resourceAppId": "11111111-2222-4333-8444-555555555555",
                                           "resourceAccesses": [{"id": ROLE_MANAGEMENT_RW, "type": "Role"}]}]}
    assert violations("AGID-AZ-021", APPLICATION, other) == []
    assert violations("AGID-AZ-021", APPLICATION, {"requiredResourceAccesses": [{"resourceAppId": GRAPH,
        "resourceAccesses": [{"id": DIRECTORY_RW_DELEGATED, "type": "Scope"}]}]}) == []


def test_application_api_access_role_ids():
    props = {"applicationId": "/applications/x", "apiClientId": GRAPH,
             "roleIds": [DIRECTORY_READ_ALL, "06b708a9-e830-4db3-a914-8e69da51d44f"]}
    [message] = violations("AGID-AZ-021", API_ACCESS, props)
    assert "AppRoleAssignment.ReadWrite.All (06b708a9-e830-4db3-a914-8e69da51d44f, roleIds[1])" in message
    assert violations("AGID-AZ-021", API_ACCESS, {**props, "roleIds": [DIRECTORY_READ_ALL]}) == []


# --- AGID-AZ-022: implicit grant and public clients --------------------------------------------------------


@pytest.mark.parametrize("type_, props, path", [
    (APPLICATION, {"web": {"implicitGrant": {"accessTokenIssuanceEnabled": True}}},
     "web.implicitGrant.accessTokenIssuanceEnabled"),
    (APPLICATION, {"web": {"implicitGrant": {"idTokenIssuanceEnabled": True}}}, "web.implicitGrant.idTokenIssuanceEnabled"),
    (APPLICATION, {"fallbackPublicClientEnabled": True}, "fallbackPublicClientEnabled"),
    (REGISTRATION, {"implicitAccessTokenIssuanceEnabled": True}, "implicitAccessTokenIssuanceEnabled"),
    (FALLBACK, {"applicationId": "/applications/x", "enabled": True}, "enabled"),
])
def test_implicit_grant_and_public_client_flows_are_flagged(type_, props, path):
    [message] = violations("AGID-AZ-022", type_, props)
    assert message.startswith(f"application r: {path} is true, so it issues ")


def test_confidential_applications_pass():
    props = {"web": {"implicitGrant": {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False},
                     "redirectUris": ["https://app.example.com/cb"]},
             "fallbackPublicClientEnabled": False, "singlePageApplication": {"redirectUris": ["https://spa/"]}}
    assert violations("AGID-AZ-022", APPLICATION, props) == []
    assert violations("AGID-AZ-022", APPLICATION, {}) == []  # azuread's defaults are off
    assert unknowns("AGID-AZ-022", APPLICATION, {"web": UNKNOWN}) == [
        "web.implicitGrant.accessTokenIssuanceEnabled", "web.implicitGrant.idTokenIssuanceEnabled"]


# --- AGID-AZ-023: local (key) auth on Azure OpenAI / AI services and AI Search ---------------------------


def test_ai_services_with_local_auth_are_flagged():
    [message] = violations("AGID-AZ-023", COGNITIVE, {"kind": "OpenAI", "properties": {"publicNetworkAccess": "Disabled"}})
    assert message == ("OpenAI account r: properties.disableLocalAuth is not set (Azure's default allows keys), so "
                       "API keys bypass Entra ID and RBAC")
    assert violations("AGID-AZ-023", COGNITIVE, {"kind": "AIServices", "properties": {"disableLocalAuth": False}})
    assert violations("AGID-AZ-023", SEARCH, {"searchServiceName": "s"})
    # look-alikes that pass: local auth off
    assert violations("AGID-AZ-023", COGNITIVE, {"kind": "OpenAI", "properties": {"disableLocalAuth": True}}) == []
    assert violations("AGID-AZ-023", SEARCH, {"disableLocalAuth": True}) == []
    assert unknowns("AGID-AZ-023", COGNITIVE, {"properties": {"disableLocalAuth": UNKNOWN}}) == ["properties.disableLocalAuth"]


# --- over gRPC, as the engine drives the pack ----------------------------------------------------------------


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::kit::{type_}::{name}"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        yield running


@pytest.mark.parametrize("type_, flagged, passing, rule", [
    (APP_ROLE_ASSIGNMENT, {"appRoleId": ROLE_MANAGEMENT_RW, "principalObjectId": "a", "resourceObjectId": "g"},
     {"appRoleId": DIRECTORY_READ_ALL, "principalObjectId": "a", "resourceObjectId": "g"}, "AGID-AZ-021"),
    (APPLICATION, {"displayName": "a", "requiredResourceAccesses": [{"resourceAppId": GRAPH, "resourceAccesses": [
        {"id": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "type": "Role"}]}]},
     {"displayName": "a", "requiredResourceAccesses": [{"resourceAppId": GRAPH, "resourceAccesses": [
         {"id": DIRECTORY_READ_ALL, "type": "Role"}]}]}, "AGID-AZ-021"),
    (APPLICATION, {"displayName": "a", "web": {"implicitGrant": {"accessTokenIssuanceEnabled": True}}},
     {"displayName": "a", "web": {"implicitGrant": {"accessTokenIssuanceEnabled": False}}}, "AGID-AZ-022"),
    (COGNITIVE, {"kind": "OpenAI", "properties": {}}, {"kind": "OpenAI", "properties": {"disableLocalAuth": True}},
     "AGID-AZ-023"),
])
def test_rules_over_grpc(pack, type_, flagged, passing, rule):
    flagged_rules = {d.policy_name for d in pack.analyze(type_, "bad", urn(type_, "bad"), flagged)}
    passing_rules = {d.policy_name for d in pack.analyze(type_, "good", urn(type_, "good"), passing)}
    assert rule in flagged_rules and rule not in passing_rules


def test_directory_roles_over_grpc(pack):
    role = StackResource(DIRECTORY_ROLE, "ga-role", urn(DIRECTORY_ROLE, "ga-role"), {"displayName": "Global Administrator"})
    bad = StackResource(ASSIGNMENT, "bad", urn(ASSIGNMENT, "bad"), {"roleId": UNKNOWN, "principalObjectId": "p"},
                        dependencies=[role.urn])
    good = StackResource(ASSIGNMENT, "good", urn(ASSIGNMENT, "good"), {"roleId": DIRECTORY_READERS, "principalObjectId": "p"})
    diags = [d for d in pack.analyze_stack([role, bad, good]) if d.policy_name == "AGID-AZ-020"]
    assert [(d.urn, d.enforcement_level) for d in diags] == [(bad.urn, "mandatory")]
    assert "Global Administrator (62e90394-69f5-4237-9190-012177145e10)" in diags[0].message


DELEGATED = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant"


def test_tenant_wide_consent_to_a_write_scope_is_flagged():
    props = {"servicePrincipalObjectId": "app", "resourceServicePrincipalObjectId": "graph",
             "claimValues": ["User.Read", "directory.readwrite.all"]}
    assert violations("AGID-AZ-021", DELEGATED, props, name="consent") == [
        "consent consents for every user of the tenant to the delegated scope Directory.ReadWrite.All (claimValues[1]): "
        "the app, with any administrator's sign-in, writes users, groups and applications across the tenant"]
    # look-alikes that pass: one user's consent, harmless scopes
    assert violations("AGID-AZ-021", DELEGATED, {**props, "userObjectId": "u"}) == []
    assert violations("AGID-AZ-021", DELEGATED, {**props, "claimValues": ["User.Read", "openid"]}) == []
    assert unknowns("AGID-AZ-021", DELEGATED, {**props, "claimValues": UNKNOWN}) == ["claimValues"]


def test_legacy_directory_role_membership_is_judged_through_the_activated_role():
    role = resource(DIRECTORY_ROLE, {"templateId": GLOBAL_ADMIN}, "ga")
    member = resource("azuread:index/directoryRoleMember:DirectoryRoleMember",
                      {"roleObjectId": UNKNOWN, "memberObjectId": "sp"}, "member", deps=(role.urn,))
    assert stack_violations("AGID-AZ-020", [role, member]) == [
        ("member", f"member assigns the privileged directory role Global Administrator ({GLOBAL_ADMIN}): its holder "
                   "controls every part of the tenant")]


def test_sas_authorization_rules_and_local_auth_are_flagged():
    rule = "azure-native:servicebus:QueueAuthorizationRule"
    assert violations("AGID-AZ-024", rule, {"rights": ["Listen", "Send"], "queueName": "q"}, name="send") == [
        "authorization rule send mints shared access keys with rights Listen, Send: static credentials that bypass "
        "Entra ID and RBAC"]
    namespace = "azure-native:servicebus:Namespace"
    assert violations("AGID-AZ-024", namespace, {"sku": {"name": "Standard"}}, name="bus") == [
        "servicebus bus: disableLocalAuth is not set (Azure's default allows keys), so its access keys (the root key "
        "included) bypass Entra ID and RBAC"]
    # look-alikes that pass: local auth off; a data-role assignment instead of a key
    assert violations("AGID-AZ-024", namespace, {"disableLocalAuth": True}) == []
    assert violations("AGID-AZ-024", "azure-native:cosmosdb:DatabaseAccount", {"disableLocalAuth": True}) == []
    assert unknowns("AGID-AZ-024", namespace, {"disableLocalAuth": UNKNOWN}) == ["disableLocalAuth"]


def test_shared_access_keys_over_grpc(pack):
    namespace = "azure-native:eventhub:Namespace"
    bad = {d.policy_name for d in pack.analyze(namespace, "hub", urn(namespace, "hub"), {"disableLocalAuth": False})}
    good = {d.policy_name for d in pack.analyze(namespace, "hub2", urn(namespace, "hub2"), {"disableLocalAuth": True})}
    assert "AGID-AZ-024" in bad and "AGID-AZ-024" not in good


@pytest.mark.parametrize("spelling", ["{e8611ab8-c189-46e8-94e1-60213ab1f814}", "e8611ab8c18946e894e160213ab1f814",
                                      "E8611AB8-C189-46E8-94E1-60213AB1F814", "urn:uuid:e8611ab8-c189-46e8-94e1-60213ab1f814",
                                      " {E8611AB8C18946E894E160213AB1F814} "])
def test_a_role_or_permission_id_is_recognised_in_every_guid_spelling(pack, spelling):
    # red9a 26: braces and the dash-less form of Privileged Role Administrator's template id passed (Graph's .NET
    # parser takes them); look-alike: another GUID in the same spellings passes
    flagged = StackResource(ASSIGNMENT, "pra", urn(ASSIGNMENT, "pra"), {"roleId": spelling, "principalObjectId": "p"})
    reader = StackResource(ASSIGNMENT, "gr", urn(ASSIGNMENT, "gr"), {"roleId": "{" + DIRECTORY_READERS + "}",
                                                                     "principalObjectId": "p"})
    diags = [d for d in pack.analyze_stack([flagged, reader]) if d.policy_name == "AGID-AZ-020"]
    assert [(d.urn, d.enforcement_level) for d in diags] == [(flagged.urn, "mandatory")]
    assert "Privileged Role Administrator (e8611ab8-c189-46e8-94e1-60213ab1f814)" in diags[0].message
    app_role = spelling.replace("e8611ab8-c189-46e8-94e1-60213ab1f814", ROLE_MANAGEMENT_RW).replace(
        "e8611ab8c18946e894e160213ab1f814", ROLE_MANAGEMENT_RW.replace("-", "")).replace(
        "E8611AB8-C189-46E8-94E1-60213AB1F814", ROLE_MANAGEMENT_RW.upper()).replace(
        "E8611AB8C18946E894E160213AB1F814", ROLE_MANAGEMENT_RW.replace("-", "").upper())
    assert len(violations("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": app_role, "principalObjectId": "a",
                                                               "resourceObjectId": "g"})) == 1


@pytest.mark.parametrize(("role_id", "value"), [
    ("e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Mail.ReadWrite"),
    ("b633e1c5-b582-4048-a93e-9f11b44c7e96", "Mail.Send"),
    ("75359482-378d-4052-8f01-80520e7db3cd", "Files.ReadWrite.All"),
    ("9492366f-7969-46a4-8d15-ed1a20078fff", "Sites.ReadWrite.All"),
    ("741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All"),
    ("78145de6-330d-4800-a6ce-494ff2d33d07", "DeviceManagementApps.ReadWrite.All"),
])
def test_tenant_wide_data_and_device_writes_are_graph_permissions_that_block(role_id, value):
    # red9a 27: every mailbox, every file, every user, apps on every device passed as "not privileged"
    [message] = violations("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": role_id, "principalObjectId": "a",
                                                                "resourceObjectId": "g"})
    assert f"application permission {value} ({role_id}, appRoleId)" in message
    # look-alike: the read-only user profile permission (User.Read.All) passes
    assert violations("AGID-AZ-021", APP_ROLE_ASSIGNMENT, {"appRoleId": "df021288-bdef-4463-88db-98f22de89214"}) == []
