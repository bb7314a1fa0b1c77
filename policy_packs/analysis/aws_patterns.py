"""IAM wildcard patterns as sets: `*` is any run of characters, `?` exactly one.

A pattern such as `arn:aws:iam::*:role/*` denotes a (regular) language of
strings. "Does this Deny take away that Allow?" is the question "is the
Allow's language included in the Deny's?", which text comparison gets wrong
(`Deny role/?` does not cover `Allow role/*`; `Deny *` covers `Allow ?`).

Inclusion is decided on the patterns' automata, explored on the fly and
within a work budget. A glob's states are sets of positions in the pattern;
building its whole deterministic automaton up front (as an automaton library
does) is exponential for some globs a pull request can write
(`*a??????????????????????` has 2^22 states, and a Deny of eleven `*X*`
patterns unions into millions), which would let one policy hang the gate.
Exploring only the reachable pairs of (Allow state, Deny states) and giving
the conservative answer when the budget runs out ("not covered": the Allow
stands, so the finding is kept) keeps every question bounded. Matching a
concrete string simulates the position sets directly: O(len(text) x len(pattern)).

Sources: IAM JSON policy elements, "Action" and "Resource" wildcards
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards).
Actions compare case-insensitively (pass `ignore_case=True`), ARNs
case-sensitively.

Policy variables (`${aws:username}`) are kept as literal text: a variable
stands for one value the request supplies, so it never widens a Deny and,
in an Allow, it matches only strings that contain the variable text, which
callers treat as "pinned to the caller" before asking (see aws_resources).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_WILDCARDS = frozenset("*?")
# Steps (one pattern state advanced by one symbol) an inclusion question may take before it is
# answered conservatively. Real policies need a few hundred; the budget bounds hostile ones to ~0.2 s.
_STEP_BUDGET = 200_000


def is_pattern(text: str) -> bool:
    """True when `text` contains `*` or `?` (so denotes more than one string)."""
    return "*" in text or "?" in text


_POLICY_VARIABLE = re.compile(r"\$\{\s*([^},\s]*)")
_LITERAL_ESCAPES = {"*", "?", "$"}  # ${*} ${?} ${$} stand for the characters themselves


def names_request_value(text: str) -> bool:
    """True when `text` holds an IAM policy variable whose value comes from the request (the caller, its session,
    its tags, the token), i.e. anything but the literal escapes and the resource's own `${aws:Resource...}` keys.

    Such a value pins nothing a reviewer can read: `aws:PrincipalAccount = ${aws:PrincipalAccount}`,
    `aws:PrincipalOrgID = ${aws:PrincipalOrgID}` or a web-identity `sub = ${token...:sub}` hold for every caller
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html). A variable naming the
    resource's own account or organisation (`${aws:ResourceAccount}`, `${aws:ResourceOrgID}`) names one.
    """
    return any(name not in _LITERAL_ESCAPES and not name.lower().startswith("aws:resource")
               for name in _POLICY_VARIABLE.findall(text))


def is_everything(text: str) -> bool:
    """`*`, `**`, `*?*`...: a pattern matching every string of length >= its `?` count; `*` alone is everything."""
    return text != "" and set(text) <= _WILDCARDS and "?" not in text


def _normalise(patterns: Iterable[str], ignore_case: bool) -> tuple[str, ...]:
    return tuple(sorted({p.lower() if ignore_case else p for p in patterns}))


def _closure(pattern: str, positions: Iterable[int]) -> frozenset[int]:
    """A `*` may match nothing: being before it means being after it too."""
    length = len(pattern)
    stack, seen = list(positions), set(positions)
    while stack:
        position = stack.pop()
        if position < length and pattern[position] == "*" and position + 1 not in seen:
            seen.add(position + 1)
            stack.append(position + 1)
    return frozenset(seen)


@lru_cache(maxsize=1 << 16)
def _step(pattern: str, state: frozenset[int], symbol: str | None) -> frozenset[int]:
    """The positions after reading one character (`None`: a character no pattern names)."""
    length = len(pattern)
    following = set()
    for position in state:
        if position == length:
            continue
        token = pattern[position]
        if token == "*":
            following.add(position)
        elif token == "?" or token == symbol:
            following.add(position + 1)
    return _closure(pattern, following) if following else frozenset()


@lru_cache(maxsize=1 << 12)
def _start(pattern: str) -> frozenset[int]:
    return _closure(pattern, (0,))


def _accepts_all_from(pattern: str, state: frozenset[int]) -> bool:
    """From this state, does the pattern accept every continuation (a rest made only of `*`)?"""
    return any(position < len(pattern) and set(pattern[position:]) <= {"*"} for position in state)


@lru_cache(maxsize=8192)
def _matches(pattern: str, text: str) -> bool:
    state = _start(pattern)
    for character in text:
        state = _step(pattern, state, character if character in pattern else None)
        if not state:
            return False
    return len(pattern) in state


def matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Does the concrete `text` belong to the pattern's language?"""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    if not is_pattern(pattern):
        return pattern == text
    if is_everything(pattern):
        return True
    return _matches(pattern, text)


