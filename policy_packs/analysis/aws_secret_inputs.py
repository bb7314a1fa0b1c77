"""Which inputs of an AWS resource hold a credential (aws_secret_inputs.yaml), and the values found there.

The table (type token -> `secret` paths, which hold a secret by their type, and `scan` paths, whose strings may hold
one) follows the pulumi-aws schema's `secret: true` inputs and the AWS API reference of each field; sources and
refresh in the YAML. red9a #25/#20 found literal passwords, keys and tokens in a Directory Service admin password,
an OpenSearch master user, MQ users, Glue connection properties, a DMS endpoint, an IAM server certificate's
private key and an EventBridge connection's API key, none of which AGID-AWS-007 read.

Paths: `a.b` nested members, `a[]` every item of list `a`, `a.*` every member of map `a` (under its own name),
`a.**` every string anywhere below `a` (under the name of the member holding it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from .values import is_unknown

_MAX_DEPTH = 8  # `**` stops this deep below its start: connector credentials nest two or three levels


class Found(NamedTuple):
    """One value at a table path: where (`path`, concrete: `users[0].password`), the name it is stored under (`key`),
    whether the field is a secret by type, and the value (None with `shape` when the input is not the shape the
    provider takes there: a list where a map belongs, ...)."""

    path: str
    key: str
    by_type: bool
    value: Any
    shape: str | None = None


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, tuple[str, ...]]]:
    """type token -> {"secret": paths, "scan": paths} (aws_secret_inputs.yaml)."""
    from agentid_components import data_yaml  # noqa: PLC0415 - only the literal-secret rule needs it

    raw = data_yaml.load(Path(__file__).with_name("aws_secret_inputs.yaml"))
    return {token: {kind: tuple(entry.get(kind) or ()) for kind in ("secret", "scan")} for token, entry in raw.items()}


def resource_types() -> tuple[str, ...]:
    return tuple(table())


def found(resource_type: str, props: Mapping[str, Any]) -> Iterator[Found]:
    """Every value at the type's table paths in `props` (absent and unknown values are skipped)."""
    entry = table().get(resource_type)
    if entry is None:
        return
    for kind in ("secret", "scan"):
        for path in entry[kind]:
            yield from _walk(props, path.split("."), "", "", kind == "secret")


def _walk(value: Any, steps: list[str], where: str, key: str, by_type: bool) -> Iterator[Found]:
    if value is None or is_unknown(value):
        return
    if not steps:
        yield Found(where, key, by_type, value)
        return
    step, rest = steps[0], steps[1:]
    if step == "**":
        yield from _everything(value, where, key, by_type, 0)
        return
    if step == "*":
        if not isinstance(value, Mapping):
            yield Found(where, key, by_type, None, "not a map")
            return
        for member, item in value.items():
            yield from _walk(item, rest, f"{where}.{member}", str(member), by_type)
        return
    if not isinstance(value, Mapping):
        yield Found(where, key, by_type, None, "not an object")
        return
    name, is_list = (step[:-2], True) if step.endswith("[]") else (step, False)
    here = f"{where}.{name}" if where else name
    item = value.get(name)
    if not is_list or item is None or is_unknown(item):
        yield from _walk(item, rest, here, name, by_type)
        return
    if not isinstance(item, list):
        yield Found(here, name, by_type, None, "not a list")
        return
    for index, element in enumerate(item):
        yield from _walk(element, rest, f"{here}[{index}]", name, by_type)


def _everything(value: Any, where: str, key: str, by_type: bool, depth: int) -> Iterator[Found]:
    if value is None or is_unknown(value) or depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for member, item in value.items():
            yield from _everything(item, f"{where}.{member}", str(member), by_type, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _everything(item, f"{where}[{index}]", key, by_type, depth + 1)
    elif isinstance(value, str):
        yield Found(where, key, by_type, value)
