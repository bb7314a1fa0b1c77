"""issue 11 (the sweep of escalation_services.yaml) over gRPC: services whose API takes a role and makes the calls or
runs the code the holder chooses as it — Cloud Control API resource operations, Budgets IAM-policy actions, Device Farm
test hosts.

Each method added for them blocks alone as AGID-AWS-020 (mandatory) on a managed policy granting it on `*`, with its
exact method id in the message; each has a look-alike (the same verbs without PassRole, PassRole pinned to a service
the method cannot use, the reads of the same service, one verb short) that AGID-AWS-020 and AGID-AWS-021 pass.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_aws_escalation_awsesc3 import allow, aws020, blocks_alone, passes_aws020_and_021
from tests.policy.test_pack_grpc_aws_escalation_awsesc5 import passed_to

PROJECT = "arn:aws:devicefarm:us-west-2:111122223333:project:6ddfc7c3-0c8e-4f3c-9a45-0d2b1f5c4e11"
FLAGGED = {
    "PassRoleCloudControlCreateResource": [allow(["cloudformation:CreateResource", "iam:PassRole"])],
    "PassRoleCloudControlUpdateResource": [allow("cloudformation:UpdateResource"),
                                           passed_to("cloudformation.amazonaws.com")],
    "PassRoleBudgetsIamAction": [allow("budgets:CreateBudgetAction"), passed_to("budgets.amazonaws.com")],
    "BudgetsUpdateBudgetAction": [allow("budgets:UpdateBudgetAction")],
    "PassRoleDeviceFarmRun": [allow(["devicefarm:CreateProject", "devicefarm:CreateUpload", "devicefarm:ScheduleRun"],
                                    PROJECT), passed_to("devicefarm.amazonaws.com")],
    "DeviceFarmScheduleRun": [allow(["devicefarm:CreateUpload", "devicefarm:ScheduleRun"])],
}

LOOK_ALIKE = {
    "Cloud Control create without a PassRole": [allow(["cloudformation:CreateResource", "cloudformation:GetResource",
                                                       "cloudformation:GetResourceRequestStatus"])],
    "Cloud Control reads with a PassRole": [allow(["cloudformation:GetResource", "cloudformation:ListResources",
                                                   "iam:PassRole"])],
    "budget action without a PassRole": [allow(["budgets:CreateBudgetAction", "budgets:ExecuteBudgetAction",
                                                "budgets:ModifyBudget"])],
    "budget action with a role passed to Lambda": [allow("budgets:CreateBudgetAction"),
                                                   passed_to("lambda.amazonaws.com")],
    "budget action reads": [allow(["budgets:DescribeBudgetAction", "budgets:DescribeBudgetActionsForBudget",
                                   "budgets:ViewBudget"])],
    "Device Farm run without an upload": [allow(["devicefarm:ScheduleRun", "devicefarm:GetRun",
                                                 "devicefarm:ListRuns"]), passed_to("devicefarm.amazonaws.com")],
    "Device Farm run with a role passed to EC2": [allow(["devicefarm:ScheduleRun", "devicefarm:CreateUpload"],
                                                        PROJECT), passed_to("ec2.amazonaws.com")],
}


def test_a_named_device_farm_project_is_what_it_runs_as_not_aws020s(pack) -> None:
    """CreateUpload + ScheduleRun in one named project run as that project's role: AGID-AWS-056's, not AWS-020's."""
    assert aws020(pack, allow(["devicefarm:CreateUpload", "devicefarm:ScheduleRun"], PROJECT)) == ([], [])


# second batch: Airflow Serverless workflows, Data Lifecycle Manager scripts, Neptune ML custom models
BATCH2_FLAGGED = {
    "PassRoleAirflowServerlessWorkflow": [allow(["airflow-serverless:CreateWorkflow", "iam:PassRole"])],
    "AirflowServerlessUpdateWorkflow": [allow("airflow-serverless:UpdateWorkflow")],
    "PassRoleDlmScripts": [allow("dlm:CreateLifecyclePolicy"), passed_to("dlm.amazonaws.com")],
    "DlmUpdateLifecyclePolicy": [allow("dlm:UpdateLifecyclePolicy")],
    "NeptuneMlCustomModelTraining": [allow("neptune-db:StartMLModelTrainingJob")],
    "NeptuneMlCustomModelTransform": [allow("neptune-db:StartMLModelTransformJob")],
}
BATCH2_LOOK_ALIKE = {
    "Airflow Serverless workflow without a PassRole": [allow(["airflow-serverless:CreateWorkflow",
                                                              "airflow-serverless:StartWorkflowRun"])],
    "Airflow Serverless reads": [allow(["airflow-serverless:GetWorkflow", "airflow-serverless:ListWorkflows",
                                        "iam:PassRole"])],
    "lifecycle policy without a PassRole": [allow(["dlm:CreateLifecyclePolicy", "dlm:GetLifecyclePolicy"])],
    "lifecycle policy with a role passed to EC2": [allow("dlm:CreateLifecyclePolicy"), passed_to("ec2.amazonaws.com")],
    "lifecycle policy reads": [allow(["dlm:GetLifecyclePolicy", "dlm:GetLifecyclePolicies"])],
    "Neptune ML data processing only": [allow("neptune-db:StartMLDataProcessingJob")],
}




