"""Azure operations that WRITE or mint a key are privileged as key reads are (issue 11).

AGID-AZ-010/012/013 knew listKeys and regenerate*Key, but a role that creates or widens a Service Bus / Event Hubs /
Relay / Notification Hubs SAS rule, writes an API Management tenant key, API key or subscription (whose keys the
caller may choose), a Logic Apps access key, an Application Insights API key or a partner's API key passed.
components/data/azure_capabilities.yaml `operation_patterns` now classifies every `*keys/write`, SAS rule write,
key-creating and key-generating operation of the snapshot (test_azure_operation_patterns.py keeps every match
classified or excepted with a reason); encryption keys, public keys and user delegation keys are the excepted
look-alikes. The same sweep found credentials returned under other verbs than list*Keys / list*Secrets (Virtual
Desktop registration tokens, managed-application identity tokens, bot channel keys, session-pool MCP credentials,
ML environment secrets, Data Lake SAS tokens, API Center credentials): classified too.
"""

from __future__ import annotations

import pytest

from tests.policy.test_azure_operation_patterns import SUB, assignment, azure_role_diagnostics, definition

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MINTED = "create static credentials that bypass RBAC and outlive the role"
READ_KEYS = "read account keys or admin credentials that bypass RBAC entirely"

KEY_WRITES = {
    "Microsoft.ServiceBus/namespaces/authorizationRules/write": MINTED,
    "microsoft.servicebus/namespaces/queues/authorizationrules/WRITE": MINTED,
    "Microsoft.EventHub/namespaces/eventhubs/authorizationRules/write": MINTED,
    "Microsoft.Relay/namespaces/HybridConnections/authorizationRules/write": MINTED,
    "Microsoft.NotificationHubs/Namespaces/NotificationHubs/authorizationRules/write": MINTED,
    "Microsoft.ApiManagement/service/tenants/keys/write": MINTED,
    "Microsoft.ApiManagement/service/apiKeys/write": MINTED,
    "Microsoft.ApiManagement/service/subscriptions/write": MINTED,
    "Microsoft.ApiManagement/service/workspaces/subscriptions/write": MINTED,
    "Microsoft.ApiManagement/service/users/token/action": READ_KEYS,
    "Microsoft.ApiManagement/service/gateways/generateToken/action": READ_KEYS,
    "Microsoft.Logic/workflows/accessKeys/write": MINTED,
    "Microsoft.Logic/workflows/accessKeys/regenerate/action": MINTED,
    "Microsoft.Logic/workflows/accessKeys/list/action": READ_KEYS,
    "Microsoft.Insights/Components/ApiKeys/Action": MINTED,
    "NGINX.NGINXPLUS/nginxDeployments/apiKeys/Write": MINTED,
    "Microsoft.Confluent/organizations/environments/clusters/createAPIKey/action": MINTED,
    "Microsoft.Sql/servers/syncAgents/generateKey/action": MINTED,
    "Microsoft.Datadog/monitors/listApiKeys/action": READ_KEYS,
    "Microsoft.Datadog/monitors/getDefaultApplicationKey/action": READ_KEYS,
    # credentials returned under other verbs (registration tokens, managed-app tokens, bot channel keys, ...)
    "Microsoft.DesktopVirtualization/hostpools/retrieveRegistrationToken/action": READ_KEYS,
    "Microsoft.DesktopVirtualization/hostpools/sessionhosts/listSingleSessionHostRegistrationTokens/action": READ_KEYS,
    "Microsoft.Solutions/applications/listTokens/action": READ_KEYS,
    "Microsoft.BotService/botServices/channels/listchannelwithkeys/action": READ_KEYS,
    "Microsoft.BotService/botServices/connections/listwithsecrets/write": READ_KEYS,
    "microsoft.app/sessionpools/fetchmcpservercredentials/action": READ_KEYS,
    "Microsoft.MachineLearningServices/workspaces/environments/readSecrets/action": READ_KEYS,
    "Microsoft.DataLakeAnalytics/accounts/storageAccounts/Containers/listSasTokens/action": READ_KEYS,
    # wildcards reach them too
    "Microsoft.ServiceBus/namespaces/*/authorizationRules/write": MINTED,
    "Microsoft.ApiManagement/service/*/subscriptions/write": MINTED,
}

