"""AGID-AZ-020 (stack): no privileged Entra directory role (Global Administrator, Privileged Role Administrator,
Application Administrator, ...) and no role whose permissions escalate beyond its own scope (Identity Governance,
Groups, User, Helpdesk, Intune, Exchange Administrator, ...) is assigned or made eligible, at tenant scope or in an
administrative unit.

The role is recognised by its template id in `roleId` / `roleDefinitionId`, or, when that names an
`azuread.DirectoryRole` / `CustomDirectoryRole` of the stack, by that resource's `displayName` or `templateId` (a
custom role by its actions): a literal names a stack role when it equals one of its known ids (templateId, and under
the gate its mock objectId), a value unknown at preview when iam_links.output_sources proves it is that role's Output
(`linked_roles`: merely depending on a harmless role proves nothing, red12 #7). A literal `roleObjectId`
(DirectoryRoleMember, AdministrativeUnitRoleMember) is a tenant's object id of an activated role, which names no role
by itself: unless it is a stack DirectoryRole's known object id, the grant is "cannot check". A stack DirectoryRole
whose templateId and displayName are both unknown is "cannot check" too. Privileged roles are data
(policy_packs/analysis/entra_privileged.yaml: our tier-0 selection; entra_builtin_roles.yaml: every built-in role
with Microsoft's PRIVILEGED label, refreshed by scripts/refresh_entra_roles.py; entra_role_escalation.yaml: our
classification of every built-in role, `escalates` with why, from its resource actions: credential resets of other
users, group / app-role / access-package / role writes, federation, domain and certificate trust, tenant policy,
code on others' devices or browsers, every user's data. Microsoft labels only 29 roles; issue 11). A built-in role
that file does not classify yet is privileged (fail closed). Scoped to an administrative unit an escalating role
still escalates (the unit's users may own apps or subscriptions, its groups may hold Azure roles or app roles). A literal `roleId` /
`roleDefinitionId` passes only as a built-in role known to be low-privilege; one that is neither a built-in template
id nor a stack role's id (a CustomDirectoryRole outside the stack, an unknown GUID) is "cannot check" (issue 11), as
is a stack DirectoryRole naming no known built-in role.
A custom role the stack defines (`azuread.CustomDirectoryRole`, found the same way) is judged exactly as a built-in
one: privileged when one of its resource actions grants a privileged action (the judgement AGID-AZ-032 makes of the
definition, wildcards included), so assigning it tenant-wide is flagged here too (red11a r08).
"""

from __future__ import annotations

from collections.abc import Iterable

from agentid_policy_packs.analysis.entra import (Privileged, canonical_id, low_privilege_directory_role,
                                                 privileged_directory_action, privileged_directory_role)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources

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
ROLE_TYPES = (DIRECTORY_ROLE, CUSTOM_DIRECTORY_ROLE)
# the grants' other inputs that may be a stack object's Output, and the stack objects they may come from
OTHER_INPUTS = ("principalObjectId", "principalId", "memberObjectId", "administrativeUnitObjectId", "directoryScopeId",
                "appScopeId")
LINKED_OBJECTS = ("azuread:index/servicePrincipal:ServicePrincipal", "azuread:index/group:Group",
                  "azuread:index/user:User", "azuread:index/application:Application",
                  "azuread:index/administrativeUnit:AdministrativeUnit", "azure-native:managedidentity:UserAssignedIdentity")


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


def _directory_role(role: Resource) -> Privileged | None:
    """A stack DirectoryRole as a Privileged entry when its templateId or displayName names a privileged role, or
    when it names no built-in role known to be low-privilege (unreadable, or not in entra_builtin_roles.yaml: fail
    closed); else None."""
    values = [role.props.get(field) for field in ("templateId", "displayName")]
    known = [v for v in values if isinstance(v, str) and not is_unknown(v)]
    for value in known:
        if privileged_directory_role(value):
            return privileged_directory_role(value)
    if not known:
        return Privileged(role.name, f"{role.name} (activated role)", "holds a role whose templateId and displayName "
                          "cannot be read at preview: cannot check")
    if not any(low_privilege_directory_role(v) for v in known):
        return Privileged(role.name, f"{role.name} (activated role)", "holds a role whose templateId / displayName "
                          f"{known[0][:80]!r} is no built-in role the kit knows (entra_builtin_roles.yaml): cannot check")
    return None


def _judge_role(role: Resource) -> Privileged | None:
    return _custom_role(role) if role.type == CUSTOM_DIRECTORY_ROLE else _directory_role(role)


def _ids(role: Resource) -> set[str]:
    """The known ids a literal may name a stack role by: its templateId, and its objectId / id once known
    (known_state: under the gate, the mocks' outputs)."""
    state = known_state(role)
    return {canonical_id(v) for v in (state.get("templateId"), state.get("objectId"), state.get("id"))
            if isinstance(v, str) and not is_unknown(v) and v.strip()}


