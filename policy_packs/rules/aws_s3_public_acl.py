"""AGID-AWS-038: no S3 access control list grants to everyone, to every AWS account or to another account.

Bucket policies are judged as resource policies (AGID-AWS-030); ACLs are the other way S3 grants
access, outside IAM: the canned ACLs `public-read`, `public-read-write` and `authenticated-read`,
and explicit grants to the groups AllUsers (anyone, unsigned) or AuthenticatedUsers (any AWS
account in the world). A grant to a canonical user id other than the ACL's owner, or to an account's
e-mail address (AmazonCustomerByEmail), lets another account in by an id the pack cannot tie to an
account number, so it cannot be checked against ownAccountIds: it blocks too. Source:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee
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


def _owner_id(resource: Resource):
    policy = resource.props.get("accessControlPolicy")
    owner = policy.get("owner") if isinstance(policy, Mapping) else None
    return owner.get("id") if isinstance(owner, Mapping) else None


def _another_account(grantee: Mapping, owner_id) -> str | None:
    """What names another account in a grantee: a canonical user id not the owner's, or an e-mail address."""
    kind = grantee.get("type")
    if kind == "AmazonCustomerByEmail" or (kind is None and isinstance(grantee.get("emailAddress"), str)):
        return f"the account of e-mail address {str(grantee.get('emailAddress'))[:100]!r}"
    if kind == "CanonicalUser" and not is_unknown(grantee.get("id")) and grantee.get("id") != owner_id:
        return f"canonical user {str(grantee.get('id'))[:100]!r} (another account, unless it is the bucket owner's)"
    return None


def _grants(resource: Resource):
    """(path, grantee, permissions) for each explicit grant; an Unknown or a Violation when unreadable."""
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
        if is_unknown(grantee.get("uri")):
            yield Unknown(f"{path}.uri")
            continue
        permissions = grant.get("permissions") or [grant.get("permission")]
        yield path, grantee, ", ".join(p for p in permissions if isinstance(p, str))


def check(resource: Resource, config):
    acl = resource.props.get("acl")
    if is_unknown(acl):
        yield Unknown("acl")
    elif isinstance(acl, str) and acl in _PUBLIC_CANNED:
        yield Violation(f"{resource.name}: acl {acl!r}: {_PUBLIC_CANNED[acl]}")
    owner_id = _owner_id(resource)
    for grant in _grants(resource):
        if isinstance(grant, (Unknown, Violation)):
            yield grant
            continue
        path, grantee, permissions = grant
        uri = grantee.get("uri")
        if isinstance(uri, str) and uri.strip().rstrip("/") in _PUBLIC_GROUPS:
            yield Violation(f"{resource.name}: {path} grants {permissions or 'access'} to "
                            f"{_PUBLIC_GROUPS[uri.strip().rstrip('/')]}")
        elif (other := _another_account(grantee, owner_id)) is not None:
            yield Violation(f"{resource.name}: {path} grants {permissions or 'access'} to {other}: the pack cannot "
                            "tell whose account that is; grant through a bucket policy naming the account id")


RULE = Rule(
    id="AGID-AWS-038",
    title="aws-s3-no-public-acl",
    severity="critical",
    category="public-access",
    description="S3 ACLs grant nothing to everyone, to every AWS account (public-read, public-read-write, "
                "authenticated-read, AllUsers, AuthenticatedUsers) or to another account's canonical user or e-mail.",
    remediation="Use the private ACL (better: ObjectOwnership BucketOwnerEnforced, which disables ACLs) and grant "
                "access through IAM roles or a bucket policy naming the principals.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
    check=check,
    resource_types=tuple(GRANT_FIELDS),
)
