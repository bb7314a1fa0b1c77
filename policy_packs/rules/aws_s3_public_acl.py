"""AGID-AWS-038: no S3 access control list grants to everyone or to every AWS account.

Bucket policies are judged as resource policies (AGID-AWS-030); ACLs are the other way S3 grants
access, outside IAM: the canned ACLs `public-read`, `public-read-write` and `authenticated-read`,
and explicit grants to the groups AllUsers (anyone, unsigned) or AuthenticatedUsers (any AWS
account in the world). Source:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee-predefined-groups
"""

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

_PUBLIC_CANNED = {"public-read": "anyone may read, unsigned", "public-read-write": "anyone may read and write, unsigned",
                  "authenticated-read": "anyone holding any AWS credential, in any account, may read"}
_PUBLIC_GROUPS = {"http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers (anyone)",
                  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers (every AWS account)"}
# type token -> where its grants live: "accessControlPolicy.grants" (grantee nested) or "grants" (flat)
GRANT_FIELDS = {
    "aws:s3/bucketAclV2:BucketAclV2": "accessControlPolicy",
    "aws:s3/bucketAcl:BucketAcl": "accessControlPolicy",
    "aws:s3/bucket:Bucket": "grants",
    "aws:s3/bucketV2:BucketV2": "grants",
    "aws:s3/bucketObject:BucketObject": None,
    "aws:s3/bucketObjectv2:BucketObjectv2": None,
}


def _grants(resource: Resource):
    """(path, grantee uri, permissions) for each explicit grant; an Unknown or a Violation when unreadable."""
    field = GRANT_FIELDS[resource.type]
    value = resource.props.get(field) if field else None
    if value is None:
        return
    if is_unknown(value):
        yield Unknown(field)
        return
    if field == "accessControlPolicy":
        value = value.get("grants") if isinstance(value, Mapping) else value
        field = "accessControlPolicy.grants"
    if value is None:
        return
    if not isinstance(value, list):
        yield Violation(f"{resource.name}: {field} is not a list of grants, so who the ACL lets in cannot be judged")
        return
    for index, grant in enumerate(value):
        path = f"{field}[{index}]"
        if is_unknown(grant):
            yield Unknown(path)
            continue
        grantee = grant.get("grantee", grant) if isinstance(grant, Mapping) else None
        if not isinstance(grantee, Mapping):
            yield Violation(f"{resource.name}: {path} is not a grant (grantee, permission), so it cannot be judged")
            continue
        uri = grantee.get("uri")
        if is_unknown(uri):
            yield Unknown(f"{path}.uri")
            continue
        permissions = grant.get("permissions") or [grant.get("permission")]
        yield path, uri, ", ".join(p for p in permissions if isinstance(p, str))


def check(resource: Resource, config):
    acl = resource.props.get("acl")
    if is_unknown(acl):
        yield Unknown("acl")
    elif isinstance(acl, str) and acl in _PUBLIC_CANNED:
        yield Violation(f"{resource.name}: acl {acl!r}: {_PUBLIC_CANNED[acl]}")
    for grant in _grants(resource):
        if isinstance(grant, (Unknown, Violation)):
            yield grant
            continue
        path, uri, permissions = grant
        if isinstance(uri, str) and uri.strip().rstrip("/") in _PUBLIC_GROUPS:
            yield Violation(f"{resource.name}: {path} grants {permissions or 'access'} to "
                            f"{_PUBLIC_GROUPS[uri.strip().rstrip('/')]}")


RULE = Rule(
    id="AGID-AWS-038",
    title="aws-s3-no-public-acl",
    severity="critical",
    category="public-access",
    description="S3 ACLs grant nothing to everyone or to every AWS account (public-read, public-read-write, "
                "authenticated-read, AllUsers, AuthenticatedUsers).",
    remediation="Use the private ACL (better: ObjectOwnership BucketOwnerEnforced, which disables ACLs) and grant "
                "access through IAM roles or a bucket policy naming the principals.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
    check=check,
    resource_types=tuple(GRANT_FIELDS),
)
