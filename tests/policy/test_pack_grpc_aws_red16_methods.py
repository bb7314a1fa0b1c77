"""red16 r16-3 over gRPC: update / sync / console twins of listed escalation methods and other services that run a
passed role (EMR steps, SSM association updates, the EC2 serial console, EKS access entry updates and identity
provider configs, EventBridge rule targets and pipes, Step Functions sync executions, Elastic Beanstalk deployments,
SageMaker lifecycle config updates, Managed Flink code updates) got only AGID-AWS-012's advisory: each is an
AGID-AWS-020 method now; the read-only twin of each passes, and PassRole methods need the PassRole."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

POLICY = "aws:iam/policy:Policy"

CASES = {
    "EmrAddJobFlowSteps": ["elasticmapreduce:AddJobFlowSteps"],
    "SsmUpdateAssociation": ["ssm:UpdateAssociation"],
    "Ec2SerialConsoleSshKey": ["ec2-instance-connect:SendSerialConsoleSSHPublicKey"],
    "EksUpdateAccessEntry": ["eks:UpdateAccessEntry"],
    "EksAssociateIdentityProviderConfig": ["eks:AssociateIdentityProviderConfig"],
    "PassRoleEventBridgeRuleTarget": ["iam:PassRole", "events:PutRule", "events:PutTargets"],
    "PassRoleEventBridgePipe": ["iam:PassRole", "pipes:CreatePipe"],
    "PassRoleEventBridgeUpdatePipe": ["iam:PassRole", "pipes:UpdatePipe"],
    "PassRoleStepFunctionsSync": ["iam:PassRole", "states:CreateStateMachine", "states:StartSyncExecution"],
    "ElasticBeanstalkDeployVersion": ["elasticbeanstalk:CreateApplicationVersion", "elasticbeanstalk:UpdateEnvironment"],
    "SageMakerUpdateNotebookLifecycleConfig": ["sagemaker:UpdateNotebookInstanceLifecycleConfig",
                                               "sagemaker:StopNotebookInstance", "sagemaker:StartNotebookInstance"],
    "KinesisAnalyticsUpdateApplication": ["kinesisanalytics:UpdateApplication"],
}
READ_TWIN = {
    "elasticmapreduce": ["elasticmapreduce:DescribeCluster"], "ssm": ["ssm:DescribeAssociation"],
    "ec2-instance-connect": ["ec2:GetSerialConsoleAccessStatus"],
    "eks": ["eks:DescribeAccessEntry", "eks:DescribeIdentityProviderConfig"], "events": ["events:DescribeRule"],
    "pipes": ["pipes:DescribePipe"], "states": ["states:DescribeStateMachine"],
    "elasticbeanstalk": ["elasticbeanstalk:DescribeEnvironments"],
    "sagemaker": ["sagemaker:DescribeNotebookInstanceLifecycleConfig"],
    "kinesisanalytics": ["kinesisanalytics:DescribeApplication"],
}


def policy(actions: list[str]) -> tuple:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    return (POLICY, "tool", {"policy": json.dumps(document)})


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_method_blocks_and_its_read_only_twin_passes(pack, method) -> None:
    actions = CASES[method]
    assert flagged_names(pack, "AGID-AWS-020", policy(actions), "mandatory") == ["tool"]
    services = {a.split(":", 1)[0] for a in actions if a != "iam:PassRole"}
    twin = [a for s in sorted(services) for a in READ_TWIN[s]]
    assert flagged_names(pack, "AGID-AWS-020", policy(twin)) == []


@pytest.mark.parametrize("method", sorted(m for m in CASES if "iam:PassRole" in CASES[m]))
def test_passrole_methods_need_the_passrole(pack, method) -> None:
    actions = [a for a in CASES[method] if a != "iam:PassRole"]
    assert flagged_names(pack, "AGID-AWS-020", policy(actions)) == []


def test_passrole_to_another_service_does_not_meet_the_pipe_method(pack) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["pipes:CreatePipe", "events:PutRule", "events:PutTargets"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "logs.amazonaws.com"}}}]}
    assert flagged_names(pack, "AGID-AWS-020", (POLICY, "tool", {"policy": json.dumps(document)})) == []
