"""Privilege escalation: which known methods a set of policies makes possible.

The methods are data (`escalation_methods.yaml`). This module only judges:
a method is possible when every action it requires is allowed on an
effectively unbounded resource, not taken away by an unconditional Deny, and
not pinned by a condition that defuses it (see the YAML's header).
Statements may come from one policy or from every policy attached to one role,
which is how the stack-level rule finds combinations split across policies.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from .aws_policy import Condition, Statement, action_pattern_regex
from .aws_grants import is_denied, unbounded_resources, unconditional_denies
from .findings import Finding

_METHODS_FILE = Path(__file__).with_name("escalation_methods.yaml")
# Conditions that bound any grant: a tag-scoped target set, or MFA an agent cannot present.
_GLOBAL_DEFUSING_PREFIXES = ("aws:resourcetag/", "iam:resourcetag/")
_GLOBAL_DEFUSING_KEYS = ("aws:multifactorauthpresent",)


@dataclass(frozen=True)
class Requirement:
    action: str
    passed_to: str | None = None
    defused_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationMethod:
    id: str
    summary: str
    requires: tuple[Requirement, ...]
    source: str = ""  # the public catalogue entry or research that documents the method (URL)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(r.action for r in self.requires)

    @cached_property
    def required(self) -> frozenset[str]:
        """The required actions, lower-cased, for a quick subset test."""
        return frozenset(r.action.lower() for r in self.requires)


@lru_cache(maxsize=1)
def escalation_methods() -> tuple[EscalationMethod, ...]:
    """Every known method, as listed in escalation_methods.yaml."""
    raw = yaml.safe_load(_METHODS_FILE.read_text())
    return tuple(
        EscalationMethod(
            id=entry["id"],
            summary=entry["summary"],
            source=entry.get("source", ""),
            requires=tuple(
                Requirement(r["action"], r.get("passed_to"), tuple(k.lower() for k in r.get("defused_by", ())))
                for r in entry["requires"]
            ),
        )
        for entry in raw
    )


@dataclass(frozen=True)
class LabelledStatement:
    """A statement and where it came from ("policy agent-x-s3", "inline policy tools")."""

    source: str
    statement: Statement

    @property
    def label(self) -> str:
        return f"{self.source} {self.statement.label}".strip()


def _is_positive(condition: Condition) -> bool:
    return not condition.is_negative and not condition.if_exists


def _defusing_condition(statement: Statement, requirement: Requirement) -> bool:
    for condition in statement.conditions:
        if not _is_positive(condition):
            continue
        key = condition.key
        if key in requirement.defused_by or key in _GLOBAL_DEFUSING_KEYS or key.startswith(_GLOBAL_DEFUSING_PREFIXES):
            if key == "aws:multifactorauthpresent" and condition.values != ("true",):
                continue
            return True
    return False


def _passes_to(statement: Statement, service: str) -> bool:
    """Does the grant allow passing a role to `service` (no iam:PassedToService condition excluding it)?"""
    for condition in statement.conditions:
        if condition.key != "iam:passedtoservice" or not _is_positive(condition):
            continue
        if condition.base_operator in ("StringEquals", "StringEqualsIgnoreCase"):
            if service.lower() not in (v.lower() for v in condition.values):
                return False
        elif condition.base_operator == "StringLike":
            if not any(fnmatch.fnmatchcase(service, v) for v in condition.values):
                return False
    return True


def granting_statements(requirement: Requirement, statements: Sequence[LabelledStatement]) -> list[LabelledStatement]:
    """The Allow statements that meet one requirement on their own."""
    denies = unconditional_denies(s.statement for s in statements)
    found = []
    for labelled in statements:
        statement = labelled.statement
        if not statement.allows or not statement.matches_action(requirement.action) or statement.inert():
            continue
        if _defusing_condition(statement, requirement):
            continue
        if requirement.passed_to and not _passes_to(statement, requirement.passed_to):
            continue
        if any(not is_denied(requirement.action, r, denies) for r in unbounded_resources(statement)):
            found.append(labelled)
    return found


def escalation_findings(statements: Sequence[LabelledStatement]) -> list[Finding]:
    """One finding per known escalation method the statements, taken together, make possible."""
    findings = []
    memo: dict[Requirement, list[LabelledStatement]] = {}  # methods share requirements (iam:PassRole ...)
    # Fast pre-check: which required actions does any Allow mention at all? Most methods stop here.
    mentioned = frozenset().union(*(_required_actions_of(s.statement) for s in statements if s.statement.allows))
    for method in escalation_methods():
        if not method.required <= mentioned:
            continue
        granted = []
        for requirement in method.requires:
            if requirement not in memo:
                memo[requirement] = granting_statements(requirement, statements)
            grants = memo[requirement]
            if not grants:
                break
            granted.append((requirement.action, grants[0].label))
        else:
            via = "; ".join(f"{action} by {label}" for action, label in granted)
            findings.append(Finding(
                code=f"escalation:{method.id}",
                message=f"allows privilege escalation ({method.id}): can {method.summary} — {via}",
                statement=granted[0][1],
            ))
    return findings


@lru_cache(maxsize=1)
def _required_actions() -> frozenset[str]:
    return frozenset(r.action.lower() for m in escalation_methods() for r in m.requires)


@lru_cache(maxsize=4096)
def _required_matching(pattern: str) -> frozenset[str]:
    """The required actions an action pattern names (lower-cased pattern)."""
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern}) & _required_actions()
    regex = action_pattern_regex(pattern)
    return frozenset(a for a in _required_actions() if regex.match(a))


def _required_actions_of(statement: Statement) -> frozenset[str]:
    named = frozenset().union(*(_required_matching(p.lower()) for p in statement.actions))
    return _required_actions() - named if statement.not_action else named


def labelled(source: str, statements: Sequence[Statement]) -> list[LabelledStatement]:
    return [LabelledStatement(source, s) for s in statements]
