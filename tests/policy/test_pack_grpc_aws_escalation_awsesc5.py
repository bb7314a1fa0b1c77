"""issue 11 (red20 r20-1, r20-2, awsesc5) over gRPC: PassRole to services that run the holder's code as the passed
role, code on an existing resource's role, and credentials minted for other principals, that passed with AWS-012's
advisory.

Each method of escalation_methods.yaml added for them blocks alone as AGID-AWS-020 (mandatory) on a managed policy
granting it on `*`, with its exact method id; each has a look-alike (the same verbs without PassRole, PassRole pinned
to a service the method cannot use, the reads of the same service, one verb short) that AGID-AWS-020 and AGID-AWS-021
pass. Also the decision on states:CreateStateMachine + iam:PassRole without a starter (passes; each starter blocks).
The r20-1 / r20-2 repros (tools/red20repro) cover the gate end to end.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_aws_escalation_awsesc3 import (  # noqa: F401 - one set of helpers
    allow,
    aws020,
    blocks_alone,
    passes_aws020_and_021,
)


def passed_to(service: str) -> dict:
    return allow("iam:PassRole", condition={"StringEquals": {"iam:PassedToService": service}})


SM, EC2, ATHENA = "sagemaker.amazonaws.com", "ec2.amazonaws.com", "athena.amazonaws.com"
USERS = "arn:aws:iam::111122223333:user/*"
FLAGGED = {
    # r20-1: PassRole + a service that runs code as the passed role
    "PassRoleSageMakerEndpoint": [allow(["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig",
                                         "sagemaker:CreateEndpoint"]), passed_to(SM)],
    "PassRoleSageMakerUpdateEndpoint": [allow(["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig",
                                               "sagemaker:UpdateEndpoint"]), passed_to(SM)],
    "PassRoleSageMakerTransformJob": [allow(["sagemaker:CreateModel", "sagemaker:CreateTransformJob"]), passed_to(SM)],
    "PassRoleSageMakerPipeline": [allow(["sagemaker:CreatePipeline", "sagemaker:StartPipelineExecution"]),
                                  passed_to(SM)],
    "PassRoleSageMakerUpdatePipeline": [allow(["sagemaker:UpdatePipeline", "sagemaker:StartPipelineExecution"],
                                              "arn:aws:sagemaker:eu-west-1:111122223333:pipeline/train"), passed_to(SM)],
    "SageMakerUpdatePipelineDefinition": [allow("sagemaker:UpdatePipeline")],
    "DeadlineCreateJob": [allow("deadline:CreateJob")],
    "DeadlineAssumeQueueRoleForUser": [allow("deadline:AssumeQueueRoleForUser")],
    "PassRoleDeadlineUpdateQueue": [allow("deadline:UpdateQueue"), passed_to("deadline.amazonaws.com")],
    "PassRoleAppSyncDataSource": [allow(["appsync:CreateGraphqlApi", "appsync:CreateDataSource",
                                         "appsync:CreateResolver"]), passed_to("appsync.amazonaws.com")],
    "PassRoleAppSyncUpdateDataSource": [allow("appsync:UpdateDataSource"), passed_to("appsync.amazonaws.com")],
    "PassRoleBedrockFlow": [allow(["bedrock:CreateFlow", "bedrock:InvokeFlow"]), passed_to("bedrock.amazonaws.com")],
    "PassRoleBedrockUpdateFlow": [allow(["bedrock:UpdateFlow", "bedrock:InvokeFlow", "iam:PassRole"])],
    "PassRoleEc2CreateFleet": [allow(["ec2:CreateLaunchTemplate", "ec2:CreateFleet"]), passed_to(EC2)],
    "PassRoleEc2ModifyFleet": [allow(["ec2:CreateLaunchTemplate", "ec2:ModifyFleet", "iam:PassRole"])],
    "PassRoleEc2SpotFleet": [allow("ec2:RequestSpotFleet"), passed_to(EC2)],
    "AthenaSparkCalculation": [allow(["athena:StartSession", "athena:StartCalculationExecution"])],
    "EmrStartNotebookExecution": [allow("elasticmapreduce:StartNotebookExecution")],
    # the sweep of services whose API takes a role ARN
    "PassRoleSyntheticsCanary": [allow("synthetics:CreateCanary"), passed_to("lambda.amazonaws.com")],
    "SyntheticsUpdateCanary": [allow("synthetics:UpdateCanary")],
    "PassRoleEmrContainersJob": [allow(["emr-containers:StartJobRun", "iam:PassRole"])],
    "PassRoleKafkaConnectConnector": [allow(["kafkaconnect:CreateCustomPlugin", "kafkaconnect:CreateConnector",
                                             "iam:PassRole"])],
    # r20-2: credentials of other principals
    "IamUploadSshPublicKey": [allow("iam:UploadSSHPublicKey", USERS)],
    "IamReactivateSshPublicKey": [allow("iam:UpdateSSHPublicKey", USERS)],
    "IamUploadSigningCertificate": [allow("iam:UploadSigningCertificate", USERS)],
    "IamReactivateSigningCertificate": [allow("iam:UpdateSigningCertificate")],
    "IamMfaDeviceSwap": [allow(["iam:DeactivateMFADevice", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice"])],
    "CognitoCreateUserPoolClient": [allow("cognito-idp:CreateUserPoolClient")],
    "CognitoUpdateUserPoolClient": [allow("cognito-idp:UpdateUserPoolClient")],
    "AgentCoreWorkloadAccessToken": [allow("bedrock-agentcore:GetWorkloadAccessToken")],
    "AgentCoreWorkloadAccessTokenForJwt": [allow("bedrock-agentcore:GetWorkloadAccessTokenForJWT")],
    # other spellings IAM expands to the same actions
    "IamUploadSshPublicKey by wildcard": [allow("iam:Upload*", USERS)],
    "PassRoleEc2SpotFleet by wildcard": [allow(["ec2:RequestSpotF*", "iam:Pass*"])],
    "CognitoCreateUserPoolClient by wildcard": [allow("cognito-idp:*UserPoolClient")],
}
METHOD = {case: case.split(" ", 1)[0] for case in FLAGGED}

LAMBDA = "lambda.amazonaws.com"
LOOK_ALIKE = {
    "SageMaker endpoint without a PassRole": [allow(["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig",
                                                     "sagemaker:CreateEndpoint", "sagemaker:InvokeEndpoint"])],
    "SageMaker endpoint with a role passed to Lambda": [allow(["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig",
                                                               "sagemaker:CreateEndpoint"]), passed_to(LAMBDA)],
    "SageMaker transform without a model": [allow("sagemaker:CreateTransformJob"), passed_to(SM)],
    "SageMaker pipeline start and reads": [allow(["sagemaker:StartPipelineExecution", "sagemaker:DescribePipeline",
                                                  "sagemaker:ListPipelineExecutions"])],
    "Deadline reads and job updates": [allow(["deadline:GetJob", "deadline:ListJobs", "deadline:UpdateJob",
                                              "deadline:UpdateFleet"])],
    "Deadline queue update with a role passed to Lambda": [allow("deadline:UpdateQueue"), passed_to(LAMBDA)],
    "AppSync data source without a PassRole": [allow(["appsync:CreateGraphqlApi", "appsync:CreateDataSource",
                                                      "appsync:CreateResolver", "appsync:UpdateResolver"])],
    "AppSync data source with a role passed to Lambda": [allow(["appsync:CreateDataSource", "appsync:CreateResolver"]),
                                                         passed_to(LAMBDA)],
    "Bedrock flow without a PassRole": [allow(["bedrock:CreateFlow", "bedrock:InvokeFlow"])],
    "Bedrock flow with a role passed to Lambda": [allow(["bedrock:CreateFlow", "bedrock:InvokeFlow"]),
                                                  passed_to(LAMBDA)],
    "EC2 fleet without a launch template write": [allow("ec2:CreateFleet"), passed_to(EC2)],
    "EC2 fleets without a PassRole": [allow(["ec2:CreateLaunchTemplate", "ec2:CreateFleet", "ec2:RequestSpotFleet"])],
    "Spot Fleet with a role passed to ECS tasks": [allow("ec2:RequestSpotFleet"), passed_to("ecs-tasks.amazonaws.com")],
    "Athena session without a calculation": [allow(["athena:StartSession", "athena:GetSession"])],
    "Athena Spark workgroup update without a PassRole": [allow(["athena:UpdateWorkGroup", "athena:CreateWorkGroup"])],
    "EMR notebook reads": [allow(["elasticmapreduce:DescribeNotebookExecution",
                                  "elasticmapreduce:ListNotebookExecutions", "elasticmapreduce:StopNotebookExecution"])],
    "SSH key and certificate reads": [allow(["iam:ListSSHPublicKeys", "iam:GetSSHPublicKey",
                                             "iam:ListSigningCertificates"], USERS)],
    "MFA device of the holder's own creation only": [allow(["iam:CreateVirtualMFADevice", "iam:ListMFADevices"])],
    "MFA swap without the deactivation": [allow(["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"], USERS)],
    "Cognito client reads": [allow(["cognito-idp:DescribeUserPoolClient", "cognito-idp:ListUserPoolClients"])],
    "AgentCore workload identity reads": [allow(["bedrock-agentcore:GetWorkloadIdentity",
                                                 "bedrock-agentcore:ListWorkloadIdentities"])],
    "Synthetics canary without a PassRole": [allow(["synthetics:CreateCanary", "synthetics:StartCanary"])],
    "Synthetics canary with a role passed to ECS tasks": [allow("synthetics:CreateCanary"),
                                                          passed_to("ecs-tasks.amazonaws.com")],
    "EMR on EKS job without a PassRole": [allow(["emr-containers:StartJobRun", "emr-containers:DescribeJobRun"])],
    "MSK Connect connector without a plugin upload": [allow(["kafkaconnect:CreateConnector", "kafkaconnect:UpdateConnector",
                                                             "iam:PassRole"])],
    # decided: a new state machine with a passed role runs only when something starts it (each starter is a method)
    "state machine create with a PassRole and no starter": [allow("states:CreateStateMachine"),
                                                            passed_to("states.amazonaws.com")],
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_each_method_blocks_alone(pack, case) -> None:
    assert f"({METHOD[case]}): can " in blocks_alone(pack, *FLAGGED[case])


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_each_look_alike_passes(pack, case) -> None:
    passes_aws020_and_021(pack, *LOOK_ALIKE[case])


@pytest.mark.parametrize(("starter", "method"), [
    ("states:StartExecution", "PassRoleStepFunctions"),
    ("states:StartSyncExecution", "PassRoleStepFunctionsSync"),
    ("events:PutTargets", "PassRoleEventBridgeRuleTarget"),
    ("scheduler:CreateSchedule", "PassRoleScheduler"),
])
def test_a_state_machine_with_a_passed_role_blocks_with_any_starter(pack, starter, method) -> None:
    names, messages = aws020(pack, allow(["states:CreateStateMachine", starter]), allow("iam:PassRole"))
    assert names == ["tool"] and f"({method})" in messages[0], messages


def test_a_named_target_of_a_takeover_method_is_not_aws020s(pack) -> None:
    """UploadSSHPublicKey / CreateJob on one named user / queue is what that target holds: AGID-AWS-056's, not AWS-020's."""
    assert aws020(pack, allow("iam:UploadSSHPublicKey", "arn:aws:iam::111122223333:user/ci-bot")) == ([], [])
    assert aws020(pack, allow("deadline:CreateJob",
                              "arn:aws:deadline:eu-west-1:111122223333:farm/farm-1/queue/queue-1/job/*")) == ([], [])
