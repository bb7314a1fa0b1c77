"""AGID-AZ-050 over gRPC (advisory): managed disks and snapshots whose SAS export works from any network
(networkAccessPolicy AllowAll, Azure's default; red9a 17), and look-alikes closed by policy or public access."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

DISK, SNAPSHOT = "azure-native:compute:Disk", "azure-native:compute:Snapshot"
BASE = {DISK: {"resourceGroupName": "rg", "creationData": {"createOption": "Empty"}, "diskSizeGB": 32},
        SNAPSHOT: {"resourceGroupName": "rg", "creationData": {"createOption": "Copy", "sourceResourceId": "/subscriptions/s/"
                                                              "resourceGroups/rg/providers/Microsoft.Compute/disks/os"}}}


def judged(pack, type_, level=None, **props):
    return flagged_names(pack, "AGID-AZ-050", (type_, "d", {**BASE[type_], **props}), level)


@pytest.mark.parametrize("type_", [DISK, SNAPSHOT])
def test_export_from_any_network_is_advisory(pack, type_):
    assert judged(pack, type_, "advisory", networkAccessPolicy="AllowAll", publicNetworkAccess="Enabled") == ["d"]
    assert judged(pack, type_, "advisory") == ["d"]  # omitted = AllowAll
    assert judged(pack, type_, "mandatory", networkAccessPolicy="AllowAll") == []


@pytest.mark.parametrize("type_", [DISK, SNAPSHOT])
@pytest.mark.parametrize("closed", [{"networkAccessPolicy": "DenyAll"},
                                    {"networkAccessPolicy": "AllowPrivate", "diskAccessId": "/subscriptions/s/da"},
                                    {"networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Disabled"}])
def test_a_closed_disk_passes(pack, type_, closed):
    assert judged(pack, type_, **closed) == []


def test_an_unknown_policy_is_not_a_pass(pack):
    assert judged(pack, DISK, networkAccessPolicy=UNKNOWN) == ["d"]
