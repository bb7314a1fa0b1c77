"""The accounts a rule may take to be a resource's own: `ownAccountIds` plus what the resource's own ARN says.

Shared by every rule that treats another account differently (AGID-AWS-033, -042, -044, -050), so all
of them fail closed the same way (analysis.aws_accounts: nothing is presumed own). A policy or grant
resource names the resource it is attached to; when that name is an ARN (or an SQS queue URL) it
carries the resource's account, which is sound to take as own: the deployer can only attach a policy
to a resource of an account it deploys to (another account's resource would not be ours to share).
Input names: pulumi-aws 7.x (`SecretPolicy.secretArn`, `KeyPolicy.keyId`, `TopicPolicy.arn`,
`QueuePolicy.queueUrl`, `*ResourcePolicy.resourceArn`, `ReplicaKey.primaryKeyArn` (AWS keeps replicas in
the primary key's account: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, arn_account
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource

# inputs that name, by ARN, the resource a policy / grant resource is attached to
OWNER_ARN_INPUTS = ("keyId", "primaryKeyArn", "secretArn", "resourceArn", "queueUrl")
_BY_TYPE = {"aws:sns/topicPolicy:TopicPolicy": ("arn",)}
# https://sqs.<region>.amazonaws.com/<account>/<queue> (SQS "queue URL", Amazon SQS developer guide)
_QUEUE_URL = re.compile(r"^https://sqs\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/(\d{12})/[^/]+$")


def owner_account(value: Any) -> str | None:
    """The account an ARN or SQS queue URL names; None for anything else (a bare name, an unknown)."""
    if not isinstance(value, str) or is_unknown(value):
        return None
    match = _QUEUE_URL.match(value.strip())
    return match.group(1) if match else arn_account(value)


def own_accounts(resource: Resource, config: Mapping[str, Any], inputs: tuple[str, ...] | None = None) -> OwnAccounts:
    """ownAccountIds, plus the account of each of `inputs` (default: the ARN inputs naming the resource itself)."""
    names = inputs if inputs is not None else (*OWNER_ARN_INPUTS, *_BY_TYPE.get(resource.type, ()))
    return OwnAccounts.from_config(config).including(owner_account(resource.props.get(i)) for i in names)


# arn:aws:organizations::<management account>:ou/<organization>/<ou> (AWS Organizations ARN formats)
_OU_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::(\d{12}):ou/(o-[a-z0-9]+)/ou-[a-z0-9-]+$")


def other_ou_problem(principal: str, config: Mapping[str, Any]) -> str | None:
    """Why an organizational unit ARN is not known to be the stack's own; None when it is (its organization listed in
    ownOrganizationIds, or its management account, the ARN's, in ownAccountIds) or it is no OU ARN. The pull request
    names the OU: another organization's OU is that organization's accounts, any its owner adds (red15 r15-7)."""
    match = _OU_ARN.match(principal.strip())
    if match is None:
        return None
    account, org = match.groups()
    orgs = [str(o).strip().lower() for o in config.get("ownOrganizationIds") or ()]
    if org.lower() in orgs or account in (config.get("ownAccountIds") or ()):
        return None
    return (f"organizational unit {principal.strip()} of organization {org}: neither it (ownOrganizationIds) nor its "
            f"management account {account} (ownAccountIds) is known to be yours")
