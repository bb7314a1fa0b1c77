"""AGID-AZ-011: no role assignment at root, management-group or subscription scope.

An assignment of a privileged built-in role is AGID-AZ-010's alone (its message
names the scope too): one root cause, one violation.
"""

from agentid_components import azure_catalog
from agentid_policy_packs.analysis.values import is_unknown

from .azure_privileged_role import ROLE_GRANTS, privileged_message
from .base import Resource, Rule, Unknown, Violation


def check(resource: Resource, config):
    scope = resource.props.get("scope")
    if scope is None or is_unknown(scope):
        yield Unknown("scope")
        return
    if not isinstance(scope, str):
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: scope is not a string")
        return
    role = resource.props.get("roleDefinitionId")
    condition = resource.props.get("condition")
    if isinstance(role, str) and privileged_message(role, condition if isinstance(condition, str) else None):
        return
    parsed = azure_catalog.parse_scope(scope)
    if parsed.is_broad:
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name} is at {parsed.level.replace('_', '-')} scope {scope}: "
                        "it reaches every resource below it")
    elif parsed.level == "invalid":
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: {scope!r} is not an Azure scope, so its reach cannot "
                        "be judged")


RULE = Rule(
    id="AGID-AZ-011",
    title="azure-no-broad-assignment-scope",
    severity="critical",
    category="broad-grant",
    description="Role assignments are scoped to a resource group or a resource, never subscription or above.",
    remediation="Assign at the scope of the resource the tool uses (storage account, container, key vault, ...).",
    url="https://learn.microsoft.com/en-us/azure/role-based-access-control/scope-overview",
    check=check,
    resource_types=tuple(ROLE_GRANTS),
)
