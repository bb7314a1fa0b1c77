"""Tier-0 Graph permissions (AGID-AZ-021) and directory roles (AGID-AZ-020) over gRPC: red7b f06/f06b/f07 passed with
app role assignments of the PIM schedules, Domain.ReadWrite.All, UserAuthenticationMethod.ReadWrite.All, Exchange
full_access_as_app, SharePoint Sites.FullControl.All, a tenant-wide delegated Directory.AccessAsUser.All, and directory
role assignments of Directory Synchronization Accounts, Exchange / SharePoint / Lifecycle Workflows Administrator.

Ids: https://learn.microsoft.com/en-us/graph/permissions-reference and
https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
APPLICATION = "azuread:index/application:Application"
DELEGATED_GRANT = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant"
ROLE_ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
GRAPH = "00000003-0000-0000-c000-000000000000"
EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT = "00000003-0000-0ff1-ce00-000000000000"


def graph_findings(pack, type_, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(type_, "app", urn(type_, "app"), props) if d.policy_name == "AGID-AZ-021"]


@pytest.mark.parametrize("role_id,value", [
    ("dd199f4a-f148-40a4-a2ec-f0069cc799ec", "RoleAssignmentSchedule.ReadWrite.Directory"),
    ("fee28b28-e1f3-4841-818e-2704dc62245f", "RoleEligibilitySchedule.ReadWrite.Directory"),
    ("41202f2c-f7ab-45be-b001-85c9728b9d69", "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"),
    ("2f6817f8-7b12-4f0f-bc18-eeaf60705a9e", "PrivilegedAccess.ReadWrite.AzureADGroup"),
    ("7e05723c-0bb0-42da-be95-ae9f08a6e53c", "Domain.ReadWrite.All"),
    ("50483e42-d915-4231-9639-7fdb7fd190e5", "UserAuthenticationMethod.ReadWrite.All"),
    ("8e8e4742-1d95-4f68-9d56-6ee75648c72a", "DelegatedPermissionGrant.ReadWrite.All"),
    ("62a82d76-70ea-41e2-9197-370581804d09", "Group.ReadWrite.All"),
    ("01c0a623-fc9b-48e9-b794-0756f8e8f067", "Policy.ReadWrite.ConditionalAccess"),
    ("9241abd9-d0e6-425a-bd4f-47ba86e767a4", "DeviceManagementConfiguration.ReadWrite.All"),
    ("ab43b826-2c7a-4aff-9ecd-d0629d0ca6a9", "ADSynchronization.ReadWrite.All"),
    ("31e08e0a-d3f7-4ca2-ac39-7343fb83e8ad", "RoleManagementPolicy.ReadWrite.Directory"),
    ("dc890d15-9560-4a4c-9b7f-a736ec74ec40", "full_access_as_app"),
    ("678536fe-1083-478a-9c59-b99265e6b0d3", "Sites.FullControl.All"),
])
def test_tier0_app_role_assignments_block(pack, role_id, value):
    [(level, message)] = graph_findings(pack, APP_ROLE_ASSIGNMENT, {
        "appRoleId": role_id, "principalObjectId": "bbbbbbbb-0000-0000-0000-000000000001",
        "resourceObjectId": "aaaaaaaa-0000-0000-0000-000000000001"})
    assert level == "mandatory" and f"app is granted the Microsoft Graph application permission {value} ({role_id}" in message


def test_read_permissions_pass(pack):
    for role_id in ("df021288-bdef-4463-88db-98f22de89214",   # User.Read.All
                    "5b567255-7703-4780-807c-7be8301ae99b",   # Group.Read.All
                    "18a4783c-866b-4cc7-a460-3d5e5662c884"):  # Application.ReadWrite.OwnedBy: its own apps only
        assert graph_findings(pack, APP_ROLE_ASSIGNMENT, {"appRoleId": role_id, "principalObjectId": "p",
                                                          "resourceObjectId": "r"}) == []


def application(api, *role_ids):
    return {"displayName": "agent", "requiredResourceAccesses": [
        {"resourceAppId": api, "resourceAccesses": [{"id": role_id, "type": "Role"} for role_id in role_ids]}]}


def test_requested_exchange_and_sharepoint_roles_block_only_on_their_own_api(pack):
    found = graph_findings(pack, APPLICATION, application(EXCHANGE, "dc890d15-9560-4a4c-9b7f-a736ec74ec40"))
    assert [level for level, _ in found] == ["mandatory"] and "full_access_as_app" in found[0][1]
    found = graph_findings(pack, APPLICATION, application(SHAREPOINT, "678536fe-1083-478a-9c59-b99265e6b0d3"))
    assert [level for level, _ in found] == ["mandatory"] and "Sites.FullControl.All" in found[0][1]
    # the same id asked of another API is not that permission; Graph's Sites.Read.All is not control
    assert graph_findings(pack, APPLICATION, application(GRAPH, "dc890d15-9560-4a4c-9b7f-a736ec74ec40")) == []
    assert graph_findings(pack, APPLICATION, application(GRAPH, "332a536c-c7ef-4017-ab91-336970924f0d")) == []


@pytest.mark.parametrize("scope", ["Domain.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All",
                                   "Directory.AccessAsUser.All"])
def test_tenant_wide_delegated_consent_blocks_and_one_users_passes(pack, scope):
    grant = {"servicePrincipalObjectId": "sp-agent", "resourceServicePrincipalObjectId": "sp-graph",
             "claimValues": ["User.Read", scope]}
    [(level, message)] = graph_findings(pack, DELEGATED_GRANT, grant)
    assert level == "mandatory" and f"to the delegated scope {scope} (claimValues[1])" in message
    assert graph_findings(pack, DELEGATED_GRANT, {**grant, "userObjectId": "u-1"}) == []


def test_tier0_directory_roles_block_and_a_reader_passes(pack):
    roles = {"sync": "d29b2b05-8046-44ba-8758-1e26182fcf32", "exchange": "29232cdf-9323-42fd-ade2-1d097af3e4de",
             "sharepoint": "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "lifecycle": "59d46f88-662b-457b-bceb-5c3809e5908f",
             "reader": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"}  # Directory Readers
    found = stack_findings(pack, "AGID-AZ-020", [(ROLE_ASSIGNMENT, name, {"roleId": role_id, "principalObjectId": "sp-agent"})
                                                 for name, role_id in roles.items()], "mandatory")
    assert [name for name, _ in found] == ["exchange", "lifecycle", "sharepoint", "sync"]
    assert any("Directory Synchronization Accounts" in message for _, message in found)
