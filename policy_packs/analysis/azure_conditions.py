"""Azure ABAC conditions on role assignments: which roles may an assignment-writer assign?

A role assignment (or a built-in role's permission block) may carry a condition in Azure's condition
language (https://learn.microsoft.com/en-us/azure/role-based-access-control/conditions-format), e.g. the
"constrain roles" shape of delegated role assignment management:

    ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))
      OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]
          ForAnyOfAnyValues:GuidEquals {ba92f5b4-2d11-453d-a403-e96b0029c9fe, ...}))
    AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (...))

`assignable_roles(condition)` answers, for the action `Microsoft.Authorization/roleAssignments/write`, the
set of role GUIDs the condition lets through: `RoleSet(allowed=True, ids)` (only these) or
`RoleSet(allowed=False, ids)` (any role but these). Attributes other than the requested RoleDefinitionId
(principal type, custom attributes, ...) are treated as "may be true or false", so the answer is a sound
over-approximation: a role it leaves out can never be assigned. Unreadable conditions raise
ConditionError (callers fail closed: any role).

Operators (single-valued attribute r, value set V), per the conditions-format reference:
  GuidEquals / ForAnyOfAnyValues:GuidEquals / ForAllOfAnyValues:GuidEquals   r in V
  GuidNotEquals / ForAnyOfAllValues:GuidNotEquals / ForAllOfAllValues:...    r not in V
  ForAnyOfAnyValues:GuidNotEquals {a, b}                                     true for every r (|V| > 1)
  ForAnyOfAllValues:GuidEquals {a, b}                                        false for every r (|V| > 1)
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

MAX_CONDITION_CHARS = 8192  # ARM refuses longer conditions; we refuse to parse them
MAX_DEPTH = 64
ROLE_ASSIGNMENT_WRITE = "microsoft.authorization/roleassignments/write"
_ROLE_ATTRIBUTE = "@request[microsoft.authorization/roleassignments:roledefinitionid]"


class ConditionError(ValueError):
    """A condition we cannot read: callers treat it as "any role may be assigned"."""


@dataclass(frozen=True)
class RoleSet:
    """`allowed=True`: exactly `ids`; `allowed=False`: every role except `ids` (GUIDs, lower-case, dashed)."""

    allowed: bool
    ids: frozenset[str]

    def complement(self) -> "RoleSet":
        return RoleSet(not self.allowed, self.ids)

    def __and__(self, other: "RoleSet") -> "RoleSet":
        if self.allowed and other.allowed:
            return RoleSet(True, self.ids & other.ids)
        if self.allowed:
            return RoleSet(True, self.ids - other.ids)
        if other.allowed:
            return RoleSet(True, other.ids - self.ids)
        return RoleSet(False, self.ids | other.ids)

    def __or__(self, other: "RoleSet") -> "RoleSet":
        return (self.complement() & other.complement()).complement()


ANY_ROLE = RoleSet(False, frozenset())
NO_ROLE = RoleSet(True, frozenset())


@dataclass(frozen=True)
class _Bounds:
    """The set of roles for which an expression is surely true (low) and possibly true (high)."""

    low: RoleSet
    high: RoleSet

    def negate(self) -> "_Bounds":
        return _Bounds(self.high.complement(), self.low.complement())


_EXACT_TRUE = _Bounds(ANY_ROLE, ANY_ROLE)
_EXACT_FALSE = _Bounds(NO_ROLE, NO_ROLE)
_UNKNOWN = _Bounds(NO_ROLE, ANY_ROLE)

_TOKEN = re.compile(
    r"\s*(?:(?P<lparen>\()|(?P<rparen>\))|(?P<not>!|\bNOT\b)|(?P<and>&&|\bAND\b)|(?P<or>\|\||\bOR\b)"
    r"|(?P<set>\{[^{}]*\})|(?P<string>'[^']*'|\"[^\"]*\")|(?P<attribute>@[A-Za-z]+\[[^\]]*\])"
    r"|(?P<word>[A-Za-z0-9_.:\-/*]+))",
    re.IGNORECASE,
)
_GUID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})", re.IGNORECASE)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(f"unexpected text at character {position}: {text[position:position + 20]!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _guids(values: str) -> frozenset[str]:
    return frozenset("-".join(m.groups()).lower() for m in _GUID.finditer(values))


def _values(token: tuple[str, str]) -> list[str]:
    kind, text = token
    body = text[1:-1] if kind in ("set", "string") else text
    return [v.strip().strip("'\"") for v in body.split(",") if v.strip()] if kind == "set" else [body]


def _role_atom(operator: str, values: list[str]) -> _Bounds:
    """An atom on the requested RoleDefinitionId (single-valued)."""
    quantifier, _, name = operator.rpartition(":")
    name, quantifier = name.lower(), quantifier.lower()
    ids = frozenset(g for v in values for g in _guids(v))
    if len(ids) != len(values) or name not in ("guidequals", "guidnotequals", "stringequals", "stringequalsignorecase",
                                               "stringnotequals", "stringnotequalsignorecase"):
        return _UNKNOWN  # not GUIDs, or an operator we do not model: may be true or false
    equals = "not" not in name
    any_value = quantifier in ("", "foranyofanyvalues", "forallofanyvalues")
    if quantifier not in ("", "foranyofanyvalues", "forallofanyvalues", "foranyofallvalues", "forallofallvalues"):
        return _UNKNOWN
    if equals and any_value:
        result = RoleSet(True, ids)
    elif not equals and not any_value:
        result = RoleSet(False, ids)
    elif equals:  # r equals every value
        result = RoleSet(True, ids) if len(ids) == 1 else (ANY_ROLE if not ids else NO_ROLE)
    else:  # r differs from some value
        result = RoleSet(False, ids) if len(ids) == 1 else (NO_ROLE if not ids else ANY_ROLE)
    return _Bounds(result, result)


class _Parser:
    def __init__(self, text: str, action: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.action = action

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionError("the condition ends too early")
        self.position += 1
        return token

    def parse(self) -> _Bounds:
        result = self.disjunction(0)
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()[1]!r}")
        return result

    def disjunction(self, depth: int) -> _Bounds:
        result = self.conjunction(depth)
        while self.peek() and self.peek()[0] == "or":
            self.take()
            other = self.conjunction(depth)
            result = _Bounds(result.low | other.low, result.high | other.high)
        return result

    def conjunction(self, depth: int) -> _Bounds:
        result = self.unary(depth)
        while self.peek() and self.peek()[0] == "and":
            self.take()
            other = self.unary(depth)
            result = _Bounds(result.low & other.low, result.high & other.high)
        return result

    def unary(self, depth: int) -> _Bounds:
        if depth > MAX_DEPTH:
            raise ConditionError(f"nested deeper than {MAX_DEPTH}")
        kind, text = self.take()
        if kind == "not":
            return self.unary(depth + 1).negate()
        if kind == "lparen":
            inner = self.disjunction(depth + 1)
            if self.take()[0] != "rparen":
                raise ConditionError("a '(' is not closed")
            return inner
        if kind == "word" and text.lower() in ("actionmatches", "suboperationmatches"):
            values = self.take()
            if values[0] != "set":
                raise ConditionError(f"{text} needs {{'operation'}}")
            if text.lower() == "suboperationmatches":
                return _UNKNOWN
            matches = any(fnmatch.fnmatchcase(self.action, v.lower()) for v in _values(values))
            return _EXACT_TRUE if matches else _EXACT_FALSE
        if kind == "attribute":
            operator = self.take()
            value = self.take()
            if operator[0] != "word" or value[0] not in ("set", "string", "word"):
                raise ConditionError(f"{text} needs an operator and a value")
            if text.replace(" ", "").lower() == _ROLE_ATTRIBUTE:
                return _role_atom(operator[1], _values(value))
            return _UNKNOWN
        raise ConditionError(f"unexpected {text!r}")


def assignable_roles(condition: str | None, action: str = ROLE_ASSIGNMENT_WRITE) -> RoleSet:
    """The roles a holder of `action` may assign under `condition` (no condition: any role).

    Raises ConditionError for text that is not a condition we can read.
    """
    if condition is None or not condition.strip():
        return ANY_ROLE
    if len(condition) > MAX_CONDITION_CHARS:
        raise ConditionError(f"longer than {MAX_CONDITION_CHARS} characters")
    return _Parser(condition, action.lower()).parse().high
