"""AGID-AZ-010: no privileged built-in role (Owner, Contributor, User Access Administrator, ...) is assigned."""

from components import azure_catalog
from policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def check(resource: Resource, config):
    role = resource.props.get("roleDefinitionId")
    if role is None or is_unknown(role):
        yield Unknown("roleDefinitionId")
        return
    if not isinstance(role, str):
        yield Violation(f"role assignment {resource.name}: roleDefinitionId is not a string")
        return
    name = azure_catalog.privileged_role_name(role)
    if name:
        scope = resource.props.get("scope")
        at = f" at {azure_catalog.parse_scope(scope).level.replace('_', '-')} scope {scope}" if isinstance(scope, str) else ""
        yield Violation(f"role assignment {resource.name} grants the privileged built-in role {name} "
                        f"({azure_catalog.role_id_of(role)}){at}, which controls the scope itself or who may act on it")


RULE = Rule(
    id="AGID-AZ-010",
    title="azure-no-privileged-builtin-roles",
    severity="critical",
    category="admin",
    description="No role assignment grants Owner, Contributor, User Access Administrator, RBAC Administrator "
                "or Reservations Administrator.",
    remediation="Assign a custom role with the tool's exact actions at the resource scope (components.azure).",
    url="https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices#limit-privileged-administrator-role-assignments",
    check=check,
    resource_types=(ROLE_ASSIGNMENT,),
)
