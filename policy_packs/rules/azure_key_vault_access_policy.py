"""AGID-AZ-014: Key Vault access policies grant no `all` permissions.

A vault that uses access policies (not Azure RBAC) grants data access outside role assignments: an entry whose
keys, secrets, certificates or storage permissions hold `all` gives every operation of that kind, purge and
permission-free export included, to the entry's object on every item of the vault. Checked on the vault's
`properties.accessPolicies` and on `keyvault.AccessPolicy` resources (`policy`).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown, unknown_path

from .base import Resource, Rule, Unknown, Violation

VAULT = "azure-native:keyvault:Vault"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
KINDS = ("keys", "secrets", "certificates", "storage")


def _entries(resource: Resource):
    if resource.type == VAULT:
        properties = resource.props.get("properties")
        entries = properties.get("accessPolicies") if isinstance(properties, dict) else None
        return "properties.accessPolicies", entries if isinstance(entries, list) or is_unknown(entries) else []
    return "policy", [resource.props.get("policy")]


def check(resource: Resource, config):
    path, entries = _entries(resource)
    pending = unknown_path(entries)
    if pending is not None or (resource.type == VAULT and is_unknown(resource.props.get("properties"))):
        yield Unknown(path)
        return
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        where = f"{path}[{index}]" if resource.type == VAULT else path
        permissions = entry.get("permissions") if isinstance(entry, dict) else None
        if not isinstance(permissions, dict):
            continue
        broad = [kind for kind in KINDS if isinstance(permissions.get(kind), list)
                 and any(isinstance(p, str) and p.lower() == "all" for p in permissions[kind])]
        if broad:
            holder = entry.get("objectId") if isinstance(entry.get("objectId"), str) else "its object"
            yield Violation(f"key vault {resource.name}: {where} gives {holder} every operation on "
                            f"{', '.join(broad)} ('all'), purge included, outside Azure RBAC")


RULE = Rule(
    id="AGID-AZ-014",
    title="azure-key-vault-no-all-access-policy",
    # critical (mandatory) like a vault-wide Key Vault Administrator assignment (AGID-AZ-010): every secret of
    # the vault to one object, purge included (outside review h07 passed with it advisory)
    severity="critical",
    category="broad-grant",
    description="Key Vault access policies list the exact operations (get, list, ...), never 'all'.",
    remediation="Set enableRbacAuthorization: true and assign Key Vault Secrets User (or a custom role with exact "
                "data actions) at the secret or vault scope; otherwise list the exact permissions.",
    url="https://learn.microsoft.com/en-us/azure/key-vault/general/rbac-access-policy",
    check=check,
    resource_types=(VAULT, ACCESS_POLICY),
)
