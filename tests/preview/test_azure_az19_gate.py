"""red9a 17 and 21 end to end: `agentid preview` with the shipped CI flags blocks a PIM for Groups policy whose
activation drops approval, MFA and the authentication context (AGID-AZ-049), reports managed disks and snapshots
exportable from any network as advisory (AGID-AZ-050), and passes the look-alikes in the same program."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory
from .test_gate_integrity import by_policy

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PIM_POLICIES_AND_DISKS = '''
import pulumi_azuread as ad, pulumi_azure_native as az
GROUP = "44444444-4444-4444-4444-444444444444"
# PT8H: a longer activation is a loosening of its own (AGID-AZ-049)
NONE = {"require_approval": False, "require_multifactor_authentication": False, "maximum_duration": "PT8H"}
ad.GroupRoleManagementPolicy("member-nocheck", group_id=GROUP, role_id="member", activation_rules=NONE)
ad.GroupRoleManagementPolicy("owner-nocheck", group_id=GROUP, role_id="owner", activation_rules=NONE)
ad.GroupRoleManagementPolicy("member-mfa", group_id=GROUP, role_id="member",
    activation_rules={**NONE, "require_multifactor_authentication": True})
ad.GroupRoleManagementPolicy("owner-approval", group_id=GROUP, role_id="owner",
    activation_rules={**NONE, "require_approval": True})
az.compute.Disk("disk-open", resource_group_name="rg", creation_data={"create_option": "Empty"}, disk_size_gb=32,
    network_access_policy="AllowAll", public_network_access="Enabled")
az.compute.Snapshot("snap-open", resource_group_name="rg", creation_data={"create_option": "Copy",
    "source_resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/os"})
az.compute.Disk("disk-closed", resource_group_name="rg", creation_data={"create_option": "Empty"}, disk_size_gb=32,
    network_access_policy="DenyAll", public_network_access="Disabled")
'''


def test_pim_group_policy_without_checks_blocks_and_open_disks_are_advisory(project) -> None:
    report = failed_report(project, PIM_POLICIES_AND_DISKS)
    assert mandatory(report, "AGID-AZ-049") == ["member-nocheck", "owner-nocheck"]
    disks = by_policy(report, "AGID-AZ-050")
    assert sorted(v["resourceName"] for v in disks) == ["disk-open", "snap-open"]
    assert not any(v["mandatory"] for v in disks)
