"""AGID-AZ-020 (stack): no privileged Entra directory role (Global Administrator, Privileged Role Administrator,
Application Administrator, ...) is assigned or made eligible, at tenant scope or in an administrative unit.

The role is recognised by its template id in `roleId` / `roleDefinitionId`, or, when that is the output of an
`azuread.DirectoryRole` in the stack (unknown at preview), by that resource's `displayName` or `templateId`,
found through the assignment's dependencies. A literal `roleObjectId` (DirectoryRoleMember,
AdministrativeUnitRoleMember) is a tenant's object id of an activated role, which names no role by itself: unless
it is a stack DirectoryRole's, the grant is "cannot check". Privileged roles are data (policy_packs/analysis/entra_privileged.yaml).
A custom role the stack defines (`azuread.CustomDirectoryRole`, found the same way) is judged exactly as a built-in
one: privileged when one of its resource actions grants a privileged action (the judgement AGID-AZ-032 makes of the
definition, wildcards included), so assigning it tenant-wide is flagged here too (red11a r08).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import Privileged, privileged_directory_action, privileged_directory_role
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
CUSTOM_DIRECTORY_ROLE = "azuread:index/customDirectoryRole:CustomDirectoryRole"
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


def _custom_role(role: Resource) -> Privileged | None:
    """A stack custom directory role as a Privileged entry when one of its resource actions is privileged or cannot
    be read (fail closed), else None."""
    display = role.props.get("displayName")
    name = f"{display if isinstance(display, str) and not is_unknown(display) else role.name} (custom role)"
    permissions = role.props.get("permissions")
    unreadable = Privileged(role.name, name, "holds resource actions that cannot be read at preview")
    if not isinstance(permissions, list):
        return unreadable
    for permission in permissions:
        actions = permission.get("allowedResourceActions") if isinstance(permission, dict) else None
        if not isinstance(actions, list) or not all(isinstance(a, str) and not is_unknown(a) for a in actions):
            return unreadable
        for action in actions:
            why = privileged_directory_action(action)
            if why:
                return Privileged(role.name, name, f"{why} ({action})")
    return None


def _activated_role(resource: Resource, by_urn: dict[str, Resource]):
    """The privileged role of a DirectoryRole or CustomDirectoryRole this grant depends on, or (None, found-any)."""
    found = False
    for urn in resource.dependencies:
        role = by_urn.get(urn)
        if role is None or role.type not in (DIRECTORY_ROLE, CUSTOM_DIRECTORY_ROLE):
            continue
        found = True
        if role.type == CUSTOM_DIRECTORY_ROLE:
            privileged = _custom_role(role)
            if privileged:
                return privileged, True
            continue
        for field in ("templateId", "displayName"):
            value = role.props.get(field)
            if isinstance(value, str) and not is_unknown(value) and privileged_directory_role(value):
                return privileged_directory_role(value), True
    return None, found


def granted_privileged_role(grant: Resource, by_urn: dict[str, Resource]) -> Privileged | None:
    """The privileged directory role a grant (GRANTS) gives: a built-in one by template id, or the stack
    DirectoryRole / CustomDirectoryRole it depends on (a custom role judged by its resource actions). The one
    judgement AGID-AZ-033 and AGID-AZ-034 share with this rule; None for any other grant or role."""
    field = GRANTS.get(grant.type)
    value = grant.props.get(field) if field else None
    role = privileged_directory_role(value) if isinstance(value, str) and not is_unknown(value) else None
    return role or (_activated_role(grant, by_urn)[0] if field else None)


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
            if role is None and known and not linked and field == "roleObjectId":
                # the object id of a role activated outside the stack (a tenant's own id, never a template id):
                # it may be Global Administrator's, so the grant cannot be judged (red7b f15)
                yield Violation(f"{resource.name}: cannot check: roleObjectId {value[:80]!r} is the object id of a "
                                "directory role this stack does not activate (azuread.DirectoryRole), so which role it "
                                "grants cannot be judged", resource.urn)
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
                "Administrator, Application Administrator, ...), nor a stack custom role holding a privileged action, "
                "is assigned or made eligible.",
    remediation="Give the agent Microsoft Graph or Azure permissions scoped to what its tools use; tenant "
                "administration stays with people, through PIM with approval.",
    url="https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions",
    check=check,
    stack=True,
    reads=(DIRECTORY_ROLE, CUSTOM_DIRECTORY_ROLE, *GRANTS),
)
