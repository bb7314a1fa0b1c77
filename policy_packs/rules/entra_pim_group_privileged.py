"""AGID-AZ-034 (stack): no member, owner, PIM eligibility or assignment of a group that holds directory roles.

Membership paths: `azuread.GroupMember` (`groupObjectId`, `memberObjectId`), a Group's own `members` and
`owners` inputs, and PIM for Groups schedules.

`azuread.PrivilegedAccessGroupEligibilitySchedule` / `...AssignmentSchedule` make `principalId` a member or owner
of `groupId` (eligible: it activates membership itself, without approval unless the group's policy demands it).
A group holds directory roles when it is role-assignable (`assignableToRole: true`, the only groups Entra lets
hold directory roles) or a DirectoryRoleAssignment of a privileged role (built-in, or a stack custom role holding a
privileged action, as AGID-AZ-020 judges it) names it; membership then is the role,
and an owner manages membership, so either path reaches the role. A join's group is what its group input names
(`groupId` is the group's object id, an output): a stack group's known object id, or its Output unknown at preview
as iam_links.output_sources proves it; a bare depends_on a stack group names nothing (issue 11). A schedule whose group is not in the stack cannot be judged: reported (fail closed).
Sources: https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups,
https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .entra_privileged_directory_role import granted_privileged_role
from .iam_links import known_state, output_sources

GROUP = "azuread:index/group:Group"
DIRECTORY_ROLE_ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
SCHEDULES = ("azuread:index/privilegedAccessGroupEligibilitySchedule:PrivilegedAccessGroupEligibilitySchedule",
             "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule")
GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
# resource type -> (input naming the group, input naming who joins it, how it joins)
_JOINS = {
    SCHEDULES[0]: ("groupId", "principalId", "eligible"),
    SCHEDULES[1]: ("groupId", "principalId", "assigned"),
    GROUP_MEMBER: ("groupObjectId", "memberObjectId", "member"),
}


def _role_holding_groups(resources: list[Resource], groups: dict[str, Resource]) -> dict[str, str]:
    """group urn -> why its membership is a directory role."""
    why = {urn: "is role-assignable (it exists to hold directory roles)" for urn, group in groups.items()
           if group.props.get("assignableToRole") is True}
    by_urn = {resource.urn: resource for resource in resources}
    for resource in resources:
        if resource.type != DIRECTORY_ROLE_ASSIGNMENT:
            continue
        role = granted_privileged_role(resource, by_urn)  # built-in, or a privileged custom role of the stack
        for dep in resource.dependencies:
            if role and dep in groups:
                why[dep] = f"holds the privileged directory role {role.name}"
    return why


def _object_ids(group: Resource) -> set[str]:
    """The known object ids of a stack group (after deployment, or the gate mocks'), lower case."""
    state = known_state(group)
    return {v.strip().lower() for v in (state.get("objectId"), state.get("id")) if isinstance(v, str) and not is_unknown(v)}


def _named_groups(resource: Resource, group_key: str, groups: dict[str, Resource]) -> list[str] | None:
    """The URNs of the stack groups the join's group input names: a literal by a known object id, an Output unknown at
    preview as iam_links.output_sources proves it (None: cannot check until known). A dependency alone names none: a
    literal id of an existing role-holding group with depends_on a harmless stack group passed (issue 11)."""
    value = resource.props.get(group_key)
    if is_unknown(value):
        found = output_sources(resource, groups.values(), ("objectId", "id"), group_key)
        return None if found is None else [group.urn for group in found]
    if not isinstance(value, str):
        return []
    return [urn for urn, group in groups.items() if value.strip().lower() in _object_ids(group)]


def check(resources: list[Resource], config):
    groups = {resource.urn: resource for resource in resources if resource.type == GROUP}
    privileged = _role_holding_groups(resources, groups)
    for urn, group in groups.items():  # members and owners written on the group itself
        for key in ("members", "owners"):
            listed = group.props.get(key)
            if urn in privileged and (is_unknown(listed) or (isinstance(listed, list) and listed)):
                who = "known at deployment" if is_unknown(listed) else ", ".join(
                    "one known at deployment" if is_unknown(m) else str(m) for m in listed)
                yield Violation(f"group {group.name} {privileged[urn]}; its {key} ({who}) reach those roles", urn)
    for resource in resources:
        if resource.type not in _JOINS:
            continue
        group_key, principal_key, kind = _JOINS[resource.type]
        linked = _named_groups(resource, group_key, groups)
        if linked is None:
            yield Unknown(f"{resource.name}.{group_key}", resource.urn)
            continue
        if not linked:
            yield Violation(f"{resource.name}: cannot check: group {resource.props.get(group_key)} is not in this "
                            "stack, so whether its membership holds directory roles cannot be judged", resource.urn)
            continue
        role = resource.props.get("assignmentType")
        joins = f"{kind} {role}" if role else kind
        for urn in linked:
            if urn in privileged:
                yield Violation(f"{resource.name} makes {resource.props.get(principal_key)} {joins} of group "
                                f"{groups[urn].name}, which {privileged[urn]}: the principal reaches the group's roles",
                                resource.urn)


RULE = Rule(
    id="AGID-AZ-034",
    title="entra-no-pim-group-to-roles",
    severity="critical",
    category="escalation",
    description="No member, owner, PIM for Groups eligibility or assignment of a role-assignable group or a group "
                "holding a privileged directory role (GroupMember, the group's members/owners, PIM schedules).",
    remediation="Give the agent the exact Graph or Azure permissions its tools need; groups that hold directory "
                "roles stay for people, with approval on activation.",
    url="https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups",
    check=check,
    stack=True,
    reads=(GROUP, DIRECTORY_ROLE_ASSIGNMENT, GROUP_MEMBER, *SCHEDULES),
)
