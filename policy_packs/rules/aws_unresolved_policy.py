"""AGID-AWS-015 (stack): every attached customer managed policy is one the pack can read.

An attachment (RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment,
*PolicyAttachmentsExclusive, Role.managedPolicyArns) of a policy ARN that is neither an
`aws:iam/policy:Policy` of this stack nor an AWS managed policy names a document the pack never
sees: what it grants, alone or with the principal's other policies, cannot be checked. AWS managed
ARNs missing from the snapshot are AGID-AWS-014's; references unknown at preview are AGID-AWS-021's
"cannot check until known".
"""

from __future__ import annotations

from .base import Rule, Violation
from .iam_links import ATTACHMENTS, ROLE, link


def check(resources, config):
    for holder, arn, urn in dict.fromkeys(link(resources).unresolved):
        yield Violation(f"{holder} attaches {arn}, a policy neither defined in this stack nor AWS managed: cannot "
                        "check what it grants (alone or with the principal's other policies)", urn)


RULE = Rule(
    id="AGID-AWS-015",
    title="aws-attached-policy-readable",
    severity="medium",
    category="unparseable",
    description="Every attached customer managed policy is defined in the stack, so its document can be judged.",
    remediation="Define the policy in this stack (aws.iam.Policy) or attach the stack's own policy by its ARN output; "
                "a policy managed elsewhere is reviewed where it is defined.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    check=check,
    stack=True,
    reads=(*ATTACHMENTS, ROLE),
)
