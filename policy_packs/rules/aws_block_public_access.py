"""AGID-AWS-051: Block Public Access stays on: no resource turns S3's four settings, or EC2's AMI / EBS snapshot
sharing block, off.

S3 Block Public Access is the switch that keeps a bucket policy or ACL from making data public, whatever
a later policy says (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
  blockPublicAcls        PUT calls with a public ACL are refused
  ignorePublicAcls       public ACLs already there are ignored
  blockPublicPolicy      a bucket (or access point) policy granting public access is refused
  restrictPublicBuckets  a public policy grants only AWS services and the owner's account
A resource that writes the configuration writes all four (PutPublicAccessBlock), so what it leaves out is
what the provider sends for it:
  - `s3.BucketPublicAccessBlock` (one bucket) and `s3.AccountPublicAccessBlock` (every bucket of the
    account): each setting defaults to false (pulumi-aws 7.x docs: "Defaults to false"), so an omitted
    setting is turned off as surely as `false`;
  - `s3.AccessPoint.publicAccessBlockConfiguration` and `s3control.MultiRegionAccessPoint
    .details.publicAccessBlock`: each setting defaults to true, so only an explicit false turns it off.
The same guard exists for machine images and EBS snapshots, one account-wide `state` per region:
  - `ec2.ImageBlockPublicAccess.state` `unblocked` lets AMIs be made public (`block-new-sharing` keeps them private;
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html);
  - `ebs.SnapshotBlockPublicAccess.state` `unblocked` lets snapshots be shared publicly (`block-all-sharing`,
    `block-new-sharing` keep them private; https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html).
A value computed at preview cannot be checked until known; a non-boolean value (a state that is not one of
the provider's values) cannot be judged (flagged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

BUCKET_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
MULTI_REGION_ACCESS_POINT = "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint"
IMAGE_BLOCK = "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess"
SNAPSHOT_BLOCK = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"
# the states that keep the artifacts private (pulumi-aws 7.x docs of each resource's `state`)
_PRIVATE_STATES = {IMAGE_BLOCK: ("block-new-sharing",), SNAPSHOT_BLOCK: ("block-all-sharing", "block-new-sharing")}
_ARTIFACTS = {IMAGE_BLOCK: "AMIs", SNAPSHOT_BLOCK: "EBS snapshots"}
SETTINGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")


def _off(resource: Resource, block: Mapping[str, Any], path: str, default: bool):
    """(settings turned off, outcomes for values that cannot be read) of one configuration block."""
    off, problems = [], []
    for setting in SETTINGS:
        value = block.get(setting)
        if is_unknown(value):
            problems.append(Unknown(f"{path}{setting}"))
        elif value is None:
            if not default:
                off.append(f"{setting} (omitted: defaults to false)")
        elif not isinstance(value, bool):
            problems.append(Violation(f"{resource.name}: {path}{setting} is {value!r}, not true or false, so whether "
                                      "S3 Block Public Access is on cannot be judged"))
        elif not value:
            off.append(setting)
    return off, problems


def _block_of(resource: Resource) -> tuple[Any, str, bool, str]:
    """(configuration block, its input path, each setting's default, what it protects)."""
    props = resource.props
    if resource.type == BUCKET_BLOCK:
        bucket = props.get("bucket")
        return props, "", False, f"bucket {bucket}" if isinstance(bucket, str) and not is_unknown(bucket) else "its bucket"
    if resource.type == ACCOUNT_BLOCK:
        account = props.get("accountId")
        named = isinstance(account, str) and not is_unknown(account)
        return props, "", False, f"every bucket of account {account}" if named else "every bucket of the account"
    if resource.type == ACCESS_POINT:
        return props.get("publicAccessBlockConfiguration"), "publicAccessBlockConfiguration.", True, "the access point"
    details = props.get("details")
    if is_unknown(details):
        return details, "details", True, ""
    block = details.get("publicAccessBlock") if isinstance(details, Mapping) else None
    return block, "details.publicAccessBlock.", True, "the multi-region access point"


def _sharing_state(resource: Resource):
    """EC2's account-wide block for AMIs or EBS snapshots: `unblocked` lets them be made public."""
    state = resource.props.get("state")
    artifacts = _ARTIFACTS[resource.type]
    if is_unknown(state):
        yield Unknown("state")
    elif state == "unblocked":
        yield Violation(f"{resource.name} turns block public access for {artifacts} off (state \"unblocked\"): any of "
                        f"the account's {artifacts} in the region can then be shared with every AWS account")
    elif state not in _PRIVATE_STATES[resource.type]:
        yield Violation(f"{resource.name}: state is {state!r}, not one of {', '.join(_PRIVATE_STATES[resource.type])}"
                        f" or unblocked, so whether {artifacts} can be made public cannot be judged")


def check(resource: Resource, config):
    if resource.type in _PRIVATE_STATES:
        yield from _sharing_state(resource)
        return
    block, path, default, what = _block_of(resource)
    if is_unknown(block):
        yield Unknown(path.rstrip(".") or "publicAccessBlock")
        return
    if block is None:
        if default:
            return  # the access point keeps all four on
        block = {}
    if not isinstance(block, Mapping):
        yield Violation(f"{resource.name}: {path.rstrip('.')} is {type(block).__name__}, not an object, so whether "
                        "S3 Block Public Access is on cannot be judged")
        return
    off, problems = _off(resource, block, path, default)
    yield from problems
    if off:
        yield Violation(f"{resource.name} turns S3 Block Public Access off for {what}: {', '.join(off)}; a public "
                        "bucket policy or ACL then exposes the data to anyone")


RULE = Rule(
    id="AGID-AWS-051",
    title="aws-block-public-access-on",
    severity="high",
    category="public-access",
    description="S3 Block Public Access (bucket, account, access point) keeps blockPublicAcls, ignorePublicAcls, "
                "blockPublicPolicy and restrictPublicBuckets on; EC2's block public access for AMIs and EBS "
                "snapshots is not unblocked.",
    remediation="Set all four S3 settings to true (on a BucketPublicAccessBlock or AccountPublicAccessBlock an omitted "
                "setting is false) and keep AMI/snapshot block public access at block-new-sharing or "
                "block-all-sharing; share data with named principals, CloudFront or presigned URLs instead.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    check=check,
    resource_types=(BUCKET_BLOCK, ACCOUNT_BLOCK, ACCESS_POINT, MULTI_REGION_ACCESS_POINT, IMAGE_BLOCK, SNAPSHOT_BLOCK),
    enforcement="mandatory",
)
