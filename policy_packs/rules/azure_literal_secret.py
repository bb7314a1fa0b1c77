"""AGID-AZ-025: no literal secret in an Azure or Entra resource's inputs (the program, its state and every preview hold it).

Where secret values are written through the providers:
  - Key Vault `Secret`: properties.value (a secret by type);
  - DevTest Labs `Secret` and Service Fabric Mesh `SecretValue`: value (a secret by type);
  - Entra `SynchronizationSecret`: each credentials[] entry's value, under its key (the provisioning
    job's token or password, e.g. `SecretToken`);
  - service-stored credentials: Automation `Credential` and Elastic Jobs `JobCredential` password (a secret
    by type); Data Factory `LinkedService`: every `SecureString` object's value in `properties` (a secret by
    type: https://learn.microsoft.com/azure/data-factory/store-credentials-in-key-vault) and every other string
    there scanned under its key (connection strings with an AccountKey, SAS URIs, ...), except
    `encryptedCredential` (encrypted by the integration runtime) and Key Vault references (`AzureKeyVaultSecret`,
    which name a secret instead of holding it).
A value is a literal secret when it is known at preview and detect-secrets' detectors find a secret
in it (secret_scan.py), as for AWS (AGID-AWS-007). A value unknown at preview (generated with
random.RandomPassword, or read from another resource), the placeholder `agentid preview` sends for an
encrypted stack-config secret, and a value the engine sent marked secret (engine_secrets.py: a config
secret under `pulumi preview`) are not literals: Key Vault is where such a value belongs.
Source: https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .aws_literal_secret import PLACEHOLDER
from .base import Resource, Rule
from .secret_scan import SecretByType, Unreadable, literal_secret_findings

KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
DEVTEST_SECRET = "azure-native:devtestlab:Secret"
MESH_SECRET_VALUE = "azure-native:servicefabricmesh:SecretValue"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
AUTOMATION_CREDENTIAL = "azure-native:automation:Credential"
SQL_JOB_CREDENTIAL = "azure-native:sql:JobCredential"
DATA_FACTORY_LINKED_SERVICE = "azure-native:datafactory:LinkedService"
_NOT_READABLE = Unreadable("not the input shape the provider takes")
_MAX_DEPTH = 12  # a linked service's properties nest a few levels (typeProperties, nested credentials)


def _linked_service(value: Any, path: str, key: str, depth: int = 0) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every string in a Data Factory linked service's properties; SecureString values
    come as SecretByType(value)."""
    if depth > _MAX_DEPTH or value is None or is_unknown(value):
        return
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "SecureString":
            yield f"{path}.value", key, SecretByType(value.get("value"))
            return
        if kind == "AzureKeyVaultSecret":
            return
        for member, item in value.items():
            if member != "encryptedCredential":
                yield from _linked_service(item, f"{path}.{member}", str(member), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _linked_service(item, f"{path}[{index}]", key, depth + 1)
    elif isinstance(value, str):
        yield path, key, value


def _candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key it is stored under, value) for every input that holds a secret value."""
    props = resource.props
    if resource.type == KEY_VAULT_SECRET:
        properties = props.get("properties")
        if isinstance(properties, Mapping):
            yield "properties.value", "secret", properties.get("value")
        elif properties is not None and not is_unknown(properties):
            yield "properties", "", _NOT_READABLE
    elif resource.type in (DEVTEST_SECRET, MESH_SECRET_VALUE):
        yield "value", "secret", props.get("value")
    elif resource.type in (AUTOMATION_CREDENTIAL, SQL_JOB_CREDENTIAL):
        yield "password", "password", SecretByType(props.get("password"))
    elif resource.type == DATA_FACTORY_LINKED_SERVICE:
        properties = props.get("properties")
        if properties is not None and not is_unknown(properties) and not isinstance(properties, Mapping):
            yield "properties", "", _NOT_READABLE
        yield from _linked_service(properties, "properties", "")
    else:
        credentials = props.get("credentials")
        if credentials is None or is_unknown(credentials):
            return
        if not isinstance(credentials, list):
            yield "credentials", "", _NOT_READABLE
            return
        for index, entry in enumerate(credentials):
            if not isinstance(entry, Mapping):
                yield f"credentials[{index}]", "", _NOT_READABLE
                continue
            key = entry.get("key") if isinstance(entry.get("key"), str) else "secret"
            yield f"credentials[{index}].value ({key})", key, entry.get("value")


def check(resource: Resource, config):
    yield from literal_secret_findings(resource, _candidates(resource), "generate it (random.RandomPassword) or pass "
                                       "it as a config secret", PLACEHOLDER)

RULE = Rule(
    id="AGID-AZ-025",
    title="azure-no-literal-secrets",
    severity="critical",
    category="static-credential",
    description="No literal secret in Key Vault secrets, DevTest Labs or Service Fabric Mesh secret values, Entra "
                "provisioning (synchronization) secrets, Automation and Elastic Jobs credentials, or Data Factory "
                "linked services (detect-secrets, and fields that are secrets by type).",
    remediation="Generate the value at deployment (random.RandomPassword) or pass it as a Pulumi config secret "
                "(`pulumi config set --secret`); never type it into the program.",
    url="https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices",
    check=check,
    resource_types=(KEY_VAULT_SECRET, DEVTEST_SECRET, MESH_SECRET_VALUE, SYNCHRONIZATION_SECRET, AUTOMATION_CREDENTIAL,
                    SQL_JOB_CREDENTIAL, DATA_FACTORY_LINKED_SERVICE),
)
