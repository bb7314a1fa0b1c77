"""AGID-AWS-051 over gRPC: Block Public Access turned off, S3 and EC2 AMIs / EBS snapshots (red4, issue 11: passed
silently).

Input names and defaults are pulumi-aws 7.x's: on BucketPublicAccessBlock / AccountPublicAccessBlock an omitted
setting is false, on an access point (and a multi-region access point) it is true.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_aws_gate_findings import ACCOUNT, judged


# --- S3 Block Public Access turned off (red4) ----------------------------------------------------------------

BUCKET_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
MRAP = "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint"
ALL_ON = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True, "restrictPublicBuckets": True}


def test_bucket_block_public_access_off_blocks(pack):
    props = {"bucket": "agent-reports", **ALL_ON, "blockPublicPolicy": False, "restrictPublicBuckets": False}
    [diag] = judged(pack, BUCKET_BLOCK, "bpa", props, "AGID-AWS-051")
    assert diag.enforcement_level == "mandatory"
    assert "bpa turns S3 Block Public Access off for bucket agent-reports: blockPublicPolicy, restrictPublicBuckets;" \
        in diag.message
    assert judged(pack, BUCKET_BLOCK, "bpa", {"bucket": "agent-reports", **ALL_ON}, "AGID-AWS-051") == []


def test_omitted_settings_of_a_public_access_block_are_false(pack):
    [diag] = judged(pack, ACCOUNT_BLOCK, "acct", {"blockPublicAcls": True, "ignorePublicAcls": True},
                    "AGID-AWS-051")
    assert diag.enforcement_level == "mandatory"
    assert ("every bucket of the account: blockPublicPolicy (omitted: defaults to false), restrictPublicBuckets "
            "(omitted: defaults to false)") in diag.message
    assert judged(pack, ACCOUNT_BLOCK, "acct", {"accountId": ACCOUNT, **ALL_ON}, "AGID-AWS-051") == []


def test_access_point_settings_default_to_on(pack):
    assert judged(pack, ACCESS_POINT, "ap", {"bucket": "agent-reports", "name": "reports"}, "AGID-AWS-051") == []
    assert judged(pack, ACCESS_POINT, "ap", {"bucket": "agent-reports", "name": "reports",
                                             "publicAccessBlockConfiguration": {"blockPublicAcls": True}},
                  "AGID-AWS-051") == []
    [diag] = judged(pack, ACCESS_POINT, "ap", {"bucket": "agent-reports", "name": "reports",
                                               "publicAccessBlockConfiguration": {"ignorePublicAcls": False}},
                    "AGID-AWS-051")
    assert diag.enforcement_level == "mandatory" and "the access point: ignorePublicAcls;" in diag.message
    details = {"name": "global", "regions": [{"bucket": "agent-reports"}],
               "publicAccessBlock": {"blockPublicPolicy": False}}
    [diag] = judged(pack, MRAP, "mrap", {"details": details}, "AGID-AWS-051")
    assert "the multi-region access point: blockPublicPolicy;" in diag.message
    details["publicAccessBlock"] = {"blockPublicPolicy": True}
    assert judged(pack, MRAP, "mrap", {"details": details}, "AGID-AWS-051") == []


def test_unreadable_public_access_settings_are_not_passed(pack):
    [diag] = judged(pack, BUCKET_BLOCK, "bpa", {"bucket": "agent-reports", **ALL_ON, "blockPublicAcls": "no"},
                    "AGID-AWS-051")
    assert "blockPublicAcls is 'no', not true or false" in diag.message


@pytest.mark.parametrize("type_,private", [
    ("aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess", ["block-new-sharing"]),
    ("aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess", ["block-all-sharing", "block-new-sharing"]),
], ids=["ami", "ebs-snapshot"])
def test_ec2_block_public_access_unblocked_blocks(pack, type_, private):
    [diag] = judged(pack, type_, "bpa", {"state": "unblocked"}, "AGID-AWS-051")
    assert diag.enforcement_level == "mandatory" and 'bpa turns block public access for' in diag.message
    for state in private:
        assert judged(pack, type_, "bpa", {"state": state}, "AGID-AWS-051") == []
    [diag] = judged(pack, type_, "bpa", {"state": "Unblocked "}, "AGID-AWS-051")
    assert "cannot be judged" in diag.message
