"""issue 11 (misc4 item 3) over gRPC: Azure operations that hand out or set a SAS, or deploy from a repository, were
unclassified, so a custom role holding one passed AGID-AZ-012/013 and a built-in role holding one AGID-AZ-010.

components/data/azure_capabilities.yaml now classifies them by the Azure docs' meaning, with patterns over the operations
snapshot for their siblings: Bastion's session-recording SAS URL (get: a credential to every recording; set: every
later session goes to the caller's container), Sentinel repositories and Deployment Environments catalogs (the service
deploys what the repository holds with its own credential), Flux v1 source-control configurations (as Flux v2's),
Key Vault managed storage SAS definitions and managed storage accounts (tokens signed with the account key), and Azure
Migrate's fetchSasUri. Each: the custom role (AGID-AZ-012) and its assignment (AGID-AZ-013) block, mandatory, naming
the operation and its effect; each has a read or delete look-alike (or the caller's own source-control token) that
passes every Azure role rule.
"""

from __future__ import annotations

import pytest

from tests.policy.test_azure_operation_patterns import SUB, assignment, azure_role_diagnostics, definition

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# operation -> (plane, words of its effect in the message)
FLAGGED = {
    "Microsoft.Network/bastionHosts/getsessionrecordingsasurl/action": ("actions", "records every RDP/SSH session"),
    "Microsoft.Network/bastionHosts/setsessionrecordingsasurl/action": ("actions", "screen and keystrokes"),
    "Microsoft.SecurityInsights/SourceControls/write": ("actions", "Sentinel repositories"),
    "Microsoft.DevCenter/projects/catalogs/write": ("actions", "deployment identity"),
    "Microsoft.DevCenter/devcenters/catalogs/write": ("actions", "deployment identity"),
    "Microsoft.KubernetesConfiguration/sourceControlConfigurations/write": ("actions", "GitOps configuration"),
    "Microsoft.KeyVault/vaults/storageaccounts/sas/set/action": ("dataActions", "SAS tokens a vault signs"),
    "Microsoft.KeyVault/vaults/storageaccounts/set/action": ("dataActions", "SAS tokens a vault signs"),
    "Microsoft.KeyVault/vaults/storageaccounts/regeneratekey/action": ("dataActions", "managed storage account"),
    "Microsoft.Migrate/migrateProjects/fetchsasuri/action": ("actions", "bypass RBAC"),
    "Microsoft.ApplicationMigration/codeScanSites/fetchSasUriByReportPaths/action": ("actions", "bypass RBAC"),
    # other spellings: Azure compares operations without case, and a wildcard reaches the same operation
    "microsoft.securityinsights/sourcecontrols/WRITE": ("actions", "Sentinel repositories"),
    "Microsoft.Network/bastionHosts/*sasurl/action": ("actions", "records every RDP/SSH session"),
}
LOOK_ALIKES = {
    "actions": ["Microsoft.Network/bastionHosts/read", "Microsoft.SecurityInsights/SourceControls/read",
                "Microsoft.SecurityInsights/SourceControls/delete", "Microsoft.DevCenter/projects/catalogs/read",
                "Microsoft.KubernetesConfiguration/sourceControlConfigurations/read",
                "Microsoft.KubernetesConfiguration/sourceControlConfigurations/delete",
                "microsoft.web/sourcecontrols/write",  # the caller's own source-control token
                "Microsoft.Migrate/migrateProjects/read"],
    "dataActions": ["Microsoft.KeyVault/vaults/storageaccounts/read", "Microsoft.KeyVault/vaults/storageaccounts/sas/read",
                    "Microsoft.KeyVault/vaults/storageaccounts/sas/delete"],
}


def role(name, operation, plane):
    return definition(name, [operation]) if plane == "actions" else definition(name, [], [operation])


@pytest.mark.parametrize("operation", sorted(FLAGGED))
def test_a_custom_role_holding_the_operation_blocks_and_so_does_its_assignment(pack, operation) -> None:
    plane, words = FLAGGED[operation]
    rd = role("rd", operation, plane)
    found = azure_role_diagnostics(pack, rd, assignment("ra", UNKNOWN, rd))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == [("AGID-AZ-012", "mandatory", "rd"),
                                                        ("AGID-AZ-013", "mandatory", "ra")], found
    assert all(words in m for *_, m in found), found


@pytest.mark.parametrize(("plane", "operation"), [(p, o) for p, ops in LOOK_ALIKES.items() for o in ops])
def test_a_custom_role_holding_a_look_alike_passes(pack, plane, operation) -> None:
    rd = role("rd", operation, plane)
    assert azure_role_diagnostics(pack, rd, assignment("ra", UNKNOWN, rd)) == []


@pytest.mark.parametrize(("guid", "name", "words"), [
    ("ab8e14d6-4a74-4a29-9ba8-549422addade", "Microsoft Sentinel Contributor", "Sentinel repositories"),
    ("331c37c6-af14-46d9-b9f4-e1909e1b95a0", "DevCenter Project Admin", "deployment identity"),
])
def test_builtin_roles_holding_them_block(pack, guid, name, words) -> None:
    role_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    [(policy, level, resource, message)] = azure_role_diagnostics(pack, assignment("ra", role_id))
    assert (policy, level, resource) == ("AGID-AZ-010", "mandatory", "ra")
    assert name in message and words in message, message


def test_the_builtin_reader_look_alike_passes(pack) -> None:
    reader = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8d289c81-5878-46d4-8554-54e1e3d8b5cb"
    assert azure_role_diagnostics(pack, assignment("ra", reader)) == []  # Microsoft Sentinel Reader
