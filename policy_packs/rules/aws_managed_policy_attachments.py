"""Where an attachment names AWS managed policies: the type tokens and inputs shared by AGID-AWS-013/014."""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Unknown

# type token -> input holding one policy ARN, or a list of them
FIELDS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    # IAM Identity Center: an AWS managed policy on a permission set lands on the role provisioned from it
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "managedPolicyArn",
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": "managedPolicyArns",
}
REQUIRED_SINGLE = {"policyArn", "managedPolicyArn"}  # one required ARN: absent means not known yet


def attached_arns(resource: Resource) -> Iterator[str | Unknown]:
    """Each policy ARN the resource attaches (stripped strings), or Unknown(path) where it is not known yet.

    Values that are not strings are skipped here: AGID-POL-001 and the schema report them.
    """
    field = FIELDS[resource.type]
    value = resource.props.get(field)
    if value is None:
        if field in REQUIRED_SINGLE:
            yield Unknown(field)
        return
    if is_unknown(value):
        yield Unknown(field)
        return
    values = value if isinstance(value, list) else [value]
    for index, arn in enumerate(values):
        path = f"{field}[{index}]" if isinstance(value, list) else field
        if is_unknown(arn):
            yield Unknown(path)
        elif isinstance(arn, str):
            yield arn.strip()