@lru_cache(maxsize=16384)
def _included(inner: str, outer: tuple[str, ...]) -> bool:
    """Is the language of glob `inner` inside the union of the `outer` globs? False when unsure.

    A depth-first search over reachable (inner state, outer states) pairs for a string the inner
    glob accepts and no outer glob does; the search stops at `_STEP_BUDGET` steps and then answers
    False, the conservative answer for every caller (a Deny that may not cover an Allow leaves it).
    """
    symbols: list[str | None] = sorted({c for p in (inner, *outer) for c in p if c not in _WILDCARDS})
    symbols.append(None)
    length = len(inner)
    start = (_start(inner), tuple(_start(o) for o in outer))
    seen = {start}
    stack = [start]
    steps = 0
    while stack:
        inner_state, outer_states = stack.pop()
        if any(_accepts_all_from(o, s) for o, s in zip(outer, outer_states)):
            continue  # every string from here on is covered
        if length in inner_state and not any(len(o) in s for o, s in zip(outer, outer_states)):
            return False  # a string the inner pattern matches and no outer pattern does
        for symbol in symbols:
            steps += 1 + len(outer)
            if steps > _STEP_BUDGET:
                return False
            following = _step(inner, inner_state, symbol)
            if not following:
                continue
            pair = (following, tuple(_step(o, s, symbol) if s else s for o, s in zip(outer, outer_states)))
            if pair not in seen:
                seen.add(pair)
                stack.append(pair)
    return True


