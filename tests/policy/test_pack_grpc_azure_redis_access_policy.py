"""AGID-AZ-062 over gRPC (stack): Azure Cache for Redis access-policy assignments (red11a r30: "Data Owner" given to
an arbitrary principal passed). Data Owner and custom policies granting @dangerous block; Data Contributor / Reader
and narrow custom policies pass; a custom policy the stack does not define cannot be checked."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.rules.azure_redis_data_owner import grants_dangerous
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-062"
P = "11111111-2222-3333-4444-555555555555"


def assignment(policy, cache="r1", *depends_on):
    type_ = "azure-native:redis:AccessPolicyAssignment"
    return StackResource(type_, "redisap", urn(type_, "redisap"),
                         {"resourceGroupName": "rg1", "cacheName": cache, "accessPolicyAssignmentName": "a",
                          "accessPolicyName": policy, "objectId": P, "objectIdAlias": "mallory"},
                         dependencies=[d.urn for d in depends_on])


def custom(permissions, name="app-policy", cache="r1", logical="policy"):
    type_ = "azure-native:redis:AccessPolicy"
    props = {"resourceGroupName": "rg1", "cacheName": cache, "permissions": permissions}
    return StackResource(type_, logical, urn(type_, logical), {**props, "accessPolicyName": name} if name else props)


def test_data_owner_blocks_and_the_limited_built_ins_pass(pack):
    [(name, message)] = stack_findings(pack, RULE, [assignment("Data Owner")], level="mandatory")
    assert name == "redisap" and "redisap makes mallory Data Owner of Redis cache r1: every command" in message
    assert stack_findings(pack, RULE, [assignment("Data Contributor"), assignment("data reader")]) == []


@pytest.mark.parametrize("permissions,flagged", [
    ("+@all allkeys", True),
    ("+@read +@dangerous ~*", True),
    ("+@all -@dangerous allkeys", False),
    ("+@read +set ~app:*", False),
    ("+@all nocommands +get", False),
])
def test_custom_policies_are_read_as_acl_rules(pack, permissions, flagged):
    assert grants_dangerous(permissions) is flagged
    policy = custom(permissions)
    found = stack_findings(pack, RULE, [policy, assignment("app-policy", "r1", policy)], level="mandatory")
    assert [name for name, _ in found] == (["redisap"] if flagged else [])


def test_a_stack_policy_is_the_assigned_one_only_when_the_assignment_is_created_after_it(pack):
    """issue 11: a stack policy of an existing policy's name fails to create (azure-native refuses to create over an
    existing resource), and an assignment that does not wait for it assigns the EXISTING policy (Data Owner-like
    `+@all`): cannot check. A policy without accessPolicyName is named as azure-native names a child resource, its
    logical name; the assignment depending on it passes."""
    policy = custom("+@read ~app:*")
    [(name, message)] = stack_findings(pack, RULE, [policy, assignment("app-policy")], level="mandatory")
    assert name == "redisap" and "assigns access policy 'app-policy', which is neither built-in nor defined" in message
    logical = custom("+@read ~app:*", name=None, logical="reader")
    assert stack_findings(pack, RULE, [logical, assignment("reader", "r1", logical)]) == []
    assert [n for n, _ in stack_findings(pack, RULE, [logical, assignment("reader")], level="mandatory")] == ["redisap"]


def test_a_policy_the_stack_does_not_define_cannot_be_checked(pack):
    [(_, message)] = stack_findings(pack, RULE, [assignment("ops-admin")], level="mandatory")
    assert "assigns access policy 'ops-admin', which is neither built-in nor defined in this stack" in message
    # a policy of the same name on another cache is another policy
    assert [n for n, _ in stack_findings(pack, RULE, [custom("+@read ~*", "ops-admin", "r2"), assignment("ops-admin")],
                                         level="mandatory")] == ["redisap"]
    [(_, message)] = stack_findings(pack, RULE, [assignment(UNKNOWN)], level="advisory")
    assert "redisap.accessPolicyName is computed during preview" in message
