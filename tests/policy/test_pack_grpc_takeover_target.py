"""AGID-AWS-056 over gRPC: escalation methods on an existing target (user, function, instance, ...).

Outside review (red5 findings 2 and 3): iam:CreateAccessKey on user/admin, lambda:UpdateFunctionCode on
function:prod-*, ssm:SendCommand on one instance with AWS-RunShellScript, ... all passed: the methods of
analysis/escalation_methods.yaml fired only on `*`. A target the stack does not define fails closed; one it
defines is judged by what its own user or role can do.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.test_pack_grpc import PACK, urn

ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
USER, USER_POLICY = "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy"
FUNCTION = "aws:lambda/function:Function"
ACCOUNT = "111122223333"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                           "Action": "sts:AssumeRole"}]})
INSTANCE = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123456789abcdef0"
SHELL = "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"


def res(type_, name, props, dependencies=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(dependencies))


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources):
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        yield running


def flagged(pack, *resources):
    return [(d.urn.rsplit("::", 1)[-1], d.message) for d in pack.analyze_stack(list(resources))
            if d.policy_name == "AGID-AWS-056" and d.enforcement_level == "mandatory"]


def agent(statement, extra=(), after=None):
    """The agent role and its policy `statement`, the policy created after `after` (default: every resource of `extra`
    but policies, as a program that names them by Output or depends_on them does; () for a decoy it does not wait for)."""
    if after is None:
        after = [r.urn for r in extra if r.type in (USER, FUNCTION)]
    return [res(ROLE, "agent", {"name": "agent-a", "assumeRolePolicy": TRUST}),
            res(ROLE_POLICY, "p", {"role": "agent-a", "policy": policy(statement)}, after), *extra]


@pytest.mark.parametrize("statement, method", [
    (allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/admin"), "CreateAccessKey"),
    (allow(["iam:CreateLoginProfile"], f"arn:aws:iam::{ACCOUNT}:user/admin"), "CreateLoginProfile"),
    (allow(["iam:UpdateLoginProfile"], f"arn:aws:iam::{ACCOUNT}:user/ops-*"), "UpdateLoginProfile"),
    (allow(["lambda:UpdateFunctionCode"], f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"), "LambdaUpdateFunctionCode"),
    (allow(["lambda:UpdateFunctionCode"], f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:prod-*"),
     "LambdaUpdateFunctionCode"),
    (allow(["ssm:SendCommand"], [INSTANCE, SHELL]), "SsmSendCommand"),
    (allow(["ecs:ExecuteCommand"], f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task/prod/*"), "EcsExecuteCommand"),
    (allow(["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], INSTANCE), "Ec2UserDataRestart"),
    (allow(["ec2-instance-connect:SendSSHPublicKey"], INSTANCE), "Ec2InstanceConnect"),
    # each half of the EKS pair is a method alone (issue 11): the entry on the cluster, the association on entries
    (allow(["eks:CreateAccessEntry"], f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod"), "EksCreateAccessEntry"),
    (allow(["eks:AssociateAccessPolicy"], f"arn:aws:eks:eu-west-1:{ACCOUNT}:access-entry/prod/*"),
     "EksAssociateAccessPolicy"),
    (allow(["eks:AssociateAccessPolicy"], f"arn:aws:eks:eu-west-1:{ACCOUNT}:access-entry/prod/role/{ACCOUNT}/ci/*"),
     "EksAssociateAccessPolicy"),
    (allow(["ssm:UpdateDocument"], f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/ops-patch"), "SsmUpdateDocument"),
    (allow(["cloudformation:UpdateStack"], f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/prod/*"),
     "CloudFormationUpdateStackExistingRole"),
])
def test_a_method_on_a_target_the_stack_does_not_define_fails_closed(pack, statement, method):
    [(name, message)] = flagged(pack, *agent(statement))
    assert name == "agent" and "role agent-a can " in message and f"({method}: " in message
    assert message.endswith("is not defined in this stack: cannot check what it holds or runs as")


HARMLESS = policy(allow(["s3:GetObject"], "arn:aws:s3:::reports/*"))
ADMIN = policy(allow("*", "*"))


def stack_user(document):
    return (res(USER, "u", {"name": "admin"}), res(USER_POLICY, "up", {"user": "admin", "policy": document}))


def stack_function(document):
    role = res(ROLE, "fnrole", {"name": "fn-role", "assumeRolePolicy": TRUST})
    return (role, res(ROLE_POLICY, "fp", {"role": "fn-role", "policy": document}),
            res(FUNCTION, "fn", {"name": "f", "role": f"arn:aws:iam::{ACCOUNT}:role/fn-role"}, [role.urn]))


def test_keys_for_a_stack_user_holding_admin_are_flagged_with_its_power(pack):
    [(name, message)] = flagged(pack, *agent(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/admin"),
                                             extra=stack_user(ADMIN)))
    assert name == "agent" and "is this stack's user admin, which allows every action on every resource; escalate (" in message


def test_new_code_for_a_stack_function_whose_role_is_admin_is_flagged(pack):
    [(_, message)] = flagged(pack, *agent(allow("lambda:UpdateFunctionCode",
                                                f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"),
                                          extra=stack_function(ADMIN)))
    assert "is this stack's role fn-role, which allows every action on every resource; escalate (" in message


@pytest.mark.parametrize("statement, extra", [
    # the same actions on a user / function the stack defines whose power is harmless
    (allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], f"arn:aws:iam::{ACCOUNT}:user/admin"), stack_user(HARMLESS)),
    (allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"), stack_function(HARMLESS)),
    # read-only actions on named targets of nobody's
    (allow(["iam:GetUser", "iam:ListAccessKeys"], f"arn:aws:iam::{ACCOUNT}:user/admin"), ()),
    (allow(["lambda:GetFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"), ()),
    (allow(["ec2:DescribeInstances", "ssm:GetCommandInvocation"], INSTANCE), ()),
    # SendCommand with a fixed-purpose AWS document: no shell on the instance
    (allow("ssm:SendCommand", [INSTANCE, "arn:aws:ssm:eu-west-1::document/AWS-UpdateSSMAgent"]), ()),
    # the caller's own keys
    (allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"), ()),
])
def test_look_alikes_pass(pack, statement, extra):
    assert flagged(pack, *agent(statement, extra=extra)) == []


def test_a_user_arn_at_another_path_or_account_is_not_the_stacks_harmless_user(pack):
    """IAM ARNs carry the user's path and account: `user/ops/admin` (another user) and another account's `user/admin`
    are not this stack's harmless `admin`; their keys are "not defined in this stack" (before, any ARN ending in
    /admin passed as it)."""
    known = (res(USER, "u", {"name": "admin", "arn": f"arn:aws:iam::{ACCOUNT}:user/admin"}),
             res(USER_POLICY, "up", {"user": "admin", "policy": HARMLESS}))
    for target in (f"arn:aws:iam::{ACCOUNT}:user/ops/admin", "arn:aws:iam::999988887777:user/admin"):
        [(name, message)] = flagged(pack, *agent(allow("iam:CreateAccessKey", target), extra=known))
        assert name == "agent" and f"{target} is not defined in this stack" in message, message
    assert flagged(pack, *agent(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/admin"), extra=known)) == []


def test_a_function_runs_as_the_role_its_role_input_names_not_one_it_depends_on(pack):
    """issue 11: UpdateFunctionCode on the stack's function whose `role` is a constant behind a bucket's Output (an
    existing admin role) with `depends_on=[the stack's harmless role]` passed, judged as the harmless role: its role
    cannot be told. Look-alikes: the role's own Output (the function depends on it alone), and its literal ARN, pass."""
    from tests.policy.ruletools import UNKNOWN

    role = res(ROLE, "fnrole", {"name": "fn-role", "assumeRolePolicy": TRUST})
    bucket = res("aws:s3/bucketV2:BucketV2", "marker", {})
    statement = allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f")

    def function(*dependencies):
        return res(FUNCTION, "fn", {"name": "f", "role": UNKNOWN}, dependencies)

    harmless = (role, res(ROLE_POLICY, "fp", {"role": "fn-role", "policy": HARMLESS}), bucket)
    [(name, message)] = flagged(pack, *agent(statement, extra=(*harmless, function(role.urn, bucket.urn))))
    assert name == "agent" and message.endswith("is this stack's function fn, but its role cannot be told: cannot check "
                                                "what it runs as"), message
    assert flagged(pack, *agent(statement, extra=(*harmless, function(role.urn)))) == []


