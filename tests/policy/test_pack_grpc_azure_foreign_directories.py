"""AGID-AZ-045 / AGID-AZ-060 over gRPC on the inputs of analysis/azure_foreign_directories.yaml (red11a r12, r17, r30,
r35, r39): principals, issuers and e-mail addresses of another Entra tenant, and subscriptions other than the stack's,
given access or data without a role assignment. Each case: another tenant / subscription blocks, the stack's own
passes."""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

OWN = "11111111-2222-3333-4444-555555555555"
FOREIGN = "99999999-0000-0000-0000-000000000009"
P = "22222222-3333-4444-5555-666666666666"
OWN_SUB = "00000000-0000-0000-0000-000000000001"
FOREIGN_SUB = "99999999-0000-0000-0000-000000000009"


def findings(pack, rule, type_, props):
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "r", urn(type_, "r"), props)
            if d.policy_name == rule]


@pytest.fixture
def configured(pack):
    pack.configure({"AGID-AZ-045": {"ownTenantIds": [OWN]}, "AGID-AZ-060": {"ownSubscriptionIds": [OWN_SUB]}})
    yield pack
    pack.configure({})


TENANT_CASES = {
    "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": lambda t: {
        "resourceGroupName": "rg1", "serverName": "pg1", "objectId": P, "principalName": "mallory",
        "principalType": "User", "tenantId": t},
    "azure-native:keyvault:ManagedHsm": lambda t: {
        "resourceGroupName": "rg1", "sku": {"family": "B", "name": "Standard_B1"},
        "properties": {"tenantId": t, "initialAdminObjectIds": [P]}},
    "azure-native:keyvault:Vault": lambda t: {
        "resourceGroupName": "rg1", "properties": {"tenantId": OWN, "sku": {"family": "A", "name": "standard"},
                                                   "accessPolicies": [{"tenantId": t, "objectId": P,
                                                                       "permissions": {"secrets": ["get"]}}]}},
    "azure-native:billing:BillingRoleAssignmentByBillingAccount": lambda t: {
        "billingAccountName": "acct", "billingRoleAssignmentName": "x",
        "properties": {"principalId": P, "principalTenantId": t,
                       "roleDefinitionId": "/providers/Microsoft.Billing/billingAccounts/x/billingRoleDefinitions/"
                                           "50000000-aaaa-bbbb-cccc-100000000000"}},
    "azure-native:datashare:Invitation": lambda t: {
        "resourceGroupName": "rg1", "accountName": "ds1", "shareName": "s", "invitationName": "i",
        "targetActiveDirectoryId": t, "targetObjectId": P},
    "azure-native:subscription:SubscriptionTarDirectory": lambda t: {
        "subscriptionId": OWN_SUB, "properties": {"destinationTenantId": t}},
    # who may fetch the OAuth token API Management's credential manager holds for an authorization
    "azure-native:apimanagement:AuthorizationAccessPolicy": lambda t: {
        "resourceGroupName": "rg1", "serviceName": "apim1", "authorizationProviderId": "github",
        "authorizationId": "agent-github", "objectId": P, "tenantId": t},
    # a Foundry agent application acting as an Entra agent identity of another tenant
    "azure-native:cognitiveservices:AgentApplication": lambda t: {
        "resourceGroupName": "rg1", "accountName": "foundry1", "projectName": "p1",
        "properties": {"displayName": "crm agent", "agentIdentityBlueprint": {
            "clientId": P, "principalId": P, "tenantId": t, "kind": "AgentBlueprint", "type": "Managed"}}},
    "azure-native:datalakestore:TrustedIdProvider": lambda t: {
        "resourceGroupName": "rg1", "accountName": "adls1", "trustedIdProviderName": "tip",
        "idProvider": f"https://sts.windows.net/{t}/"},
}


@pytest.mark.parametrize("type_", TENANT_CASES)
def test_another_tenant_blocks_and_the_own_tenant_passes(configured, type_):
    [(level, message)] = findings(configured, "AGID-AZ-045", type_, TENANT_CASES[type_](FOREIGN))
    assert level == "mandatory" and f"a principal of tenant {FOREIGN}, which is not one of the stack's own" in message
    assert findings(configured, "AGID-AZ-045", type_, TENANT_CASES[type_](OWN)) == []
    assert findings(configured, "AGID-AZ-045", type_, TENANT_CASES[type_](OWN.upper())) == []


def test_an_issuer_of_no_entra_tenant_and_an_email_invitation_cannot_be_checked(configured):
    tip = TENANT_CASES["azure-native:datalakestore:TrustedIdProvider"](OWN)
    [(level, message)] = findings(configured, "AGID-AZ-045", "azure-native:datalakestore:TrustedIdProvider",
                                  {**tip, "idProvider": "https://idp.evil.example.net/"})
    assert level == "mandatory" and "which is no Entra tenant's issuer" in message
    assert findings(configured, "AGID-AZ-045", "azure-native:datalakestore:Account",
                    {"resourceGroupName": "rg1", "trustedIdProviders": [
                        {"name": "own", "idProvider": f"https://login.microsoftonline.com/{OWN}/v2.0"}]}) == []
    invitation = {"resourceGroupName": "rg1", "accountName": "ds1", "shareName": "s", "invitationName": "i",
                  "targetEmail": "mallory@evil.example.net"}
    [(level, message)] = findings(configured, "AGID-AZ-045", "azure-native:datashare:Invitation", invitation)
    assert level == "mandatory" and "invites the e-mail address 'mallory@evil.example.net'" in message
    [(_, message)] = findings(configured, "AGID-AZ-045", "azure-native:keyvault:ManagedHsm",
                              TENANT_CASES["azure-native:keyvault:ManagedHsm"](UNKNOWN))
    assert "cannot check until known" in message


