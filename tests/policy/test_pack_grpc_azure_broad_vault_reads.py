"""AGID-AZ-065 over gRPC (issue 11): a role whose dataActions read Key Vault secret material, assigned above one vault.

`Key Vault Secrets User` (or Crypto User, Certificate User, a stack custom role with getSecret / decrypt / unwrap /
sign) on a resource group, subscription or management group gives the agent every vault's secrets in that scope.
Judged by the role's dataActions (the built-in snapshot, the stack's definition), not by names. Look-alikes: the same
roles on one vault or one secret, `Key Vault Reader` (metadata only) on the resource group.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_components import azure_catalog
from agentid_policy_packs.analysis.azure_credential_reads import credential_reads
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-065"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
PIM = "azure-native:authorization:PimRoleEligibilitySchedule"
DEFINITION = "azure-native:authorization:RoleDefinition"
VAULT_TYPE = "azure-native:keyvault:Vault"
RG_TYPE = "azure-native:resources:ResourceGroup"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/agents"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-agents"
SECRET = f"{VAULT}/secrets/db-password"
MG = "/providers/Microsoft.Management/managementGroups/corp"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
CERTIFICATE_USER = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"
RELEASE_USER = "08bbd89e-9f13-488c-ac41-acfcb10c90ab"
READER = "21090545-7ca7-4776-b22c-e363652d74d2"          # Key Vault Reader: `Microsoft.KeyVault/vaults/*/read`
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"  # `secrets/*`: AGID-AZ-010's data wildcard
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def grant(name, role, scope, *depends_on, type_=ASSIGNMENT, by_input=None):
    props = {"scope": scope, "roleDefinitionId": role if "/" in role or role == UNKNOWN
             else f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
             "principalId": PRINCIPAL, "principalType": "ServicePrincipal"}
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in depends_on],
                         property_dependencies=by_input)


def definition(name, *data_actions, not_data_actions=(), guid=None):
    props = {"roleName": f"{name}-role", "scope": RG, "assignableScopes": [RG],
             "permissions": [{"actions": [], "notActions": [], "dataActions": list(data_actions),
                              "notDataActions": list(not_data_actions)}],
             **({"roleDefinitionId": guid} if guid else {})}
    return StackResource(DEFINITION, name, urn(DEFINITION, name), props)


def found(pack, *resources):
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message.rsplit("\n", 1)[-1].split("] ", 1)[-1])
                  for d in pack.analyze_stack(list(resources)) if d.policy_name == RULE)


def test_every_operation_listed_is_a_data_action_of_the_operations_snapshot() -> None:
    assert len(credential_reads()) >= 5
    for operation in credential_reads():
        assert azure_catalog.operation_plane(operation) == azure_catalog.DATA_ACTIONS, operation


@pytest.mark.parametrize("type_", [ASSIGNMENT, PIM])
def test_secret_and_key_readers_above_one_vault_are_a_mandatory_violation(pack, type_) -> None:
    kind = "role assignment" if type_ == ASSIGNMENT else "eligible role assignment (PIM)"
    assert found(pack, grant("rg", SECRETS_USER, RG, type_=type_)) == [(
        "rg", "mandatory", f"{kind} rg at resource-group scope {RG} grants the built-in role Key Vault Secrets User "
                           f"({SECRETS_USER}), whose dataActions read Key Vault secret material "
                           "(Microsoft.KeyVault/vaults/secrets/getSecret/action): its holder gets the value of every "
                           "secret (and every certificate's private key, which Key Vault keeps as a secret), of every "
                           "vault in that scope")]
    cases = [grant("sub", SECRETS_USER, SUB, type_=type_), grant("mg", SECRETS_USER, MG + "/", type_=type_),
             grant("crypto", CRYPTO_USER, RG.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"), type_=type_),
             grant("cert", CERTIFICATE_USER, RG, type_=type_), grant("release", RELEASE_USER, RG, type_=type_)]
    assert [n for n, level, _ in found(pack, *cases) if level == "mandatory"] == ["cert", "crypto", "mg", "release", "sub"]


def test_the_same_roles_on_one_vault_or_secret_and_metadata_readers_pass(pack) -> None:
    cases = [grant("vault", SECRETS_USER, VAULT), grant("secret", SECRETS_USER, SECRET),
             grant("crypto-vault", CRYPTO_USER, VAULT), grant("reader", READER, RG),
             grant("officer", SECRETS_OFFICER, RG)]  # AGID-AZ-010's (a Key Vault data wildcard): one finding
    assert found(pack, *cases) == []
    diags = [d.policy_name for d in pack.analyze(ASSIGNMENT, "officer", cases[-1].urn, cases[-1].properties)]
    assert "AGID-AZ-010" in diags


def test_stack_custom_roles_are_judged_by_their_data_actions(pack) -> None:
    guid = "0f0e0d0c-0b0a-4909-8807-060504030201"
    explicit = definition("explicit", "Microsoft.KeyVault/vaults/secrets/getSecret/action", guid=guid)
    decrypt = definition("decrypt", "microsoft.keyvault/vaults/keys/DECRYPT/action")
    # a data wildcard, and a role whose not-list removes the read
    pattern = definition("pattern", "Microsoft.KeyVault/vaults/secrets/get*")
    excluded = definition("excluded", "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                          not_data_actions=["Microsoft.KeyVault/vaults/secrets/getSecret/action"])
    metadata = definition("metadata", "Microsoft.KeyVault/vaults/secrets/readMetadata/action")
    resources = [explicit, decrypt, pattern, excluded, metadata,
                 grant("by-guid", guid, RG, explicit),
                 grant("by-output", UNKNOWN, RG, decrypt, by_input={"roleDefinitionId": [decrypt.urn]}),
                 grant("by-pattern", UNKNOWN, RG, pattern, by_input={"roleDefinitionId": [pattern.urn]}),
                 grant("excluded", UNKNOWN, RG, excluded, by_input={"roleDefinitionId": [excluded.urn]}),
                 grant("metadata", UNKNOWN, RG, metadata, by_input={"roleDefinitionId": [metadata.urn]}),
                 grant("on-vault", guid, VAULT, explicit)]
    result = found(pack, *resources)
    assert [(n, level) for n, level, _ in result] == [("by-guid", "mandatory"), ("by-output", "mandatory")]
    assert ("grants the custom role explicit-role defined in this stack (role id 0f0e0d0c-0b0a-4909-8807-060504030201), "
            "whose dataActions read Key Vault secret material (Microsoft.KeyVault/vaults/secrets/getSecret/action)"
            ) in result[0][2]
    assert "(its id Output, decrypt), whose dataActions read Key Vault secret material " \
           "(Microsoft.KeyVault/vaults/keys/decrypt/action)" in result[1][2]  # matched case-insensitively
    # a data wildcard (`secrets/get*`) is AGID-AZ-013's at any scope: one root cause, one finding
    wildcard = [d.urn.rsplit("::", 1)[-1] for d in pack.analyze_stack(resources) if d.policy_name == "AGID-AZ-013"]
    assert "by-pattern" in wildcard


def test_a_scope_output_is_the_stack_vault_or_resource_group_it_comes_from(pack) -> None:
    vault = StackResource(VAULT_TYPE, "kv", urn(VAULT_TYPE, "kv"), {"vaultName": "kv", "resourceGroupName": "agents"})
    group = StackResource(RG_TYPE, "agents", urn(RG_TYPE, "agents"), {"resourceGroupName": "agents"})
    marker = StackResource("azure-native:storage:StorageAccount", "st", urn("azure-native:storage:StorageAccount", "st"), {})
    on_vault = grant("on-vault", SECRETS_USER, UNKNOWN, vault, by_input={"scope": [vault.urn]})
    on_group = grant("on-group", SECRETS_USER, UNKNOWN, group, by_input={"scope": [group.urn]})
    # scope=group.id with a decoy depends_on on the vault: the input's own dependencies decide
    decoy = grant("decoy", SECRETS_USER, UNKNOWN, group, vault, by_input={"scope": [group.urn]})
    hidden = grant("hidden", SECRETS_USER, UNKNOWN, vault, marker, by_input={"scope": [vault.urn, marker.urn]})
    result = found(pack, vault, group, marker, on_vault, on_group, decoy, hidden)
    assert [(n, level) for n, level, _ in result] == [("", "advisory"), ("decoy", "mandatory"), ("on-group", "mandatory")]
    assert "cannot check until known: hidden.scope is computed during preview" in result[0][2]
    assert "at resource-group scope resource group agents (its id Output) grants" in result[2][2]


@pytest.mark.parametrize("operation", ["Microsoft.KeyVault/vaults/secrets/backup/action",
                                       "Microsoft.KeyVault/vaults/keys/backup/action",
                                       "Microsoft.KeyVault/vaults/certificates/backup/action"])
def test_backups_export_the_material_so_a_custom_role_holding_one_above_a_vault_is_flagged(pack, operation) -> None:
    # r16-5: a backup blob is the secret's (key's, certificate's) material, restorable into a vault the holder controls
    role = definition("backup", operation)
    resources = [role, grant("by-output", UNKNOWN, RG, role, by_input={"roleDefinitionId": [role.urn]}),
                 grant("on-vault", UNKNOWN, VAULT, role, by_input={"roleDefinitionId": [role.urn]})]
    result = found(pack, *resources)
    assert [(n, level) for n, level, _ in result] == [("by-output", "mandatory")]
    assert f"whose dataActions read Key Vault secret material ({operation})" in result[0][2]


def test_restore_and_metadata_look_alikes_of_a_backup_pass(pack) -> None:
    role = definition("restore", "Microsoft.KeyVault/vaults/secrets/restore/action",
                      "Microsoft.KeyVault/vaults/secrets/readMetadata/action")
    assert found(pack, role, grant("ra", UNKNOWN, RG, role, by_input={"roleDefinitionId": [role.urn]})) == []
