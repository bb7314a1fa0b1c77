"""AGID-AWS-032: a role trusts only accounts known to be the stack's own (or pinned to an own organization).

The pack cannot know the stack's own account, so accounts listed in the `ownAccountIds` config are own; every
other account principal is flagged (fail closed: with none listed, every account is "not known own"), and so is
Principal "*" confined by aws:PrincipalAccount / aws:PrincipalArn to such an account (that account's principals).
An aws:PrincipalOrgID / PrincipalOrgPaths condition counts only for an organization the gate lists in
`ownOrganizationIds` (red15 r15-7: the pull request names the organization). sts:ExternalId and an exact
aws:PrincipalArn no longer exempt the trust (red20 r20-9): the external id is the confused-deputy guard of a
third-party vendor (a value the pull request writes), and a principal ARN narrows WHICH principal of the account,
not whose account it is; the finding names the guard, and a reviewed vendor trust is a waiver naming it. The kit's
self-assume statement (the account root pinned to the role's own ARN) passes in the account the gate's mocks
answer `aws.get_caller_identity()` with (aws_trust._self_pinned). Critical, so mandatory: another account's
principals able to assume the role (red3 finding 11).
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
    description="Role trust names only accounts known to be the stack's own (ownAccountIds) or is pinned to an own "
                "organization; an sts:ExternalId or aws:PrincipalArn condition does not make another account own.",
    remediation="List your own accounts in ownAccountIds (--own-account) or pin the trust with "
                '{"aws:PrincipalOrgID": "<an ownOrganizationIds id>"}; a reviewed third-party vendor trust (with its '
                "sts:ExternalId) needs a waiver naming the vendor's account.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    check=check,
    resource_types=TRUST_TYPES,
    config={**OWN_ACCOUNTS_CONFIG, **OWN_IDS_CONFIG},
    config_schema={**OWN_ACCOUNTS_SCHEMA, **OWN_IDS_SCHEMA},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, **OWN_IDS_STRICTNESS},
)