def linked_roles(grant: Resource, resources: Iterable[Resource], field: str) -> list[Resource] | None:
    """The stack DirectoryRoles / CustomDirectoryRoles the grant's `field` names; None when that cannot be told.

    A literal names a stack role only when it equals one of its known ids (templateId, objectId; an object id the
    stack does not activate names no role this pack can see). A value unknown at preview is a role's Output only when
    iam_links.output_sources proves it: the grant depends on stack roles and nothing else, except the stack
    principals, administrative units and applications its OTHER unknown inputs (principalObjectId, memberObjectId,
    administrativeUnitObjectId, directoryScopeId, ...) may come from; where the engine sent propertyDependencies,
    the field's own are the dependency list judged. So `depends_on=[harmless_role]` beside
    `role_id=vault.id.apply(lambda _: GLOBAL_ADMIN)` is no longer judged as the harmless role (red12 #7); a constant
    hidden behind the principal's own Output (`sp.object_id.apply(...)` for both inputs) stays undetectable at
    preview, and is the literal it is under `agentid preview` (its mocks know every object id) and at `pulumi up`."""
    resources = list(resources)
    roles = [r for r in resources if r.type in ROLE_TYPES]
    value = grant.props.get(field)
    if isinstance(value, str) and not is_unknown(value):
        wanted = canonical_id(value)
        return [r for r in roles if wanted in _ids(r)]
    if not is_unknown(value):
        return None
    others = any(is_unknown(grant.props.get(f)) for f in OTHER_INPUTS)
    candidates = roles + ([r for r in resources if r.type in LINKED_OBJECTS] if others else [])
    sources = output_sources(grant, candidates, ("objectId", "templateId", "id", "principalId"), input=field)
    found = [r for r in sources or () if r.type in ROLE_TYPES]
    return found or None


def granted_role(grant: Resource, resources: Iterable[Resource]) -> tuple[Privileged | None, bool]:
    """(the privileged directory role the grant gives, or None; whether the role it gives could be told)."""
    field = GRANTS.get(grant.type)
    if field is None:
        return None, True
    value = grant.props.get(field)
    if isinstance(value, str) and not is_unknown(value) and privileged_directory_role(value):
        return privileged_directory_role(value), True
    if field != "roleObjectId" and isinstance(value, str) and not is_unknown(value) \
            and low_privilege_directory_role(value):
        return None, True
    roles = linked_roles(grant, resources, field)
    if roles is None:
        return None, False
    for role in roles:
        privileged = _judge_role(role)
        if privileged:
            return privileged, True
    # a literal roleObjectId is a tenant's object id of an activated role: one the stack does not activate cannot be
    # told (it may be Global Administrator's, red7b f15); a literal roleId / roleDefinitionId that is no built-in
    # role's template id and no stack role's id is a custom role outside the stack or an unknown GUID (issue 11)
    return None, bool(roles)


def granted_privileged_role(grant: Resource, by_urn: dict[str, Resource]) -> Privileged | None:
    """The privileged directory role a grant (GRANTS) gives: a built-in one by template id, or the stack
    DirectoryRole / CustomDirectoryRole it names (linked_roles; a custom role judged by its resource actions). The one
    judgement AGID-AZ-033 and AGID-AZ-034 share with this rule; None for any other grant or role."""
    return granted_role(grant, by_urn.values())[0]


def check(resources: list[Resource], config):
    for resource in resources:
        field = GRANTS.get(resource.type)
        if field is None:
            continue
        value = resource.props.get(field)
        role, told = granted_role(resource, resources)
        if not told and is_unknown(value):
            yield Unknown(f"{resource.name}.{field}", resource.urn)
            continue
        if not told:
            yield Violation(f"{resource.name}: cannot check: {field} {str(value)[:80]!r} is "
                            + ("the object id of a directory role this stack does not activate (azuread.DirectoryRole)"
                               if field == "roleObjectId" else
                               "no built-in directory role's template id (entra_builtin_roles.yaml) nor the id of a "
                               "role this stack defines: a custom directory role outside the stack, or an unknown "
                               "role")
                            + ", so which role it grants cannot be judged", resource.urn)
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
                "Administrator, Application Administrator, ...), no built-in role whose permissions escalate beyond "
                "its own scope (entra_role_escalation.yaml: Identity Governance, Groups, Helpdesk, Intune, Exchange "
                "Administrator, ...), nor a stack custom role holding a privileged action, is assigned or made "
                "eligible, at tenant scope or in an administrative unit; a role id naming no built-in role "
                "(entra_builtin_roles.yaml) and no role the stack defines cannot be checked.",
    remediation="Give the agent Microsoft Graph or Azure permissions scoped to what its tools use; tenant "
                "administration stays with people, through PIM with approval.",
    url="https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions",
    check=check,
    stack=True,
    reads=(DIRECTORY_ROLE, CUSTOM_DIRECTORY_ROLE, *GRANTS, *LINKED_OBJECTS),
)
