"""AGID-AZ-057 over gRPC (red11a r11): a Bastion host with shareable links and a Lab Services lab open to anyone with
its registration link get an advisory; the same resources with the feature off (or omitted: Azure's default) pass."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
BASTION = {"resourceGroupName": "rg1", "sku": {"name": "Standard"}, "ipConfigurations": [{
    "name": "c", "subnet": {"id": SUB + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/AzureBastionSubnet"},
    "publicIPAddress": {"id": SUB + "/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/p"}}]}
LAB = {"resourceGroupName": "rg1", "title": "course", "autoShutdownProfile": {}, "connectionProfile": {},
       "virtualMachineProfile": {"createOption": "Image", "imageReference": {}, "sku": {"name": "Classic_Fsv2_2_4GB_128_S_SSD"},
                                 "usageQuota": "PT10H", "adminUser": {"username": "labadmin"}}}


@pytest.mark.parametrize("type_,flagged,alike,fragment", [
    ("azure-native:network:BastionHost", {**BASTION, "enableShareableLink": True}, {**BASTION, "enableShareableLink": False},
     "bas: enableShareableLink is True: anyone holding a shareable link reaches the VMs' RDP / SSH sign-in"),
    ("azure-native:network:BastionHost", {**BASTION, "enableShareableLink": True}, BASTION, "without an Azure account"),
    ("azure-native:labservices:Lab", {**LAB, "securityProfile": {"openAccess": "Enabled"}},
     {**LAB, "securityProfile": {"openAccess": "Disabled"}}, "bas: securityProfile.openAccess is 'Enabled': anyone holding"),
])
def test_link_only_vm_access_is_advised_against_and_off_passes(pack, type_, flagged, alike, fragment):
    assert_flagged_and_look_alike(pack, "bas", type_, flagged, "AGID-AZ-057", "advisory", alike)
    [diag] = pack.analyze(type_, "bas", urn(type_, "bas"), flagged)
    assert fragment in diag.message


def test_unknown_setting_cannot_pass(pack):
    [diag] = pack.analyze("azure-native:network:BastionHost", "bas", urn("azure-native:network:BastionHost", "bas"),
                          {**BASTION, "enableShareableLink": UNKNOWN})
    assert diag.policy_name == "AGID-AZ-057" and "cannot check until known: enableShareableLink" in diag.message
