"""AGID-AWS-030: no trust or resource-based policy lets any AWS principal in without a restricting condition.

Resource-based policies are every IAM-grammar policy a resource carries (documents.RESOURCE_POLICY_FIELDS):
KMS keys and `KeyPolicy`, S3 bucket and access-point policies, SQS, SNS, Secrets Manager, ECR, ...

A pin by an organization, organization path, VPC or VPC endpoint (aws:PrincipalOrgID, aws:PrincipalOrgPaths,
aws:SourceOrgID, aws:SourceOrgPaths, aws:SourceVpc, aws:SourceVpce) confines the caller only to THAT organization or network,
which the same pull request names: it counts only for one the gate lists (ownOrganizationIds, ownVpcIds,
ownVpcEndpointIds; with none listed, "cannot tell whether organization o-... is yours"), as AGID-AWS-050 does for
accounts (red15 r15-7). A value without the prefix AWS gives such ids (a mock id of a stack-created VPC endpoint
under the gate) matches no caller. Account, ARN and source pins are judged by AGID-AWS-050.
"""

from .base import Resource, Rule
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .trust_policy import (OWN_IDS_CONFIG, OWN_IDS_SCHEMA, OWN_IDS_STRICTNESS, TRUST_AND_RESOURCE_POLICY_TYPES,
                           judge_trust)


def check(resource: Resource, config):
    yield from judge_trust(resource, ("public-principal",), own_ids=OwnIds.from_config(config))


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
    config=OWN_IDS_CONFIG,
    config_schema=OWN_IDS_SCHEMA,
    config_strictness=OWN_IDS_STRICTNESS,
)
