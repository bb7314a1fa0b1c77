"""AGID-AWS-032: trust of another AWS account requires sts:ExternalId, an organization condition or exact principals.

The pack cannot know the stack's own account, so accounts listed in the
`ownAccountIds` config are exempt; every other account principal needs the condition (fail closed: with
none listed, every account is "not known own"). An aws:PrincipalOrgID / PrincipalOrgPaths condition counts only
for an organization the gate lists in `ownOrganizationIds` (red15 r15-7: the pull request names the organization). Critical, so mandatory: another account's every principal
able to assume the role is the confused-deputy path (red3 finding 11).
"""

from .base import Resource, Rule
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .trust_policy import (OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_CONFIG,
                           OWN_IDS_SCHEMA, OWN_IDS_STRICTNESS, TRUST_TYPES, judge_trust)


def check(resource: Resource, config):
    yield from judge_trust(resource, ("cross-account",), list(config.get("ownAccountIds", [])),
                           OwnIds.from_config(config))


RULE = Rule(
    id="AGID-AWS-032",
    title="aws-cross-account-trust-conditioned",
    severity="critical",
    category="weak-trust",
    description="Cross-account trust carries an sts:ExternalId, aws:PrincipalOrgID or exact aws:PrincipalArn condition.",
    remediation='Add "StringEquals": {"sts:ExternalId": "<secret per tenant>"} or {"aws:PrincipalOrgID": "o-..."}, '
                'or pin the callers with "ArnEquals": {"aws:PrincipalArn": "<role ARN>"}; '
                "list your own accounts in the rule's ownAccountIds config.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    check=check,
    resource_types=TRUST_TYPES,
    config={**OWN_ACCOUNTS_CONFIG, **OWN_IDS_CONFIG},
    config_schema={**OWN_ACCOUNTS_SCHEMA, **OWN_IDS_SCHEMA},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, **OWN_IDS_STRICTNESS},
)
