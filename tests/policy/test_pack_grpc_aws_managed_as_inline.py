"""red11a 13 over gRPC: an attached AWS managed policy is judged by its document exactly as the same document
written inline. AmazonCognitoDeveloperAuthenticatedIdentities, AWSSecretsManagerClientReadOnlyAccess and
service-role/AmazonEC2RoleforSSM were attached with no line at all while their inline twins got AGID-AWS-012:
every identity-policy rule now reads the snapshot document of each attached ARN (RolePolicyAttachment, a role's
managedPolicyArns, ...); AGID-AWS-013 (no admin managed policy) comes on top."""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.analysis.managed_policies import managed_policy_document
from tests.policy.test_pack_grpc import urn

SAMPLE = ["AmazonCognitoDeveloperAuthenticatedIdentities", "AWSSecretsManagerClientReadOnlyAccess",
          "service-role/AmazonEC2RoleforSSM", "ReadOnlyAccess", "AmazonS3FullAccess", "IAMFullAccess",
          "AdministratorAccess", "service-role/AWSLambdaBasicExecutionRole",
          "AmazonSSMManagedInstanceCore", "AmazonEC2ReadOnlyAccess"]
ONLY_FOR_ATTACHMENTS = {"AGID-AWS-013"}  # "no admin AWS managed policy": an attachment's own rule
# Admin / NotAction / service-wide writes / escalation of an attached document are AGID-AWS-013's one line; action
# spellings (POL-002) and permissions-management reads (AWS-016) of AWS's own documents are not judged on attachments.
ONLY_FOR_DOCUMENTS = {"AGID-POL-002", "AGID-AWS-010", "AGID-AWS-011", "AGID-AWS-016", "AGID-AWS-020"}


def _ids(pack, type_: str, name: str, props: dict) -> set[str]:
    return {d.policy_name for d in pack.analyze(type_, name, urn(type_, name), props)}


@pytest.mark.parametrize("policy", SAMPLE)
def test_an_attachment_gets_the_rules_its_document_gets_inline(pack, policy) -> None:
    """The unbounded-resource verdict (AGID-AWS-012) of an attachment is its document's inline one; what AGID-AWS-013
    reports instead (admin, escalation) is not repeated by AGID-AWS-010/020 on attachments."""
    arn = f"arn:aws:iam::aws:policy/{policy}"
    document = json.dumps(managed_policy_document(arn))
    inline = _ids(pack, "aws:iam/rolePolicy:RolePolicy", "inline", {"role": "agent", "policy": document})
    attached = _ids(pack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attached",
                    {"role": "agent", "policyArn": arn})
    role = {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})}
    of_the_role_itself = _ids(pack, "aws:iam/role:Role", "agent", role)  # its trust policy's findings
    in_role = _ids(pack, "aws:iam/role:Role", "agent", {**role, "managedPolicyArns": [arn]}) - of_the_role_itself
    in_role = {i for i in in_role if not i.startswith("AGID-INV-")}  # a role holding permissions needs an owner
    assert attached - ONLY_FOR_ATTACHMENTS == inline - ONLY_FOR_DOCUMENTS
    assert in_role - ONLY_FOR_ATTACHMENTS == inline - ONLY_FOR_DOCUMENTS - of_the_role_itself


@pytest.mark.parametrize("policy", ["AmazonCognitoDeveloperAuthenticatedIdentities",
                                    "AWSSecretsManagerClientReadOnlyAccess", "service-role/AmazonEC2RoleforSSM"])
def test_red11a_silent_policies_now_get_the_unbounded_resource_line(pack, policy) -> None:
    diags = pack.analyze("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
                         urn("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a"),
                         {"role": "agent", "policyArn": f"arn:aws:iam::aws:policy/{policy}"})
    lines = [d.message for d in diags if d.policy_name == "AGID-AWS-012"]
    assert lines and all(f"AWS managed policy {policy}" in m for m in lines)


def test_a_customer_managed_policy_arn_is_judged_where_it_is_declared(pack) -> None:
    props = {"role": "agent", "policyArn": "arn:aws:iam::111122223333:policy/tool"}
    assert _ids(pack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "own", props) == set()
