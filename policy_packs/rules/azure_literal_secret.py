"""AGID-AZ-025: no literal secret in an Azure or Entra resource's inputs (the program, its state and every preview hold it).

Where secret values are written through the providers:
  - Key Vault `Secret`: properties.value (a secret by type);
  - DevTest Labs `Secret` and Service Fabric Mesh `SecretValue`: value (a secret by type);
  - Entra `SynchronizationSecret`: each credentials[] entry's value, under its key (the provisioning
    job's token or password, e.g. `SecretToken`).
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
from .base import Resource, Rule, Violation
from .engine_secrets import is_engine_secret
from .secret_scan import literal_secret_message

KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
DEVTEST_SECRET = "azure-native:devtestlab:Secret"
MESH_SECRET_VALUE = "azure-native:servicefabricmesh:SecretValue"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
_NOT_READABLE = object()


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
    for path, key, value in _candidates(resource):
        if value is None or is_unknown(value) or value == PLACEHOLDER or is_engine_secret(value):
            continue
        if value is _NOT_READABLE or not isinstance(value, str):
            shape = "not the input shape the provider takes" if value is _NOT_READABLE else type(value).__name__
            yield Violation(f"{resource.name}: {path} is {shape}, so whether it holds a literal secret cannot be "
                            "judged")
            continue
        message = literal_secret_message(resource.name, path, key, value,
                                         "generate it (random.RandomPassword) or pass it as a config secret")
        if message:
            yield Violation(message)


RULE = Rule(
    id="AGID-AZ-025",
    title="azure-no-literal-secrets",
    severity="critical",
    category="static-credential",
    description="No literal secret in Key Vault secrets, DevTest Labs or Service Fabric Mesh secret values, or "
                "Entra provisioning (synchronization) secrets (detect-secrets).",
    remediation="Generate the value at deployment (random.RandomPassword) or pass it as a Pulumi config secret "
                "(`pulumi config set --secret`); never type it into the program.",
    url="https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices",
    check=check,
    resource_types=(KEY_VAULT_SECRET, DEVTEST_SECRET, MESH_SECRET_VALUE, SYNCHRONIZATION_SECRET),
)
