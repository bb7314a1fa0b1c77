"""AGID-AZ-034 over gRPC: PIM for Groups schedules onto groups that hold directory roles, and look-alikes."""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

GROUP = "azuread:index/group:Group"
DRA = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
ELIGIBLE = "azuread:index/privilegedAccessGroupEligibilitySchedule:PrivilegedAccessGroupEligibilitySchedule"
ASSIGNED = "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule"
GLOBAL_ADMIN, DIRECTORY_READERS = "62e90394-69f5-4237-9190-012177145e10", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
AGENT = "0f0e0d0c-0b0a-0908-0706-050403020100"


def res(type_, name, props, *deps):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in deps])


def schedule(name, group, type_=ELIGIBLE, role="member"):
    return res(type_, name, {"groupId": UNKNOWN, "principalId": AGENT, "assignmentType": role, "duration": "P30D"},
               group)


def flagged(pack, *resources):
    return stack_findings(pack, "AGID-AZ-034", resources)


def test_schedules_onto_role_holding_groups_are_flagged_and_onto_plain_groups_pass(pack):
    assignable = res(GROUP, "tier0", {"displayName": "tier0", "securityEnabled": True, "assignableToRole": True})
    admins = res(GROUP, "admins", {"displayName": "admins", "securityEnabled": True})
    readers = res(GROUP, "readers", {"displayName": "readers", "securityEnabled": True})
    plain = res(GROUP, "project", {"displayName": "project", "securityEnabled": True})
    found = flagged(pack, assignable, admins, readers, plain,
                    res(DRA, "ga", {"roleId": GLOBAL_ADMIN, "principalObjectId": UNKNOWN}, admins),
                    res(DRA, "dr", {"roleId": DIRECTORY_READERS, "principalObjectId": UNKNOWN}, readers),
                    schedule("e-tier0", assignable), schedule("a-admins", admins, ASSIGNED, "owner"),
                    schedule("e-readers", readers), schedule("e-project", plain))
    assert [name for name, _ in found] == ["a-admins", "e-tier0"], found
    assert f"makes {AGENT} assigned owner of group admins, which holds the privileged directory role Global " \
           "Administrator" in found[0][1]
    assert "is role-assignable" in found[1][1]


def test_a_group_outside_the_stack_cannot_be_judged(pack):
    outside = StackResource(ELIGIBLE, "e-outside", urn(ELIGIBLE, "e-outside"), {
        "groupId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "principalId": AGENT, "assignmentType": "member"})
    [(name, message)] = flagged(pack, outside)
    assert name == "e-outside" and "cannot check: group 7c9e6679-7425-40de-944b-e07fc1f90ae7 is not in this stack" \
        in message


MEMBER = "azuread:index/groupMember:GroupMember"


def member(name, group, who=AGENT):
    return res(MEMBER, name, {"groupObjectId": UNKNOWN, "memberObjectId": who}, group)


def test_group_members_of_role_holding_groups_are_flagged_and_of_plain_groups_pass(pack):
    # outside review l04: GroupMember into a role-assignable group passed
    tier0 = res(GROUP, "tier0", {"displayName": "tier0", "securityEnabled": True, "assignableToRole": True})
    admins = res(GROUP, "admins", {"displayName": "admins", "securityEnabled": True})
    plain = res(GROUP, "project", {"displayName": "project", "securityEnabled": True, "members": [AGENT]})
    found = flagged(pack, tier0, admins, plain,
                    res(DRA, "ga", {"roleId": GLOBAL_ADMIN, "principalObjectId": UNKNOWN}, admins),
                    member("m-tier0", tier0), member("m-admins", admins), member("m-project", plain))
    assert [name for name, _ in found] == ["m-admins", "m-tier0"], found
    assert f"m-admins makes {AGENT} member of group admins, which holds the privileged directory role Global " \
           "Administrator" in found[0][1]


def test_members_and_owners_written_on_a_role_holding_group_are_flagged(pack):
    listed = res(GROUP, "tier0", {"displayName": "tier0", "securityEnabled": True, "assignableToRole": True,
                                  "members": [AGENT], "owners": []})
    owned = res(GROUP, "ops", {"displayName": "ops", "securityEnabled": True, "assignableToRole": True,
                               "owners": [UNKNOWN]})
    empty = res(GROUP, "spare", {"displayName": "spare", "securityEnabled": True, "assignableToRole": True})
    found = flagged(pack, listed, owned, empty)
    assert [(name, message.rsplit("\n", 1)[-1]) for name, message in found] == [
        ("ops", "[escalation] group ops is role-assignable (it exists to hold directory roles); its owners (one known "
                "at deployment) reach those roles"),
        ("tier0", f"[escalation] group tier0 is role-assignable (it exists to hold directory roles); its members "
                  f"({AGENT}) reach those roles"),
    ], found


def test_a_group_member_of_a_group_outside_the_stack_cannot_be_judged(pack):
    outside = StackResource(MEMBER, "m-outside", urn(MEMBER, "m-outside"), {
        "groupObjectId": "44444444-4444-4444-4444-444444444444", "memberObjectId": AGENT})
    [(name, message)] = flagged(pack, outside)
    assert name == "m-outside" and "cannot check: group 44444444-4444-4444-4444-444444444444 is not in this stack" in message


def test_depending_on_a_stack_group_does_not_make_another_group_the_stacks(pack):
    """issue 11: a GroupMember / PIM schedule naming an EXISTING role-holding group (a literal object id, or a constant
    behind another Output) with `depends_on=[a harmless stack group]` passed as a join of the harmless group. The
    literal cannot be checked (mandatory), the unknown cannot be checked until known; the look-alikes (the stack
    group's own Output, and its known object id under the gate's mocks) are judged as that group and pass."""
    plain = res(GROUP, "plain", {"displayName": "plain", "securityEnabled": True})
    bucket = res("aws:s3/bucketV2:BucketV2", "marker", {})
    existing = "44444444-4444-4444-4444-444444444444"
    literal = res(MEMBER, "m-literal", {"groupObjectId": existing, "memberObjectId": AGENT}, plain)
    hidden = res(ELIGIBLE, "s-hidden", {"groupId": UNKNOWN, "principalId": AGENT, "assignmentType": "member",
                                        "duration": "P30D"}, plain, bucket)
    found = flagged(pack, plain, bucket, literal, hidden, member("m-own", plain), schedule("s-own", plain))
    assert [(name, message.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for name, message in found] == [
        ("", "can't run policy 'AGID-AZ-034' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until "
             "known: s-hidden.groupId is computed during preview"),
        ("m-literal", f"m-literal: cannot check: group {existing} is not in this stack, so whether its membership holds "
                      "directory roles cannot be judged")], found
