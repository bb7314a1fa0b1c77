"""AGID-AZ-020 (stack): no privileged Entra directory role (Global Administrator, Privileged Role Administrator,
Application Administrator, ...) is assigned or made eligible, at tenant scope or in an administrative unit.

The role is recognised by its template id in `roleId` / `roleDefinitionId`, or, when that is the output of an
`azuread.DirectoryRole` in the stack (unknown at preview), by that resource's `displayName` or `templateId`,
found through the assignment's dependencies. Privileged roles are data (policy_packs/analysis/entra_privileged.yaml).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import privileged_directory_role
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
# grant type -> input naming the role
GRANTS = {
    "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment": "roleId",
    "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest": "roleDefinitionId",
    # legacy membership: roleObjectId is the activated DirectoryRole's object id (an Output of it in the stack)
    "azuread:index/directoryRoleMember:DirectoryRoleMember": "roleObjectId",
    # a role scoped to an administrative unit: the holder acts on the unit's users, groups and devices, which
    # may be administrators or role-assignable groups (so still privileged); roleObjectId as for members
    "azuread:index/administrativeUnitRoleMember:AdministrativeUnitRoleMember": "roleObjectId",
}


def _activated_role(resource: Resource, by_urn: dict[str, Resource]):
    """The privileged role of a DirectoryRole this grant depends on, or (None, found-any)."""
    found = False
    for urn in resource.dependencies:
        role = by_urn.get(urn)
        if role is None or role.type != DIRECTORY_ROLE:
            continue
        found = True
        for field in ("templateId", "displayName"):
            value = role.props.get(field)
            if isinstance(value, str) and not is_unknown(value) and privileged_directory_role(value):
                return privileged_directory_role(value), True
    return None, found


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    for resource in resources:
        field = GRANTS.get(resource.type)
        if field is None:
            continue
        value = resource.props.get(field)
        known = isinstance(value, str) and not is_unknown(value)
        role = privileged_directory_role(value) if known else None
        if role is None:  # maybe the object id or output of a DirectoryRole activated in the stack
            role, linked = _activated_role(resource, by_urn)
            if role is None and not known and not linked:
                yield Unknown(f"{resource.name}.{field}", resource.urn)
                continue
        if role:
            kind = "makes eligible for" if "Eligibility" in resource.type else "assigns"
            if "administrativeUnit" in resource.type:
                kind = f"assigns, in administrative unit {resource.props.get('administrativeUnitObjectId')},"
            yield Violation(f"{resource.name} {kind} the privileged directory role {role.name} ({role.id}): its holder "
                            f"{role.why}", resource.urn)


RULE = Rule(
    id="AGID-AZ-020",
    title="entra-no-privileged-directory-roles",
    severity="critical",
    category="admin",
    description="No Entra directory role Microsoft marks privileged (Global Administrator, Privileged Role "
                "Administrator, Application Administrator, ...) is assigned or made eligible.",
    remediation="Give the agent Microsoft Graph or Azure permissions scoped to what its tools use; tenant "
                "administration stays with people, through PIM with approval.",
    url="https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions",
    check=check,
    stack=True,
    reads=(DIRECTORY_ROLE, *GRANTS),
)
