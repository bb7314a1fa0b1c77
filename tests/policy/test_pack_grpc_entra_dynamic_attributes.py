"""Custom Entra directory roles writing attributes that dynamic membership rules read (issue 11).

A custom role with `users/extensionProperties/update` or `devices/extensionAttributeSet1/update` passed AGID-AZ-032
(and its assignment AGID-AZ-020): its holder sets user.extensionAttribute1..15 / department / manager or
device.extensionAttribute1..15 and so puts any user or device into every dynamic group whose rule reads them, with
the Azure roles, app access and Conditional Access exclusions that group holds. The tenant's groups are not visible at
preview, so a group reading the attribute cannot be ruled out: privileged (policy_packs/analysis/entra_privileged.yaml
`directory_actions`). Wildcards that grant these (`users/allProperties/update` is already a password reset; an entity
subtype) are judged through them; reads and attribute writes no rule can read pass."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn
from tests.policy.test_pack_grpc_entra_roles import CUSTOM, role

GROUP_USERS = "puts any user into every dynamic group whose rule reads"
GROUP_DEVICES = "puts any device into every dynamic group whose rule reads"
ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"


@pytest.mark.parametrize("action,why", [
    ("microsoft.directory/users/extensionProperties/update", GROUP_USERS),
    ("microsoft.directory/users/jobInfo/update", GROUP_USERS),
    ("microsoft.directory/users/contactInfo/update", GROUP_USERS),
    ("microsoft.directory/users/usageLocation/update", GROUP_USERS),
    ("microsoft.directory/users/basic/update", GROUP_USERS),
    ("microsoft.directory/users/manager/update", "puts any user into every direct-reports group"),
    ("microsoft.directory/devices/extensionAttributeSet1/update", GROUP_DEVICES),
    ("microsoft.directory/devices/extensionAttributeSet3/update", GROUP_DEVICES),
    ("microsoft.directory/devices/basic/update", GROUP_DEVICES),
    # spellings: casing, and an Entra wildcard (`allProperties`) over the device's property sets
    ("Microsoft.Directory/Users/ExtensionProperties/Update", GROUP_USERS),
    ("microsoft.directory/devices/allProperties/update", GROUP_DEVICES),
])
def test_a_custom_role_writing_an_attribute_dynamic_rules_read_is_flagged(pack, action, why):
    diags = pack.analyze(CUSTOM, "cr", urn(CUSTOM, "cr"), role(action))
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AZ-032", "mandatory")]
    assert f"cr permissions[0] allows {action}: its holder {'writes' if 'direct' not in why else 'sets'}" in diags[0].message
    assert why in diags[0].message and "cannot be ruled out" in diags[0].message


@pytest.mark.parametrize("action", [
    "microsoft.directory/users/standard/read",
    "microsoft.directory/users/manager/read",
    "microsoft.directory/users/parentalControls/update",
    "microsoft.directory/devices/standard/read",
])
def test_reads_and_attributes_no_rule_reads_pass(pack, action):
    assert pack.analyze(CUSTOM, "ok", urn(CUSTOM, "ok"), role(action)) == []


def test_the_assignment_of_such_a_role_is_flagged_and_a_reader_s_is_not(pack):
    writer = StackResource(CUSTOM, "attrs", urn(CUSTOM, "attrs"), {
        **role("microsoft.directory/devices/extensionAttributeSet1/update"), "displayName": "attrs"})
    reader = StackResource(CUSTOM, "reader", urn(CUSTOM, "reader"), {
        **role("microsoft.directory/users/standard/read"), "displayName": "reader"})

    def assignment(name, custom):
        return StackResource(ASSIGNMENT, name, urn(ASSIGNMENT, name), {
            "roleId": UNKNOWN, "principalObjectId": "11111111-2222-3333-4444-555555555555", "directoryScopeId": "/"},
            dependencies=[custom.urn])

    diags = [d for d in pack.analyze_stack([writer, reader, assignment("a-attrs", writer),
                                            assignment("a-reader", reader)]) if d.policy_name == "AGID-AZ-020"]
    assert [(d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in diags] == [("a-attrs", "mandatory")]
    assert GROUP_DEVICES in diags[0].message
