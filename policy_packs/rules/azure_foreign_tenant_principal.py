"""AGID-AZ-045: data-plane administrators and principal assignments name principals of the stack's own Entra tenants.

Several Azure services take a principal together with the Entra tenant it lives in, and accept a principal of
ANOTHER tenant (a multi-tenant application or a guest-less external identity): Azure Data Explorer (Kusto) cluster
and database principal assignments (`tenantId`, with roles up to AllDatabasesAdmin), and the Entra administrator of
SQL servers and managed instances, PostgreSQL and MySQL flexible servers and Synapse workspaces (`tenantId`; for a
SQL server also `administrators.tenantId`). A tenant the stack does not own is someone else's directory: whoever
controls it controls that principal, and through it the data (red9a 13: an app of another tenant made
AllDatabasesAdmin passed). The same holds for every input of analysis/azure_foreign_directories.yaml (red11a r17,
r30, r35, r39): a Managed HSM whose tenant (and so its initial administrators) is another one, a billing Owner of
another tenant, a Data Share invitation to another tenant or to an e-mail address (anyone who signs in with it, in
any tenant), a Data Lake Store trusting another tenant's issuer, a subscription moved to another directory. Own tenants are those of AGID-GEN-003 (`federated_issuer_known.own_tenants`): this
rule's or the pack-wide `ownTenantIds` (set by the gate; a pull request may only shorten it) and the gate's mock
tenant, never the stack config's tenantId (red19 r19-2). A tenant id unknown at preview is "cannot check"; an omitted one
is the resource's own tenant.
Sources: https://learn.microsoft.com/en-us/azure/data-explorer/manage-cluster-permissions,
https://learn.microsoft.com/en-us/azure/azure-sql/database/authentication-aad-configure,
https://learn.microsoft.com/en-us/rest/api/kusto/cluster-principal-assignments/create-or-update.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.entra import canonical_id
from agentid_policy_packs.analysis.values import is_unknown, values_at

from .base import Resource, Rule, Unknown, Violation
from .federated_issuer_known import own_tenants

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "azure_foreign_directories.yaml"
# an Entra tenant's token issuer (v1 sts.windows.net, v2 login.microsoftonline.com, national clouds): its tenant
_ENTRA_ISSUER = re.compile(r"^https://(?:sts\.windows\.net|sts\.chinacloudapi\.cn|login\.microsoftonline\.(?:com|us)|"
                           r"login\.chinacloudapi\.cn|login\.partner\.microsoftonline\.cn)/([^/]+)(?:/v2\.0)?/?$",
                           re.IGNORECASE)


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    """analysis/azure_foreign_directories.yaml (tenants, issuers, emails, subscriptions, not_judged)."""
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def _grants(resource: Resource, entry: dict[str, Any]) -> str:
    if entry["grants"] == "role":
        role = resource.props.get("role")
        return f"the role {role}" if isinstance(role, str) else "a role"
    return entry["grants"]


def _foreign(resource: Resource, config, path: str, tenant: str, what: str) -> Violation | None:
    if canonical_id(tenant) in own_tenants(config):
        return None
    return Violation(f"{resource.name} gives a principal of tenant {tenant[:64]}, which is not one of the stack's own "
                     f"tenants (ownTenantIds, set by the gate), {what} ({path}): whoever "
                     "controls that directory controls the principal")


def check(resource: Resource, config):
    tables = data()
    entry = tables["tenants"].get(resource.type)
    for path in entry["paths"] if entry else ():
        for where, tenant in values_at(resource.props, path):
            if is_unknown(tenant):
                yield Unknown(where)
            elif not isinstance(tenant, str):
                yield Violation(f"{resource.name}: {where} is {type(tenant).__name__}, not a tenant id: cannot tell "
                                "whose directory the principal is in")
            elif found := _foreign(resource, config, where, tenant, _grants(resource, entry)):
                yield found
    for path in tables["issuers"].get(resource.type, ()):
        for where, issuer in values_at(resource.props, path):
            if is_unknown(issuer):
                yield Unknown(where)
                continue
            match = _ENTRA_ISSUER.match(issuer.strip()) if isinstance(issuer, str) else None
            if match is None:
                yield Violation(f"{resource.name} trusts {str(issuer)[:120]!r} ({where}) to sign users in, which is no "
                                "Entra tenant's issuer: cannot tell whose users those are")
            elif found := _foreign(resource, config, where, match[1], "sign-in to the account"):
                yield found
    for path in tables["emails"].get(resource.type, ()):
        for where, email in values_at(resource.props, path):
            if is_unknown(email):
                yield Unknown(where)
            else:
                yield Violation(f"{resource.name} invites the e-mail address {str(email)[:120]!r} ({where}): whoever "
                                "signs in with it, in any tenant, receives the data; invite a principal by tenant and "
                                "object id instead")


RULE = Rule(
    id="AGID-AZ-045",
    title="azure-foreign-tenant-principal",
    severity="critical",
    category="public-access",
    description="Principals given access with their Entra tenant (Data Explorer principals, Entra administrators of SQL, "
                "PostgreSQL, MySQL and Synapse, Key Vault / Managed HSM tenants, billing roles, Data Share "
                "invitations, confidential ledger users, subscription transfers, Data Lake Store trusted issuers) "
                "belong to the stack's own Entra tenants.",
    remediation="Grant a principal of your own tenant (a managed identity or group); if the other tenant is yours, "
                "list it in the base branch's waivers.yaml policyPackConfig AGID-AZ-045 ownTenantIds.",
    url="https://learn.microsoft.com/en-us/azure/data-explorer/manage-cluster-permissions",
    check=check,
    resource_types=tuple(sorted({*data()["tenants"], *data()["issuers"], *data()["emails"]})),
    config={"ownTenantIds": []},
    config_schema={"ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids the stack's principals may belong to, besides the "
                                                   "never the stack file's tenantId (set by the gate)"}},
    config_strictness={"ownTenantIds": "subset"},
)
