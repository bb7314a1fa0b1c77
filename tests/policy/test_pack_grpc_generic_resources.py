"""Generic ("any type") resources over gRPC: what they create is judged as the typed resource, or cannot be checked.

red11a 33: aws.cloudcontrol.Resource of AWS::S3::AccessPoint (Principal "*" s3:*), AWS::SSM::MaintenanceWindowTask
(Run Command as an existing admin role), AWS::ECR::RepositoryCreationTemplate, AWS::SecurityLake::Subscriber and
AWS::GuardDuty::Master, and azure-native resources.Resource of a public blob container and of a PostgreSQL Entra
admin of another tenant passed `agentid preview`: only a short list of identity-looking type names was flagged.
Now each is judged by the rules of the typed token analysis/generic_resource_types.yaml maps it to, and any type
neither mapped nor reviewed harmless is AGID-AWS-040 / AGID-AZ-040 (mandatory).
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn

CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
STACK = "aws:cloudformation/stack:Stack"
GENERIC = "azure-native:resources:Resource"
DEPLOYMENT = "azure-native:resources:Deployment"
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}


def mandatory(pack, type_: str, name: str, props: dict) -> list[tuple[str, str]]:
    """(rule, message) of every mandatory finding the pack gives the one resource, resource and stack policies."""
    diags = [*pack.analyze(type_, name, urn(type_, name), props),
             *pack.analyze_stack([StackResource(type_, name, urn(type_, name), props)])]
    # AGID-GCP-035 (whose project a resource is created in) is left out: these cases name projects the pack, which
    # lists no own projects, cannot place; tests/policy/test_pack_grpc_gcp_deploy_project.py judges it
    return sorted((d.policy_name, d.message.rsplit("\n", 1)[-1]) for d in diags
                  if d.enforcement_level == "mandatory" and d.policy_name != "AGID-GCP-035")


def cc(type_name: str, state: dict) -> dict:
    return {"typeName": type_name, "desiredState": json.dumps(state)}


def arm(namespace: str, parent: str, kind: str, name: str, properties: dict) -> dict:
    return {"resourceGroupName": "rg1", "resourceProviderNamespace": namespace, "parentResourcePath": parent,
            "resourceType": kind, "resourceName": name, "apiVersion": "2023-01-01", "properties": properties,
            "location": "westeurope"}


def test_a_cloud_control_access_point_open_to_anyone_is_judged_as_an_access_point(pack):
    [(rule, message)] = mandatory(pack, CLOUD_CONTROL, "ap", cc("AWS::S3::AccessPoint", {"Bucket": "prod-data",
                                                                                       "Policy": PUBLIC}))
    assert rule == "AGID-AWS-030"
    assert message.startswith("[public-access] ap (AWS::S3::AccessPoint, judged as aws:s3/accessPoint:AccessPoint): ")
    assert 'Principal "*"' in message


def test_a_cloud_control_maintenance_task_running_as_a_role_the_stack_does_not_define_is_a_runner(pack):
    state = {"WindowId": "mw-1", "TaskType": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript", "Priority": 1,
             "ServiceRoleArn": "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
             "Targets": [{"Key": "InstanceIds", "Values": ["*"]}]}
    found = mandatory(pack, CLOUD_CONTROL, "task", cc("AWS::SSM::MaintenanceWindowTask", state))
    assert [rule for rule, _ in found] == ["AGID-AWS-057", "AGID-AWS-057"], found
    assert any("OrganizationAccountAccessRole (serviceRoleArn)" in message for _, message in found), found
    # and a RUN_COMMAND task runs its shell script on the window's targets like an association (issue 11)
    assert any("runs SSM document AWS-RunShellScript on its maintenance window's targets" in message
               for _, message in found), found
    # TaskInvocationParameters' nested names are not Pulumi's: not translated, so the task cannot be checked
    state["TaskInvocationParameters"] = {"MaintenanceWindowRunCommandParameters": {"ServiceRoleArn": "arn:x"}}
    assert [rule for rule, _ in mandatory(pack, CLOUD_CONTROL, "task", cc("AWS::SSM::MaintenanceWindowTask", state))] \
        == ["AGID-AWS-040"]


@pytest.mark.parametrize("type_name,state", [
    ("AWS::ECR::RepositoryCreationTemplate", {"Prefix": "ROOT", "AppliedFor": ["PULL_THROUGH_CACHE"],
                                              "RepositoryPolicy": json.dumps(PUBLIC)}),
    ("AWS::SecurityLake::Subscriber", {"AccessTypes": ["S3"], "SubscriberName": "p",
                                       "SubscriberIdentity": {"ExternalId": "x", "Principal": "999999999999"}}),
    ("AWS::GuardDuty::Master", {"DetectorId": "d", "MasterId": "999999999999"}),
    ("AWS::IAM::ManagedPolicy", {"PolicyDocument": PUBLIC, "Roles": ["admin"]}),
])
def test_a_type_neither_mapped_nor_reviewed_cannot_be_checked(pack, type_name, state):
    assert mandatory(pack, CLOUD_CONTROL, "x", cc(type_name, state)) == [(
        "AGID-AWS-040", f"[unparseable] Cloud Control resource x: cannot check what it creates ({type_name} is neither "
                        "mapped to a Pulumi type the pack judges nor reviewed harmless (analysis/generic_resource_types"
                        ".yaml)): declare it as its own Pulumi resource, whose rules judge it")]


def test_mapped_and_harmless_look_alikes_pass(pack):
    # a queue, a DynamoDB table without a resource policy
    for type_name, state in [("AWS::SQS::Queue", {"QueueName": "q"}), ("AWS::DynamoDB::Table", {"TableName": "t"})]:
        assert mandatory(pack, CLOUD_CONTROL, "ok", cc(type_name, state)) == [], type_name
    # a function URL is judged as the typed FunctionUrl: on a function the stack does not define it invokes code that
    # runs as that function's role (AGID-AWS-057, red14 r14-2), whatever its auth; with auth NONE anyone may call it
    assert [r for r, _ in mandatory(pack, CLOUD_CONTROL, "ok", cc("AWS::Lambda::Url", {
        "TargetFunctionArn": "f", "AuthType": "AWS_IAM"}))] == ["AGID-AWS-057"]
    assert sorted(r for r, _ in mandatory(pack, CLOUD_CONTROL, "u", cc("AWS::Lambda::Url", {
        "TargetFunctionArn": "f", "AuthType": "NONE"}))) == ["AGID-AWS-034", "AGID-AWS-057"]
    # ... the table's look-alike that does not pass: it carries a resource policy
    [(rule, message)] = mandatory(pack, CLOUD_CONTROL, "t", cc("AWS::DynamoDB::Table", {"ResourcePolicy": {}}))
    assert rule == "AGID-AWS-040" and "AWS::DynamoDB::Table sets ResourcePolicy" in message


def test_a_property_the_mapping_does_not_translate_fails_closed(pack):
    [(rule, message)] = mandatory(pack, CLOUD_CONTROL, "ap", cc("AWS::S3::AccessPoint", {"Bucket": "b", "Grants": []}))
    assert rule == "AGID-AWS-040" and "AWS::S3::AccessPoint property 'Grants' is not one the gate translates" in message


def test_cloudformation_resources_are_judged_as_typed_and_intrinsics_in_documents_fail_closed(pack):
    template = {"Resources": {
        "Open": {"Type": "AWS::S3::AccessPoint", "Properties": {"Bucket": {"Ref": "B"}, "Policy": PUBLIC}},
        "Who": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "B"}, "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": {"Ref": "Trusted"}}, "Action": "s3:GetObject",
                           "Resource": "*"}]}}},
        "Queue": {"Type": "AWS::SQS::Queue"}}}
    found = mandatory(pack, STACK, "s", {"name": "s", "templateBody": json.dumps(template)})
    assert [rule for rule, _ in found] == ["AGID-AWS-030", "AGID-AWS-040"]
    assert "s Resources.Open (AWS::S3::AccessPoint, judged as aws:s3/accessPoint:AccessPoint)" in found[0][1]
    assert "Resources.Who: AWS::S3::BucketPolicy property 'PolicyDocument' holds a template expression" in found[1][1]


def test_an_azure_generic_public_container_and_a_foreign_postgres_admin_are_judged_as_typed(pack):
    blob = arm("Microsoft.Storage", "storageAccounts/st1/blobServices/default", "containers", "pub",
               {"publicAccess": "Container"})
    [(rule, message)] = mandatory(pack, GENERIC, "blob", blob)
    assert rule == "AGID-AZ-035" and message.startswith(
        "[public-access] blob (Microsoft.Storage/storageAccounts/blobServices/containers, judged as "
        "azure-native:storage:BlobContainer): ")
    admin = arm("Microsoft.DBforPostgreSQL", "flexibleServers/pg1", "administrators",
                "11111111-2222-3333-4444-555555555555",
                {"principalType": "User", "principalName": "mallory", "tenantId": "99999999-0000-0000-0000-000000000009"})
    # AZ-045: another tenant's principal; AZ-068: a server admin the stack does not create (red22 r22-7)
    assert [rule for rule, _ in mandatory(pack, GENERIC, "pg", admin)] == ["AGID-AZ-045", "AGID-AZ-068"]
    # look-alikes: a private container, a network; an unreviewed type cannot be checked
    assert mandatory(pack, GENERIC, "blob", {**blob, "properties": {"publicAccess": "None"}}) == []
    assert mandatory(pack, GENERIC, "vnet", arm("Microsoft.Network", "", "virtualNetworks", "v",
                                                {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}})) == []
    [(rule, message)] = mandatory(pack, GENERIC, "site", arm("Microsoft.Web", "", "sites", "app", {}))
    assert rule == "AGID-AZ-040" and "Microsoft.Web/sites is neither mapped" in message


def test_an_arm_template_child_container_is_judged_and_an_expression_fails_closed(pack):
    account = {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st1",
               "location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
               "properties": {"allowSharedKeyAccess": False, "allowBlobPublicAccess": False}, "resources": [
                   {"type": "blobServices/containers", "apiVersion": "2023-01-01", "name": "default/pub",
                    "properties": {"publicAccess": "[parameters('access')]"}}]}
    props = {"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": {"resources": [account]}}}
    [(rule, message)] = mandatory(pack, DEPLOYMENT, "dep", props)
    assert rule == "AGID-AZ-035" and message.startswith(
        "[public-access] dep resources[0].resources[0]: cannot check: publicAccess of "
        "Microsoft.Storage/storageAccounts/blobServices/containers is a template expression resolved only at deployment")
    account["resources"][0]["properties"]["publicAccess"] = "None"
    assert mandatory(pack, DEPLOYMENT, "dep", props) == []


DEPLOYMENT_MANAGER = "gcp:deploymentmanager/deployment:Deployment"


def dm(content: str) -> dict:
    return {"name": "infra", "project": "acme-prod", "target": {"config": {"content": content}}}


@pytest.mark.parametrize("content,shown", [
    ("resources:\n- name: deployer-key\n  type: iam.v1.serviceAccounts.key\n  properties: {parent: projects/p/serviceAccounts/a}\n",
     "resources[0]: iam.v1.serviceAccounts.key is neither mapped"),
    ("resources:\n- name: owner\n  type: gcp-types/cloudresourcemanager-v1:virtual.projects.iamMemberBinding\n"
     "  properties: {resource: acme-prod, role: roles/owner, member: 'user:mallory@example.com'}\n",
     "gcp-types/cloudresourcemanager-v1:virtual.projects.iamMemberBinding is neither mapped"),
    ("resources:\n- name: net\n  type: compute.v1.network\n  accessControl:\n    gcpIamPolicy:\n      bindings:\n"
     "      - {role: roles/compute.networkAdmin, members: ['allUsers']}\n",
     "resources[0]: compute.v1.network sets its IAM policy (accessControl)"),
    ("imports: [{path: vm.jinja}]\nresources:\n- {name: vm, type: vm.jinja}\n", "vm.jinja is a template"),
    ("resources:\n- name: grant\n  action: gcp-types/cloudresourcemanager-v1:cloudresourcemanager.projects.setIamPolicy\n",
     "calls an API method"),
    ("resources: {not: a list}\n", "has no resources list"),
])
def test_deployment_manager_resources_not_reviewed_cannot_be_checked(pack, content, shown):
    [(rule, message)] = mandatory(pack, DEPLOYMENT_MANAGER, "dm", dm(content))
    assert rule == "AGID-GCP-023" and shown in message, message


def test_deployment_manager_reviewed_types_pass_and_a_public_bucket_acl_does_not(pack):
    content = ("resources:\n- {name: net, type: compute.v1.network, properties: {autoCreateSubnetworks: false}}\n"
               "- {name: logs, type: storage.v1.bucket, properties: {location: EU}}\n")
    assert mandatory(pack, DEPLOYMENT_MANAGER, "dm", dm(content)) == []
    content += "  # made public\n- {name: pub, type: storage.v1.bucket, properties: {acl: [{entity: allUsers, role: READER}]}}\n"
    [(rule, message)] = mandatory(pack, DEPLOYMENT_MANAGER, "dm", dm(content))
    assert rule == "AGID-GCP-023" and "resources[2]: storage.v1.bucket sets acl" in message


def test_inline_iam_policies_kms_keys_and_azure_identity_resources_in_templates_are_judged_as_typed(pack):
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    template = {"Resources": {"P": {"Type": "AWS::IAM::RolePolicy", "Properties": {
        "RoleName": "deployer", "PolicyName": "all", "PolicyDocument": admin}}}}
    found = {rule for rule, _ in mandatory(pack, STACK, "s", {"name": "s", "templateBody": json.dumps(template)})}
    assert "AGID-AWS-010" in found and "AGID-AWS-040" not in found
    open_key = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*",
                                                        "Resource": "*"}]}
    assert "AGID-AWS-030" in {rule for rule, _ in mandatory(pack, CLOUD_CONTROL, "k", cc("AWS::KMS::Key",
                                                                                         {"KeyPolicy": open_key}))}
    # a federated credential trusting a self-run issuer, inside an ARM deployment: judged as the typed credential
    fic = {"type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
           "apiVersion": "2023-01-31", "name": "agent-id/ci",
           "properties": {"issuer": "https://issuer.attacker.example", "subject": "repo:acme/app:ref:refs/heads/main",
                          "audiences": ["api://AzureADTokenExchange"]}}
    props = {"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": {"resources": [fic]}}}
    found = {rule for rule, _ in mandatory(pack, DEPLOYMENT, "dep", props)}
    assert "AGID-GEN-003" in found and "AGID-AZ-040" not in found, found