@pytest.mark.parametrize("statement, extra", [
    (allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/admin"), stack_user(HARMLESS)),
    (allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"), stack_function(HARMLESS)),
], ids=["user", "function"])
def test_a_literal_naming_a_typed_decoy_the_policy_does_not_wait_for_fails_closed(pack, statement, extra):
    """issue 11: the stack's harmless user `admin` / function `f` fails to create when one of that name exists, and the
    agent's policy naming it by a literal, not created after it, grants the EXISTING one: "not defined in this stack".
    The look-alike (the policy depends on it) is test_look_alikes_pass."""
    [(name, message)] = flagged(pack, *agent(statement, extra=extra, after=()))
    assert name == "agent" and message.endswith("is not defined in this stack: cannot check what it holds or runs as")


def test_a_literal_equal_to_an_autonamed_functions_logical_name_is_another_function(pack):
    """issue 11: a function without a `name` input is autonamed `f-<7 hex>`, so `function:f` is an existing function
    even from a policy ordered after the stack's `f`; with the explicit name it passes (test_look_alikes_pass)."""
    role = res(ROLE, "fnrole", {"name": "fn-role", "assumeRolePolicy": TRUST})
    autonamed = (role, res(ROLE_POLICY, "fp", {"role": "fn-role", "policy": HARMLESS}),
                 res(FUNCTION, "f", {"role": f"arn:aws:iam::{ACCOUNT}:role/fn-role"}, [role.urn]))
    statement = allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f")
    [(name, message)] = flagged(pack, *agent(statement, extra=autonamed))
    assert name == "agent" and message.endswith("is not defined in this stack: cannot check what it holds or runs as")


def test_a_decoy_named_in_an_attached_policy_is_judged_by_that_policys_ordering(pack):
    """The document naming the target may be an attached aws.iam.Policy: it, not the attachment, must be created after
    the target (a Policy created before the function names whatever `function:f` exists then)."""
    statement = allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f")
    fn = stack_function(HARMLESS)

    def stack(*after):
        managed = res("aws:iam/policy:Policy", "mp", {"name": "mp", "policy": policy(statement)}, after)
        return [res(ROLE, "agent", {"name": "agent-a", "assumeRolePolicy": TRUST}), managed, *fn,
                res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "att",
                    {"role": "agent-a", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/mp"}, [managed.urn, fn[2].urn])]

    [(name, message)] = flagged(pack, *stack())
    assert name == "agent" and message.endswith("is not defined in this stack: cannot check what it holds or runs as")
    assert flagged(pack, *stack(fn[2].urn)) == []


def test_the_eks_pair_on_named_targets_is_one_violation_per_half_not_a_third_for_the_pair(pack):
    """The pair's own method (EksAccessEntry) needs both halves, each a method alone: AGID-AWS-056 reports the halves
    (their targets differ: a cluster, its entries) and not the pair again (one root cause, one violation)."""
    found = flagged(pack, *agent(allow(["eks:CreateAccessEntry", "eks:AssociateAccessPolicy"], [
        f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod", f"arn:aws:eks:eu-west-1:{ACCOUNT}:access-entry/prod/*"])))
    methods = sorted(m for _, message in found for m in ("EksAccessEntry", "EksAssociateAccessPolicy",
                                                          "EksCreateAccessEntry") if f"({m}: " in message)
    assert methods == ["EksAssociateAccessPolicy", "EksCreateAccessEntry"], found
