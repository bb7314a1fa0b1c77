"""AGID-AZ-025 over gRPC for application settings and container environments (red7b f21: a GitHub token and a storage
connection string with its AccountKey in WebAppApplicationSettings and in ACI env passed `agentid preview`).

Test values are built at run time from pieces (no key-shaped literal sits in the tree).
"""

from __future__ import annotations

import base64

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
ACCOUNT_KEY = base64.b64encode(bytes(range(64))).decode()
CONNECTION = f"DefaultEndpointsProtocol=https;AccountName=agentlogs;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
KEYVAULT_REF = "@Microsoft.KeyVault(SecretUri=https://kv-agents.vault.azure.net/secrets/github-token/)"


def container_group(**env):
    """The provider's shape: the API's container `properties` are flattened into the container."""
    return {"resourceGroupName": "rg", "osType": "Linux", "containers": [{
        "name": "agent", "image": "agent:1", "resources": {"requests": {"cpu": 1, "memoryInGB": 1}},
        "environmentVariables": [{"name": name, **value} for name, value in env.items()]}]}


CASES = [
    ("app-settings", "azure-native:web:WebAppApplicationSettings",
     {"name": "agent-web", "resourceGroupName": "rg", "properties": {"GITHUB_TOKEN": TOKEN, "REGION": "westeurope"}},
     {"name": "agent-web", "resourceGroupName": "rg", "properties": {"GITHUB_TOKEN": KEYVAULT_REF, "REGION": "westeurope"}},
     "properties.GITHUB_TOKEN"),
    ("slot-settings", "azure-native:web:WebAppApplicationSettingsSlot",
     {"name": "agent-web", "slot": "staging", "resourceGroupName": "rg", "properties": {"STORAGE": CONNECTION}},
     {"name": "agent-web", "slot": "staging", "resourceGroupName": "rg", "properties": {"STORAGE": UNKNOWN}},
     "properties.STORAGE"),
    ("connection-strings", "azure-native:web:WebAppConnectionStrings",
     {"name": "agent-web", "resourceGroupName": "rg", "properties": {"logs": {"value": CONNECTION, "type": "Custom"}}},
     {"name": "agent-web", "resourceGroupName": "rg", "properties": {"logs": {"value": KEYVAULT_REF, "type": "Custom"}}},
     "properties.logs"),
    ("web-app-site-config", "azure-native:web:WebApp",
     {"resourceGroupName": "rg", "siteConfig": {"appSettings": [{"name": "GITHUB_TOKEN", "value": TOKEN}]}},
     {"resourceGroupName": "rg", "siteConfig": {"appSettings": [{"name": "GITHUB_TOKEN", "value": KEYVAULT_REF}]}},
     "siteConfig.appSettings[0].value (GITHUB_TOKEN)"),
    ("aci-env", "azure-native:containerinstance:ContainerGroup",
     container_group(STORAGE={"value": CONNECTION}, REGION={"value": "westeurope"}),
     container_group(STORAGE={"secureValue": UNKNOWN}, REGION={"value": "westeurope"}),
     "environmentVariables[0].value (STORAGE)"),
    ("aci-secure-value", "azure-native:containerinstance:ContainerGroup",
     container_group(API_PASSWORD={"secureValue": "hunter2-but-longer"}),
     container_group(API_PASSWORD={"secureValue": UNKNOWN}),
     "environmentVariables[0].secureValue (API_PASSWORD)"),
    ("container-app-secret", "azure-native:app:ContainerApp",
     {"resourceGroupName": "rg", "configuration": {"secrets": [{"name": "gh", "value": TOKEN}]},
      "template": {"containers": [{"name": "a", "image": "agent:1", "env": [{"name": "GITHUB_TOKEN", "secretRef": "gh"}]}]}},
     {"resourceGroupName": "rg", "configuration": {"secrets": [
         {"name": "gh", "keyVaultUrl": "https://kv-agents.vault.azure.net/secrets/gh", "identity": "system"}]},
      "template": {"containers": [{"name": "a", "image": "agent:1", "env": [{"name": "GITHUB_TOKEN", "secretRef": "gh"}]}]}},
     "configuration.secrets[0].value (gh)"),
]


@pytest.mark.parametrize("case,type_,flagged,look_alike,path", CASES, ids=[c[0] for c in CASES])
def test_literal_secrets_in_settings_block_and_references_pass(pack, case, type_, flagged, look_alike, path):
    diags = [d for d in pack.analyze(type_, case, urn(type_, case), flagged) if d.policy_name == "AGID-AZ-025"]
    assert [d.enforcement_level for d in diags] == ["mandatory"], [d.message for d in diags]
    assert path in diags[0].message and "literal secret" in diags[0].message
    assert TOKEN not in diags[0].message and ACCOUNT_KEY not in diags[0].message
    assert [d for d in pack.analyze(type_, case, urn(type_, case), look_alike) if d.policy_name == "AGID-AZ-025"] == []


def test_unreadable_settings_fail_closed(pack):
    type_ = "azure-native:web:WebAppApplicationSettings"
    [diag] = [d for d in pack.analyze(type_, "bad", urn(type_, "bad"), {"name": "w", "resourceGroupName": "rg",
                                                                       "properties": ["GITHUB_TOKEN"]})
              if d.policy_name == "AGID-AZ-025"]
    assert "bad: properties is" in diag.message
