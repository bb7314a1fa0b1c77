"""AGID-AZ-020 over gRPC judges a literal role id against every built-in Entra role (issue 11).

`azuread.DirectoryRoleAssignment(role_id=<literal>)` naming a custom directory role outside the stack or an unknown
GUID passed unjudged (only the privileged list was matched). The built-in roles are now data with Microsoft's
PRIVILEGED label (policy_packs/analysis/entra_builtin_roles.yaml, from the Microsoft Learn page "Microsoft Entra
built-in roles"): a privileged template id is flagged, a known low-privilege one passes, anything else cannot be
checked (mandatory). A custom role the stack defines is judged by its resource actions.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.analysis.entra import builtin_directory_role, _data
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
ELIGIBILITY = "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest"
CUSTOM = "azuread:index/customDirectoryRole:CustomDirectoryRole"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"        # Microsoft labels it PRIVILEGED
APPLICATION_DEVELOPER = "cf1c38e5-3621-4004-a7cb-879624dced7c"  # likewise (not in our tier-0 list)
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"     # no label: low-privilege
MESSAGE_CENTER_READER = "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b"
UNKNOWN_GUID = "0b5a1f7e-3c2d-4e6f-8a9b-1c2d3e4f5a6b"            # a tenant's custom role id, or nothing at all
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def grant(name: str, role_id, type_: str = ASSIGNMENT, **extra) -> StackResource:
    field = "roleDefinitionId" if type_ == ELIGIBILITY else "roleId"
    props = {field: role_id, "principalObjectId" if type_ == ASSIGNMENT else "principalId": PRINCIPAL,
             "directoryScopeId": "/"}
    return StackResource(type_, name, urn(type_, name), props, **extra)


def az020(pack, resources) -> list[tuple[str, str, str]]:
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message.rsplit("\n", 1)[-1].split("] ", 1)[-1])
                  for d in pack.analyze_stack(resources) if d.policy_name == "AGID-AZ-020")


def test_the_snapshot_agrees_with_the_tier0_list() -> None:
    """Every role of our tier-0 selection is a built-in role of the snapshot, under the same name."""
    for template_id, entry in _data()["directory_roles"].items():
        role = builtin_directory_role(template_id)
        assert role and role.name == entry["name"] and role.privileged, template_id
    assert builtin_directory_role("Directory Readers").privileged is False
    assert builtin_directory_role(UNKNOWN_GUID) is None


@pytest.mark.parametrize("type_", [ASSIGNMENT, ELIGIBILITY])
def test_a_privileged_template_id_is_flagged_and_a_low_privilege_one_passes(pack, type_) -> None:
    verb = "makes eligible for" if type_ == ELIGIBILITY else "assigns"
    found = az020(pack, [grant("gr", GLOBAL_READER, type_), grant("dev", "{" + APPLICATION_DEVELOPER.upper() + "}", type_),
                         grant("dr", DIRECTORY_READERS, type_), grant("mc", MESSAGE_CENTER_READER.replace("-", ""), type_)])
    why = "its holder holds permissions Microsoft labels privileged (Microsoft Entra built-in roles: " \
          "privileged-roles-permissions)"
    assert found == [
        ("dev", "mandatory", f"dev {verb} the privileged directory role Application Developer ({APPLICATION_DEVELOPER}): {why}"),
        ("gr", "mandatory", f"gr {verb} the privileged directory role Global Reader ({GLOBAL_READER}): {why}")]


@pytest.mark.parametrize("type_", [ASSIGNMENT, ELIGIBILITY])
def test_an_unknown_role_id_or_a_custom_role_outside_the_stack_cannot_be_checked(pack, type_) -> None:
    field = "roleDefinitionId" if type_ == ELIGIBILITY else "roleId"
    # a custom role the stack defines under ANOTHER id does not vouch for the literal
    other = StackResource(CUSTOM, "reader", urn(CUSTOM, "reader"), {
        "displayName": "reader", "version": "1.0", "enabled": True, "objectId": "9d9d9d9d-0000-4000-8000-000000000001",
        "permissions": [{"allowedResourceActions": ["microsoft.directory/applications/standard/read"]}]})
    for value in (UNKNOWN_GUID, "not-a-guid"):
        assert az020(pack, [other, grant("x", value, type_)]) == [(
            "x", "mandatory", f"x: cannot check: {field} {value!r} is no built-in directory role's template id "
                              "(entra_builtin_roles.yaml) nor the id of a role this stack defines: a custom directory "
                              "role outside the stack, or an unknown role, so which role it grants cannot be judged")]


def test_a_custom_role_the_stack_defines_is_judged_by_its_actions_by_literal_id_or_output(pack) -> None:
    def custom(name: str, action: str, object_id: str) -> StackResource:
        return StackResource(CUSTOM, name, urn(CUSTOM, name), {
            "displayName": name, "version": "1.0", "enabled": True, "objectId": object_id,
            "permissions": [{"allowedResourceActions": [action]}]})

    creds = custom("creds", "microsoft.directory/applications/credentials/update", "9d9d9d9d-0000-4000-8000-000000000002")
    read = custom("read", "microsoft.directory/applications/standard/read", "9d9d9d9d-0000-4000-8000-000000000003")
    found = az020(pack, [creds, read, grant("by-id", "9d9d9d9d-0000-4000-8000-000000000002"),
                         grant("read-by-id", "9d9d9d9d-0000-4000-8000-000000000003")])
    assert [(n, level) for n, level, _ in found] == [("by-id", "mandatory")]
    assert "creds (custom role)" in found[0][2]
    # a stack DirectoryRole (activated built-in) naming no built-in role the kit knows cannot be checked
    odd = StackResource(DIRECTORY_ROLE, "odd", urn(DIRECTORY_ROLE, "odd"), {"templateId": UNKNOWN_GUID})
    readers = StackResource(DIRECTORY_ROLE, "readers", urn(DIRECTORY_ROLE, "readers"), {"displayName": "Directory Readers"})
    found = az020(pack, [odd, readers,
                         grant("a-odd", UNKNOWN, dependencies=[odd.urn], property_dependencies={"roleId": [odd.urn]}),
                         grant("a-readers", UNKNOWN, dependencies=[readers.urn],
                               property_dependencies={"roleId": [readers.urn]})])
    assert [(n, level) for n, level, _ in found] == [("a-odd", "mandatory")]
    assert f"is no built-in role the kit knows (entra_builtin_roles.yaml): cannot check" in found[0][2]
