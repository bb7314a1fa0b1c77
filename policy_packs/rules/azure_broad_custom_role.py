"""AGID-AZ-012: custom roles grant no `*`, privileged capabilities or service-wide actions, and are not assignable
at broad scopes. Data actions on one container are exactly what we want. A read-only `*/read` is reported by
AGID-AZ-015 at its own (lower) severity: severity by effect, not by the wildcard."""

from agentid_policy_packs.analysis import RoleDefinitionError, parse_role_definition, role_definition_findings
from agentid_policy_packs.analysis.values import unknown_path

from .base import Resource, Rule, Unknown, Violation

ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"


READ_ONLY = "azure-read-everything"


def judged(resource: Resource):
    """Yields Unknown outcomes, or the role's findings (agentid_policy_packs.analysis.Finding)."""
    permissions = resource.props.get("permissions")
    scopes = resource.props.get("assignableScopes")
    for field, value in (("permissions", permissions), ("assignableScopes", scopes)):
        path = unknown_path(value)
        if path is not None:
            yield Unknown(f"{field}.{path}" if path else field)
            return
    if permissions is None:
        yield Unknown("permissions")
        return
    try:
        definition = parse_role_definition({"permissions": permissions, "assignableScopes": scopes or []})
    except RoleDefinitionError:
        return  # AGID-POL-001 reports unreadable definitions
    yield from role_definition_findings(definition)


def check(resource: Resource, config):
    for item in judged(resource):
        if isinstance(item, Unknown):
            yield item
        elif item.code != READ_ONLY:
            yield Violation(f"custom role {resource.props.get('roleName') or resource.name}: {item}")


RULE = Rule(
    id="AGID-AZ-012",
    title="azure-no-broad-custom-roles",
    severity="critical",
    category="broad-grant",
    description="Custom roles list exact operations and are assignable only at resource-group or resource scope.",
    remediation="List the exact operations (e.g. Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read) "
                "and set assignableScopes to the resource the tool uses.",
    url="https://learn.microsoft.com/en-us/azure/role-based-access-control/custom-roles",
    check=check,
    resource_types=(ROLE_DEFINITION,),
)
