"""IAM wildcard patterns as sets: `*` is any run of characters, `?` exactly one.

A pattern such as `arn:aws:iam::*:role/*` denotes a (regular) language of
strings. "Does this Deny take away that Allow?" is the question "is the
Allow's language included in the Deny's?", which text comparison gets wrong
(`Deny role/?` does not cover `Allow role/*`; `Deny *` covers `Allow ?`).
Inclusion, overlap and complement are decided on finite automata by the
`interegular` library; this module only builds each pattern's automaton (the
subset construction of a glob is small: its states are sets of positions in
the pattern) and remembers it.

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

from collections.abc import Iterable
from functools import lru_cache

from interegular.fsm import FSM, Alphabet, anything_else

_WILDCARDS = frozenset("*?")


def is_pattern(text: str) -> bool:
    """True when `text` contains `*` or `?` (so denotes more than one string)."""
    return "*" in text or "?" in text


def is_everything(text: str) -> bool:
    """`*`, `**`, `*?*`...: a pattern matching every string of length >= its `?` count; `*` alone is everything."""
    return text != "" and set(text) <= _WILDCARDS and "?" not in text


def _normalise(patterns: Iterable[str], ignore_case: bool) -> tuple[str, ...]:
    return tuple(sorted({p.lower() if ignore_case else p for p in patterns}))


@lru_cache(maxsize=8192)
def _glob_fsm(pattern: str) -> FSM:
    """The minimal-enough DFA of one glob, by subset construction over pattern positions."""
    symbols = sorted({c for c in pattern if c not in _WILDCARDS})
    mapping: dict[object, int] = {c: i for i, c in enumerate(symbols)}
    mapping[anything_else] = len(symbols)
    alphabet = Alphabet(mapping)
    length = len(pattern)

    def closure(positions: set[int]) -> frozenset[int]:
        # a `*` may match nothing: being before it means being after it too
        stack, seen = list(positions), set(positions)
        while stack:
            position = stack.pop()
            if position < length and pattern[position] == "*" and position + 1 not in seen:
                seen.add(position + 1)
                stack.append(position + 1)
        return frozenset(seen)

    start = closure({0})
    index = {start: 0}
    queue = [start]
    transitions: dict[int, dict[int, int]] = {}
    keys = [(symbol, mapping[symbol]) for symbol in (*symbols, anything_else)]
    while queue:
        state = queue.pop()
        row: dict[int, int] = {}
        for symbol, key in keys:
            following: set[int] = set()
            for position in state:
                if position == length:
                    continue
                token = pattern[position]
                if token == "*":
                    following.add(position)
                elif token == "?" or token == symbol:
                    following.add(position + 1)
            if not following:
                continue  # no transition: the string is rejected from here on
            target = closure(following)
            if target not in index:
                index[target] = len(index)
                queue.append(target)
            row[key] = index[target]
        transitions[index[state]] = row
    finals = {number for state, number in index.items() if length in state}
    return FSM(alphabet=alphabet, states=set(index.values()), initial=0, finals=finals, map=transitions)


@lru_cache(maxsize=4096)
def _union_fsm(patterns: tuple[str, ...]) -> FSM:
    fsms = [_glob_fsm(p) for p in patterns]
    return fsms[0].union(*fsms[1:]) if len(fsms) > 1 else fsms[0]


@lru_cache(maxsize=8192)
def _matches(pattern: str, text: str) -> bool:
    return _glob_fsm(pattern).accepts(text)


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
    # Most questions are settled by one outer pattern per inner one (small automata) ...
    uncovered = tuple(p for p in remaining if not any(_one_covers(o, p) for o in wild_outer))
    if not uncovered:
        return True
    # ... the rest need the union of the outer patterns, whose automaton can grow exponentially with
    # the number of `*`: beyond a budget the answer is the conservative one (not covered).
    if sum(o.count("*") for o in wild_outer) > _UNION_STAR_BUDGET:
        return False
    return _union_fsm(uncovered).issubset(_union_fsm(wild_outer))


_UNION_STAR_BUDGET = 16


@lru_cache(maxsize=16384)
def _one_covers(outer: str, inner: str) -> bool:
    return is_everything(outer) or _glob_fsm(inner).issubset(_glob_fsm(outer))


def covers(outer: Iterable[str], inner: Iterable[str], *, ignore_case: bool = False) -> bool:
    """Is every string some `inner` pattern matches also matched by some `outer` pattern?

    Empty `inner` is trivially covered; empty `outer` covers only an empty `inner`.
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
