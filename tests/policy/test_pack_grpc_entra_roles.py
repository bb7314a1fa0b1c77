"""Entra custom directory roles (AGID-AZ-032) and administrative-unit role members (AGID-AZ-020) over gRPC.

Resource actions from https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/custom-available-permissions;
role template ids from https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

CUSTOM = "azuread:index/customDirectoryRole:CustomDirectoryRole"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
AU_MEMBER = "azuread:index/administrativeUnitRoleMember:AdministrativeUnitRoleMember"
BASE = {"displayName": "Agent app manager", "version": "1.0", "enabled": True}


def role(*actions):
    return {**BASE, "permissions": [{"allowedResourceActions": list(actions)}]}


@pytest.mark.parametrize("action", [
    "microsoft.directory/applications/credentials/update",
    "microsoft.directory/applications.myOrganization/credentials/update",
    "Microsoft.Directory/roleAssignments/allProperties/allTasks",
    "microsoft.directory/servicePrincipals/owners/update",
    "microsoft.directory/servicePrincipals/appRoleAssignedTo/update",
])
def test_privileged_custom_role_is_flagged_and_basic_one_passes(pack, action):
    diags = pack.analyze(CUSTOM, "cr", urn(CUSTOM, "cr"), role("microsoft.directory/applications/basic/update", action))
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AZ-032", "mandatory")]
    assert f"cr permissions[0] allows {action}: its holder" in diags[0].message
    assert pack.analyze(CUSTOM, "ok", urn(CUSTOM, "ok"), role(
        "microsoft.directory/applications/basic/update", "microsoft.directory/applications/standard/read")) == []
    assert pack.analyze(CUSTOM, "off", urn(CUSTOM, "off"), {**role(action), "enabled": False}) == []


@pytest.mark.parametrize("props,fragment", [
    ({**BASE, "permissions": UNKNOWN}, "cannot check until known: permissions"),
    ({**BASE, "permissions": {"allowedResourceActions": []}}, "cannot check: permissions is a dict"),
    ({**BASE, "permissions": [{"allowedResourceActions": "microsoft.directory/applications/credentials/update"}]},
     "permissions[0].allowedResourceActions is not a list"),
])
def test_unreadable_custom_roles_never_pass(pack, props, fragment):
    diags = pack.analyze(CUSTOM, "x", urn(CUSTOM, "x"), props)
    assert diags and fragment in diags[0].message


def test_privileged_role_scoped_to_an_administrative_unit_is_flagged(pack):
    helpdesk = StackResource(DIRECTORY_ROLE, "helpdesk", urn(DIRECTORY_ROLE, "helpdesk"),
                             {"displayName": "Helpdesk Administrator"})
    reader = StackResource(DIRECTORY_ROLE, "reader", urn(DIRECTORY_ROLE, "reader"), {"displayName": "Directory Readers"})

    def member(name, role_resource):
        return StackResource(AU_MEMBER, name, urn(AU_MEMBER, name), {
            "administrativeUnitObjectId": "au-agents", "memberObjectId": "sp-agent", "roleObjectId": UNKNOWN},
            dependencies=[role_resource.urn])

    diags = [d for d in pack.analyze_stack([helpdesk, reader, member("m-helpdesk", helpdesk), member("m-reader", reader)])
             if d.policy_name == "AGID-AZ-020"]
    assert [d.urn.rsplit("::", 1)[-1] for d in diags] == ["m-helpdesk"]
    assert "in administrative unit au-agents" in diags[0].message and "Helpdesk Administrator" in diags[0].message


# red11a r08: actions that hand over the tenant without being in the first list, Microsoft-labelled privileged actions,
# and what Entra's wildcards / entity subtypes grant (custom-overview "Permissions", custom-group-permissions)
@pytest.mark.parametrize("action,why", [
    ("microsoft.directory/servicePrincipals/managePermissionGrantsForAll.microsoft-all-application-permissions",
     "consents apps for the whole tenant under app consent policy microsoft-all-application-permissions"),
    ("microsoft.directory/servicePrincipals/managePermissionGrantsForAll.our-custom-policy",
     "consents apps for the whole tenant under app consent policy our-custom-policy"),
    ("microsoft.directory/servicePrincipals/synchronizationCredentials/manage", "sets the provisioning secret"),
    ("microsoft.directory/applications/audience/update", "opens any application to sign-ins from every tenant"),
    ("microsoft.directory/applications.myOrganization/authentication/update", "adds reply URLs to any application"),
    ("microsoft.directory/servicePrincipals/allProperties/update", "adds a secret or certificate to any service principal"),
    ("microsoft.directory/groups.security.assignedMembership/members/update", "adds itself to groups"),
    ("microsoft.directory/groups/allProperties/update", "adds itself to groups"),
    ("microsoft.directory/users/allProperties/update", "resets users' passwords"),
    ("microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks", "grants any app delegated permissions"),
    ("microsoft.directory/servicePrincipals/getPasswordSingleSignOnCredentials", "reads the passwords users store"),
])
def test_every_action_granting_a_privileged_one_is_flagged(pack, action, why):
    diags = pack.analyze(CUSTOM, "cr", urn(CUSTOM, "cr"), role(action))
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AZ-032", "mandatory")]
    assert f"cr permissions[0] allows {action}: its holder {why}" in diags[0].message


@pytest.mark.parametrize("action", [
    "microsoft.directory/servicePrincipals/managePermissionGrantsForAll.microsoft-user-default-low",
    "microsoft.directory/servicePrincipals/managePermissionGrantsForSelf.microsoft-user-default-legacy",
    "microsoft.directory/servicePrincipals/synchronizationJobs/manage",
    "microsoft.directory/applications/allProperties/read",
    # users/basic/update writes display names dynamic rules read (issue 11): privileged now, a read takes its place
    "microsoft.directory/users/standard/read",
    "microsoft.directory/groups/create",
])
def test_look_alike_actions_pass(pack, action):
    assert pack.analyze(CUSTOM, "ok", urn(CUSTOM, "ok"), role(action)) == []


ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"


def test_tenant_wide_assignment_of_a_privileged_custom_role_is_flagged_like_a_built_in_one(pack):
    consent = StackResource(CUSTOM, "consentall", urn(CUSTOM, "consentall"), {**role(
        "microsoft.directory/servicePrincipals/managePermissionGrantsForAll.microsoft-all-application-permissions"),
        "displayName": "consentall"})
    reader = StackResource(CUSTOM, "appreader", urn(CUSTOM, "appreader"),
                           {**role("microsoft.directory/applications/allProperties/read"), "displayName": "appreader"})

    def assignment(name, custom):
        return StackResource(ASSIGNMENT, name, urn(ASSIGNMENT, name), {
            "roleId": UNKNOWN, "principalObjectId": "11111111-2222-3333-4444-555555555555", "directoryScopeId": "/"},
            dependencies=[custom.urn])

    diags = [d for d in pack.analyze_stack([consent, reader, assignment("a-consent", consent),
                                            assignment("a-reader", reader)]) if d.policy_name == "AGID-AZ-020"]
    assert [(d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in diags] == [("a-consent", "mandatory")]
    assert ("a-consent assigns the privileged directory role consentall (custom role) (consentall): its holder consents "
            "apps for the whole tenant") in diags[0].message
