"""Guardrail lowering and audit evasion, over gRPC (red13 r13-14, r13-20).

AGID-AZ-064: an Azure Policy exemption of an assignment the stack does not define (the organization's management-group
guardrail), also one made to depend on a stack assignment, is flagged; exempting the stack's own assignment passes.
AGID-GCP-027: an audit configuration exempting principals (IAMAuditConfig, IAMPolicy auditConfigs) and a log exclusion
whose filter names audit logs are flagged; audit configurations without exemptions, exclusions of non-audit noise and
disabled exclusions pass.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid.mock_engine import MOCK_ACCOUNT
from agentid.mock_provider import mock_outputs
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
ORG_ASSIGNMENT = ("/providers/Microsoft.Management/managementGroups/root/providers/Microsoft.Authorization/"
                  "policyAssignments/deny-public-storage")
ASSIGNMENT = "azure-native:authorization:PolicyAssignment"
EXEMPTION = "azure-native:authorization:PolicyExemption"
SA = "serviceAccount:agent-x@agents-prod.iam.gserviceaccount.com"


def resource(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


OWN = resource(ASSIGNMENT, "own-audit", {"scope": SUB, "policyDefinitionId": "/providers/Microsoft.Authorization/"
                                         "policyDefinitions/0a914e76-4921-4c19-b460-a2d36003525a"})


def exemption(name: str, assignment, depends: tuple[str, ...] = ()) -> StackResource:
    return resource(EXEMPTION, name, {"scope": SUB, "policyAssignmentId": assignment, "exemptionCategory": "Waiver"},
                    depends)


@pytest.fixture(scope="module")
def gate_pack():
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure({})
        yield running


def test_an_exemption_of_the_organizations_assignment_is_flagged_and_of_the_stacks_own_passes(gate_pack):
    own_id = mock_outputs(ASSIGNMENT, OWN.name, dict(OWN.properties))[1]["id"]  # the id the gate's mocks give it
    stack = [OWN, exemption("org", ORG_ASSIGNMENT), exemption("decoy", ORG_ASSIGNMENT, (OWN.urn,)),
             exemption("own", own_id.upper(), (OWN.urn,))]
    findings = stack_findings(gate_pack, "AGID-AZ-064", stack, level="mandatory")
    assert [name for name, _ in findings] == ["decoy", "org"]
    assert "which this stack does not define: the organization's guardrail" in dict(findings)["org"]


def test_an_unknown_assignment_is_the_stacks_only_as_its_output(pack):
    stack = [OWN, exemption("own-output", UNKNOWN, (OWN.urn,)), exemption("unknown", UNKNOWN)]
    findings = stack_findings(pack, "AGID-AZ-064", stack)
    assert [name for name, _ in findings] == [""]
    assert "unknown.policyAssignmentId" in findings[0][1] and "own-output" not in findings[0][1]


AUDIT_FLAGGED = {
    "project-config": ("gcp:projects/iAMAuditConfig:IAMAuditConfig", {
        "project": "agents-prod", "service": "allServices",
        "auditLogConfigs": [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ", "exemptedMembers": [SA]}]}),
    "folder-config": ("gcp:folder/iamAuditConfig:IamAuditConfig", {
        "folder": "folders/123", "service": "secretmanager.googleapis.com",
        "auditLogConfigs": [{"logType": "DATA_READ", "exemptedMembers": ["user:ops@example.com"]}]}),
    "org-config": ("gcp:organizations/iamAuditConfig:IamAuditConfig", {
        "orgId": "123456", "service": "allServices",
        "auditLogConfigs": [{"logType": "DATA_WRITE", "exemptedMembers": [SA]}]}),
    "policy-data": ("gcp:projects/iAMPolicy:IAMPolicy", {"project": "agents-prod", "policyData": json.dumps({
        "bindings": [], "auditConfigs": [{"service": "allServices", "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": [SA]}]}]})}),
    "exclusion-iam": ("gcp:logging/projectExclusion:ProjectExclusion", {
        "name": "quiet", "project": "agents-prod", "filter": 'protoPayload.serviceName="iam.googleapis.com"'}),
    "exclusion-data-access": ("gcp:logging/folderExclusion:FolderExclusion", {
        "name": "quiet", "folder": "folders/123",
        "filter": 'logName:"cloudaudit.googleapis.com%2Fdata_access"'}),
    # red14 r14-8: the _Default sink and bucket
    "default-sink-disabled": ("gcp:logging/projectSink:ProjectSink", {
        "name": "_Default", "project": "agents-prod", "destination": "logging.googleapis.com/projects/agents-prod/"
        "locations/global/buckets/_Default", "disabled": True}),
    "default-sink-filter": ("gcp:logging/folderSink:FolderSink", {
        "name": "_Default", "folder": "folders/123", "destination": "logging.googleapis.com/projects/p/locations/"
        "global/buckets/_Default", "filter": f'NOT protoPayload.authenticationInfo.principalEmail="{SA[15:]}"'}),
    "default-sink-exclusion": ("gcp:logging/projectSink:ProjectSink", {
        "name": "_Default", "project": "agents-prod", "destination": "logging.googleapis.com/projects/agents-prod/"
        "locations/global/buckets/_Default", "exclusions": [{"name": "quiet", "filter":
                                                              'logName:"cloudaudit.googleapis.com%2Fdata_access"'}]}),
    "default-bucket-retention": ("gcp:logging/projectBucketConfig:ProjectBucketConfig", {
        "project": "agents-prod", "location": "global", "bucketId": "_Default", "retentionDays": 1}),
}
AUDIT_PASSING = {
    "default-sink-as-google-sets-it": ("gcp:logging/projectSink:ProjectSink", {
        "name": "_Default", "project": "agents-prod", "destination": "logging.googleapis.com/projects/agents-prod/"
        "locations/global/buckets/_Default", "filter": 'NOT LOG_ID("cloudaudit.googleapis.com/activity") AND NOT '
        'LOG_ID("externalaudit.googleapis.com/activity") AND NOT LOG_ID("cloudaudit.googleapis.com/system_event")'}),
    "other-sink-disabled": ("gcp:logging/projectSink:ProjectSink", {
        "name": "to-bigquery", "project": "agents-prod", "destination": "bigquery.googleapis.com/projects/p/datasets/d",
        "disabled": True}),
    "default-bucket-longer": ("gcp:logging/projectBucketConfig:ProjectBucketConfig", {
        "project": "agents-prod", "location": "global", "bucketId": "_Default", "retentionDays": 400}),
    "project-config": ("gcp:projects/iAMAuditConfig:IAMAuditConfig", {
        "project": "agents-prod", "service": "allServices",
        "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE", "exemptedMembers": []}]}),
    "policy-data": ("gcp:projects/iAMPolicy:IAMPolicy", {"project": "agents-prod", "policyData": json.dumps({
        "bindings": [], "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]})}),
    "exclusion-noise": ("gcp:logging/projectExclusion:ProjectExclusion", {
        "name": "quiet", "project": "agents-prod", "filter": 'resource.type="gce_instance" AND severity<=DEBUG'}),
    "exclusion-disabled": ("gcp:logging/organizationExclusion:OrganizationExclusion", {
        "name": "quiet", "orgId": "123456", "disabled": True, "filter": 'logName:"cloudaudit.googleapis.com"'}),
}


@pytest.mark.parametrize("case", AUDIT_FLAGGED)
def test_audit_evasion_is_flagged(pack, case):
    type_, props = AUDIT_FLAGGED[case]
    assert set(flagged_names(pack, "AGID-GCP-027", (type_, "audit", props), level="mandatory")) == {"audit"}


@pytest.mark.parametrize("case", AUDIT_PASSING)
def test_kept_audit_logs_pass(pack, case):
    type_, props = AUDIT_PASSING[case]
    assert flagged_names(pack, "AGID-GCP-027", (type_, "audit", props)) == []
