"""Azure static keys block over gRPC (issue 11, outside review "red4"): storage shared keys (AGID-AZ-002), Azure
OpenAI / AI services and AI Search local auth (AGID-AZ-023), SAS keys of messaging and data services (AGID-AZ-024).

Each was advisory, so a stack that left Azure's default (keys on) got PASS. A key bypasses Entra ID and RBAC:
mandatory, like an AWS access key. Defaults: storage allowSharedKeyAccess is true unless false
(https://learn.microsoft.com/en-us/azure/storage/common/shared-key-authorization-prevent); Cognitive Services
accept keys unless properties.disableLocalAuth is true (https://learn.microsoft.com/en-us/azure/ai-services/disable-local-auth).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

STORAGE = "azure-native:storage:StorageAccount"
STORAGE_V2023 = "azure-native:storage/v20230101:StorageAccount"
COGNITIVE = "azure-native:cognitiveservices:Account"
SEARCH = "azure-native:search:Service"
SERVICE_BUS = "azure-native:servicebus:Namespace"
QUEUE_RULE = "azure-native:servicebus:QueueAuthorizationRule"
WORKSPACE = "azure-native:operationalinsights:Workspace"
MAPS = "azure-native:maps:Account"
COMMUNICATION = "azure-native:communication:CommunicationService"
AUTOMATION = "azure-native:automation:AutomationAccount"
FTP = "azure-native:web:WebAppFtpAllowed"
SCM_SLOT = "azure-native:web:WebAppScmAllowedSlot"
LOCAL_USER = "azure-native:storage:LocalUser"
APIM_SUB = "azure-native:apimanagement:Subscription"


def levels(pack, type_, props, rule):
    return [d.enforcement_level for d in pack.analyze(type_, "r", urn(type_, "r"), props) if d.policy_name == rule]


@pytest.mark.parametrize("type_, props, rule", [
    (STORAGE, {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}}, "AGID-AZ-002"),  # missing: Azure's default true
    (STORAGE, {"kind": "StorageV2", "allowSharedKeyAccess": True}, "AGID-AZ-002"),
    (STORAGE_V2023, {"kind": "StorageV2"}, "AGID-AZ-002"),  # an API-versioned token is the same resource
    (COGNITIVE, {"kind": "OpenAI", "properties": {"publicNetworkAccess": "Disabled"}}, "AGID-AZ-023"),
    (COGNITIVE, {"kind": "AIServices", "properties": {"disableLocalAuth": False}}, "AGID-AZ-023"),
    (COGNITIVE, {"kind": "OpenAI"}, "AGID-AZ-023"),  # no properties at all: keys on
    (SEARCH, {"searchServiceName": "s"}, "AGID-AZ-023"),
    (SERVICE_BUS, {"sku": {"name": "Standard"}}, "AGID-AZ-024"),
    (QUEUE_RULE, {"rights": ["Listen"], "queueName": "q"}, "AGID-AZ-024"),
    # red9a 1 and 12: more services whose keys stay on unless turned off
    (WORKSPACE, {"sku": {"name": "PerGB2018"}, "features": {"disableLocalAuth": False}}, "AGID-AZ-024"),
    (WORKSPACE, {"sku": {"name": "PerGB2018"}}, "AGID-AZ-024"),
    (MAPS, {"sku": {"name": "G2"}, "properties": {"disableLocalAuth": False}}, "AGID-AZ-024"),
    (COMMUNICATION, {"dataLocation": "Europe"}, "AGID-AZ-024"),
    (AUTOMATION, {"sku": {"name": "Basic"}}, "AGID-AZ-024"),
    (FTP, {"allow": True, "name": "app", "resourceGroupName": "rg"}, "AGID-AZ-024"),
    (SCM_SLOT, {"allow": True, "name": "app", "slot": "staging", "resourceGroupName": "rg"}, "AGID-AZ-024"),
    (LOCAL_USER, {"accountName": "st", "hasSshPassword": True, "permissionScopes": [
        {"permissions": "rwdlc", "resourceName": "data", "service": "blob"}]}, "AGID-AZ-024"),
    (LOCAL_USER, {"accountName": "st", "hasSharedKey": True}, "AGID-AZ-024"),
    (APIM_SUB, {"serviceName": "apim", "displayName": "all", "scope": "/apis"}, "AGID-AZ-024"),
    (APIM_SUB, {"serviceName": "apim", "displayName": "all", "scope": "/subscriptions/0/resourceGroups/rg/providers/"
                "Microsoft.ApiManagement/service/apim/apis/"}, "AGID-AZ-024"),
    (LOCAL_USER, {"accountName": "st", "sshAuthorizedKeys": [{"key": "ssh-ed25519 AAAA", "description": "ci"}]},
     "AGID-AZ-024"),
])
def test_a_static_key_left_on_blocks(pack, type_, props, rule):
    assert levels(pack, type_, props, rule) == ["mandatory"]


@pytest.mark.parametrize("type_, props, rule", [
    (STORAGE, {"kind": "StorageV2", "allowSharedKeyAccess": False}, "AGID-AZ-002"),
    (STORAGE_V2023, {"kind": "StorageV2", "allowSharedKeyAccess": False}, "AGID-AZ-002"),
    (COGNITIVE, {"kind": "OpenAI", "properties": {"disableLocalAuth": True}}, "AGID-AZ-023"),
    (SEARCH, {"disableLocalAuth": True}, "AGID-AZ-023"),
    (SERVICE_BUS, {"disableLocalAuth": True}, "AGID-AZ-024"),
    (WORKSPACE, {"features": {"disableLocalAuth": True}}, "AGID-AZ-024"),
    (MAPS, {"properties": {"disableLocalAuth": True}}, "AGID-AZ-024"),
    (COMMUNICATION, {"dataLocation": "Europe", "disableLocalAuth": True}, "AGID-AZ-024"),
    (AUTOMATION, {"disableLocalAuth": True}, "AGID-AZ-024"),
    (FTP, {"allow": False, "name": "app", "resourceGroupName": "rg"}, "AGID-AZ-024"),
    (SCM_SLOT, {"allow": False, "name": "app", "slot": "staging", "resourceGroupName": "rg"}, "AGID-AZ-024"),
    (LOCAL_USER, {"accountName": "st", "hasSshPassword": False, "hasSharedKey": False, "sshAuthorizedKeys": []},
     "AGID-AZ-024"),
    (APIM_SUB, {"serviceName": "apim", "displayName": "one", "scope": "/apis/tickets"}, "AGID-AZ-024"),
    (APIM_SUB, {"serviceName": "apim", "displayName": "product", "scope": "/products/starter"}, "AGID-AZ-024"),
])
def test_keys_off_passes(pack, type_, props, rule):
    assert levels(pack, type_, props, rule) == []


def test_a_value_unknown_at_preview_is_cannot_check_not_a_pass(pack):
    diags = [d for d in pack.analyze(STORAGE, "r", urn(STORAGE, "r"), {"allowSharedKeyAccess": UNKNOWN})
             if d.policy_name == "AGID-AZ-002"]
    assert len(diags) == 1 and "cannot check until known: allowSharedKeyAccess" in diags[0].message


def test_the_pack_publishes_them_critical_and_mandatory(pack):
    by_name = {p.name: p for p in pack.info().policies}
    assert {rule: (by_name[rule].severity, by_name[rule].enforcement_level)
            for rule in ("AGID-AZ-002", "AGID-AZ-023", "AGID-AZ-024")} == {
        rule: ("critical", "mandatory") for rule in ("AGID-AZ-002", "AGID-AZ-023", "AGID-AZ-024")}
