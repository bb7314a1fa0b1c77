"""AGID-AWS-057 over gRPC, inherited identities (issue 11): an instance, Auto Scaling group, EC2 Fleet, Spot request
or Spot Fleet launched from a launch template (or configuration), an Image Builder image built on an infrastructure
configuration, an ECS service or task set, a schedule, an EventBridge target, a pipe, an event source mapping, an S3
notification, an SNS subscription, a CodeBuild webhook, a CodePipeline action, a Glue trigger, a SageMaker endpoint or
a Batch job queue starting or serving a task definition, function,
state machine, project, job definition or job: each runs code as the identity of ANOTHER object it names. An object
the stack does not define is "cannot check: runs code as the identity of existing <object>"; the same resources
naming the stack's own object (name, id, ARN or Output) pass, and that object's own identity is judged where it is
defined (a stack launch template with an existing profile is flagged on the template).

Before: each flagged case passed `agentid preview`.
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


INHERITED = "cannot check: runs code as the identity of existing"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "ec2.amazonaws.com"}}]})
ROLE_T = "aws:iam/role:Role"
PROFILE_T = "aws:iam/instanceProfile:InstanceProfile"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
LC = "aws:ec2/launchConfiguration:LaunchConfiguration"
TASKDEF = "aws:ecs/taskDefinition:TaskDefinition"
FUNCTION = "aws:lambda/function:Function"
INFRA = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
EXISTING_FN = "arn:aws:lambda:eu-west-1:123456789012:function:org-admin-automation"
EXISTING_TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/prod-admin:7"


def res(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


OWN_ROLE = res(ROLE_T, "worker-role", {"name": "worker-role", "assumeRolePolicy": TRUST})
# A literal names a stack object only for a resource created after it (issue 11, a typed decoy): each one that names
# another by a literal depends on it, as `depends_on` (or an Output) makes it
OWN_PROFILE = res(PROFILE_T, "worker-profile", {"name": "worker-profile", "role": "worker-role"}, (OWN_ROLE.urn,))
OWN_LT = res(LT, "web-lt", {"name": "web-lt", "iamInstanceProfile": {"name": "worker-profile"}}, (OWN_PROFILE.urn,))
BARE_LT = res(LT, "bare-lt", {"name": "bare-lt", "imageId": "ami-0123456789abcdef0"})  # no profile: no credentials
OWN_LC = res(LC, "web-lc", {"name": "web-lc", "imageId": "ami-1", "instanceType": "t3.micro",
                            "iamInstanceProfile": "worker-profile"}, (OWN_PROFILE.urn,))
OWN_TD = res(TASKDEF, "web-td", {"family": "web", "taskRoleArn": UNKNOWN, "containerDefinitions": "[]"},
             (OWN_ROLE.urn,))
OWN_FN = res(FUNCTION, "web-fn", {"name": "web-fn", "role": UNKNOWN, "runtime": "python3.12", "handler": "i.h"},
             (OWN_ROLE.urn,))
OWN_INFRA = res(INFRA, "infra", {"name": "infra", "instanceProfileName": "worker-profile"}, (OWN_PROFILE.urn,))
OWN = [OWN_ROLE, OWN_PROFILE, OWN_LT, BARE_LT, OWN_LC, OWN_TD, OWN_FN, OWN_INFRA]
AFTER_OWN = tuple(r.urn for r in OWN)  # depends_on every stack object above


def findings(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, RULE, [*OWN, *resources], "mandatory"))


def lt_spec(**spec):
    return spec


FLAGGED = {
    "instance_lt_id": (res("aws:ec2/instance:Instance", "x", {"launchTemplate": {"id": "lt-0abc1234def567890"}}),
                       "launchTemplate.id"),
    "spot_instance_lt_name": (res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", "x", {
        "launchTemplate": {"name": "prod-admin-lt"}}), "launchTemplate.name"),
    "asg_lt": (res("aws:autoscaling/group:Group", "x", {"maxSize": 1, "minSize": 1, "launchTemplate": {
        "id": "lt-0abc1234def567890", "version": "$Latest"}}), "launchTemplate.id"),
    "asg_mixed_override": (res("aws:autoscaling/group:Group", "x", {"maxSize": 1, "minSize": 1, "mixedInstancesPolicy": {
        "launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": "web-lt"},
                           "overrides": [{"instanceType": "c5.large", "launchTemplateSpecification": {
                               "launchTemplateName": "prod-admin-lt"}}]}}}),
        "mixedInstancesPolicy.launchTemplate.overrides[0].launchTemplateSpecification.launchTemplateName"),
    "asg_launch_configuration": (res("aws:autoscaling/group:Group", "x", {"maxSize": 1, "minSize": 1,
                                                                         "launchConfiguration": "prod-admin-lc"}),
                                 "launchConfiguration"),
    "ec2_fleet": (res("aws:ec2/fleet:Fleet", "x", {"launchTemplateConfigs": [{"launchTemplateSpecification": {
        "launchTemplateId": "lt-0abc1234def567890", "version": "1"}}], "targetCapacitySpecification": {
        "defaultTargetCapacityType": "spot", "totalTargetCapacity": 1}}),
        "launchTemplateConfigs[0].launchTemplateSpecification.launchTemplateId"),
    "spot_fleet_lt": (res("aws:ec2/spotFleetRequest:SpotFleetRequest", "x", {
        "iamFleetRole": "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role", "targetCapacity": 1,
        "launchTemplateConfigs": [{"launchTemplateSpecification": {"name": "prod-admin-lt", "version": "1"}}]}),
        "launchTemplateConfigs[0].launchTemplateSpecification.name"),
    "imagebuilder_image": (res("aws:imagebuilder/image:Image", "x", {
        "imageRecipeArn": "arn:aws:imagebuilder:eu-west-1:123456789012:image-recipe/r/1.0.0",
        "infrastructureConfigurationArn":
            "arn:aws:imagebuilder:eu-west-1:123456789012:infrastructure-configuration/prod-builders"}),
        "infrastructureConfigurationArn"),
    "imagebuilder_pipeline": (res("aws:imagebuilder/imagePipeline:ImagePipeline", "x", {
        "imageRecipeArn": "arn:aws:imagebuilder:eu-west-1:123456789012:image-recipe/r/1.0.0",
        "infrastructureConfigurationArn":
            "arn:aws:imagebuilder:eu-west-1:123456789012:infrastructure-configuration/prod-builders"}),
        "infrastructureConfigurationArn"),
    "ecs_service": (res("aws:ecs/service:Service", "x", {"cluster": "default", "taskDefinition": EXISTING_TD}),
                    "taskDefinition"),
    "ecs_task_set": (res("aws:ecs/taskSet:TaskSet", "x", {"cluster": "c", "service": "s", "taskDefinition": "prod-admin"}),
                     "taskDefinition"),
    "schedule_ecs": (res("aws:scheduler/schedule:Schedule", "x", {
        "scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {"mode": "OFF"}, "target": {
            "arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/default", "roleArn": "worker-role",
            "ecsParameters": {"taskDefinitionArn": EXISTING_TD}}}), "target.ecsParameters.taskDefinitionArn"),
    "schedule_lambda": (res("aws:scheduler/schedule:Schedule", "x", {
        "scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": EXISTING_FN, "roleArn": "worker-role"}}), "target.arn"),
    "event_target_lambda": (res("aws:cloudwatch/eventTarget:EventTarget", "x", {"rule": "r", "arn": EXISTING_FN}), "arn"),
    "event_target_ecs": (res("aws:cloudwatch/eventTarget:EventTarget", "x", {
        "rule": "r", "arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/default", "roleArn": "worker-role",
        "ecsTarget": {"taskDefinitionArn": EXISTING_TD}}), "ecsTarget.taskDefinitionArn"),
    "event_target_state_machine": (res("aws:cloudwatch/eventTarget:EventTarget", "x", {
        "rule": "r", "arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-admin"}), "arn"),
    "event_target_codebuild": (res("aws:cloudwatch/eventTarget:EventTarget", "x", {
        "rule": "r", "arn": "arn:aws:codebuild:eu-west-1:123456789012:project/prod-deploy"}), "arn"),
    "pipe_lambda": (res("aws:pipes/pipe:Pipe", "x", {"roleArn": "worker-role", "source": "arn:aws:sqs:eu-west-1:1:q",
                                                    "target": EXISTING_FN}), "target"),
    "event_source_mapping": (res("aws:lambda/eventSourceMapping:EventSourceMapping", "x", {
        "functionName": "org-admin-automation", "eventSourceArn": "arn:aws:sqs:eu-west-1:1:q"}), "functionName"),
    "bucket_notification": (res("aws:s3/bucketNotification:BucketNotification", "x", {
        "bucket": "b", "lambdaFunctions": [{"lambdaFunctionArn": EXISTING_FN, "events": ["s3:ObjectCreated:*"]}]}),
        "lambdaFunctions[0].lambdaFunctionArn"),
    "sns_subscription": (res("aws:sns/topicSubscription:TopicSubscription", "x", {
        "topic": "arn:aws:sns:eu-west-1:1:t", "protocol": "lambda", "endpoint": EXISTING_FN}), "endpoint"),
    "codebuild_webhook": (res("aws:codebuild/webhook:Webhook", "x", {"projectName": "prod-deploy"}), "projectName"),
    "glue_trigger": (res("aws:glue/trigger:Trigger", "x", {"type": "ON_DEMAND", "actions": [{"jobName": "prod-etl"}]}),
                     "actions[0].jobName"),
    "codepipeline_codebuild_action": (res("aws:codepipeline/pipeline:Pipeline", "x", {"roleArn": "worker-role", "stages": [
        {"name": "Source", "actions": [{"name": "s", "category": "Source", "owner": "AWS", "provider": "S3",
                                        "version": "1", "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}}]},
        {"name": "Build", "actions": [{"name": "b", "category": "Build", "owner": "AWS", "provider": "CodeBuild",
                                       "version": "1", "configuration": {"ProjectName": "prod-deploy"}}]}]}),
        "stages[1].actions[0].configuration.ProjectName"),
    "codepipeline_lambda_action": (res("aws:codepipeline/pipeline:Pipeline", "x", {"roleArn": "worker-role", "stages": [
        {"name": "Invoke", "actions": [{"name": "i", "category": "Invoke", "owner": "AWS", "provider": "Lambda",
                                        "version": "1", "configuration": {"FunctionName": "org-admin-automation"}}]}]}),
        "stages[0].actions[0].configuration.FunctionName"),
    "sagemaker_endpoint": (res("aws:sagemaker/endpoint:Endpoint", "x", {"endpointConfigName": "prod-admin-config"}),
                           "endpointConfigName"),
    "sagemaker_endpoint_existing_model": (res("aws:sagemaker/endpoint:Endpoint", "x", {"endpointConfigName": "cfg"}),
                                          "cfg.productionVariants[0].modelName"),
    "batch_queue_existing_environment": (res("aws:batch/jobQueue:JobQueue", "x", {"priority": 1, "state": "ENABLED",
        "computeEnvironmentOrders": [{"order": 1, "computeEnvironment":
            "arn:aws:batch:eu-west-1:123456789012:compute-environment/prod-admin-ce"}]}),
        "computeEnvironmentOrders[0].computeEnvironment"),
    # a stack alias of a function the stack does not define runs that function
    "alias_of_existing_function": (res("aws:lambda/eventSourceMapping:EventSourceMapping", "x", {
        "functionName": UNKNOWN, "eventSourceArn": "arn:aws:sqs:eu-west-1:1:q"},
        (urn("aws:lambda/alias:Alias", "live"),)), "live.functionName"),
}
# each created after every stack object (depends_on them all, and on the endpoint configuration of its case): a
# dependency does not make an existing object the stack's
FLAGGED = {case: (res(r.type, r.name, dict(r.properties), tuple(r.dependencies) or (
    *AFTER_OWN, urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg"))), where)
    for case, (r, where) in FLAGGED.items()}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_code_run_as_an_existing_objects_identity_blocks(pack, case):
    resource, where = FLAGGED[case]
    extra = {"alias_of_existing_function": [res("aws:lambda/alias:Alias", "live", {
        "name": "live", "functionName": "org-admin-automation", "functionVersion": "1"})],
        "sagemaker_endpoint_existing_model": [res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg", {
            "name": "cfg", "productionVariants": [{"modelName": "prod-admin-model", "variantName": "a"}]})],
    }.get(case, [])
    found = findings(pack, resource, *extra)
    assert list(found) == ["x"], found
    assert INHERITED in found["x"] and f"({where})" in found["x"], found["x"]


def test_the_same_resources_naming_the_stacks_own_objects_pass(pack):
    alias = res("aws:lambda/alias:Alias", "live", {"name": "live", "functionName": UNKNOWN, "functionVersion": "1"},
                (OWN_FN.urn,))
    resources = [
        res("aws:ec2/instance:Instance", "i1", {"launchTemplate": {"id": UNKNOWN}}, (OWN_LT.urn,)),
        res("aws:ec2/instance:Instance", "i2", {"launchTemplate": {"name": "bare-lt"}}),
        # the instance's own (stack) profile replaces an existing template's
        res("aws:ec2/instance:Instance", "i3", {"launchTemplate": {"id": "lt-0abc1234def567890"},
                                                "iamInstanceProfile": "worker-profile"}, (OWN_PROFILE.urn,)),
        res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", "s1", {"launchTemplate": {"name": "web-lt"}}),
        res("aws:autoscaling/group:Group", "g1", {"maxSize": 1, "minSize": 1, "mixedInstancesPolicy": {"launchTemplate": {
            "launchTemplateSpecification": {"launchTemplateId": UNKNOWN}, "overrides": [{"instanceType": "c5.large"}]}}},
            (OWN_LT.urn,)),
        res("aws:autoscaling/group:Group", "g2", {"maxSize": 1, "minSize": 1, "launchConfiguration": "web-lc"}),
        res("aws:ec2/fleet:Fleet", "f1", {"launchTemplateConfigs": [{"launchTemplateSpecification": {
            "launchTemplateName": "web-lt", "version": "1"}}]}),
        StackResource("aws:ec2/spotFleetRequest:SpotFleetRequest", "sf1",
                      urn("aws:ec2/spotFleetRequest:SpotFleetRequest", "sf1"), {"iamFleetRole": "worker-role",
                      "launchTemplateConfigs": [{"launchTemplateSpecification": {"id": UNKNOWN, "version": "1"}}]},
                      dependencies=[OWN_LT.urn, OWN_ROLE.urn], property_dependencies={
                          "launchTemplateConfigs": [OWN_LT.urn], "iamFleetRole": []}),
        res("aws:imagebuilder/image:Image", "img", {"infrastructureConfigurationArn":
            "arn:aws:imagebuilder:eu-west-1:123456789012:infrastructure-configuration/infra"}),
        res("aws:ecs/service:Service", "svc", {"taskDefinition": "web:3"}),
        res("aws:ecs/taskSet:TaskSet", "ts", {"taskDefinition": UNKNOWN}, (OWN_TD.urn,)),
        res("aws:cloudwatch/eventTarget:EventTarget", "t1", {"rule": "r", "arn":
            "arn:aws:lambda:eu-west-1:123456789012:function:web-fn"}),
        # targets that run no code of an identity: a queue, a log group (and an Output of the stack's queue)
        res("aws:cloudwatch/eventTarget:EventTarget", "t2", {"rule": "r", "arn": "arn:aws:sqs:eu-west-1:1:jobs"}),
        res("aws:sqs/queue:Queue", "q", {"name": "q"}),
        res("aws:cloudwatch/eventTarget:EventTarget", "t3", {"rule": "r", "arn": UNKNOWN},
            (urn("aws:sqs/queue:Queue", "q"),)),
        res("aws:scheduler/schedule:Schedule", "sch", {"scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {
            "mode": "OFF"}, "target": {"arn": "arn:aws:sqs:eu-west-1:1:jobs", "roleArn": "worker-role"}}),
        res("aws:sns/topicSubscription:TopicSubscription", "sub", {"topic": "t", "protocol": "https",
                                                                  "endpoint": "https://hooks.example.com/x"}),
        alias,
        res("aws:lambda/eventSourceMapping:EventSourceMapping", "esm", {"functionName": UNKNOWN}, (alias.urn,)),
        # a Jenkins action's ProjectName is a Jenkins job, not a CodeBuild project; the stack's project and function
        res("aws:codepipeline/pipeline:Pipeline", "pipe", {"roleArn": "worker-role", "stages": [
            {"name": "Build", "actions": [
                {"name": "j", "category": "Build", "owner": "Custom", "provider": "Jenkins", "version": "1",
                 "configuration": {"ProjectName": "prod-deploy"}},
                {"name": "b", "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1",
                 "configuration": {"ProjectName": "web-build"}},
                {"name": "i", "category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1",
                 "configuration": {"FunctionName": "web-fn"}}]}]}),
        res("aws:codebuild/project:Project", "web-build", {"name": "web-build", "serviceRole": "worker-role"}),
        res("aws:sagemaker/model:Model", "m", {"name": "m", "executionRoleArn": "worker-role"}),
        res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg", {
            "name": "cfg", "productionVariants": [{"modelName": "m", "variantName": "a"}]}),
        res("aws:sagemaker/endpoint:Endpoint", "ep", {"endpointConfigName": UNKNOWN},
            (urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg"),)),
        res("aws:batch/computeEnvironment:ComputeEnvironment", "ce", {"type": "MANAGED", "computeResources": {
            "instanceRole": "worker-profile", "type": "EC2", "maxVcpus": 4, "subnets": ["s"], "instanceTypes": ["m5"]}}),
        res("aws:batch/jobQueue:JobQueue", "jq", {"priority": 1, "state": "ENABLED", "computeEnvironmentOrders": [
            {"order": 1, "computeEnvironment": UNKNOWN}]}, (urn("aws:batch/computeEnvironment:ComputeEnvironment", "ce"),)),
    ]
    # each one naming a stack object by a literal is created after them all (depends_on)
    every = (*AFTER_OWN, *(r.urn for r in resources))
    resources = [r if r.dependencies else res(r.type, r.name, dict(r.properties), every) for r in resources]
    assert findings(pack, *resources) == {}


def test_a_stack_launch_template_with_an_existing_profile_is_flagged_on_the_template(pack):
    template = res(LT, "admin-lt", {"name": "admin-lt", "iamInstanceProfile": {"name": "OrganizationAdminProfile"}})
    found = findings(pack, template, res("aws:ec2/instance:Instance", "i", {"launchTemplate": {"name": "admin-lt"}},
                                         (template.urn,)))
    assert list(found) == ["admin-lt"] and "instance profile OrganizationAdminProfile" in found["admin-lt"], found


def test_a_stack_infrastructure_configuration_with_an_existing_profile_is_flagged_when_an_image_uses_it(pack):
    infra = res(INFRA, "builders", {"name": "builders", "instanceProfileName": "OrganizationAdminProfile"})
    image = res("aws:imagebuilder/image:Image", "img", {"infrastructureConfigurationArn": UNKNOWN}, (infra.urn,))
    assert findings(pack, infra) == {}  # nothing builds on it
    found = findings(pack, infra, image)
    assert list(found) == ["builders"] and "instance profile OrganizationAdminProfile" in found["builders"], found


def test_a_spot_fleet_launch_specification_with_an_existing_profile_blocks(pack):
    fleet = res("aws:ec2/spotFleetRequest:SpotFleetRequest", "sf", {"iamFleetRole": "worker-role", "launchSpecifications": [
        {"ami": "ami-1", "instanceType": "t3.micro", "iamInstanceProfileArn":
            "arn:aws:iam::123456789012:instance-profile/OrganizationAdminProfile"}]}, AFTER_OWN)
    found = findings(pack, fleet)
    assert list(found) == ["sf"] and "launchSpecifications[0].iamInstanceProfileArn" in found["sf"], found
    own = res("aws:ec2/spotFleetRequest:SpotFleetRequest", "sf", {"iamFleetRole": "worker-role", "launchSpecifications": [
        {"ami": "ami-1", "instanceType": "t3.micro", "iamInstanceProfile": "worker-profile"}]}, AFTER_OWN)
    assert findings(pack, own) == {}


def test_a_stack_project_a_pipeline_runs_is_judged_by_its_role(pack):
    # the pipeline starts the stack's project: an existing service role on it is the project's finding
    project = res("aws:codebuild/project:Project", "admin-build", {"name": "admin-build", "serviceRole":
                  "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"})
    pipeline = res("aws:codepipeline/pipeline:Pipeline", "pipe", {"roleArn": "worker-role", "stages": [
        {"name": "Build", "actions": [{"name": "b", "category": "Build", "owner": "AWS", "provider": "CodeBuild",
                                       "version": "1", "configuration": {"ProjectName": "admin-build"}}]}]},
                   (project.urn, OWN_ROLE.urn))
    assert findings(pack, project) == {}  # nothing runs it
    found = findings(pack, project, pipeline)
    assert list(found) == ["admin-build"] and "role arn:aws:iam::123456789012:role/OrganizationAccountAccessRole" in \
        found["admin-build"], found


def test_a_reference_no_stack_output_explains_is_not_yet_known(pack):
    found = stack_findings(pack, RULE, [res("aws:ecs/service:Service", "svc", {"taskDefinition": UNKNOWN})])
    assert [message for _, message in found] == [
        f"can't run policy '{RULE}' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until known: "
        "taskDefinition is computed during preview"], found


def _state_machine(states: dict, name: str = "sm", after: tuple[str, ...] = ()) -> StackResource:
    return res("aws:sfn/stateMachine:StateMachine", name, {"name": name, "roleArn": "worker-role", "definition":
                                                          json.dumps({"StartAt": next(iter(states)), "States": states})},
               (*AFTER_OWN, *after))


def _started(machine: StackResource) -> StackResource:
    return res("aws:scheduler/schedule:Schedule", "tick", {
        "scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": f"arn:aws:states:eu-west-1:123456789012:stateMachine:{machine.name}", "roleArn": "worker-role"}},
        (machine.urn, OWN_ROLE.urn))


@pytest.mark.parametrize(("state", "where"), [
    ({"Type": "Task", "Resource": EXISTING_FN, "End": True}, "definition.States.Go.Resource"),
    ({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {
        "FunctionName": "org-admin-automation", "Payload.$": "$"}, "End": True}, "definition.States.Go.Parameters.FunctionName"),
    ({"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Parameters": {
        "Cluster": "default", "TaskDefinition": EXISTING_TD}, "End": True}, "definition.States.Go.Parameters.TaskDefinition"),
    ({"Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync", "Arguments": {
        "ProjectName": "prod-deploy"}, "End": True}, "definition.States.Go.Arguments.ProjectName"),
    ({"Type": "Parallel", "End": True, "Branches": [{"StartAt": "B", "States": {"B": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun", "Parameters": {"JobName": "prod-etl"},
        "End": True}}}]}, "definition.States.Go.Branches[0].States.B.Parameters.JobName"),
])
def test_a_started_state_machine_running_an_existing_object_blocks(pack, state, where):
    machine = _state_machine({"Go": state})
    assert findings(pack, machine) == {}  # nothing starts it
    found = findings(pack, machine, _started(machine))
    assert list(found) == ["sm"] and INHERITED in found["sm"] and f"({where})" in found["sm"], found


def test_a_state_machine_running_the_stacks_own_objects_or_choosing_at_run_time_passes(pack):
    machine = _state_machine({
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:web-fn", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Parameters": {
            "TaskDefinition": "web:3"}, "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {
            "FunctionName.$": "$.fn"}, "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {
            "QueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/q", "MessageBody": "x"}, "End": True}})
    assert findings(pack, machine, _started(machine)) == {}


def test_a_stack_function_a_started_state_machine_invokes_is_judged_by_its_role(pack):
    # the machine runs the stack's function (by name or Output): an existing role on it is the function's finding
    admin_fn = res(FUNCTION, "admin-fn", {"name": "admin-fn",
                                          "role": "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"})
    by_name = _state_machine({"Go": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {
        "FunctionName": "admin-fn"}, "End": True}}, after=(admin_fn.urn,))
    assert findings(pack, admin_fn, by_name) == {}  # nothing starts the machine
    found = findings(pack, admin_fn, by_name, _started(by_name))
    assert list(found) == ["admin-fn"] and "OrganizationAccountAccessRole" in found["admin-fn"], found
    sm_type = "aws:sfn/stateMachine:StateMachine"
    by_output = StackResource(sm_type, "sm", urn(sm_type, "sm"), {"name": "sm", "roleArn": "worker-role",
                                                                 "definition": UNKNOWN},
                              dependencies=[admin_fn.urn, OWN_ROLE.urn],
                              property_dependencies={"definition": [admin_fn.urn], "roleArn": []})
    # a definition known only at deployment is not a pass: cannot check until known
    found = stack_findings(pack, RULE, [*OWN, admin_fn, by_output, _started(by_output)])
    assert [message for _, message in found] == [
        f"can't run policy '{RULE}' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until known: "
        "definition is computed during preview"], found


def test_a_stack_function_started_through_its_alias_is_judged_by_its_role(pack):
    admin_fn = res(FUNCTION, "admin-fn", {"name": "admin-fn",
                                          "role": "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"})
    alias = res("aws:lambda/alias:Alias", "live", {"name": "live", "functionName": UNKNOWN, "functionVersion": "1"},
                (admin_fn.urn,))
    mapping = res("aws:lambda/eventSourceMapping:EventSourceMapping", "esm", {
        "functionName": "arn:aws:lambda:eu-west-1:123456789012:function:admin-fn:live",
        "eventSourceArn": "arn:aws:sqs:eu-west-1:1:q"}, (alias.urn, admin_fn.urn))
    assert findings(pack, admin_fn, alias) == {}  # nothing invokes the alias
    by_output = res("aws:lambda/eventSourceMapping:EventSourceMapping", "esm", {
        "functionName": UNKNOWN, "eventSourceArn": "arn:aws:sqs:eu-west-1:1:q"}, (alias.urn,))
    for starter in (mapping, by_output):
        found = findings(pack, admin_fn, alias, starter)
        assert list(found) == ["admin-fn"] and "OrganizationAccountAccessRole" in found["admin-fn"], found


def _window_task(name: str, task_type: str, task_arn: str, *after: str) -> StackResource:
    return res("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", name, {
        "windowId": "mw-0123456789abcdef0", "taskType": task_type, "taskArn": task_arn, "serviceRoleArn": "worker-role",
        "targets": [{"key": "WindowTargetIds", "values": ["t-1"]}]}, (*AFTER_OWN, *after))


@pytest.mark.parametrize(("task_type", "task_arn", "expected"), [
    ("LAMBDA", "org-admin-automation", f"{INHERITED} Lambda function org-admin-automation (taskArn)"),
    ("STEP_FUNCTIONS", "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-admin",
     f"{INHERITED} Step Functions state machine"),
    ("RUN_COMMAND", "AWS-RunShellScript", "runs SSM document AWS-RunShellScript on its maintenance window's targets"),
])
def test_a_maintenance_window_task_running_existing_code_blocks(pack, task_type, task_arn, expected):
    found = findings(pack, _window_task("x", task_type, task_arn))
    assert list(found) == ["x"] and expected in found["x"], found


def test_a_maintenance_window_task_running_the_stacks_function_or_a_patch_baseline_passes(pack):
    assert findings(pack, _window_task("a", "LAMBDA", "web-fn"),
                    _window_task("b", "RUN_COMMAND", "AWS-RunPatchBaseline"),
                    _window_task("c", "LAMBDA", "arn:aws:lambda:eu-west-1:123456789012:function:web-fn:live")) == {}
    # the window task starts the stack's function: an existing role on it is the function's finding
    admin_fn = res(FUNCTION, "admin-fn", {"name": "admin-fn",
                                          "role": "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"})
    found = findings(pack, admin_fn, _window_task("d", "LAMBDA", "admin-fn", admin_fn.urn))
    assert list(found) == ["admin-fn"], found


def test_the_linking_inputs_property_dependencies_decide_not_depends_on(pack):
    # the engine's propertyDependencies say which Outputs flowed into taskDefinition: the stack's task definition
    # beside an unrelated depends_on passes; depends_on=[td] with the value from another resource is not td's
    queue = res("aws:sqs/queue:Queue", "q", {"name": "q"})
    from_td = StackResource("aws:ecs/service:Service", "svc", urn("aws:ecs/service:Service", "svc"),
                            {"taskDefinition": UNKNOWN}, dependencies=[OWN_TD.urn, queue.urn],
                            property_dependencies={"taskDefinition": [OWN_TD.urn]})
    assert findings(pack, queue, from_td) == {}
    hidden = StackResource("aws:ecs/service:Service", "svc", urn("aws:ecs/service:Service", "svc"),
                           {"taskDefinition": UNKNOWN}, dependencies=[OWN_TD.urn, queue.urn],
                           property_dependencies={"taskDefinition": [queue.urn]})
    found = stack_findings(pack, RULE, [*OWN, queue, hidden])
    assert [message for _, message in found] == [
        f"can't run policy '{RULE}' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until known: "
        "taskDefinition is computed during preview"], found


def test_an_arn_of_another_account_named_like_a_stack_object_is_not_that_object(pack) -> None:
    """issue 11: `EventTarget(arn="arn:aws:lambda:eu-west-1:999988887777:function:web-fn")` beside the stack's web-fn
    passed as the stack function: the name matched, the account is another. Not the stack's (blocks) when the account
    is not known own; the same ARN in the stack's account passes, and so does one in the function's real account."""
    foreign = "arn:aws:lambda:eu-west-1:999988887777:function:web-fn"
    target = res("aws:cloudwatch/eventTarget:EventTarget", "t", {"rule": "r", "arn": foreign}, AFTER_OWN)
    found = findings(pack, target)
    assert list(found) == ["t"], found
    assert (f"{INHERITED} Lambda function {foreign} (arn), which this stack does not define (named like web-fn of this "
            "stack, but account 999988887777 is a foreign account (the stack's own: 123456789012))") in found["t"], found
    pack.configure({})  # the stack's account not known at all: cannot tell, so not the stack's either
    found = findings(pack, target)
    assert list(found) == ["t"] and "cannot tell whether account 999988887777 is yours" in found["t"], found
    # the function's real ARN known (deployed): its account decides, whatever ownAccountIds says
    deployed = res(FUNCTION, "web-fn", {**OWN_FN.properties, "arn": foreign}, (OWN_ROLE.urn,))
    stack = [deployed if r is OWN_FN else r for r in OWN]
    assert dict(stack_findings(pack, RULE, [*stack, target], "mandatory")) == {}
    other = res("aws:cloudwatch/eventTarget:EventTarget", "t", {"rule": "r", "arn": foreign.replace("9999", "1111")},
                AFTER_OWN)
    assert list(dict(stack_findings(pack, RULE, [*stack, other], "mandatory"))) == ["t"]
    pack.configure({RULE: {"ownAccountIds": ["999988887777"]}})
    assert findings(pack, target) == {}
