"""AGID-AZ-045: data-plane administrators and principal assignments name principals of the stack's own Entra tenants.

Several Azure services take a principal together with the Entra tenant it lives in, and accept a principal of
ANOTHER tenant (a multi-tenant application or a guest-less external identity): Azure Data Explorer (Kusto) cluster
and database principal assignments (`tenantId`, with roles up to AllDatabasesAdmin), and the Entra administrator of
SQL servers and managed instances, PostgreSQL and MySQL flexible servers and Synapse workspaces (`tenantId`; for a
SQL server also `administrators.tenantId`). A tenant the stack does not own is someone else's directory: whoever
controls it controls that principal, and through it the data (red9a 13: an app of another tenant made
AllDatabasesAdmin passed). Own tenants are those of AGID-GEN-003 (`federated_issuer_known.own_tenants`): this
rule's `ownTenantIds` (set by the gate; a pull request may only shorten it), the stack config's azure-native /
azuread tenantId, and the gate's mock tenant. A tenant id unknown at preview is "cannot check"; an omitted one
is the resource's own tenant.
Sources: https://learn.microsoft.com/en-us/azure/data-explorer/manage-cluster-permissions,
https://learn.microsoft.com/en-us/azure/azure-sql/database/authentication-aad-configure,
https://learn.microsoft.com/en-us/rest/api/kusto/cluster-principal-assignments/create-or-update.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import canonical_id
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .federated_issuer_known import own_tenants

# type -> dotted path of the tenant id
TENANT_PATHS = {
    "azure-native:kusto:ClusterPrincipalAssignment": "tenantId",
    "azure-native:kusto:DatabasePrincipalAssignment": "tenantId",
    "azure-native:sql:ServerAzureADAdministrator": "tenantId",
    "azure-native:sql:ManagedInstanceAdministrator": "tenantId",
    "azure-native:sql:Server": "administrators.tenantId",
    "azure-native:sql:ManagedInstance": "administrators.tenantId",
    "azure-native:dbforpostgresql:Administrator": "tenantId",
    "azure-native:dbformysql:AzureADAdministrator": "tenantId",
    "azure-native:synapse:WorkspaceAadAdmin": "tenantId",
    "azure-native:synapse:WorkspaceSqlAadAdmin": "tenantId",
}


def check(resource: Resource, config):
    path = TENANT_PATHS[resource.type]
    tenant = value_at(resource.props, path)
    if tenant is None:
        return
    if is_unknown(tenant):
        yield Unknown(path)
        return
    if not isinstance(tenant, str):
        yield Violation(f"{resource.name}: {path} is {type(tenant).__name__}, not a tenant id: cannot tell whose "
                        "directory the principal is in")
        return
    if canonical_id(tenant) not in own_tenants(config):
        role = resource.props.get("role")
        what = f" the role {role}" if isinstance(role, str) else " administrator rights"
        yield Violation(f"{resource.name} gives a principal of tenant {tenant[:64]}, which is not one of the stack's "
                        f"own tenants (ownTenantIds, the stack's azure-native/azuread tenantId),{what}: whoever "
                        "controls that directory controls the principal")


RULE = Rule(
    id="AGID-AZ-045",
    title="azure-foreign-tenant-principal",
    severity="critical",
    category="public-access",
    description="Data Explorer principal assignments and the Entra administrators of SQL, PostgreSQL, MySQL and "
                "Synapse name principals of the stack's own Entra tenants only.",
    remediation="Grant a principal of your own tenant (a managed identity or group); if the other tenant is yours, "
                "list it in the base branch's waivers.yaml policyPackConfig AGID-AZ-045 ownTenantIds.",
    url="https://learn.microsoft.com/en-us/azure/data-explorer/manage-cluster-permissions",
    check=check,
    resource_types=tuple(TENANT_PATHS),
    config={"ownTenantIds": []},
    config_schema={"ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids the stack's principals may belong to, besides the "
                                                   "stack's azure-native/azuread tenantId (set by the gate)"}},
    config_strictness={"ownTenantIds": "subset"},
)