# third batch: GameLift Streams applications handed the session role's credentials
GAMELIFT = "gameliftstreams.amazonaws.com"
BATCH3_FLAGGED = {
    "PassRoleGameLiftStreamsSession": [allow(["gameliftstreams:CreateApplication", "gameliftstreams:AssociateApplications",
                                              "gameliftstreams:StartStreamSession"]), passed_to(GAMELIFT)],
    "PassRoleGameLiftStreamsNewGroup": [allow(["gameliftstreams:CreateApplication", "gameliftstreams:CreateStreamGroup",
                                               "gameliftstreams:StartStreamSession"]), passed_to(GAMELIFT)],
    "PassRoleGameLiftStreamsDefaultApplication": [allow(["gameliftstreams:CreateApplication",
                                                         "gameliftstreams:UpdateStreamGroup",
                                                         "gameliftstreams:StartStreamSession"]), passed_to(GAMELIFT)],
}
BATCH3_LOOK_ALIKE = {
    "GameLift Streams session without a PassRole": [allow(["gameliftstreams:CreateApplication",
                                                           "gameliftstreams:AssociateApplications",
                                                           "gameliftstreams:CreateStreamGroup",
                                                           "gameliftstreams:StartStreamSession"])],
    "GameLift Streams session of an existing application": [allow(["gameliftstreams:StartStreamSession",
                                                                   "gameliftstreams:GetStreamSession"]),
                                                            passed_to(GAMELIFT)],
    "GameLift Streams application update with a PassRole": [allow(["gameliftstreams:UpdateApplication",
                                                                   "gameliftstreams:UpdateStreamGroup",
                                                                   "gameliftstreams:StartStreamSession"]),
                                                            passed_to(GAMELIFT)],
    "GameLift Streams session with a role passed to EC2": [allow(["gameliftstreams:CreateApplication",
                                                                  "gameliftstreams:AssociateApplications",
                                                                  "gameliftstreams:StartStreamSession"]),
                                                           passed_to("ec2.amazonaws.com")],
}




# fourth batch: S3 Batch Operations with a passed role, Greengrass V2 deployments to existing core devices
BATCH4_FLAGGED = {
    "PassRoleS3BatchOperations": [allow("s3:CreateJob"), passed_to("batchoperations.s3.amazonaws.com")],
    "GreengrassDeployComponent": [allow(["greengrass:CreateComponentVersion", "greengrass:CreateDeployment",
                                         "iot:CreateJob"])],
}
BATCH4_LOOK_ALIKE = {
    "S3 batch job without a PassRole": [allow(["s3:CreateJob", "s3:DescribeJob", "s3:ListJobs", "s3:UpdateJobStatus"])],
    "S3 batch job with a role passed to Lambda": [allow("s3:CreateJob"), passed_to("lambda.amazonaws.com")],
    "Greengrass deployment of existing components": [allow(["greengrass:CreateDeployment", "iot:CreateJob",
                                                            "greengrass:GetDeployment"])],
    "Greengrass component upload without a deployment": [allow(["greengrass:CreateComponentVersion",
                                                                "greengrass:ListDeployments"])],
}




# fifth batch: CloudFormation Git sync with a passed sync role, or an existing sync pointed at the holder's branch
GIT_SYNC = "cloudformation.sync.codeconnections.amazonaws.com"
BATCH5_FLAGGED = {
    "PassRoleGitSyncConfiguration": [allow("codeconnections:CreateSyncConfiguration"), passed_to(GIT_SYNC)],
    "PassRoleGitSyncConfigurationCodeStar": [allow("codestar-connections:CreateSyncConfiguration"), passed_to(GIT_SYNC)],
    "GitSyncUpdateConfiguration": [allow("codeconnections:UpdateSyncConfiguration")],
    "GitSyncUpdateConfigurationCodeStar": [allow("codestar-connections:UpdateSyncConfiguration")],
}
BATCH5_LOOK_ALIKE = {
    "Git sync configuration without a PassRole": [allow(["codeconnections:CreateSyncConfiguration",
                                                         "codestar-connections:CreateSyncConfiguration"])],
    "Git sync configuration with a role passed to CloudFormation": [allow("codeconnections:CreateSyncConfiguration"),
                                                                    passed_to("cloudformation.amazonaws.com")],
    "Git sync reads": [allow(["codeconnections:GetSyncConfiguration", "codeconnections:ListSyncConfigurations",
                              "codestar-connections:GetSyncConfiguration", "iam:PassRole"])],
}


for batch_flagged, batch_look_alike in ((BATCH2_FLAGGED, BATCH2_LOOK_ALIKE), (BATCH3_FLAGGED, BATCH3_LOOK_ALIKE),
                                      (BATCH4_FLAGGED, BATCH4_LOOK_ALIKE), (BATCH5_FLAGGED, BATCH5_LOOK_ALIKE)):
    assert not (set(batch_flagged) & set(FLAGGED) or set(batch_look_alike) & set(LOOK_ALIKE))
    FLAGGED.update(batch_flagged)
    LOOK_ALIKE.update(batch_look_alike)
METHOD = {case: case.split(" ", 1)[0] for case in FLAGGED}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_each_method_blocks_alone(pack, case) -> None:
    assert f"({METHOD[case]}): can " in blocks_alone(pack, *FLAGGED[case])


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_each_look_alike_passes(pack, case) -> None:
    passes_aws020_and_021(pack, *LOOK_ALIKE[case])

