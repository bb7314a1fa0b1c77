"""Reading a resource's inputs in a stack rule, failing closed: a value unknown at preview ends the resource's
judgement with Unknown(path, urn), a shape the rule cannot read with the violation `<name>: cannot check: <path> is
not <what>` (at the resource's URN). Raise `stop(...)` (or let `strings` / `objects` raise it) inside the judgement
of one resource and turn the Stop into its outcome around it (`judged`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .base import Outcome, Resource, Unknown, Violation


class Stop(Exception):
    """Ends judging one resource with `outcome`."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome)
        self.outcome = outcome


def stop(resource: Resource, path: str, value: Any, what: str) -> Stop:
    """The Stop for `value` at `path` not being `what`: Unknown when it is computed during preview."""
    if is_unknown(value):
        return Stop(Unknown(path, resource.urn))
    return Stop(Violation(f"{resource.name}: cannot check: {path} is not {what}", resource.urn))


def strings(resource: Resource, path: str, value: Any) -> list[str]:
    """`value` as a list of strings (absent: []); raises Stop."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise stop(resource, path, value, "a list of strings")
    for index, item in enumerate(value):
        if is_unknown(item) or not isinstance(item, str):
            raise stop(resource, f"{path}[{index}]", item, "a string")
    return value


def objects(resource: Resource, path: str, value: Any) -> list[dict[str, Any]]:
    """`value` as a list of objects (absent: []); raises Stop."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise stop(resource, path, value, "a list of objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise stop(resource, f"{path}[{index}]", item, "an object")
    return value


def judged(outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
    """`outcomes` until one raises Stop, then that Stop's outcome."""
    try:
        yield from outcomes
    except Stop as ended:
        yield ended.outcome
