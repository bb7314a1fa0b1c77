"""AGID-AZ-024 over gRPC for the services red7b f09 found left with keys or local accounts: Container Registry admin
user and tokens, AKS local accounts, Event Grid topic / domain keys, IoT Hub SAS policies, Redis access keys and Batch
SharedKey passed `agentid preview`; each now blocks, and the same resource with keys off passes."""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn


def findings(pack, type_, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(type_, "svc", urn(type_, "svc"), props) if d.policy_name == "AGID-AZ-024"]


AKS = {"resourceGroupName": "rg", "dnsPrefix": "x", "identity": {"type": "SystemAssigned"},
       "agentPoolProfiles": [{"name": "p", "count": 1, "vmSize": "Standard_B2s", "mode": "System"}]}

ENDPOINT = {"resourceGroupName": "rg", "workspaceName": "ws", "location": "westeurope"}

BOT = {"resourceGroupName": "rg", "location": "global", "kind": "azurebot", "sku": {"name": "S1"},
       "properties": {"displayName": "b", "endpoint": "https://bot.example.net/api/messages",
                      "msaAppId": "11111111-2222-3333-4444-555555555555", "msaAppType": "MultiTenant"}}


@pytest.mark.parametrize("type_,keys_on,keys_off,message", [
    ("azure-native:containerregistry:Registry", {"sku": {"name": "Basic"}, "adminUserEnabled": True},
     {"sku": {"name": "Basic"}}, "containerregistry svc: adminUserEnabled is True, so the admin user's passwords bypass"),
    ("azure-native:containerservice:ManagedCluster", {**AKS, "disableLocalAccounts": False}, {**AKS, "disableLocalAccounts": True},
     "containerservice svc: disableLocalAccounts is False, so its local cluster-admin account"),
    ("azure-native:containerservice:ManagedCluster", AKS, {**AKS, "disableLocalAccounts": True},
     "containerservice svc: disableLocalAccounts is not set (Azure's default allows keys)"),
    ("azure-native:eventgrid:Topic", {"resourceGroupName": "rg", "disableLocalAuth": False},
     {"resourceGroupName": "rg", "disableLocalAuth": True}, "eventgrid svc: disableLocalAuth is False, so its access keys"),
    ("azure-native:eventgrid:Domain", {"resourceGroupName": "rg"}, {"resourceGroupName": "rg", "disableLocalAuth": True},
     "eventgrid svc: disableLocalAuth is not set"),
    ("azure-native:iothub:IotHubResource",
     {"resourceGroupName": "rg", "sku": {"name": "S1", "capacity": 1}, "properties": {"authorizationPolicies": [
         {"keyName": "iothubowner", "rights": "RegistryWrite, ServiceConnect, DeviceConnect"}], "disableLocalAuth": False}},
     {"resourceGroupName": "rg", "sku": {"name": "S1", "capacity": 1}, "properties": {"disableLocalAuth": True}},
     "iothub svc: properties.disableLocalAuth is False, so its shared access policies (iothubowner)"),
    ("azure-native:redis:Redis", {"resourceGroupName": "rg", "sku": {"name": "Standard", "family": "C", "capacity": 1}},
     {"resourceGroupName": "rg", "sku": {"name": "Standard", "family": "C", "capacity": 1},
      "disableAccessKeyAuthentication": True}, "redis svc: disableAccessKeyAuthentication is not set"),
    ("azure-native:batch:BatchAccount", {"resourceGroupName": "rg", "allowedAuthenticationModes": ["SharedKey", "AAD"]},
     {"resourceGroupName": "rg", "allowedAuthenticationModes": ["AAD", "TaskAuthenticationToken"]},
     "batch svc: allowedAuthenticationModes is ['SharedKey', 'AAD'], so SharedKey authentication with the account keys"),
    ("azure-native:batch:BatchAccount", {"resourceGroupName": "rg"}, {"resourceGroupName": "rg", "allowedAuthenticationModes": ["AAD"]},
     "batch svc: allowedAuthenticationModes is not set"),
    # red11a r09: a bot with local authentication (its Direct Line / Web Chat secrets), and the other azure-native
    # types carrying disableLocalAuth / localAuth (Machine Learning computes, Playwright workspaces)
    ("azure-native:botservice:Bot", {**BOT, "properties": {**BOT["properties"], "disableLocalAuth": False}},
     {**BOT, "properties": {**BOT["properties"], "disableLocalAuth": True}},
     "botservice svc: properties.disableLocalAuth is False, so its channel secrets (Direct Line / Web Chat keys"),
    ("azure-native:botservice:Bot", BOT, {**BOT, "properties": {**BOT["properties"], "disableLocalAuth": True}},
     "botservice svc: properties.disableLocalAuth is not set (Azure's default allows keys)"),
    ("azure-native:machinelearningservices:Compute",
     {"resourceGroupName": "rg", "workspaceName": "ws", "properties": {"computeType": "AmlCompute"}},
     {"resourceGroupName": "rg", "workspaceName": "ws", "properties": {"computeType": "AmlCompute", "disableLocalAuth": True}},
     "machinelearningservices svc: properties.disableLocalAuth is not set"),
    ("azure-native:azureplaywrightservice:Account", {"resourceGroupName": "rg", "localAuth": "Enabled"},
     {"resourceGroupName": "rg", "localAuth": "Disabled"},
     "azureplaywrightservice svc: localAuth is 'Enabled', so its service access tokens bypass"),
    ("azure-native:loadtestservice:PlaywrightWorkspace", {"resourceGroupName": "rg", "localAuth": "Enabled"},
     {"resourceGroupName": "rg"}, "loadtestservice svc: localAuth is 'Enabled'"),
    # red11a r30: Machine Learning endpoints invoked with static keys
    ("azure-native:machinelearningservices:OnlineEndpoint",
     {**ENDPOINT, "properties": {"authMode": "Key", "publicNetworkAccess": "Enabled"}},
     {**ENDPOINT, "properties": {"authMode": "AADToken", "publicNetworkAccess": "Enabled"}},
     "machinelearningservices svc: properties.authMode is 'Key', so its endpoint keys (authMode Key) bypass"),
    ("azure-native:machinelearningservices:OnlineEndpoint", {**ENDPOINT, "properties": {}},
     {**ENDPOINT, "properties": {"authMode": "AMLToken"}}, "properties.authMode is not set"),
    ("azure-native:machinelearningservices:ServerlessEndpoint",
     {**ENDPOINT, "sku": {"name": "Consumption"}, "properties": {"authMode": "KeyAndAAD", "modelSettings": {"modelId": "m"}}},
     {**ENDPOINT, "sku": {"name": "Consumption"}, "properties": {"authMode": "AAD", "modelSettings": {"modelId": "m"}}},
     "properties.authMode is 'KeyAndAAD', so its endpoint keys (authMode Key / KeyAndAAD)"),
])
def test_keys_on_block_and_keys_off_pass(pack, type_, keys_on, keys_off, message):
    [(level, found)] = findings(pack, type_, keys_on)
    assert level == "mandatory" and message in found, found
    assert findings(pack, type_, keys_off) == []


def test_a_registry_token_blocks(pack):
    [(level, found)] = findings(pack, "azure-native:containerregistry:Token", {
        "resourceGroupName": "rg", "registryName": "acr", "status": "enabled",
        "scopeMapId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr/scopeMaps/_repositories_admin"})
    assert level == "mandatory" and found.endswith("registry token svc mints shared access keys: static credentials that "
                                                   "bypass Entra ID and RBAC")
