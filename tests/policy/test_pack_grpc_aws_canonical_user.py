"""Another account named by its S3 canonical user id or e-mail, over gRPC (red7b f02).

A bucket policy `Principal: {CanonicalUser: ID}` and an ACL grant to a canonical user or an e-mail address let
another account in by an id no account number can be derived from, so ownAccountIds cannot vouch for it:
AGID-AWS-050 (bucket policy) and AGID-AWS-038 (ACL) block. Look-alikes: the ACL owner granting itself, the
log-delivery group, a bucket policy naming a service with its source.
"""

from __future__ import annotations

import json

from tests.policy.pack_cases import flagged_names

OTHER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
OWNER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
ACL = "aws:s3/bucketAclV2:BucketAclV2"


def bucket_policy(principal) -> tuple:
    return ("aws:s3/bucketPolicy:BucketPolicy", "data-policy", {"bucket": "data", "policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::data/*"}]})})


def acl(*grantees) -> tuple:
    return (ACL, "data-acl", {"bucket": "data", "accessControlPolicy": {
        "owner": {"id": OWNER}, "grants": [{"grantee": g, "permission": "FULL_CONTROL"} for g in grantees]}})


def test_a_bucket_policy_naming_a_canonical_user_cannot_be_checked(pack) -> None:
    assert flagged_names(pack, "AGID-AWS-050", bucket_policy({"CanonicalUser": OTHER}), "mandatory") == ["data-policy"]


def test_an_acl_grant_to_another_canonical_user_or_an_email_blocks(pack) -> None:
    assert flagged_names(pack, "AGID-AWS-038", acl({"type": "CanonicalUser", "id": OTHER}), "mandatory") == ["data-acl"]
    email = acl({"type": "AmazonCustomerByEmail", "emailAddress": "ops@partner.example"})
    assert flagged_names(pack, "AGID-AWS-038", email, "mandatory") == ["data-acl"]


def test_the_owner_granting_itself_and_log_delivery_pass(pack) -> None:
    own = acl({"type": "CanonicalUser", "id": OWNER},
              {"type": "Group", "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery"})
    assert flagged_names(pack, "AGID-AWS-038", own) == []
    service = bucket_policy({"Service": "cloudfront.amazonaws.com"})
    assert flagged_names(pack, "AGID-AWS-050", service) == []
