"""AGID-AWS-055 over gRPC: PassRole of a role defined outside the stack, with a service that runs code.

Outside review (red3 finding 9): an agent spec granting iam:PassRole on arn:aws:iam::123456789012:role/admin
(iam:PassedToService lambda) with lambda:CreateFunction and lambda:InvokeFunction got only the advisory
AGID-AWS-044 and PASS: Rhino Security Labs' PassRole + Lambda method with a role whose power is unknown.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
OUTSIDE = "arn:aws:iam::123456789012:role/admin"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                           "Action": "sts:AssumeRole"}]})


def res(type_, name, props):
    return StackResource(type_, name, urn(type_, name), props)


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def passrole(target, service="lambda.amazonaws.com"):
    statement = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": target}
    if service:
        statement["Condition"] = {"StringEquals": {"iam:PassedToService": service}}
    return statement


LAMBDA = {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"],
          "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:agent-*"}


def flagged(pack, *resources):
    return stack_findings(pack, "AGID-AWS-055", resources, "mandatory")


def agent(*policies, extra=()):
    return [res(ROLE, "agent", {"name": "agent-a", "assumeRolePolicy": TRUST}),
            *(res(ROLE_POLICY, f"p{i}", {"role": "agent-a", "policy": p}) for i, p in enumerate(policies)), *extra]


def test_passing_an_outside_role_to_lambda_with_create_and_invoke_is_mandatory(pack):
    [(name, message)] = flagged(pack, *agent(policy(passrole(OUTSIDE), LAMBDA)))
    assert name == "agent" and f"role agent-a may pass {OUTSIDE}" in message and "PassRoleLambdaInvoke" in message


def test_the_two_halves_in_two_policies_of_one_role_are_mandatory_too(pack):
    assert flagged(pack, *agent(policy(passrole(OUTSIDE, service=None)), policy(LAMBDA)))


@pytest.mark.parametrize("policies, extra", [
    # the role passed is the stack's own: judged by its own policies
    ((policy(passrole("arn:aws:iam::123456789012:role/Fn-Exec"), LAMBDA),),
     (res(ROLE, "fn", {"name": "fn-exec", "assumeRolePolicy": TRUST}),)),
    # passing to a service that the other actions do not run (PassedToService pins ec2, actions are Lambda's)
    ((policy(passrole(OUTSIDE, service="ec2.amazonaws.com"), LAMBDA),), ()),
    # no compute action: only AGID-AWS-044's advisory
    ((policy(passrole(OUTSIDE)),), ()),
])
def test_look_alikes_pass(pack, policies, extra):
    assert flagged(pack, *agent(*policies, extra=extra)) == []


EC2 = {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}


@pytest.mark.parametrize("pattern", [
    "arn:aws:iam::123456789012:role/service-role/*",  # red5 finding 1: a path pattern
    "arn:aws:iam::123456789012:role/*-admin",         # a suffix pattern
    "arn:aws:iam::*:role/agent-a",                    # any account's role of the stack role's name
    "arn:aws:iam::123456789012:role/agent-?",         # matches agent-a of the stack, and agent-b of nobody's
])
def test_passing_a_role_pattern_is_at_least_as_strict_as_an_outside_name(pack, pattern):
    [(name, message)] = flagged(pack, *agent(policy(passrole(pattern, service=None), EC2)))
    assert name == "agent" and f"may pass {pattern}" in message and "PassRoleEc2RunInstances" in message


def test_a_named_stack_role_with_ec2_is_still_judged_by_its_own_policies(pack):
    stack_role = res(ROLE, "fn", {"name": "fn-exec", "assumeRolePolicy": TRUST})
    assert flagged(pack, *agent(policy(passrole("arn:aws:iam::123456789012:role/fn-exec", service=None), EC2),
                                extra=(stack_role,))) == []
