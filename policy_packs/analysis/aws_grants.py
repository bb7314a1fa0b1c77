"""What an AWS identity policy grants, and which of its grants are too broad.

Findings (codes):
  full-admin         Allow of every action (`*`) on an unbounded resource
  broad-action       `service:*` or `service:Prefix*` (or `*:...`) on an unbounded resource
  not-action-allow   Allow with NotAction: everything except a list, including actions AWS adds later
  star-resource      `Resource: "*"` (or NotResource) on actions that support resource-level permissions
An Allow that unconditional Denies fully cover (as sets of actions and ARNs, aws_patterns) grants
nothing and yields no finding; nor does an inert Allow (a condition that can never hold again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from components import iam_catalog

from .aws_patterns import covers, covers_complement, overlaps
from .aws_policy import PolicyDocument, Statement
from .aws_resources import is_unbounded, matches_arn
from .findings import Finding


@dataclass(frozen=True)
class Grant:
    """One action allowed on one resource pattern.

    `resource` is the pattern as written; for NotResource it is "*" and
    `except_resources` lists what is excluded. `conditional` grants hold only
    when their Condition block does.
    """

    action: str  # canonical "service:Name" (as written, if the catalog does not know it)
    resource: str
    conditional: bool = False
    except_resources: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[str, ...]:
    """Known actions an action pattern stands for ("s3:get*" -> ("s3:GetObject", ...)); itself if unknown."""
    if "*" not in pattern and "?" not in pattern:
        info = iam_catalog.action_info(pattern)
        return (info.full_name,) if info else (pattern,)
    return tuple(info.full_name for info in iam_catalog.expand_action_pattern(pattern))


@lru_cache(maxsize=1)
def _all_actions() -> tuple[str, ...]:
    return expand("*")


def statement_actions(statement: Statement) -> tuple[str, ...]:
    """The known actions a statement applies to (NotAction: every known action it does not name)."""
    if statement.not_action:
        return tuple(a for a in _all_actions() if statement.matches_action(a))
    seen: dict[str, None] = {}
    for pattern in statement.actions:
        seen.update(dict.fromkeys(expand(pattern)))
    return tuple(seen)


def _covers_actions(deny: Statement, patterns: Sequence[str], negated: bool) -> bool:
    """Does the Deny's action set include the Allow's (`patterns`, or everything but them when `negated`)?"""
    if not deny.not_action:
        return covers_complement(deny.actions, patterns, ignore_case=True, universe="*:*") if negated else \
            covers(deny.actions, patterns, ignore_case=True)
    # Deny NotAction X applies to everything outside X
    return covers(patterns, deny.actions, ignore_case=True) if negated else \
        not overlaps(deny.actions, patterns, ignore_case=True)


def _covers_resources(deny: Statement, patterns: Sequence[str], negated: bool) -> bool:
    """Does the Deny's resource set include the Allow's? (ARNs compare case-sensitively.)"""
    if not deny.not_resource:
        return covers_complement(deny.resources, patterns) if negated else covers(deny.resources, patterns)
    return covers(patterns, deny.resources) if negated else not overlaps(deny.resources, patterns)


def _fully_denied(allow: Statement, denies: Sequence[Statement]) -> bool:
    """Do the unconditional Denies take away everything this Allow gives?

    Decided on sets (aws_patterns): `Deny role/?` does not remove `Allow role/*`. Each of the
    Allow's action patterns may be removed by a different Deny.
    """
    def removed(patterns: Sequence[str], negated: bool) -> bool:
        return any(_covers_actions(deny, patterns, negated)
                   and _covers_resources(deny, allow.resources, allow.not_resource) for deny in denies)

    if not denies:
        return False
    if allow.not_action:
        return removed(allow.actions, True)
    return all(removed((pattern,), False) for pattern in allow.actions)


def unconditional_denies(statements: Iterable[Statement], today: date | None = None) -> list[Statement]:
    """The Deny statements that surely apply: no condition, or only conditions that always hold."""
    return [s for s in statements if not s.allows and s.unconditional(today)]


def _live_allows(document: PolicyDocument, today: date | None = None) -> list[Statement]:
    denies = unconditional_denies(document.statements, today)
    return [s for s in document.statements
            if s.allows and not s.inert(today) and not _fully_denied(s, denies)]


def _is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def broad_grant_findings(document: PolicyDocument) -> list[Finding]:
    """Broad grants in an identity policy: full admin, service-wide actions, NotAction, `*` resources."""
    findings = []
    for statement in _live_allows(document):
        unbounded = bool(unbounded_resources(statement))
        where = statement.label
        if statement.not_action:
            findings.append(Finding(
                "not-action-allow",
                f"allows every action except {', '.join(statement.actions)} (NotAction with Allow), "
                "including actions AWS adds later", where))
            continue
        if unbounded and any(p in ("*", "*:*") for p in statement.actions):
            findings.append(Finding("full-admin", "allows every action on every resource", where))
            continue
        if unbounded:
            for pattern in statement.actions:
                if _is_wildcard(pattern):
                    count = len(expand(pattern))
                    findings.append(Finding(
                        "broad-action",
                        f"allows {pattern} ({count} actions) on unbounded resources "
                        f"{', '.join(unbounded_resources(statement))}", where))
        findings.extend(_star_resource(statement))
    return findings


def unbounded_resources(statement: Statement) -> list[str]:
    """The statement's effectively unbounded resource patterns; NotResource (all but a list) counts as "*"."""
    return [r for r in statement.resources if is_unbounded(r)] if not statement.not_resource else ["*"]


