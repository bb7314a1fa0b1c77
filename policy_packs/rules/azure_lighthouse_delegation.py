"""AGID-AZ-041: no Azure Lighthouse delegation gives another tenant a privileged role.

A Lighthouse registration definition (`managedservices.RegistrationDefinition`, assigned to a subscription or resource
group by a `RegistrationAssignment`) lets principals of `managedByTenantId` act on the scope with the built-in roles of
its `authorizations` (standing) and `eligibleAuthorizations` (activated just in time); a User Access Administrator
authorization assigns its `delegatedRoleDefinitionIds` to managed identities. Lighthouse always delegates to another
tenant (the managing tenant; Azure refuses the customer's own), whose principals the stack neither sees nor controls:
each role is judged as AGID-AZ-010 judges a role assignment (`privileged_message`), and a delegated role too. A role
id the catalogue does not know cannot be judged and fails closed.
Sources: https://learn.microsoft.com/en-us/azure/lighthouse/concepts/tenants-users-roles (roles, UAA +
delegatedRoleDefinitionIds), https://learn.microsoft.com/en-us/rest/api/managedservices/registration-definitions.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from agentid_components import azure_catalog

from .azure_privileged_role import privileged_message
from .base import Resource, Rule, Unknown, Violation

REGISTRATION_DEFINITION = "azure-native:managedservices:RegistrationDefinition"
AUTHORIZATION_LISTS = ("authorizations", "eligibleAuthorizations")


def _roles(authorization: dict) -> list[str]:
    """The role ids one authorization hands over: its own, and (for User Access Administrator) the delegated ones."""
    delegated = authorization.get("delegatedRoleDefinitionIds")
    return [authorization.get("roleDefinitionId"), *(delegated if isinstance(delegated, list) else [])]


def check(resource: Resource, config):
    properties = resource.props.get("properties")
    if is_unknown(properties):
        yield Unknown("properties")
        return
    if not isinstance(properties, dict):
        yield Violation(f"Lighthouse definition {resource.name}: properties is not an object, so what it delegates cannot "
                        "be judged", category="unparseable")
        return
    tenant = properties.get("managedByTenantId")
    tenant = tenant if isinstance(tenant, str) else "(unknown)"
    for field in AUTHORIZATION_LISTS:
        entries = properties.get(field) or []
        if is_unknown(entries):
            yield Unknown(f"properties.{field}")
            continue
        if not isinstance(entries, list):
            yield Violation(f"Lighthouse definition {resource.name}: properties.{field} is not a list", category="unparseable")
            continue
        for index, authorization in enumerate(entries):
            where = f"properties.{field}[{index}]"
            if is_unknown(authorization) or not isinstance(authorization, dict):
                yield (Unknown(where) if is_unknown(authorization) else
                       Violation(f"Lighthouse definition {resource.name}: {where} is not an object", category="unparseable"))
                continue
            principal = authorization.get("principalIdDisplayName") or authorization.get("principalId")
            for role in _roles(authorization):
                if is_unknown(role):
                    yield Unknown(f"{where}.roleDefinitionId")
                elif not isinstance(role, str) or azure_catalog.builtin_role(role) is None:
                    yield Violation(f"Lighthouse definition {resource.name}: {where} role {str(role)[:80]!r} is not a built-in "
                                    f"role the catalogue knows, so what tenant {tenant} gets cannot be judged",
                                    category="unparseable")
                elif found := privileged_message(role, None):
                    message, category = found
                    yield Violation(f"Lighthouse definition {resource.name} gives {principal!s:.80} of tenant {tenant} "
                                    f"({field}) a privileged role over the scope it is assigned to: {message}",
                                    category=category)


RULE = Rule(
    id="AGID-AZ-041",
    title="azure-lighthouse-no-privileged-delegation",
    severity="critical",
    category="admin",
    description="No Azure Lighthouse registration definition gives another tenant's principals a privileged built-in role "
                "(every operation, role assignment, identity takeover, run commands, keys, ...), standing, eligible or "
                "delegated by User Access Administrator.",
    remediation="Delegate only the roles the managing tenant's task needs (Reader, Monitoring Contributor, a narrow built-in "
                "role), or manage the resources from this tenant.",
    url="https://learn.microsoft.com/en-us/azure/lighthouse/concepts/tenants-users-roles",
    check=check,
    resource_types=(REGISTRATION_DEFINITION,),
)
