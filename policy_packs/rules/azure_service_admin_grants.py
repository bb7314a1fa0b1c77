"""AGID-AZ-068 (stack): admin and data-write grants in a service's OWN authorization system go only to principals the
stack creates.

A service that keeps its own list of who may do what grants outside Azure RBAC, where AGID-AZ-010 never looks: Key
Vault access policies, Cosmos DB data-plane role assignments, Data Explorer (Kusto) cluster and database principal
assignments, the AKS Entra admin groups (`aadProfile.adminGroupObjectIDs`: every member is cluster-admin), and the
Entra administrators of SQL servers and managed instances, PostgreSQL and MySQL servers and Synapse workspaces
(administrator resources, `administrators` inputs, a workspace's initial admin), and a Managed HSM's initial
administrators. AGID-AZ-045 judges only whose tenant the principal is in; red22 r22-3, r22-6 and r22-7 gave every
secret of a vault (permissions spelled out, not `all`), every item of a Cosmos DB account, AllDatabasesAdmin, cluster-admin and server admin to an object id of the own
tenant that the stack does not define, and passed, while the Azure RBAC twin of each is AGID-AZ-010's.

Each grant is mapped onto the tier AGID-AZ-010 gives its RBAC twin, as data (analysis/azure_service_grants.yaml, with
sources): an access-policy permission to the Key Vault role holding it (set, delete, purge, create, import, release,
... are the *Officer roles' data wildcards: privileged; get, list, decrypt, sign, ... the *User roles: limited), the
Cosmos DB built-in role ids (Data Contributor privileged, Data Reader limited), the Data Explorer roles, and every
admin setting privileged (Owner of the service). A privileged grant passes only to a principal the stack creates
(azure_stack_principals: its known object id, the grant created after it, or its proven Output), so the agent's
own identity and a group the stack defines pass; any other object id is a violation. A permission, role or role id
not in the data fails closed ("cannot check"), and so does a grantee or permission list unknown at preview that
no stack principal explains. Left to other rules: `all` in an access policy (AGID-AZ-014), a foreign tenant
(AGID-AZ-045), custom Cosmos DB roles and account-wide scope (AGID-AZ-031).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown, unknown_path, values_at

from .azure_cosmos_data_plane import ASSIGNMENTS as COSMOS_ASSIGNMENTS, _GUID
from .azure_stack_principals import UNPROVEN, stack_principal
from .azure_unknown_role import _principals
from .base import Resource, Rule, Unknown, Violation

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "azure_service_grants.yaml"
VAULT = "azure-native:keyvault:Vault"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    """analysis/azure_service_grants.yaml (key_vault_access_policy, cosmos_builtin_roles, principals)."""
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def _judge(resource: Resource, input_name: str, where: str, principal: Any, what: str, principals: list[Resource]):
    """A violation (or Unknown) when `principal` is not one the stack creates; None when it is."""
    found = stack_principal(resource, input_name, principal, principals)
    if found == UNPROVEN:
        return Unknown(where, resource.urn)
    if found is not None:
        return None
    if not isinstance(principal, str):
        return Violation(f"{resource.name}: cannot check: {where} is not an object id, and it is given {what}",
                         resource.urn)
    return Violation(f"{resource.name} gives {principal[:64]} ({where}) {what}, outside Azure RBAC; the principal is "
                     "not one this stack creates (the Azure RBAC twin of this grant is AGID-AZ-010's)", resource.urn)


def _access_policies(resource: Resource, principals: list[Resource]):
    if resource.type == VAULT:
        properties = resource.props.get("properties")
        if is_unknown(properties):
            yield Unknown("properties", resource.urn)
            return
        entries = properties.get("accessPolicies") if isinstance(properties, dict) else None
        base, input_name = "properties.accessPolicies", "properties"
        if entries is None:
            return
        if is_unknown(entries):
            yield Unknown(base, resource.urn)
            return
        if not isinstance(entries, list):
            yield Violation(f"{resource.name}: cannot check: {base} is not a list", resource.urn)
            return
        indexed = [(f"{base}[{i}]", entry) for i, entry in enumerate(entries)]
    else:
        input_name = "policy"
        indexed = [("policy", resource.props.get("policy"))]
    tiers = data()["key_vault_access_policy"]
    for where, entry in indexed:
        if entry is None:
            continue
        if is_unknown(entry) or (isinstance(entry, dict) and unknown_path(entry.get("permissions")) is not None):
            yield Unknown(where, resource.urn)
            continue
        permissions = entry.get("permissions") if isinstance(entry, dict) else None
        if not isinstance(permissions, dict):
            yield Violation(f"{resource.name}: cannot check: {where}.permissions is not an object of permission "
                            "lists", resource.urn)
            continue
        privileged, unreadable = [], []
        for kind, listed in permissions.items():
            if listed is None:
                continue
            names = listed if isinstance(listed, list) else [listed]
            lowered = [p.strip().lower() if isinstance(p, str) else p for p in names]
            if "all" in lowered:
                continue  # AGID-AZ-014's
            for permission in lowered:
                tier = tiers.get(kind, {}).get(permission) if isinstance(permission, str) else None
                if tier == "privileged":
                    privileged.append(f"{kind}/{permission}")
                elif tier is None:
                    unreadable.append(f"{kind}/{permission}")
        if unreadable:
            yield Violation(f"{resource.name}: cannot check: {where} grants {', '.join(map(str, unreadable))}, which "
                            "analysis/azure_service_grants.yaml does not classify", resource.urn)
            continue
        if privileged:
            found = _judge(resource, input_name, f"{where}.objectId", entry.get("objectId"),
                           f"Key Vault {', '.join(privileged)} on every item of the vault (the *Officer roles' data "
                           "wildcards)", principals)
            if found is not None:
                yield found


def _cosmos(resource: Resource, principals: list[Resource]):
    role = resource.props.get("roleDefinitionId")
    if is_unknown(role) or not isinstance(role, str) or not _GUID.search(role):
        return  # AGID-AZ-031's: cannot check until known, or not a role id
    guid = _GUID.search(role).group(1).lower()
    if data()["cosmos_builtin_roles"].get(guid) != "privileged":
        return  # the Data Reader, or a custom role (AGID-AZ-031 judges its definition)
    found = _judge(resource, "principalId", "principalId", resource.props.get("principalId"),
                   f"the Cosmos DB Built-in Data Contributor ({guid}: write and delete of every item in scope "
                   f"{str(resource.props.get('scope'))[:160]})", principals)
    if found is not None:
        yield found


def _settings(resource: Resource, entries: list[dict[str, Any]], principals: list[Resource]):
    for entry in entries:
        what = entry.get("grants")
        if "role" in entry:
            role = resource.props.get(entry["role"])
            if is_unknown(role):
                yield Unknown(entry["role"], resource.urn)
                continue
            tier = entry["roles"].get(role) if isinstance(role, str) else None
            if tier is None:
                yield Violation(f"{resource.name}: cannot check: role {str(role)[:80]!r} is not one "
                                "analysis/azure_service_grants.yaml classifies", resource.urn)
                continue
            what = f"the role {role}"
        else:
            tier = entry["tier"]
        if tier != "privileged":
            continue
        input_name = entry["path"].split(".", 1)[0].removesuffix("[]")
        for where, principal in values_at(resource.props, entry["path"]):
            found = _judge(resource, input_name, where, principal, what, principals)
            if found is not None:
                yield found


def check(resources: list[Resource], config):
    table = data()["principals"]
    principals = None
    for resource in resources:
        if resource.type not in table and resource.type not in COSMOS_ASSIGNMENTS:
            continue
        principals = _principals(resources) if principals is None else principals
        if resource.type in (VAULT, ACCESS_POLICY):
            yield from _access_policies(resource, principals)
        elif resource.type in COSMOS_ASSIGNMENTS:
            yield from _cosmos(resource, principals)
        else:
            yield from _settings(resource, table[resource.type], principals)


RULE = Rule(
    id="AGID-AZ-068",
    title="azure-service-admin-grants-to-stack-principals",
    severity="critical",
    category="admin",
    description="Admin and data-write grants made in a service's own authorization system (Key Vault access policies, "
                "Cosmos DB data roles, Data Explorer principals, AKS admin groups, SQL / PostgreSQL / MySQL / Synapse "
                "Entra administrators, Managed HSM initial administrators) go only to principals the stack creates.",
    remediation="Give the service's admin or write access to an identity or group the stack defines (the agent's own "
                "identity), or grant a limited tier (Key Vault get/list, Cosmos DB Data Reader, Data Explorer Viewer); "
                "for Key Vault prefer enableRbacAuthorization with a role at the secret scope.",
    url="https://learn.microsoft.com/en-us/azure/key-vault/general/rbac-migration#access-policy-templates-to-azure-roles-mapping",
    check=check,
    stack=True,
    reads=tuple(sorted({*data()["principals"], *COSMOS_ASSIGNMENTS})),
)