# the same words on a resource that mint nothing: reads, encryption and public keys, delegation keys bounded by RBAC
LOOK_ALIKES = [
    "Microsoft.ServiceBus/namespaces/authorizationRules/read",
    "Microsoft.ServiceBus/namespaces/topics/subscriptions/write",
    "Microsoft.ApiManagement/service/subscriptions/read",
    "Microsoft.Logic/workflows/accessKeys/read",
    "Microsoft.KeyVault/vaults/keys/write",
    "Microsoft.Sql/servers/keys/write",
    "Microsoft.Synapse/workspaces/keys/write",
    "Microsoft.Compute/sshPublicKeys/write",
    "Microsoft.Compute/sshPublicKeys/generateKeyPair/action",
    "Microsoft.Network/trafficManagerUserMetricsKeys/write",
    "Microsoft.Search/searchServices/createQueryKey/action",
    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
    "Microsoft.DesktopVirtualization/hostpools/read",
    "Microsoft.Solutions/applications/read",
    "Microsoft.BotService/botServices/channels/read",
    "microsoft.app/sessionpools/rotatemcpservercredentials/action",
]


@pytest.mark.parametrize("operation", sorted(KEY_WRITES))
def test_a_custom_role_writing_a_key_blocks_and_so_does_its_assignment(pack, operation):
    role = definition("rd", [operation])
    found = azure_role_diagnostics(pack, role, assignment("ra", UNKNOWN, role))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == [("AGID-AZ-012", "mandatory", "rd"),
                                                        ("AGID-AZ-013", "mandatory", "ra")], found
    assert all(KEY_WRITES[operation] in m for *_, m in found), found


@pytest.mark.parametrize("data_action", ["Microsoft.HealthBot/healthBots/Admin/Secrets/GenerateApiKey/Action",
                                         "Microsoft.App/sandboxGroups/secrets/peek/action",
                                         "Microsoft.ApiCenter/services/workspaces/apis/versions/securityRequirements/getCredentials/action"])
def test_a_data_action_generating_or_returning_a_key_blocks(pack, data_action):
    role = definition("rd", [], [data_action])
    found = azure_role_diagnostics(pack, role, assignment("ra", UNKNOWN, role))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == [("AGID-AZ-012", "mandatory", "rd"),
                                                        ("AGID-AZ-013", "mandatory", "ra")], found


def test_look_alikes_pass(pack):
    role = definition("rd", LOOK_ALIKES, ["Microsoft.EventHub/namespaces/generateUserDelegationKey/action",
                                          "Microsoft.CognitiveServices/accounts/LUIS/externalkeys/write"])
    assert azure_role_diagnostics(pack, role, assignment("ra", UNKNOWN, role)) == []


@pytest.mark.parametrize("guid, name, operation, effect", [
    ("ae349356-3a1b-4a5e-921d-050484c6347e", "Application Insights Component Contributor",
     "Microsoft.Insights/Components/ApiKeys/Action", MINTED),
    ("e307426c-f9b6-4e81-87de-d99efb3c32bc", "Desktop Virtualization Host Pool Contributor",
     "Microsoft.DesktopVirtualization/hostpools/listRegistrationTokens/action", READ_KEYS),
])
def test_a_builtin_role_minting_or_reading_keys_blocks(pack, guid, name, operation, effect):
    [(policy, level, resource, message)] = azure_role_diagnostics(
        pack, assignment("ra", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"))
    assert (policy, level, resource) == ("AGID-AZ-010", "mandatory", "ra")
    assert name in message and operation in message and effect in message, message


def test_a_read_only_builtin_role_passes(pack):
    # Monitoring Reader (43d0d8ad-25c7-4714-9337-8ba259a9fe05): reads components, mints nothing
    assert azure_role_diagnostics(pack, assignment(
        "ra", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/43d0d8ad-25c7-4714-9337-8ba259a9fe05")) == []
