"""AGID-AZ-065 (stack): no Azure role assignment reads Key Vault secrets or uses its keys beyond one vault (mandatory).

A role whose dataActions return secret material (Microsoft.KeyVault/vaults/secrets/getSecret/action, keys/decrypt,
keys/unwrap, keys/sign, keys/release: analysis/azure_credential_reads.yaml, each with its source) assigned at
resource group, subscription, management group or root scope is inherited by every vault there: `Key Vault Secrets
User` on a resource group gives the agent every secret of every vault in it, today's and tomorrow's (issue 11).
AGID-AZ-011 judges subscription scope and above for any role and lets resource groups pass; credential reads are
credential access, so this one is mandatory at resource group scope too, as AGID-GCP-025 is for secret reads at
project level and AWS-070 for GetSecretValue on `*`. The role is judged by its dataActions, never its name: a
built-in role by the snapshot of `az role definition list`, a custom role the stack defines by its definition
(found as AGID-AZ-013 finds it: its GUID or its id Output), wildcards expanded and notDataActions applied per block
(`Microsoft.KeyVault/vaults/secrets/*`, `Microsoft.KeyVault/*`; `Microsoft.KeyVault/vaults/*/read` reads no value).
Key Vault data wildcards are already AGID-AZ-010's / AGID-AZ-013's at any scope (one root cause, one finding); an
unknown role is AGID-AZ-013's. Assigned on one vault, secret or key (resource scope) it passes. A scope unknown at
preview is the stack vault / secret / key or resource group iam_links.output_sources proves it comes from;
unproven: cannot check until known. An ABAC condition on the assignment is not read as bounding the vaults.
"""

from __future__ import annotations

from agentid_components import azure_catalog
from agentid_policy_packs.analysis import RoleDefinitionError, parse_role_definition
from agentid_policy_packs.analysis.azure_credential_reads import credential_reads
from agentid_policy_packs.analysis.azure_roles import builtin_permissions, granting_pattern, role_effects
from agentid_policy_packs.analysis.values import is_unknown, unknown_path

from .azure_broad_custom_role import ROLE_DEFINITION
from .azure_privileged_role import ROLE_GRANTS
from .azure_unknown_role import StackRoles, assigned_custom_roles, stack_roles
from .base import Resource, Rule, Unknown, Violation
from .iam_links import output_sources

BROAD = ("root", "management_group", "subscription", "resource_group")
VAULT_ITEMS = ("azure-native:keyvault:Vault", "azure-native:keyvault:Secret", "azure-native:keyvault:Key")
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
WILDCARD_CAPABILITY = "key-vault-data-wildcard"  # AGID-AZ-010 / AGID-AZ-013 report these at any scope


def secret_reads(permissions) -> list[tuple[str, str]]:
    """(operation, granting pattern) of each credential read the permission blocks grant."""
    found = []
    for operation in credential_reads():
        for permission in permissions:
            pattern = granting_pattern(permission, azure_catalog.DATA_ACTIONS, operation)
            if pattern is not None:
                found.append((operation, pattern))
                break
    return found


def _roles(grant: Resource, resources: list[Resource], stack: StackRoles):
    """(label, permission blocks) of each role the grant gives that can be read; [] otherwise (AGID-AZ-013's)."""
    role = grant.props.get("roleDefinitionId")
    if isinstance(role, str) and not is_unknown(role) and (builtin := azure_catalog.builtin_role(role)):
        return [(f"the built-in role {builtin.name} ({builtin.id})", builtin_permissions(builtin))]
    roles = []
    for definition, how in assigned_custom_roles(grant, resources, stack) or ():
        permissions = definition.props.get("permissions")
        if permissions is None or unknown_path(permissions) is not None:
            continue
        try:
            parsed = parse_role_definition({"permissions": permissions, "assignableScopes": []})
        except RoleDefinitionError:
            continue
        label = definition.props.get("roleName")
        label = label if isinstance(label, str) and not is_unknown(label) else definition.name
        roles.append((f"the custom role {label} defined in this stack ({how})", parsed.permissions))
    return roles


def _scope(grant: Resource, resources: list[Resource], stack: StackRoles) -> tuple[str, str] | Unknown | None:
    """(level, scope) when the grant's scope is broader than one vault; None when it is one resource (a vault, a
    secret, a key) or not a scope (AGID-AZ-011's); Unknown when an unknown scope's source is not proven."""
    scope = grant.props.get("scope")
    if isinstance(scope, str) and not is_unknown(scope):
        level = azure_catalog.parse_scope(scope).level
        return (level, scope) if level in BROAD else None
    if not is_unknown(scope):
        return None
    candidates = [r for r in resources if r.type in (*VAULT_ITEMS, RESOURCE_GROUP, ROLE_DEFINITION)]
    if is_unknown(grant.props.get("principalId")):
        candidates += stack.principals
    sources = [s for s in output_sources(grant, candidates, ("id",), input="scope") or ()
               if s.type in (*VAULT_ITEMS, RESOURCE_GROUP)]
    groups = [s for s in sources if s.type == RESOURCE_GROUP]
    if groups:
        return "resource_group", f"resource group {groups[0].name} (its id Output)"
    if sources:
        return None
    return Unknown(f"{grant.name}.scope", grant.urn)


def check(resources: list[Resource], config):
    stack = stack_roles(resources)  # once, not once per grant
    for grant in resources:
        if grant.type not in ROLE_GRANTS:
            continue
        readers = []
        for label, permissions in _roles(grant, resources, stack):
            if any(e.capability.id == WILDCARD_CAPABILITY for e in role_effects(permissions)):
                continue
            reads = secret_reads(permissions)
            if reads:
                readers.append((label, reads))
        if not readers:
            continue
        where = _scope(grant, resources, stack)
        if where is None:
            continue
        if isinstance(where, Unknown):
            yield where
            continue
        level, scope = where
        for label, reads in readers:
            operations = ", ".join(op + (f" via {pattern}" if pattern.lower() != op.lower() else "")
                                   for op, pattern in reads)
            returns = "; ".join(credential_reads()[op] for op, _ in reads)
            yield Violation(f"{ROLE_GRANTS[grant.type]} {grant.name} at {level.replace('_', '-')} scope {scope} grants "
                            f"{label}, whose dataActions read Key Vault secret material ({operations}): its holder "
                            f"gets {returns}, of every vault in that scope", grant.urn)


RULE = Rule(
    id="AGID-AZ-065",
    title="azure-no-broad-key-vault-reads",
    severity="high",
    category="unbounded-resource",
    description="No role assignment whose role reads Key Vault secrets or uses its keys (getSecret, decrypt, unwrap, "
                "sign, release: judged by the role's dataActions) is scoped above one vault: resource group, "
                "subscription, management group or root scope reaches every vault there.",
    remediation="Assign the role (Key Vault Secrets User, Crypto User, ...) on the one vault, or the one secret or key, "
                "the tool reads (scope=vault.id).",
    url="https://learn.microsoft.com/en-us/azure/key-vault/general/rbac-guide#best-practices-for-individual-keys-secrets-and-certificates-role-assignments",
    check=check,
    stack=True,
    reads=(*ROLE_GRANTS, ROLE_DEFINITION, *VAULT_ITEMS, RESOURCE_GROUP),
    enforcement="mandatory",
)
