"""AGID-AZ custom-role capabilities over gRPC: roles that run code as another identity or reach its secrets.

Before this data change a custom role with Automation runbooks/jobs write, Key Vault vaults/write (access
policies are a property of the vault), Logic Apps workflows write / trigger run, container exec, or App Service
publishing profiles / function keys passed `agentid preview`. Sources are named per capability in
components/data/azure_capabilities.yaml.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn

ROLE = "azure-native:authorization:RoleDefinition"


def mandatory(pack, actions, data_actions=()) -> list[str]:
    props = {"roleName": "agent-x", "scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
             "assignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"],
             "permissions": [{"actions": actions, "notActions": [], "dataActions": list(data_actions),
                              "notDataActions": []}]}
    diags = pack.analyze(ROLE, "r", urn(ROLE, "r"), props)
    return [d.message for d in diags if d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("action, words", [
    ("Microsoft.Automation/automationAccounts/runbooks/write", "Automation runbooks"),
    ("Microsoft.Automation/automationAccounts/jobs/write", "Automation runbooks"),
    ("Microsoft.KeyVault/vaults/write", "access policies included"),
    ("Microsoft.Logic/workflows/write", "Logic Apps workflows"),
    ("Microsoft.Logic/workflows/triggers/run/action", "Logic Apps workflows"),
    ("Microsoft.ContainerInstance/containerGroups/containers/exec/action", "container groups"),
    ("Microsoft.Web/sites/Write", "App Service or Functions app's code"),
    ("Microsoft.Batch/batchAccounts/pools/write", "Batch pools"),
    ("Microsoft.Web/sites/publishxml/Action", "account keys or admin credentials"),
    ("microsoft.web/sites/host/listkeys/action", "account keys or admin credentials"),
    ("Microsoft.Batch/batchAccounts/listkeys/action", "account keys or admin credentials"),
    # red5 finding 7: every "run code on a compute resource as its identity" operation, not only VM run command
    ("Microsoft.ContainerService/managedClusters/runCommand/action", "AKS cluster's own credential"),
    ("Microsoft.KubernetesConfiguration/fluxConfigurations/write", "GitOps configuration"),
    ("Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write", "run code on virtual machines"),
    ("Microsoft.Compute/virtualMachineScaleSets/extensions/write", "run code on virtual machines"),
    ("Microsoft.Compute/virtualMachineScaleSets/write", "run code on virtual machines"),
    ("Microsoft.HybridCompute/machines/extensions/write", "run code on virtual machines"),
    ("Microsoft.Automation/automationAccounts/runbooks/publish/action", "Automation runbooks"),
    ("Microsoft.Automation/automationAccounts/sourceControls/write", "Automation runbooks"),
    ("Microsoft.Web/sites/publish/Action", "deploy through Kudu"),
    ("Microsoft.Web/sites/sourcecontrols/Write", "App Service or Functions app's code"),
    ("Microsoft.Web/sites/config/Write", "App Service or Functions app's code"),
    ("microsoft.web/sites/functions/write", "App Service or Functions app's code"),
    ("Microsoft.App/containerApps/write", "container apps"),
    ("Microsoft.App/jobs/start/action", "container apps and jobs"),
    ("Microsoft.ContainerInstance/containerGroups/write", "container groups"),
    ("Microsoft.MachineLearningServices/workspaces/computes/write", "Machine Learning computes"),
])
def test_code_as_another_identity_or_its_secrets_blocks(pack, action, words):
    messages = mandatory(pack, [action])
    assert any(words in m and action in m for m in messages), messages


def test_read_only_look_alikes_pass(pack):
    assert mandatory(pack, ["Microsoft.Automation/automationAccounts/runbooks/read",
                            "Microsoft.KeyVault/vaults/read", "Microsoft.Logic/workflows/read",
                            "Microsoft.ContainerInstance/containerGroups/read", "Microsoft.Web/sites/Read"]) == []


@pytest.mark.parametrize("data_action", [
    "Microsoft.ContainerService/managedClusters/pods/exec/action",
    "Microsoft.ContainerService/managedClusters/batch/jobs/write",
    "Microsoft.App/containerApps/exec/action",
])
def test_data_plane_exec_into_pods_and_apps_blocks(pack, data_action):
    messages = mandatory(pack, [], [data_action])
    assert any("service-account tokens and managed identities" in m and data_action in m for m in messages), messages


def test_aks_and_compute_read_look_alikes_pass(pack):
    """Reading run-command results, cluster and scale-set state, or pod lists is not running code."""
    assert mandatory(pack, ["Microsoft.ContainerService/managedClusters/read",
                            "Microsoft.ContainerService/managedClusters/commandResults/read",
                            "Microsoft.Compute/virtualMachineScaleSets/read",
                            "Microsoft.Compute/virtualMachines/runCommands/read",
                            "Microsoft.App/containerApps/read", "Microsoft.Web/sites/config/Read"],
                     ["Microsoft.ContainerService/managedClusters/pods/read"]) == []


# az18 Azure catalogue audit (AzureHound edges, Stratus Red Team Azure techniques, hacktricks "Azure privesc"): each
# of these passed `agentid preview` in a custom role; sources per capability in components/data/azure_capabilities.yaml
@pytest.mark.parametrize("action, words", [
    # PIM: a schedule request (AdminAssign) makes an active or eligible assignment, as roleAssignments/write does
    ("Microsoft.Authorization/roleAssignmentScheduleRequests/write", "assign roles at its scope"),
    ("Microsoft.Authorization/roleEligibilityScheduleRequests/write", "assign roles at its scope"),
    # the same keys through a deployment slot, an account SAS, a regenerated key; other services' shared keys
    ("Microsoft.Web/sites/slots/publishxml/Action", "account keys or admin credentials"),
    ("Microsoft.Web/sites/slots/config/list/action", "account keys or admin credentials"),
    ("Microsoft.Storage/storageAccounts/ListAccountSas/action", "account keys or admin credentials"),
    ("Microsoft.Storage/storageAccounts/ListServiceSas/action", "account keys or admin credentials"),
    ("Microsoft.Storage/storageAccounts/regeneratekey/action", "account keys or admin credentials"),
    ("Microsoft.ContainerRegistry/registries/listCredentials/action", "account keys or admin credentials"),
    ("Microsoft.EventHub/namespaces/authorizationRules/listkeys/action", "account keys or admin credentials"),
    ("Microsoft.ServiceBus/namespaces/queues/authorizationRules/listkeys/action", "account keys or admin credentials"),
    ("Microsoft.Cache/redis/listKeys/action", "account keys or admin credentials"),
    ("Microsoft.Search/searchServices/listAdminKeys/action", "account keys or admin credentials"),
    ("Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action", "account keys or admin credentials"),
    ("Microsoft.ApiManagement/service/subscriptions/listSecrets/action", "account keys or admin credentials"),
    # a signed callback URL runs the workflow; a draft's test job or a webhook runs a runbook
    ("Microsoft.Logic/workflows/triggers/listCallbackUrl/action", "Logic Apps workflows"),
    ("Microsoft.Automation/automationAccounts/runbooks/draft/testJob/write", "Automation runbooks"),
    ("Microsoft.Automation/automationAccounts/webhooks/write", "Automation runbooks"),
    ("Microsoft.Compute/disks/beginGetAccess/action", "download managed disks"),
    ("Microsoft.Compute/snapshots/beginGetAccess/action", "download managed disks"),
])
def test_the_catalogue_audits_control_plane_methods_block(pack, action, words):
    messages = mandatory(pack, [action])
    assert any(words in m and action in m for m in messages), messages


@pytest.mark.parametrize("data_action", ["Microsoft.Compute/virtualMachines/loginAsAdmin/action",
                                         "Microsoft.Compute/virtualMachines/login/action",
                                         "Microsoft.HybridCompute/machines/login/action"])
def test_signing_in_to_a_vm_is_acting_as_its_managed_identity(pack, data_action):
    messages = mandatory(pack, [], [data_action])
    assert any("instance metadata service" in m and data_action in m for m in messages), messages


@pytest.mark.parametrize("pattern", ["Microsoft.Authorization/role*/write", "*/write", "Microsoft.Authorization/*/write",
                                     "Microsoft.ManagedIdentity/*/write", "Microsoft.Storage/storageAccounts/list*"])
def test_wildcard_spellings_of_those_methods_block(pack, pattern):
    assert mandatory(pack, [pattern]), pattern


def test_the_catalogue_audits_look_alikes_pass(pack):
    """Reading schedules, listing query keys (read-only search), reading disks and listing triggers is no method."""
    assert mandatory(pack, ["Microsoft.Authorization/roleAssignmentScheduleRequests/read",
                            "Microsoft.Authorization/roleEligibilitySchedules/read",
                            "Microsoft.Search/searchServices/listQueryKeys/action",
                            "Microsoft.Compute/disks/read", "Microsoft.Logic/workflows/triggers/read",
                            "Microsoft.ContainerRegistry/registries/read"]) == []
