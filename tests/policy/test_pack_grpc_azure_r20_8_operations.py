"""issue 11 (red20 r20-8) over gRPC: six privileged Azure operations were unclassified, so a custom role holding one
passed AGID-AZ-012/013 with no finding and a built-in role holding one passed AGID-AZ-010.

components/data/azure_capabilities.yaml now classifies them by the Azure docs' meaning, with patterns over the operations
snapshot for their siblings: API Management named values' listValue (service and workspace: stored backend keys and
client secrets), Service Fabric cluster and managed-cluster writes (admin client certificates, a new
cluster-admin-certificate capability), DevTest Labs applyArtifacts (scripts on lab VMs), Recovery Services file
recovery (provisionInstantItemRecovery mounts a VM's backed-up disks), Azure Monitor action groups (secure webhooks send
an Entra token to any URL) and Sentinel automation rules, playbook actions and runPlaybook (a new alert-automation
capability). Each: the custom role (AGID-AZ-012) and its assignment (AGID-AZ-013) block, mandatory, naming the effect;
each has a read / delete / revoke look-alike that passes every Azure role rule.
"""

from __future__ import annotations

import pytest

from tests.policy.test_azure_operation_patterns import SUB, assignment, azure_role_diagnostics, definition

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
RP = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints"
# operation -> words of its effect in the message
FLAGGED = {
    "Microsoft.ApiManagement/service/namedValues/listValue/action": "bypass RBAC",
    "Microsoft.ApiManagement/service/workspaces/namedValues/listValue/action": "bypass RBAC",
    "Microsoft.ServiceFabric/clusters/write": "admin client",
    "Microsoft.ServiceFabric/managedclusters/write": "admin client",
    "Microsoft.DevTestLab/labs/virtualmachines/applyArtifacts/action": "DevTest Labs artifacts",
    f"{RP}/provisionInstantItemRecovery/action": "backups",
    # siblings: restoring the same recovery point's disks into a target the caller names reads them as well
    f"{RP}/restore/action": "backups",
    "Microsoft.RecoveryServices/Vaults/backupCrossTenantVaultMappings/backupFabrics/protectionContainers/protectedItems"
    "/recoveryPoints/restore/action": "backups",
    "Microsoft.DataProtection/backupVaults/backupInstances/restore/action": "backups",
    "Microsoft.Insights/actionGroups/write": "secure webhook",
    "Microsoft.Insights/tenantActionGroups/write": "secure webhook",
    "Microsoft.SecurityInsights/automationRules/write": "Sentinel automation rules",
    "Microsoft.SecurityInsights/alertRules/actions/write": "Sentinel automation rules",
    "Microsoft.SecurityInsights/incidents/runPlaybook/action": "Sentinel automation rules",
    "Microsoft.SecurityInsights/entities/runPlaybook/action": "Sentinel automation rules",
    # other spellings: Azure compares operations without case, and a wildcard reaches the same operation
    "microsoft.insights/ACTIONGROUPS/write": "secure webhook",
    "Microsoft.ApiManagement/service/*/listValue/action": "bypass RBAC",
    "Microsoft.SecurityInsights/automationRules/*": "Sentinel automation rules",
    "Microsoft.ServiceFabric/*/write": "admin client",
    f"{RP}/*": "backups",
}
LOOK_ALIKES = [
    "Microsoft.ApiManagement/service/namedValues/read",
    "Microsoft.ApiManagement/service/namedValues/delete",
    "Microsoft.ServiceFabric/clusters/read",
    "Microsoft.ServiceFabric/managedclusters/read",
    "Microsoft.DevTestLab/labs/virtualMachines/ClearArtifactResults/action",
    "Microsoft.DevTestLab/labs/virtualMachines/read",
    f"{RP}/revokeInstantItemRecovery/action",
    f"{RP}/read",
    "Microsoft.DataProtection/backupVaults/backupInstances/validateRestore/action",
    "Microsoft.RecoveryServices/Vaults/backupFabrics/preCheckRestore/action",
    "Microsoft.Insights/actionGroups/read",
    "Microsoft.Insights/actionGroups/delete",
    "Microsoft.SecurityInsights/automationRules/read",
    "Microsoft.SecurityInsights/automationRules/delete",
    "Microsoft.SecurityInsights/alertRules/actions/read",
]


@pytest.mark.parametrize("operation", sorted(FLAGGED))
def test_a_custom_role_holding_the_operation_blocks_and_so_does_its_assignment(pack, operation) -> None:
    rd = definition("rd", [operation])
    found = azure_role_diagnostics(pack, rd, assignment("ra", UNKNOWN, rd))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == [("AGID-AZ-012", "mandatory", "rd"),
                                                        ("AGID-AZ-013", "mandatory", "ra")], found
    assert all(FLAGGED[operation] in m for *_, m in found), found


@pytest.mark.parametrize("operation", LOOK_ALIKES)
def test_a_custom_role_holding_a_look_alike_passes(pack, operation) -> None:
    rd = definition("rd", [operation])
    assert azure_role_diagnostics(pack, rd, assignment("ra", UNKNOWN, rd)) == []


@pytest.mark.parametrize(("guid", "name", "words"), [
    ("749f88d5-cbae-40b8-bcfc-e573ddc772fa", "Monitoring Contributor", "secure webhook"),
    ("3e150937-b8fe-4cfb-8069-0eaf05ecd056", "Microsoft Sentinel Responder", "Sentinel automation rules"),
    ("00c29273-979b-4161-815c-10b084fb9324", "Backup Operator", "backups"),
])
def test_builtin_roles_holding_them_block(pack, guid, name, words) -> None:
    role_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    [(policy, level, resource, message)] = azure_role_diagnostics(pack, assignment("ra", role_id))
    assert (policy, level, resource) == ("AGID-AZ-010", "mandatory", "ra")
    assert name in message and words in message, message


def test_the_builtin_monitoring_reader_look_alike_passes(pack) -> None:
    reader = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/43d0d8ad-25c7-4714-9337-8ba259a9fe05"
    assert azure_role_diagnostics(pack, assignment("ra", reader)) == []