@lru_cache(maxsize=16384)
def _covers(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    if any(is_everything(o) for o in outer):
        return True
    remaining = []
    for pattern in inner:
        if not is_pattern(pattern):
            if not any(_matches(o, pattern) if is_pattern(o) else o == pattern for o in outer):
                return False
        else:
            remaining.append(pattern)
    wild_outer = tuple(o for o in outer if is_pattern(o))
    if not remaining:
        return True
    if not wild_outer:
        return False  # a wildcard pattern denotes infinitely many strings; literals cover finitely many
    # Most questions are settled by one outer pattern per inner one; the rest need the union, literals
    # included: ['b', '??*'] covers '*b' (its one-character member 'b' is the literal).
    return all(any(_included(p, (o,)) for o in wild_outer) or _included(p, outer) for p in remaining)


def covers(outer: Iterable[str], inner: Iterable[str], *, ignore_case: bool = False) -> bool:
    """Is every string some `inner` pattern matches also matched by some `outer` pattern?

    Empty `inner` is trivially covered; empty `outer` covers only an empty `inner`. Bounded:
    a question too costly to settle answers False (not covered).
    """
    inner_n, outer_n = _normalise(inner, ignore_case), _normalise(outer, ignore_case)
    if not inner_n:
        return True
    if not outer_n:
        return False
    return _covers(outer_n, inner_n)


@lru_cache(maxsize=16384)
def _overlap(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    for a in left:
        for b in right:
            if not is_pattern(a) and not is_pattern(b):
                if a == b:
                    return True
            elif not is_pattern(b):
                if _matches(a, b):
                    return True
            elif not is_pattern(a):
                if _matches(b, a):
                    return True
            elif is_everything(a) or is_everything(b) or _globs_meet(a, b):
                return True
    return False


@lru_cache(maxsize=16384)
def _globs_meet(left: str, right: str) -> bool:
    """Is some string matched by both globs? Reachability over pairs of positions: O(|left|·|right|).

    (The product of the two automata answers the same question, but its subset construction grows
    badly for patterns with many `*`, such as `/restapis/*/resources/*/methods/*/integrations/*`.)
    """
    end = (len(left), len(right))
    seen = {(0, 0)}
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) == end:
            return True
        a = left[i] if i < len(left) else None
        b = right[j] if j < len(right) else None
        following = []
        if a == "*":
            following.append((i + 1, j))  # the star matches nothing more
        if b == "*":
            following.append((i, j + 1))
        if a is not None and b is not None and (a in _WILDCARDS or b in _WILDCARDS or a == b):
            # both sides read one and the same character
            following.append((i if a == "*" else i + 1, j if b == "*" else j + 1))
        for state in following:
            if state not in seen:
                seen.add(state)
                stack.append(state)
    return False


@lru_cache(maxsize=16384)
def _meet_outside(left: str, right: str, excluded: tuple[str, ...]) -> bool:
    """Is some string matched by both globs and by none of `excluded`? True when unsure (the step budget runs out).

    A depth-first search over reachable (left state, right state, excluded states) triples, as `_included` does."""
    symbols: list[str | None] = sorted({c for p in (left, right, *excluded) for c in p if c not in _WILDCARDS})
    symbols.append(None)
    start = (_start(left), _start(right), tuple(_start(e) for e in excluded))
    seen, stack, steps = {start}, [start], 0
    while stack:
        left_state, right_state, excluded_states = stack.pop()
        if any(_accepts_all_from(e, s) for e, s in zip(excluded, excluded_states)):
            continue  # every string from here on is excluded
        if len(left) in left_state and len(right) in right_state and \
                not any(len(e) in s for e, s in zip(excluded, excluded_states)):
            return True
        for symbol in symbols:
            steps += 2 + len(excluded)
            if steps > _STEP_BUDGET:
                return True  # unsure: they may meet
            following_left = _step(left, left_state, symbol)
            following_right = _step(right, right_state, symbol) if following_left else frozenset()
            if not following_right:
                continue
            triple = (following_left, following_right,
                      tuple(_step(e, s, symbol) if s else s for e, s in zip(excluded, excluded_states)))
            if triple not in seen:
                seen.add(triple)
                stack.append(triple)
    return False


def overlaps_outside(left: Iterable[str], right: Iterable[str], excluded: Iterable[str] = (), *,
                     ignore_case: bool = False) -> bool:
    """Is there a string some `left` pattern and some `right` pattern match that no `excluded` pattern matches?
    (A NotResource grant or a Deny taking names out of one side.) Bounded: a question too costly to settle answers
    True (they may meet), the conservative answer for the escalation judgement."""
    left_n, right_n = _normalise(left, ignore_case), _normalise(right, ignore_case)
    excluded_n = _normalise(excluded, ignore_case)
    if not excluded_n:
        return _overlap(left_n, right_n)
    return any(_meet_outside(a, b, excluded_n) for a in left_n for b in right_n)


def overlaps(left: Iterable[str], right: Iterable[str], *, ignore_case: bool = False) -> bool:
    """Is there a string both some `left` pattern and some `right` pattern match?"""
    return _overlap(_normalise(left, ignore_case), _normalise(right, ignore_case))


def covers_complement(outer: Iterable[str], excluded: Iterable[str], *, ignore_case: bool = False,
                      universe: str = "*") -> bool:
    """Does `outer` cover every string of `universe` NOT matched by `excluded` (NotAction / NotResource)?

    True exactly when `outer` and `excluded` together match all of `universe` (`*:*` for action
    names, which always have a service prefix; `*` for ARNs).
    """
    return covers((*outer, *excluded), (universe,), ignore_case=ignore_case)
