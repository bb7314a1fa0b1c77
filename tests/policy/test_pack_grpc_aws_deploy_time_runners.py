"""AGID-AWS-057 over gRPC (red9b finding 3): code AWS runs at deploy time or on a schedule as a role the stack does
not define is "cannot check"; the same runner with a role (or instance profile) of the stack passes, and so does
a function nothing starts. A Scheduler universal target writing to IAM/STS/Organizations blocks with any role.

Before: each of these passed `agentid preview` (red9b b_aws): a Lambda function with the literal
OrganizationAccountAccessRole ARN plus an Invocation of it, an instance booting with an existing instance profile,
an ECS task definition with an existing task role run by a Service, a schedule calling iam:createAccessKey.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AWS-057"


pytestmark = pytest.mark.usefixtures("aws_own_account")


ADMIN = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "lambda.amazonaws.com"}}]})
ROLE_T = "aws:iam/role:Role"
PROFILE_T = "aws:iam/instanceProfile:InstanceProfile"
FUNCTION = "aws:lambda/function:Function"


def res(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


OWN_ROLE = res(ROLE_T, "worker-role", {"name": "worker-role", "assumeRolePolicy": TRUST})
# a literal names a stack object only for a resource created after it (depends_on; issue 11, a typed decoy)
OWN_PROFILE = res(PROFILE_T, "worker-profile", {"name": "worker-profile", "role": "worker-role"}, (OWN_ROLE.urn,))


def findings(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, RULE, resources, "mandatory"))


def _lambda(role, started: bool, role_depends: tuple[str, ...] = ()):
    fn = res(FUNCTION, "f", {"name": "f", "role": role, "runtime": "python3.12", "handler": "index.handler"},
             role_depends)
    found = [fn]
    if started:
        found.append(res("aws:lambda/invocation:Invocation", "go", {"functionName": UNKNOWN, "input": "{}"}, (fn.urn,)))
    return found


RUNNERS = {
    "lambda_existing_role": _lambda(ADMIN, started=True),
    "lambda_scheduled_literal": [
        res(FUNCTION, "nightly", {"name": "nightly", "role": ADMIN}),
        res("aws:cloudwatch/eventTarget:EventTarget", "nightly-t",
            {"rule": "every-night", "arn": "arn:aws:lambda:eu-west-1:123456789012:function:nightly"},
            (urn(FUNCTION, "nightly"),))],
    "ec2_userdata": [res("aws:ec2/instance:Instance", "worker", {
        "ami": "ami-0123456789abcdef0", "instanceType": "t3.micro",
        "iamInstanceProfile": "OrganizationAccountAccessProfile", "userData": "#!/bin/sh\naws iam create-access-key"})],
    "launch_template": [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        "iamInstanceProfile": {"arn": "arn:aws:iam::123456789012:instance-profile/admin"}})],
    "ecs_service": [
        res("aws:ecs/taskDefinition:TaskDefinition", "td", {"family": "x", "taskRoleArn": ADMIN, "containerDefinitions": "[]"}),
        res("aws:ecs/service:Service", "svc", {"cluster": "default", "taskDefinition": UNKNOWN, "desiredCount": 1},
            (urn("aws:ecs/taskDefinition:TaskDefinition", "td"),))],
    "codebuild_webhook": [
        res("aws:codebuild/project:Project", "build", {"name": "build", "serviceRole": ADMIN}),
        res("aws:codebuild/webhook:Webhook", "hook", {"projectName": "build"},
            (urn("aws:codebuild/project:Project", "build"),))],
    "stepfunctions_scheduled": [
        res("aws:sfn/stateMachine:StateMachine", "sm", {"name": "sm", "roleArn": ADMIN, "definition": "{}"}),
        res("aws:scheduler/schedule:Schedule", "every-minute", {
            "scheduleExpression": "rate(1 minute)", "flexibleTimeWindow": {"mode": "OFF"},
            "target": {"arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:sm",
                       "roleArn": "arn:aws:iam::123456789012:role/scheduler-invoke"}},
            (urn("aws:sfn/stateMachine:StateMachine", "sm"),))],
    "glue_trigger": [
        res("aws:glue/job:Job", "etl", {"name": "etl", "roleArn": ADMIN, "command": {"scriptLocation": "s3://b/x.py"}}),
        res("aws:glue/trigger:Trigger", "now", {"type": "ON_DEMAND", "startOnCreation": True,
                                                "actions": [{"jobName": "etl"}]},
            (urn("aws:glue/job:Job", "etl"),))],
    "scheduler_universal": [res("aws:scheduler/schedule:Schedule", "s", {
        "scheduleExpression": "rate(1 minute)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": "arn:aws:scheduler:::aws-sdk:s3:deleteBucket", "roleArn": ADMIN, "input": "{}"}})],
}
FLAGGED = {"lambda_existing_role": "f", "lambda_scheduled_literal": "nightly", "ec2_userdata": "worker",
           "launch_template": "lt", "ecs_service": "td", "codebuild_webhook": "build", "stepfunctions_scheduled": "sm",
           "glue_trigger": "etl", "scheduler_universal": "s"}


@pytest.mark.parametrize("case", sorted(RUNNERS))
def test_code_run_as_a_role_the_stack_does_not_define_blocks(pack, case):
    found = findings(pack, *RUNNERS[case])
    assert list(found) == [FLAGGED[case]], found
    assert "which this stack does not define: cannot check what that identity may do" in found[FLAGGED[case]]


def test_the_same_runners_with_the_stacks_own_role_pass(pack):
    role_by_output = (OWN_ROLE.urn,)
    assert findings(pack, OWN_ROLE, *_lambda(UNKNOWN, started=True, role_depends=role_by_output)) == {}
    # a literal ARN is the stack's role only in an account known to be the stack's (test_..._role_arn_account.py)
    pack.configure({RULE: {"ownAccountIds": ["123456789012"]}})
    try:
        assert findings(pack, OWN_ROLE, *_lambda("arn:aws:iam::123456789012:role/worker-role", started=True,
                                                 role_depends=(OWN_ROLE.urn,))) == {}
    finally:
        pack.configure({})
    assert findings(pack, OWN_ROLE, OWN_PROFILE, res("aws:ec2/instance:Instance", "worker", {
        "ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "iamInstanceProfile": "worker-profile",
        "userData": "#!/bin/sh\necho hi"}, (OWN_PROFILE.urn,))) == {}
    assert findings(pack, OWN_ROLE, res("aws:ecs/taskDefinition:TaskDefinition", "td", {
        "family": "x", "taskRoleArn": UNKNOWN, "containerDefinitions": "[]"}, (OWN_ROLE.urn,)),
        res("aws:ecs/service:Service", "svc", {"taskDefinition": "x", "desiredCount": 1},
            (urn("aws:ecs/taskDefinition:TaskDefinition", "td"),))) == {}
    # an instance without a profile, a task without a task role: no AWS credentials at all
    assert findings(pack, res("aws:ec2/instance:Instance", "bare", {"ami": "ami-0123456789abcdef0", "userData": "x"}),
                    res("aws:ecs/taskDefinition:TaskDefinition", "plain", {"family": "p", "containerDefinitions": "[]"}),
                    res("aws:ecs/service:Service", "svc", {"taskDefinition": "p"},
                        (urn("aws:ecs/taskDefinition:TaskDefinition", "plain"),))) == {}


def test_a_function_nothing_starts_is_not_run_by_the_deploy(pack):
    assert findings(pack, *_lambda(ADMIN, started=False)) == {}


def test_an_instance_profile_of_the_stack_holding_an_existing_role_is_cannot_check(pack):
    profile = res(PROFILE_T, "p", {"name": "p", "role": "OrganizationAccountAccessRole"})
    found = findings(pack, profile, res("aws:ec2/instance:Instance", "worker", {"ami": "ami-1", "iamInstanceProfile": "p"},
                                        (profile.urn,)))
    assert list(found) == ["worker"] and "instance profile p with role OrganizationAccountAccessRole" in found["worker"]


def test_a_role_known_only_at_deployment_that_no_dependency_explains_is_not_yet_known(pack):
    # reported as the engine reports a policy it cannot run during preview (not a pass, not a violation yet)
    found = [message for _, message in stack_findings(pack, RULE, _lambda(UNKNOWN, started=True))]
    assert len(found) == 1 and "cannot check until known: role is computed during preview" in found[0], found


@pytest.mark.parametrize("action", ["iam:createAccessKey", "iam:attachUserPolicy", "sts:assumeRole",
                                    "organizations:createAccount", "ssoadmin:createAccountAssignment"])
def test_a_universal_target_writing_to_identity_services_blocks_with_the_stacks_own_role(pack, action):
    schedule = res("aws:scheduler/schedule:Schedule", "s", {
        "scheduleExpression": "rate(1 minute)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": f"arn:aws:scheduler:::aws-sdk:{action}", "roleArn": "worker-role", "input": "{}"}})
    found = findings(pack, OWN_ROLE, schedule)
    assert list(found) == ["s"] and f"calls {action} through a Scheduler universal target" in found["s"]


def test_universal_reads_and_templated_targets_with_the_stacks_role_pass(pack):
    def schedule(name, arn):
        return res("aws:scheduler/schedule:Schedule", name, {
            "scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {"mode": "OFF"},
            "target": {"arn": arn, "roleArn": "worker-role"}}, (OWN_ROLE.urn,))
    assert findings(pack, OWN_ROLE, schedule("read", "arn:aws:scheduler:::aws-sdk:iam:listUsers"),
                    schedule("queue", "arn:aws:sqs:eu-west-1:123456789012:jobs"),
                    schedule("s3", "arn:aws:scheduler:::aws-sdk:s3:listBuckets")) == {}


def _event_target(name, arn, **extra):
    return res("aws:cloudwatch/eventTarget:EventTarget", name, {"rule": "every", "arn": arn, **extra})


def test_an_eventbridge_target_running_an_ssm_document_on_instances_blocks(pack):
    """red9a 19: a rule every 5 minutes sending AWS-RunShellScript to every prod instance passed."""
    runcmd = _event_target("runcmd", "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript", roleArn=ADMIN,
                           input=json.dumps({"commands": ["id"]}), runCommandTargets=[{"key": "tag:Env", "values": ["prod"]}])
    automation = _event_target("auto", "arn:aws:ssm:eu-west-1:123456789012:automation-definition/Custom-Doc:$DEFAULT",
                               roleArn="worker-role")
    found = findings(pack, OWN_ROLE, runcmd, automation)
    assert sorted(found) == ["auto", "runcmd"]
    assert "runs SSM document AWS-RunShellScript on instances on every event of its rule" in found["runcmd"]
    # look-alikes: AWS's inventory document, a Lambda or SQS target
    assert findings(pack, _event_target("inv", "arn:aws:ssm:eu-west-1::document/AWS-GatherSoftwareInventory"),
                    _event_target("q", "arn:aws:sqs:eu-west-1:123456789012:jobs")) == {}


def test_a_universal_target_sending_commands_blocks(pack):
    schedule = res("aws:scheduler/schedule:Schedule", "s", {
        "scheduleExpression": "rate(5 minutes)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": "arn:aws:scheduler:::aws-sdk:ssm:sendCommand", "roleArn": "worker-role", "input": "{}"}})
    found = findings(pack, OWN_ROLE, schedule)
    assert list(found) == ["s"] and "calls ssm:sendCommand through a Scheduler universal target" in found["s"]


def _launch(name, parameters, kind="LAUNCH", depends=()):
    return res("aws:servicecatalog/constraint:Constraint", name, {"portfolioId": "port-1", "productId": "prod-1",
                                                                  "type": kind, "parameters": parameters}, depends)


def test_a_service_catalog_launch_role_the_stack_does_not_define_is_cannot_check(pack):
    """red9a 18: a product launched as OrganizationAccountAccessRole passed."""
    found = findings(pack, _launch("launch", json.dumps({"RoleArn": ADMIN})))
    assert list(found) == ["launch"] and "launches its product's template as role " + ADMIN in found["launch"]
    assert "not the JSON object a LAUNCH constraint takes" in findings(pack, _launch("bad", "RoleArn=x"))["bad"]
    # look-alikes: the stack's own launch role, a TEMPLATE constraint, a LAUNCH constraint without a role
    own_role = res(ROLE_T, "worker-role", {**OWN_ROLE.properties, "arn": "arn:aws:iam::123456789012:role/worker-role"})
    assert findings(pack, own_role, _launch("own", json.dumps({"RoleArn": "arn:aws:iam::123456789012:role/worker-role"}),
                                            depends=(own_role.urn,)),
                    _launch("rules", json.dumps({"Rules": {}}), kind="TEMPLATE"),
                    _launch("none", json.dumps({}))) == {}


def test_depending_on_a_stack_profile_does_not_explain_a_value_another_output_may_hide(pack):
    """red12 #7 (x_unknown_identity): an instance whose profile is the EXISTING prod-admin as a constant behind a
    bucket's Output, `depends_on=[harmless stack profile]`: cannot check until known. Look-alike: the same instance
    depending on the stack profile alone (its ARN is computed at deployment) passes."""
    bucket = res("aws:s3/bucketV2:BucketV2", "marker", {})
    autonamed = res(PROFILE_T, "agent", {"role": "worker-role"}, (OWN_ROLE.urn,))

    def instance(*depends):
        return res("aws:ec2/instance:Instance", "vm", {"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro",
                                                       "iamInstanceProfile": UNKNOWN, "userData": "#!/bin/sh\n"}, depends)

    found = [m for _, m in stack_findings(pack, RULE, [OWN_ROLE, autonamed, bucket, instance(autonamed.urn, bucket.urn)])]
    assert [m.endswith("cannot check until known: iamInstanceProfile is computed during preview") for m in found] == [True]
    assert stack_findings(pack, RULE, [OWN_ROLE, autonamed, bucket, instance(autonamed.urn)]) == []


def test_depending_on_a_stack_function_does_not_explain_an_invoked_name_another_output_may_hide(pack):
    """issue 11: an Invocation whose functionName is a constant behind a bucket's Output (an existing admin function)
    with `depends_on=[the stack's harmless function]` passed as an invocation of that function: cannot check until
    known. Look-alike: the same Invocation depending on the stack function alone passes."""
    fn = res(FUNCTION, "f", {"role": UNKNOWN, "runtime": "python3.12", "handler": "index.handler"}, (OWN_ROLE.urn,))
    bucket = res("aws:s3/bucketV2:BucketV2", "marker", {})

    def invocation(*depends):
        return res("aws:lambda/invocation:Invocation", "go", {"functionName": UNKNOWN, "input": "{}"}, depends)

    found = [m for _, m in stack_findings(pack, RULE, [OWN_ROLE, fn, bucket, invocation(fn.urn, bucket.urn)])]
    assert [m.endswith("cannot check until known: functionName is computed during preview") for m in found] == [True], found
    assert stack_findings(pack, RULE, [OWN_ROLE, fn, bucket, invocation(fn.urn)]) == []
