"""AGID-AWS-076: a grant to an AWS service pinned only by an S3 bucket ARN pins it to a bucket known to be own.

A Lambda permission (`sourceArn`) or a resource policy's `aws:SourceArn` (or encryption-context ARN) that confines a
service principal (`s3.amazonaws.com`, `"*"`) to `arn:aws:s3:::acme-uploads-prod` confines it to whoever holds that
bucket NAME: an S3 ARN carries no account, bucket names are global and anyone may take a free one (or one deleted
later), so the holder of that name in any account may invoke the function / drive the queue (red22 r22-5; AWS:
"the ARN of an Amazon S3 bucket doesn't contain an account ID ... use aws:SourceAccount as well",
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html). The pin is judged by
analysis.aws_source_pins (shared with AGID-AWS-034 and AGID-AWS-062, which leave a bucket-only pin to this rule):
it passes when every bucket it names is known own (rules.aws_buckets.OwnBuckets: created by this stack, under
`agentid preview` its Output, with the grant created after it; or listed in `ownS3Buckets`), or when an own
aws:SourceAccount / sourceAccount pin sits beside it. For resource policies only BROAD grants to a service are judged,
as AGID-AWS-062 judges them, and any grant to Principal "*" that only such a bucket ARN confines (AGID-AWS-030 takes
an exact aws:SourceArn as a pin; the service calls it lets through come from that bucket name's holder). Critical (mandatory): the function or resource is open to a stranger's bucket.
"""

from __future__ import annotations

from agentid_policy_packs.analysis import RESOURCE, PolicyParseError, parse_policy

from agentid_policy_packs.analysis.aws_source_pins import SOURCE_KEYS, lambda_pins, statement_pins
from agentid_policy_packs.analysis.aws_trust import RESTRICTING_KEYS, OwnIds, unowned_pins
from agentid_policy_packs.analysis.values import is_unknown

from .aws_buckets import BUCKET_TYPES, OWN_BUCKETS_CONFIG, OWN_BUCKETS_SCHEMA, OWN_BUCKETS_STRICTNESS, OwnBuckets
from .aws_lambda_public import PERMISSION, _SERVICE as _LAMBDA_SERVICE
from .aws_service_principal_confused_deputy import _broad, service_grants
from .base import Rule, Violation
from .documents import RESOURCE_POLICY_TYPES, Document, resource_policy
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA


def _unowned(names, resource, buckets: OwnBuckets) -> list[str]:
    return [p for p in (buckets.problem(name, [resource]) for name in dict.fromkeys(names)) if p]


def _permission(resource, config, buckets: OwnBuckets):
    principal = resource.props.get("principal")
    if not isinstance(principal, str) or (principal.strip() != "*" and not _LAMBDA_SERVICE.match(principal.lower())):
        return
    if any(is_unknown(resource.props.get(k)) for k in ("sourceArn", "sourceAccount")):
        return
    verdict = lambda_pins(resource.props.get("sourceArn"), resource.props.get("sourceAccount"),
                          own_accounts(resource, config, ("function",)))
    if verdict.bound or not verdict.buckets:
        return
    problems = _unowned(verdict.buckets, resource, buckets)
    if problems:
        yield Violation(f"lambda permission {resource.name} lets {principal.strip()} invoke the function for "
                        f"sourceArn {resource.props.get('sourceArn')} with no sourceAccount of yours: "
                        f"{'; '.join(problems)}; whoever holds that bucket name in any account may invoke it",
                        resource.urn)


def _policies(resource, config, buckets: OwnBuckets, orgs: OwnIds):
    own = own_accounts(resource, config)
    for document in resource_policy(resource):
        if not isinstance(document, Document):
            continue  # unknown at preview: AGID-AWS-062 reports it
        try:
            parsed = parse_policy(document.value, RESOURCE)
        except (PolicyParseError, RecursionError):
            continue  # AGID-POL-001
        for statement, services in [*service_grants(parsed), *_public_grants(parsed, orgs)]:
            verdict = statement_pins(statement, own, orgs)
            if verdict.bound or not verdict.buckets:
                continue
            broad = _broad(statement) if services != ["*"] else ", ".join(statement.actions[:3]) or "actions"
            if broad is None:
                continue
            problems = _unowned(verdict.buckets, resource, buckets)
            if problems:
                yield Violation(f"{document.label} {statement.label} of {resource.name} grants "
                                f"{'any principal' if services == ['*'] else 'service ' + ', '.join(services)} {broad} pinned only by an S3 bucket ARN (no aws:SourceAccount "
                                f"of yours): {'; '.join(problems)}; whoever holds that bucket name in any account may "
                                "make the service act on this resource (confused deputy)", resource.urn)


_NON_SOURCE_PINS = frozenset(k for k in RESTRICTING_KEYS if k not in SOURCE_KEYS)


def _public_grants(parsed, orgs: OwnIds):
    """(statement, ["*"]) for each Allow to Principal "*" that no caller pin (aws:PrincipalOrgID, aws:PrincipalAccount,
    ...) confines: AGID-AWS-030 takes an exact aws:SourceArn as the pin, and an S3 bucket ARN is judged here."""
    for statement in parsed.statements:
        principals = statement.principals or {}
        if not statement.allows or statement.not_principal or not ("*" in principals or "*" in principals.get("AWS", ())):
            continue
        if unowned_pins(statement, _NON_SOURCE_PINS, orgs) is None:
            continue
        yield statement, ["*"]


def check(resources, config):
    resources = list(resources)
    buckets = OwnBuckets(resources, config)
    orgs = OwnIds.from_config(config)
    for resource in resources:
        if resource.type == PERMISSION:
            yield from _permission(resource, config, buckets)
        elif resource.type in RESOURCE_POLICY_TYPES:
            yield from _policies(resource, config, buckets, orgs)


RULE = Rule(
    id="AGID-AWS-076",
    title="aws-no-unowned-bucket-source-pin",
    severity="critical",
    category="public-access",
    description="A Lambda permission or resource-policy grant to an AWS service pinned only by an S3 bucket ARN "
                "(which names no account) names a bucket known to be the stack's own (created by it, or listed in "
                "ownS3Buckets), or also pins an own aws:SourceAccount / sourceAccount.",
    remediation="Take the ARN from a bucket this stack creates (b.arn), list your bucket in ownS3Buckets "
                "(agentid preview --own-s3-bucket), or add sourceAccount / aws:SourceAccount of your own account.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
    check=check,
    stack=True,
    config={"ownAccountIds": [], "ownOrganizationIds": [], **OWN_BUCKETS_CONFIG},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"],
                   **OWN_BUCKETS_SCHEMA},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset", **OWN_BUCKETS_STRICTNESS},
    reads=(PERMISSION, *RESOURCE_POLICY_TYPES, *BUCKET_TYPES),
)