FOREIGN_ID = f"/subscriptions/{FOREIGN_SUB}/resourceGroups/x/providers"
OWN_ID = f"/subscriptions/{OWN_SUB}/resourceGroups/rg1/providers"


def _diagnostics(destination):
    return {"resourceUri": f"{OWN_ID}/Microsoft.KeyVault/vaults/kv1", "name": "d",
            "storageAccountId": f"{destination}/Microsoft.Storage/storageAccounts/logs",
            "logs": [{"categoryGroup": "allLogs", "enabled": True}]}


def _pls(subscriptions):
    return {"resourceGroupName": "rg1", "visibility": {"subscriptions": ["*"]},
            **({"autoApproval": {"subscriptions": subscriptions}} if subscriptions is not None else {}),
            "ipConfigurations": [{"name": "c", "subnet": {"id": f"{OWN_ID}/Microsoft.Network/virtualNetworks/v/subnets/s"}}]}


@pytest.mark.parametrize("type_,flagged,own,message", [
    ("azure-native:monitor:DiagnosticSetting", _diagnostics(FOREIGN_ID), _diagnostics(OWN_ID),
     f"r gives the resource's logs to subscription {FOREIGN_SUB} (storageAccountId)"),
    ("azure-native:aadiam:DiagnosticSetting",
     {"name": "d", "workspaceId": f"{FOREIGN_ID}/Microsoft.OperationalInsights/workspaces/w",
      "logs": [{"category": "SignInLogs", "enabled": True}]},
     {"name": "d", "workspaceId": f"{OWN_ID}/Microsoft.OperationalInsights/workspaces/w",
      "logs": [{"category": "SignInLogs", "enabled": True}]},
     f"r gives the tenant's Entra logs (sign-ins, audit: user and app names, IPs, token details) to subscription "
     f"{FOREIGN_SUB} (workspaceId)"),
    ("azure-native:network:PrivateLinkService", _pls(["*"]), _pls(None),
     "r opens auto-approved private connections to the service to every subscription of every tenant "
     "(autoApproval.subscriptions[0] \"*\")"),
    ("azure-native:network:PrivateLinkService", _pls([FOREIGN_SUB]), _pls([OWN_SUB]),
     f"to subscription {FOREIGN_SUB} (autoApproval.subscriptions[0])"),
    ("azure-native:containerservice:TrustedAccessRoleBinding",
     {"resourceGroupName": "rg1", "resourceName": "aks1", "trustedAccessRoleBindingName": "ml",
      "roles": ["Microsoft.MachineLearningServices/workspaces/mlworkload"],
      "sourceResourceId": f"{FOREIGN_ID}/Microsoft.MachineLearningServices/workspaces/w"},
     {"resourceGroupName": "rg1", "resourceName": "aks1", "trustedAccessRoleBindingName": "ml",
      "roles": ["Microsoft.MachineLearningServices/workspaces/mlworkload"],
      "sourceResourceId": f"{OWN_ID}/Microsoft.MachineLearningServices/workspaces/w"},
     f"r gives trusted-access roles in the cluster to subscription {FOREIGN_SUB} (sourceResourceId)"),
])
def test_another_subscription_blocks_and_the_own_one_passes(configured, type_, flagged, own, message):
    [(level, found)] = findings(configured, "AGID-AZ-060", type_, flagged)
    assert level == "mandatory" and message in found, found
    assert findings(configured, "AGID-AZ-060", type_, own) == []


def test_the_resources_own_subscription_is_own_without_configuration(pack):
    """A diagnostic setting of a Key Vault in subscription S sending logs to S: S is the deployer's."""
    assert findings(pack, "AGID-AZ-060", "azure-native:monitor:DiagnosticSetting", _diagnostics(OWN_ID)) == []
    [(level, _)] = findings(pack, "AGID-AZ-060", "azure-native:monitor:DiagnosticSetting", _diagnostics(FOREIGN_ID))
    assert level == "mandatory"
    # no input names the service's own subscription: a named one is "cannot tell" until configured
    [(level, _)] = findings(pack, "AGID-AZ-060", "azure-native:containerservice:TrustedAccessRoleBinding",
                            {"resourceGroupName": "rg1", "resourceName": "aks1", "trustedAccessRoleBindingName": "ml",
                             "roles": ["x"], "sourceResourceId": f"{OWN_ID}/Microsoft.MachineLearningServices/workspaces/w"})
    assert level == "mandatory"
