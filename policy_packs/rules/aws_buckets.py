"""Whose an S3 bucket named only by its name is: the stack's, one the gate lists as own, or "cannot tell".

A general purpose bucket's name is global and its ARN carries no account (`arn:aws:s3:::attacker-drop`,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html): a policy, a replication rule or a
trail naming `attacker-drop` says nothing about who owns it, and anyone may create a bucket of any free name.
A bucket name is known to be the stack's own only when
  - the stack creates a bucket under that name: its `bucket` input, or, for a bucket the provider autonames
    (`<logical name>-<random>`, or `bucketPrefix` + random), under `agentid preview` the name the gate's mocks
    gave it with the gate's per-run key (iam_links.autonames_unpredictable: the program cannot predict it, so a
    value equal to it came from the bucket's Output, `b.arn` / `b.bucket` / `b.id`; a literal of the deterministic
    scheme the mocks used before, or any other guess, names another bucket; at `pulumi preview --policy-pack` the
    engine sends the provider's name, or unknown), and the resource naming it is created after that bucket
    (iam_links.ordered_after: were the bucket's create to fail, the name taken, a resource not waiting for it would
    name the existing bucket; issue 11, a typed decoy), or
  - the gate lists it: `ownS3Buckets` (the pack-wide setting, `agentid preview --own-s3-bucket NAME`, or the base
    branch's waivers.yaml `all: {ownS3Buckets: [...]}`), the organisation's buckets outside the stack. Fewer listed
    is stricter, so a pull request's stack file may shorten the list, never add to it.
Anything else is "cannot tell": callers flag it (fail closed). Read by AGID-AWS-064 (buckets named in plain inputs)
and AGID-AWS-073 (buckets an identity policy lets its principal write into).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agentid.mock_provider import autoname
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource
from .iam_links import autonames_unpredictable, known_state, ordered_after

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
# general purpose bucket names: 3-63 of lower-case letters, digits, dots and hyphens, starting and ending with a
# letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
OWN_BUCKETS_KEY = "ownS3Buckets"
OWN_BUCKETS_CONFIG = {OWN_BUCKETS_KEY: []}
OWN_BUCKETS_STRICTNESS = {OWN_BUCKETS_KEY: "subset"}  # listed buckets are exempt: fewer is stricter
OWN_BUCKETS_SCHEMA = {OWN_BUCKETS_KEY: {
    "type": "array", "items": {"type": "string", "pattern": BUCKET_NAME.pattern}, "default": [],
    "description": "This organization's own S3 buckets outside the stack, by exact name (exempt): a bucket name "
                   "carries no account."}}


def bucket_name(value: str) -> str:
    """`arn:aws:s3:::b/key`, `s3://b/prefix/` or `b` -> `b`."""
    value = value.strip()
    if value.startswith("arn:"):
        value = value.split(":", 5)[-1]
    return value.removeprefix("s3://").split("/", 1)[0]


class OwnBuckets:
    """The stack's named buckets and the gate's listed ones."""

    def __init__(self, resources: Iterable[Resource], config) -> None:
        keyed = autonames_unpredictable()
        self.named = [(b, name.strip()) for b in resources if b.type in BUCKET_TYPES
                      for name in [_own_name(b, keyed)] if name is not None]
        self.autonamed = [b for b in resources if b.type in BUCKET_TYPES and not b.props.get("bucket")]
        listed = config.get(OWN_BUCKETS_KEY) if hasattr(config, "get") else None
        self.listed = frozenset(b.strip() for b in listed or () if isinstance(b, str) and b.strip())

    def problem(self, name: str, holders: Iterable[Resource | None]) -> str | None:
        """None when the bucket `name` is known own for every resource in `holders` (those whose inputs name it);
        otherwise why not."""
        if name in self.listed:
            return None
        holders = list(holders)
        named_like = [b for b, own in self.named if own == name]
        if holders and any(all(h is not None and ordered_after(h, b) for h in holders) for b in named_like):
            return None
        if named_like:
            waiting = ", ".join(sorted({h.name for h in holders if h is not None})) or "the resource naming it"
            return (f"bucket {name[:100]} is named like {named_like[0].name} of this stack, but {waiting} does not "
                    "depend on it: were its create to fail (the name taken), this would name the existing bucket")
        predicted = [b for b in self.autonamed if _predictable_name(b) == name]
        if predicted:
            return (f"bucket {name[:100]} is the name {predicted[0].name} of this stack would get from a predictable "
                    "scheme, written as a literal: the provider names an autonamed bucket at random when it creates "
                    "it, so this names whatever bucket bears that name; use an Output of the bucket "
                    f"({predicted[0].name}.arn, .bucket, .id) or give it a `bucket` name")
        listed = (f"nor one of the gate's own buckets ({', '.join(sorted(self.listed))})" if self.listed else
                  "and the gate lists no own buckets (ownS3Buckets, agentid preview --own-s3-bucket)")
        return (f"bucket {name[:100]} is not one this stack names (its `bucket` input, or an autonamed bucket's "
                f"Output), {listed}; a bucket name does not say whose it is")


def _own_name(bucket: Resource, keyed: bool) -> str | None:
    """The name the stack creates `bucket` under, as far as it is known to be the stack's: its `bucket` input; an
    autonamed bucket's keyed mock name only with the gate's key (`keyed`); None otherwise."""
    given = bucket.props.get("bucket")
    if isinstance(given, str) and given.strip():
        return None if is_unknown(given) else given
    if not keyed:
        return None
    name = known_state(bucket).get("bucket")
    return name if isinstance(name, str) and name.strip() and not is_unknown(name) else None


def _predictable_name(bucket: Resource) -> str | None:
    """The name the gate's mocks gave an autonamed bucket before they drew autonames with a per-run key (the
    deterministic scheme: uuid5 of type and logical name, which any program can compute): a literal of it is a guess
    at the stack bucket's name, said so in the finding."""
    name = autoname(bucket.type, bucket.name, dict(bucket.props), "bucket", None)
    return name if isinstance(name, str) else None
