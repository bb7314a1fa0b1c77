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
    which name a secret instead of holding it);
  - application settings and environments (red7b f21: a GitHub token and a storage connection string with its
    AccountKey passed): App Service `WebAppApplicationSettings(Slot)` properties (NAME -> value) and
    `WebAppConnectionStrings(Slot)` properties (NAME -> {value}), `WebApp(Slot)` siteConfig.appSettings /
    connectionStrings, Container Instances containers[].environmentVariables (`value` scanned under its
    name, `secureValue` a secret by type), Container Apps configuration.secrets[].value (by type) and
    template.containers[].env[].value;
  - administrator passwords (ADMIN_PASSWORDS, secrets by type): VM and scale-set osProfile.adminPassword, AKS
    windowsProfile.adminPassword, SQL / PostgreSQL / MySQL servers' administratorLoginPassword, Synapse's
    sqlAdministratorLoginPassword;
  - every other top-level password, secret, shared key or passphrase input of an azure-native resource, and every
    azuread input its SDK marks secret (analysis/sdk_secret_inputs.yaml, derived from the installed SDKs: Cosmos DB
    Mongo user definitions and Mongo clusters, PostgreSQL cluster roles, API Management users / identity providers
    / authorization servers, VPN and ExpressRoute shared keys, App Service auth client secrets, run-command
    passwords, ...), a secret by type whatever it looks like (red20 r20-4: a Cosmos Mongo root user's "admin123").
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

from agentid_policy_packs.analysis import sdk_secret_inputs
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
APP_SETTINGS = ("azure-native:web:WebAppApplicationSettings", "azure-native:web:WebAppApplicationSettingsSlot")
CONNECTION_STRINGS = ("azure-native:web:WebAppConnectionStrings", "azure-native:web:WebAppConnectionStringsSlot")
WEB_APPS = ("azure-native:web:WebApp", "azure-native:web:WebAppSlot")
CONTAINER_GROUP = "azure-native:containerinstance:ContainerGroup"
CONTAINER_APP = "azure-native:app:ContainerApp"
# Administrator passwords the resource takes as an input (a secret by type: whoever reads the program, its state
# or a preview logs in as the administrator; a VM's also gets its managed identity's tokens from IMDS) (red9a 15):
# type -> dotted input paths.
ADMIN_PASSWORDS = {
    "azure-native:compute:VirtualMachine": ("osProfile.adminPassword",),
    "azure-native:compute:VirtualMachineScaleSet": ("virtualMachineProfile.osProfile.adminPassword",),
    "azure-native:containerservice:ManagedCluster": ("windowsProfile.adminPassword",),
    "azure-native:sql:Server": ("administratorLoginPassword",),
    "azure-native:sql:ManagedInstance": ("administratorLoginPassword",),
    "azure-native:dbforpostgresql:Server": ("administratorLoginPassword",),
    "azure-native:dbformysql:Server": ("administratorLoginPassword",),
    "azure-native:synapse:Workspace": ("sqlAdministratorLoginPassword",),
}
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


def _named(entries: Any, path: str, name_key: str, value_key: str, by_type: bool = False,
           default_name: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, name, value) of each `{name_key: NAME, value_key: value}` entry of a list input (an entry without
    value_key is skipped; `by_type`: the value is a secret by its field's type)."""
    if entries is None or is_unknown(entries):
        return
    if not isinstance(entries, list):
        yield path, "", _NOT_READABLE
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            yield f"{path}[{index}]", "", _NOT_READABLE
            continue
        name = entry.get(name_key) if isinstance(entry.get(name_key), str) else default_name
        if value_key in entry:
            value = entry.get(value_key)
            yield f"{path}[{index}].{value_key} ({name})", name, SecretByType(value) if by_type else value


def _settings(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """Application settings, connection strings and container environments of App Service, ACI and Container Apps."""
    props = resource.props
    if resource.type in APP_SETTINGS + CONNECTION_STRINGS:
        properties = props.get("properties")
        if properties is None or is_unknown(properties):
            return
        if not isinstance(properties, Mapping):
            yield "properties", "", _NOT_READABLE
            return
        for name, value in properties.items():
            if resource.type in CONNECTION_STRINGS:
                value = value.get("value") if isinstance(value, Mapping) else value
            yield f"properties.{name}", str(name), value
    elif resource.type in WEB_APPS:
        site = props.get("siteConfig")
        if isinstance(site, Mapping):
            yield from _named(site.get("appSettings"), "siteConfig.appSettings", "name", "value")
            yield from _named(site.get("connectionStrings"), "siteConfig.connectionStrings", "name", "connectionString")
    elif resource.type == CONTAINER_GROUP:
        containers = props.get("containers")
        for index, container in enumerate(containers if isinstance(containers, list) else []):
            if isinstance(container, Mapping):  # the provider flattens the API's `properties` into the container
                path = f"containers[{index}].environmentVariables"
                yield from _named(container.get("environmentVariables"), path, "name", "value")
                yield from _named(container.get("environmentVariables"), path, "name", "secureValue", by_type=True)
    elif resource.type == CONTAINER_APP:
        configuration = props.get("configuration")
        if isinstance(configuration, Mapping):
            yield from _named(configuration.get("secrets"), "configuration.secrets", "name", "value", by_type=True)
        template = props.get("template")
        containers = template.get("containers") if isinstance(template, Mapping) else None
        for index, container in enumerate(containers if isinstance(containers, list) else []):
            if isinstance(container, Mapping):
                yield from _named(container.get("env"), f"template.containers[{index}].env", "name", "value")


def _by_type_at(props: Mapping, path: str) -> Iterator[tuple[str, str, Any]]:
    """The value at dotted `path` as a secret by type; nothing when a level is missing or unknown (unknown at
    preview is not a literal); Unreadable when a level is not a mapping."""
    value: Any = props
    for part in path.split("."):
        if value is None or is_unknown(value):
            return
        if not isinstance(value, Mapping):
            yield path, "", _NOT_READABLE
            return
        value = value.get(part)
    yield path, "password", SecretByType(value)


def candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key it is stored under, value) for every input that holds a secret value: the typed readers below,
    then every input analysis/sdk_secret_inputs.yaml names for the type that they did not read (by type)."""
    seen = set()
    for path, key, value in _typed_candidates(resource):
        seen.add(path)
        yield path, key, value
    for path, key, value in sdk_secret_inputs.candidates(resource.type, resource.props):
        # one finding a field: a typed reader's path, or one on its way (an `osProfile` that is not an object is the
        # typed reader's "osProfile.adminPassword is not the input shape")
        if not any(path == done or done.startswith(path + ".") or path.startswith(done + ".") for done in seen):
            yield path, key, SecretByType(Unreadable(value) if isinstance(value, sdk_secret_inputs.NotTheShape)
                                          else value)


def _typed_candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    props = resource.props
    if resource.type == KEY_VAULT_SECRET:
        properties = props.get("properties")
        if isinstance(properties, Mapping):
            yield "properties.value", "secret", properties.get("value")
        elif properties is not None and not is_unknown(properties):
            yield "properties", "", _NOT_READABLE
    elif resource.type in (DEVTEST_SECRET, MESH_SECRET_VALUE):
        yield "value", "secret", props.get("value")
    elif resource.type in ADMIN_PASSWORDS:
        for path in ADMIN_PASSWORDS[resource.type]:
            yield from _by_type_at(props, path)
    elif resource.type in (AUTOMATION_CREDENTIAL, SQL_JOB_CREDENTIAL):
        yield "password", "password", SecretByType(props.get("password"))
    elif resource.type in APP_SETTINGS + CONNECTION_STRINGS + WEB_APPS + (CONTAINER_GROUP, CONTAINER_APP):
        yield from _settings(resource)
    elif resource.type == DATA_FACTORY_LINKED_SERVICE:
        properties = props.get("properties")
        if properties is not None and not is_unknown(properties) and not isinstance(properties, Mapping):
            yield "properties", "", _NOT_READABLE
        yield from _linked_service(properties, "properties", "")
    elif resource.type == SYNCHRONIZATION_SECRET:
        yield from _named(props.get("credentials"), "credentials", "key", "value", default_name="secret")


def check(resource: Resource, config):
    yield from literal_secret_findings(resource, candidates(resource), "generate it (random.RandomPassword) or pass "
                                       "it as a config secret", PLACEHOLDER)

RULE = Rule(
    id="AGID-AZ-025",
    title="azure-no-literal-secrets",
    severity="critical",
    category="static-credential",
    description="No literal secret in Key Vault secrets, DevTest Labs or Service Fabric Mesh secret values, Entra "
                "provisioning (synchronization) secrets, Automation and Elastic Jobs credentials, Data Factory "
                "linked services, App Service settings and connection strings, container environments (ACI, "
                "Container Apps), administrator passwords (VMs, scale sets, AKS Windows nodes, SQL, PostgreSQL, "
                "MySQL, Synapse), or any other password, secret or shared-key input (Cosmos DB Mongo users, API "
                "Management, VPN shared keys, App Service auth secrets; analysis/sdk_secret_inputs.yaml) "
                "(detect-secrets, and fields that are secrets by type).",
    remediation="Generate the value at deployment (random.RandomPassword) or pass it as a Pulumi config secret "
                "(`pulumi config set --secret`); never type it into the program.",
    url="https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices",
    check=check,
    resource_types=(KEY_VAULT_SECRET, DEVTEST_SECRET, MESH_SECRET_VALUE, SYNCHRONIZATION_SECRET, AUTOMATION_CREDENTIAL,
                    SQL_JOB_CREDENTIAL, DATA_FACTORY_LINKED_SERVICE, *APP_SETTINGS, *CONNECTION_STRINGS, *WEB_APPS,
                    CONTAINER_GROUP, CONTAINER_APP,
                    *dict.fromkeys((*ADMIN_PASSWORDS, *sdk_secret_inputs.resource_types("azure-native:"),
                                    *sdk_secret_inputs.resource_types("azuread:")))),
)
