"""AGID-AWS-030: no trust or resource-based policy lets any AWS principal in without a restricting condition.

Resource-based policies are every IAM-grammar policy a resource carries (documents.RESOURCE_POLICY_FIELDS):
KMS keys and `KeyPolicy`, S3 bucket and access-point policies, SQS, SNS, Secrets Manager, ECR, ...
"""

from .base import Resource, Rule
from .trust_policy import TRUST_AND_RESOURCE_POLICY_TYPES, judge_trust


def check(resource: Resource, config):
    yield from judge_trust(resource, ("public-principal",))


RULE = Rule(
    id="AGID-AWS-030",
    title="aws-no-public-principal",
    severity="critical",
    category="public-access",
    description='Trust and resource-based policies (KMS, S3, SQS, SNS, Secrets Manager, ...) do not allow Principal "*" unless a condition pins the caller '
                "(aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn, ...).",
    remediation="Name the trusted principal (an OIDC provider, a service, a role ARN) or add an "
                "aws:PrincipalOrgID / aws:SourceArn condition.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous",
    check=check,
    resource_types=TRUST_AND_RESOURCE_POLICY_TYPES,
)
