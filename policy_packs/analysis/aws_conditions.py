"""What one IAM condition does to the set of requests a statement applies to: judged by operator and value.

The presence of a condition key proves nothing: `StringLike aws:ResourceTag/team "*"`
bounds nothing, `StringEquals aws:userid "${aws:userid}"` is always true,
`DateLessThan aws:CurrentTime 2020-01-01` is never true again. Each condition
gets one verdict:

  ALWAYS    true on every request, today and later (a Deny with only such conditions is unconditional)
  NEVER     false on every request from `today` on (the statement is inert)
  OPEN      true for requests a caller can choose (key absent under IfExists/ForAllValues, a `*` value,
            a time window still open): it bounds nothing a caller needs
  RESTRICTS the operator and value really narrow the requests (which keys matter is the caller's question)
  UNKNOWN   an operator or value we cannot judge: callers keep the conservative answer (flag)

Dates are judged against an injectable `today` (a `datetime.date`), never the
wall clock in tests. Sources: IAM condition operators
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
multivalued keys (.../reference_policies_condition-single-vs-multi-valued-context-keys.html),
global condition keys (.../reference_policies_condition-keys.html: which keys every request carries).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from .aws_patterns import is_everything

ALWAYS, NEVER, OPEN, RESTRICTS, UNKNOWN = "always", "never", "open", "restricts", "unknown"

_STRING = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
           "StringNotLike"}
_NUMERIC = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
            "NumericGreaterThanEquals"}
_DATE = {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
         "DateGreaterThanEquals"}
_ARN = {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}
_OTHER = {"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"}
OPERATORS = frozenset(_STRING | _NUMERIC | _DATE | _ARN | _OTHER)
_POSITIVE_MATCH = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
_NEGATIVE_MATCH = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}
_LIKE = {"StringLike", "ArnLike", "StringNotLike", "ArnNotLike"}

# Global keys AWS puts in every request context (so IfExists / Null cannot make them absent).
ALWAYS_PRESENT = frozenset({
    "aws:currenttime", "aws:epochtime", "aws:userid", "aws:principalarn", "aws:principalaccount",
    "aws:principaltype", "aws:securetransport",
})
# Keys whose absence a caller can choose by picking the target (an untagged resource, no request tags).
_TAG_KEY = re.compile(r"^(?:aws:(?:resourcetag|requesttag)|[a-z0-9-]+:resourcetag)/", re.IGNORECASE)
_TIME_KEYS = {"aws:currenttime", "aws:epochtime"}
_VARIABLE = re.compile(r"^\$\{([^}]+)\}$")
_ARN_EVERYTHING = re.compile(r"^(?:arn)?[:*?]*$", re.IGNORECASE)


def verdict(operator: str, key: str, values: tuple[str, ...], today: date,
            present: Iterable[str] = ()) -> str:
    """The verdict on one condition (operator as written, key lower-cased, values as strings).

    `present` names keys the caller knows the request carries (e.g. iam:PassedToService for
    iam:PassRole), beyond the global ALWAYS_PRESENT ones.
    """
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    base = base.removesuffix("IfExists") if if_exists else base
    if qualifier not in ("", "ForAllValues", "ForAnyValue") or base not in OPERATORS or not values:
        return UNKNOWN
    always_there = key in ALWAYS_PRESENT or key in set(present)
    if base == "Null":
        return _null(key, values, always_there)
    if qualifier == "ForAllValues":
        return OPEN  # true for an empty or absent set of values: a caller sends none
    if if_exists and not always_there:
        return OPEN  # true whenever the caller makes the key absent
    if key in _TIME_KEYS and (base in _DATE or (key == "aws:epochtime" and base in _NUMERIC)):
        return _time(base, values, today)
    if key == "aws:tokenissuetime" and base in _DATE:
        # every live session was issued within the longest session (36 h, role chaining aside 12 h) before now
        return _time(base, values, today - timedelta(days=2))
    if base in _DATE and not all(_instant(v) for v in values):
        return UNKNOWN
    if base in _POSITIVE_MATCH | _NEGATIVE_MATCH:
        negative = base in _NEGATIVE_MATCH
        if any(_self_reference(key, v) for v in values):
            if not always_there:
                return OPEN
            return NEVER if negative else ALWAYS
        if base in _LIKE and any(_matches_everything(key, base, v) for v in values):
            if negative:
                return NEVER if always_there else OPEN
            return ALWAYS if always_there else OPEN
    return RESTRICTS


def _null(key: str, values: tuple[str, ...], always_there: bool) -> str:
    wants_absent = {v.lower() for v in values}
    if wants_absent - {"true", "false"}:
        return UNKNOWN
    if wants_absent == {"true", "false"}:
        return ALWAYS if always_there else OPEN
    if wants_absent == {"true"}:  # the key must be absent
        return NEVER if always_there else OPEN if _TAG_KEY.match(key) else RESTRICTS
    return ALWAYS if always_there else RESTRICTS  # the key must be present: e.g. only tagged resources


def _self_reference(key: str, value: str) -> bool:
    match = _VARIABLE.match(value)
    return bool(match) and match.group(1).lower() == key


def _matches_everything(key: str, base: str, value: str) -> bool:
    if is_everything(value):
        return True
    return base.startswith("Arn") and _ARN_EVERYTHING.match(value) is not None and "*" in value


def _instant(value: str) -> datetime | None:
    """An ISO 8601 date/time or epoch seconds, as an aware UTC datetime; None if unreadable."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{1,12}", text):
            return datetime.fromtimestamp(int(text), tz=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _time(base: str, values: tuple[str, ...], today: date) -> str:
    """aws:CurrentTime against the values: past bounds never change again; future ones still can."""
    instants = [_instant(v) for v in values]
    if not all(instants):
        return UNKNOWN
    start = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
    past = [i < start for i in instants]
    kind = base.removeprefix("Numeric").removeprefix("Date")
    if kind in ("LessThan", "LessThanEquals", "Equals"):
        return NEVER if all(past) else OPEN  # "before X": over once X has passed
    if kind in ("GreaterThan", "GreaterThanEquals"):
        return ALWAYS if any(past) else OPEN  # "after X": true for good once X has passed
    return OPEN  # NotEquals: true except at one instant


def today_utc() -> date:
    """The date the verdicts are for when the caller passes none (the pack and the CLI at run time)."""
    return datetime.now(timezone.utc).date()


def statement_verdict(verdicts: Iterable[str]) -> str:
    """All conditions of a statement hold together: NEVER wins, then UNKNOWN, RESTRICTS, OPEN; all ALWAYS → ALWAYS."""
    found = set(verdicts)
    for answer in (NEVER, UNKNOWN, RESTRICTS, OPEN):
        if answer in found:
            return answer
    return ALWAYS