def _star_resource(statement: Statement) -> list[Finding]:
    if not (statement.not_resource or "*" in statement.resources):
        return []
    scoped = []
    for pattern in statement.actions:
        if _is_wildcard(pattern):
            continue  # wildcard patterns on "*" are reported as broad-action
        info = iam_catalog.action_info(pattern)
        if info and info.supports_resource_level:
            scoped.append(info.full_name)
    if not scoped:
        return []
    what = "NotResource (every resource but a few)" if statement.not_resource else 'Resource "*"'
    return [Finding(
        "star-resource",
        f"grants {', '.join(scoped)} on {what}, though these actions accept specific resource ARNs",
        statement.label)]


def effective_grants(documents: Iterable[PolicyDocument]) -> list[Grant]:
    """Every (action, resource) the documents allow together, after unconditional denies.

    Conditional Deny statements are ignored (they may not apply), so the result
    is an upper bound: what a principal holding these policies may be able to do.
    """
    statements = [s for d in documents for s in d.statements]
    denies = unconditional_denies(statements)
    grants: dict[Grant, None] = {}
    for statement in statements:
        if not statement.allows or statement.inert():
            continue
        resources = ["*"] if statement.not_resource else list(statement.resources)
        excluded = statement.resources if statement.not_resource else ()
        for action in statement_actions(statement):
            for resource in resources:
                if not is_denied(action, resource, denies):
                    grants[Grant(action, resource, bool(statement.conditions), tuple(excluded))] = None
    return list(grants)


def is_denied(action: str, resource: str, denies: Sequence[Statement]) -> bool:
    """Is (action, resource pattern) taken away by one of `denies` (pass only unconditional ones)?

    The Deny must cover the whole resource pattern as a set: `Deny role/?` does not take away `role/*`.
    """
    return any(deny.matches_action(action) and _covers_resources(deny, (resource,), False) for deny in denies)


def is_allowed(documents: Iterable[PolicyDocument], action: str, arn: str, *, include_conditional: bool = True) -> bool:
    """Would the documents allow `action` on the concrete `arn`? (Unconditional denies win.)"""
    statements = [s for d in documents for s in d.statements]
    allowed = False
    for statement in statements:
        if not statement.matches_action(action):
            continue
        hit = any(matches_arn(p, arn) for p in statement.resources) != statement.not_resource
        if not hit or statement.inert():
            continue
        if not statement.allows and statement.unconditional():
            return False
        if statement.allows and (include_conditional or not statement.conditions):
            allowed = True
    return allowed
