"""AGID-AZ-034 (stack): no PIM for Groups eligibility or assignment to a group that holds directory roles.

`azuread.PrivilegedAccessGroupEligibilitySchedule` / `...AssignmentSchedule` make `principalId` a member or owner
of `groupId` (eligible: it activates membership itself, without approval unless the group's policy demands it).
A group holds directory roles when it is role-assignable (`assignableToRole: true`, the only groups Entra lets
hold directory roles) or a DirectoryRoleAssignment of a privileged role names it; membership then is the role,
and an owner manages membership, so either path reaches the role. Links follow dependencies (`groupId` is the
group's object id, an output). A schedule whose group is not in the stack cannot be judged: reported (fail closed).
Sources: https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups,
https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import privileged_directory_role
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

GROUP = "azuread:index/group:Group"
DIRECTORY_ROLE_ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
SCHEDULES = ("azuread:index/privilegedAccessGroupEligibilitySchedule:PrivilegedAccessGroupEligibilitySchedule",
             "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule")


def _role_holding_groups(resources: list[Resource], groups: dict[str, Resource]) -> dict[str, str]:
    """group urn -> why its membership is a directory role."""
    why = {urn: "is role-assignable (it exists to hold directory roles)" for urn, group in groups.items()
           if group.props.get("assignableToRole") is True}
    for resource in resources:
        if resource.type != DIRECTORY_ROLE_ASSIGNMENT:
            continue
        role_id = resource.props.get("roleId")
        role = privileged_directory_role(role_id) if isinstance(role_id, str) and not is_unknown(role_id) else None
        for dep in resource.dependencies:
            if role and dep in groups:
                why[dep] = f"holds the privileged directory role {role.name}"
    return why


def check(resources: list[Resource], config):
    groups = {resource.urn: resource for resource in resources if resource.type == GROUP}
    privileged = _role_holding_groups(resources, groups)
    for resource in resources:
        if resource.type not in SCHEDULES:
            continue
        linked = [dep for dep in resource.dependencies if dep in groups]
        if not linked:
            group_id = resource.props.get("groupId")
            if is_unknown(group_id):
                yield Unknown(f"{resource.name}.groupId", resource.urn)
            else:
                yield Violation(f"{resource.name}: cannot check: group {group_id} is not in this stack, so whether its "
                                "membership holds directory roles cannot be judged", resource.urn)
            continue
        kind = "eligible" if "Eligibility" in resource.type else "assigned"
        role = resource.props.get("assignmentType")
        for urn in linked:
            if urn in privileged:
                yield Violation(f"{resource.name} makes {resource.props.get('principalId')} {kind} {role} of group "
                                f"{groups[urn].name}, which {privileged[urn]}: the principal reaches the group's roles",
                                resource.urn)


RULE = Rule(
    id="AGID-AZ-034",
    title="entra-no-pim-group-to-roles",
    severity="critical",
    category="escalation",
    description="No PIM for Groups eligibility or assignment (member or owner) to a role-assignable group or a group "
                "holding a privileged directory role.",
    remediation="Give the agent the exact Graph or Azure permissions its tools need; groups that hold directory "
                "roles stay for people, with approval on activation.",
    url="https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups",
    check=check,
    stack=True,
    reads=(GROUP, DIRECTORY_ROLE_ASSIGNMENT, *SCHEDULES),
)
