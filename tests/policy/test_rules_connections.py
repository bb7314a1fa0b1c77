"""AGID-AWS-021 / AGID-AWS-015: policies joined to their principal however the program links them (issue 11 item 2).

Escalation split across two resources is caught whether the link is a name, `role.id`, `role.arn`, an
Output unknown at preview (the dependency list), and over users and groups; a link nothing explains is
"cannot check"; a customer policy ARN the stack does not define is reported as unreadable.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from agentid.analyzer_client import PackProcess
from agentid.mock_engine import MOCK_ACCOUNT, run_program
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from agentid_policy_packs.rules.base import Unknown, Violation
from tests.policy.ruletools import ACCOUNT, UNKNOWN, allow, policy, resource, stack_outcomes
from tests.policy.test_pack_grpc import PACK, good_trust

PASS = policy(allow("iam:PassRole"))
COMPUTE = policy(allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))
METHOD = "PassRoleLambdaInvoke"

ROLE, USER, GROUP = "aws:iam/role:Role", "aws:iam/user:User", "aws:iam/group:Group"
ROLE_POLICY, USER_POLICY, GROUP_POLICY = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
                                          "aws:iam/groupPolicy:GroupPolicy")
POLICY = "aws:iam/policy:Policy"


def violations_021(resources):
    return [(o.urn.rsplit("::", 1)[-1], o.message) for o in stack_outcomes("AGID-AWS-021", resources)
            if isinstance(o, Violation)]


def flagged(resources) -> list[str]:
    return [name for name, message in violations_021(resources) if METHOD in message]


def role(name="agent-x", **props):
    return resource(ROLE, {"name": name, "assumeRolePolicy": good_trust(), **props}, name)


def test_role_linked_by_name_id_and_arn():
    for reference in ("agent-x", f"arn:aws:iam::{ACCOUNT}:role/agents/agent-x"):
        stack = [role(), resource(ROLE_POLICY, {"role": reference, "policy": PASS}, "pass"),
                 resource(ROLE_POLICY, {"role": "agent-x", "policy": COMPUTE}, "compute")]
        assert flagged(stack) == ["agent-x"], reference


def test_role_linked_by_an_output_unknown_at_preview_follows_the_dependency():
    r = role()
    stack = [r, resource(ROLE_POLICY, {"role": UNKNOWN, "policy": PASS}, "pass", deps=(r.urn,)),
             resource(ROLE_POLICY, {"role": UNKNOWN, "policy": COMPUTE}, "compute", deps=(r.urn,))]
    assert flagged(stack) == ["agent-x"]


def test_an_unknown_link_no_dependency_explains_is_cannot_check():
    stack = [role(), resource(ROLE_POLICY, {"role": UNKNOWN, "policy": PASS}, "pass")]
    outcomes = stack_outcomes("AGID-AWS-021", stack)
    assert [(o.path, isinstance(o, Unknown)) for o in outcomes] == [("pass.role", True)]


def test_managed_policy_of_the_stack_attached_by_arn_and_an_aws_managed_policy_combine():
    stack = [role(), resource(POLICY, {"name": "compute", "policy": COMPUTE}, "compute"),
             resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                      {"role": "agent-x", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/compute"}, "att"),
             resource(ROLE_POLICY, {"role": "agent-x", "policy": PASS}, "pass")]
    assert flagged(stack) == ["agent-x"]
    # AmazonEC2FullAccess (AWS managed, judged by its snapshot document) grants ec2:RunInstances but no
    # iam:PassRole; with PassRole inline, the pair launches instances with any role.
    aws_managed = [role(managedPolicyArns=["arn:aws:iam::aws:policy/AmazonEC2FullAccess"],
                        inlinePolicies=[{"name": "pass", "policy": PASS}])]
    [(name, message)] = violations_021(aws_managed)
    assert name == "agent-x" and "PassRoleEc2RunInstances" in message
    assert "ec2:RunInstances by AWS managed policy AmazonEC2FullAccess" in message
    read_only = [role(managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                      inlinePolicies=[{"name": "pass", "policy": PASS}])]
    assert violations_021(read_only) == []


def test_user_policies_and_group_policies_reach_the_user():
    user = resource(USER, {"name": "svc-reports"}, "svc-reports")
    direct = [user, resource(USER_POLICY, {"user": "svc-reports", "policy": PASS}, "pass"),
              resource(POLICY, {"name": "compute", "policy": COMPUTE}, "compute"),
              resource("aws:iam/userPolicyAttachment:UserPolicyAttachment",
                       {"user": "svc-reports", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/compute"}, "att")]
    assert flagged(direct) == ["svc-reports"]
    group = resource(GROUP, {"name": "builders"}, "builders")
    for membership in (resource("aws:iam/userGroupMembership:UserGroupMembership",
                                {"user": "svc-reports", "groups": ["builders"]}, "m"),
                       resource("aws:iam/groupMembership:GroupMembership",
                                {"group": "builders", "users": ["svc-reports"]}, "m")):
        stack = [user, group, resource(GROUP_POLICY, {"group": "builders", "policy": COMPUTE}, "gp"),
                 resource(USER_POLICY, {"user": "svc-reports", "policy": PASS}, "pass"), membership]
        assert flagged(stack) == ["svc-reports"], membership.type
        # look-alike: the same two policies on a user who is not in the group
        assert flagged([r for r in stack if r is not membership]) == []


def test_group_with_both_halves_is_flagged():
    stack = [resource(GROUP, {"name": "ops"}, "ops"),
             resource(GROUP_POLICY, {"group": "ops", "policy": PASS}, "a"),
             resource("aws:iam/policyAttachment:PolicyAttachment",
                      {"groups": ["ops"], "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/compute"}, "b"),
             resource(POLICY, {"name": "compute", "policy": COMPUTE}, "compute")]
    assert flagged(stack) == ["ops"]


def test_halves_on_two_different_principals_pass():
    stack = [role("agent-a"), role("agent-b"), resource(ROLE_POLICY, {"role": "agent-a", "policy": PASS}, "p"),
             resource(ROLE_POLICY, {"role": "agent-b", "policy": COMPUTE}, "c")]
    assert violations_021(stack) == []


def test_customer_policy_not_in_the_stack_is_unreadable_not_silent():
    stack = [role(), resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                              {"role": "agent-x", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/elsewhere"}, "att")]
    assert [o.message for o in stack_outcomes("AGID-AWS-015", stack)] == [
        f"att attaches arn:aws:iam::{ACCOUNT}:policy/elsewhere, a policy neither defined in this stack nor AWS "
        "managed: cannot check what it grants (alone or with the principal's other policies)"]
    # the stack's policy of that name is the one attached only when the attachment is created after it (issue 11, a
    # typed decoy): without the dependency its create fails when `elsewhere` exists, and the attachment is still made
    own = resource(POLICY, {"name": "elsewhere", "policy": PASS}, "elsewhere")
    ordered = [stack[0], own, resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                       {"role": "agent-x", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/elsewhere"},
                                       "att", deps=(own.urn,))]
    assert stack_outcomes("AGID-AWS-015", ordered) == []
    assert [o.urn.rsplit("::", 1)[-1] for o in stack_outcomes("AGID-AWS-015", stack + [own])] == ["att"]
    aws_managed = [role(managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"])]
    assert stack_outcomes("AGID-AWS-015", aws_managed) == []


# --- a real program under Pulumi's mocks, judged over gRPC ---------------------------------------------


def _program(split: bool):
    """A role and a user whose escalation is split across resources linked by role.id, role.arn, user.name."""

    def program():
        trust = good_trust()
        agent = aws.iam.Role("agent-x", name="agent-x", assume_role_policy=trust)
        other = aws.iam.Role("agent-y", name="agent-y", assume_role_policy=trust)
        compute = aws.iam.Policy("compute", policy=COMPUTE)
        aws.iam.RolePolicy("pass", role=agent.id, policy=PASS)
        aws.iam.PolicyAttachment("compute-att", roles=[(agent if split else other).name], policy_arn=compute.arn)
        user = aws.iam.User("svc", name="svc")
        group = aws.iam.Group("builders", name="builders")
        aws.iam.GroupPolicy("gp", group=group.id, policy=COMPUTE)
        aws.iam.UserPolicy("up", user=user.name, policy=PASS)
        if split:
            aws.iam.UserGroupMembership("m", user=user.name, groups=[group.name])
        pulumi.export("role_arn", agent.arn)

    return program


@pytest.fixture(scope="module")
def pack():
    # told the mocks' account as `agentid preview` tells it: a program run under the mocks carries their autonamed
    # names and ARNs (`compute.arn` is `.../policy/compute-<7 hex>`), which the pack knows only as the gate's
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure({})
        yield running


def test_program_links_are_followed_over_grpc(pack):
    run = run_program(_program(split=True))
    diags = [d for d in pack.analyze_stack(run.resources) if d.policy_name == "AGID-AWS-021"]
    assert sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in diags) == [
        ("agent-x", "mandatory"), ("svc", "mandatory")]
    assert all(METHOD in d.message for d in diags)


def test_program_look_alike_passes_over_grpc(pack):
    run = run_program(_program(split=False))
    assert [d for d in pack.analyze_stack(run.resources) if d.policy_name == "AGID-AWS-021"] == []


def test_unknown_links_over_grpc_follow_dependencies(pack):
    from agentid.analyzer_client import StackResource

    role_urn = "urn:pulumi:dev::kit::aws:iam/role:Role::agent-x"
    stack = [StackResource(ROLE, "agent-x", role_urn, {"name": "agent-x", "assumeRolePolicy": good_trust()}),
             StackResource(ROLE_POLICY, "pass", "urn:pulumi:dev::kit::aws:iam/rolePolicy:RolePolicy::pass",
                           {"role": UNKNOWN, "policy": PASS}, dependencies=[role_urn]),
             StackResource(ROLE_POLICY, "compute", "urn:pulumi:dev::kit::aws:iam/rolePolicy:RolePolicy::compute",
                           {"role": UNKNOWN, "policy": COMPUTE}, dependencies=[role_urn])]
    [diag] = [d for d in pack.analyze_stack(stack) if d.policy_name == "AGID-AWS-021"]
    assert diag.urn == role_urn and METHOD in diag.message
    orphan = [stack[0], StackResource(ROLE_POLICY, "pass", stack[1].urn, {"role": UNKNOWN, "policy": PASS})]
    [diag] = [d for d in pack.analyze_stack(orphan) if d.policy_name == "AGID-AWS-021"]
    assert diag.enforcement_level == "advisory" and "pass.role" in diag.message


def test_unreadable_customer_policy_over_grpc(pack):
    from agentid.analyzer_client import StackResource

    role_urn = "urn:pulumi:dev::kit::aws:iam/role:Role::agent-x"
    attachment_type = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    attachment = StackResource(attachment_type, "att", f"urn:pulumi:dev::kit::{attachment_type}::att",
                               {"role": "agent-x", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/elsewhere"})
    stack = [StackResource(ROLE, "agent-x", role_urn, {"name": "agent-x", "assumeRolePolicy": good_trust()}),
             attachment]
    [diag] = [d for d in pack.analyze_stack(stack) if d.policy_name == "AGID-AWS-015"]
    assert (diag.urn, diag.enforcement_level) == (attachment.urn, "mandatory")
    assert "neither defined in this stack nor AWS managed" in diag.message
    own = StackResource(POLICY, "elsewhere", f"urn:pulumi:dev::kit::{POLICY}::elsewhere",
                        {"name": "elsewhere", "policy": policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))})
    # a decoy (issue 11): the stack's policy of that name, but the attachment does not wait for it, so when
    # `elsewhere` exists the decoy's create fails and the existing policy is attached
    [diag] = [d for d in pack.analyze_stack([*stack, own]) if d.policy_name == "AGID-AWS-015"]
    assert (diag.urn, diag.enforcement_level) == (attachment.urn, "mandatory")
    ordered = [stack[0], own, StackResource(attachment_type, "att", attachment.urn, attachment.properties,
                                            dependencies=[own.urn])]
    assert [d for d in pack.analyze_stack(ordered) if d.policy_name == "AGID-AWS-015"] == []


def test_names_join_case_insensitively_as_iam_does():
    # IAM names are not distinguished by case: a RolePolicy for "Agent-X" lands on the role "agent-x"
    stack = [role(), resource(ROLE_POLICY, {"role": "Agent-X", "policy": PASS}, "pass"),
             resource(ROLE_POLICY, {"role": f"arn:aws:iam::{ACCOUNT}:role/AGENT-X", "policy": COMPUTE}, "compute")]
    assert flagged(stack) == ["agent-x"]
    other = [role(), role("agent-y"), resource(ROLE_POLICY, {"role": "Agent-X", "policy": PASS}, "pass"),
             resource(ROLE_POLICY, {"role": "AGENT-Y", "policy": COMPUTE}, "compute")]
    assert flagged(other) == []
