"""IAM Identity Center permission sets, sent to agent_guard over gRPC as the engine sends them.

A permission set's inline policy and its AWS managed policies become the policies of the role AWS
provisions in every assigned account (AWS IAM Identity Center user guide, "Permission sets"), so a
stack that gives one `Action: *` or AdministratorAccess grants admin as surely as an IAM role would.
Before this, `aws:ssoadmin/*` was a documented gap and both passed `agentid preview` clean.
"""

from __future__ import annotations

import json


from tests.policy.test_pack_grpc import urn

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222"
INLINE = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
MANAGED = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
MANAGED_EXCLUSIVE = "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive"
SET = {"instanceArn": INSTANCE, "permissionSetArn": PERMISSION_SET}


def doc(action, resource) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})


def verdict(pack, type_, props) -> set[tuple[str, str]]:
    return {(d.policy_name, d.enforcement_level) for d in pack.analyze(type_, "ps", urn(type_, "ps"), props)}


def test_inline_policy_of_a_permission_set_is_judged_as_an_identity_policy(pack):
    # Statement as an object, not a list: the same grant
    assert verdict(pack, INLINE, {**SET, "inlinePolicy": doc("*", "*")}) == {("AGID-AWS-010", "mandatory")}
    assert ("AGID-AWS-020", "mandatory") in verdict(
        pack, INLINE, {**SET, "inlinePolicy": doc(["iam:PassRole", "ec2:RunInstances"], "*")})
    # look-alike: one read on one bucket's objects
    assert verdict(pack, INLINE, {**SET, "inlinePolicy": doc("s3:GetObject", "arn:aws:s3:::reports/*")}) == set()


def test_aws_managed_policies_on_a_permission_set_are_judged_by_their_documents(pack):
    admin = {**SET, "managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert verdict(pack, MANAGED, admin) == {("AGID-AWS-013", "mandatory")}
    exclusive = {**SET, "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess",
                                              "arn:aws:iam::aws:policy/IAMFullAccess"]}
    assert ("AGID-AWS-013", "mandatory") in verdict(pack, MANAGED_EXCLUSIVE, exclusive)
    # look-alikes: read-only (only AGID-AWS-012's advisory broad-read, as the same document inline) ...
    def mandatory(found):
        return {f for f in found if f[1] == "mandatory"}
    assert mandatory(verdict(pack, MANAGED, {**SET, "managedPolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})) == set()
    assert mandatory(verdict(pack, MANAGED_EXCLUSIVE,
                             {**SET, "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]})) == set()
    # ... but ReadOnlyAccess reads every parameter, function environment and task definition (issue 11: AGID-AWS-070)
    assert mandatory(verdict(pack, MANAGED, {**SET, "managedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})) == {
        ("AGID-AWS-070", "mandatory")}
    assert mandatory(verdict(pack, MANAGED_EXCLUSIVE,
                             {**SET, "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})) == {
        ("AGID-AWS-070", "mandatory")}


def test_a_permission_set_policy_not_known_at_preview_cannot_be_checked(pack):
    assert ("AGID-AWS-013", "advisory") in verdict(pack, MANAGED, SET)  # required ARN absent: computed later
