"""One Pulumi Output for a tree of plain data holding a few Outputs, without lifting the plain leaves.

The components build their inventories as dict/list trees: mostly static facts
(session policies, revocation steps) with a handful of Outputs among them (ARNs,
client ids). `Output.from_input` / `Output.all` would turn every leaf of such a
tree into an Output of its own (a task, a future and a deep unknowns check
each); `Output.all(a, b)` even re-lifts every leaf of Outputs that resolve to
dicts. `resolve_nested` waits on the real Outputs only, through the public
`Output(resources, future, is_known, is_secret)` constructor, and substitutes
their values into the tree once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
from pulumi.output import UNKNOWN


def resolve_nested(tree: Any) -> pulumi.Output:
    """An Output of `tree` (dicts, lists, plain values and Outputs) with every Output replaced by its value.

    Known, secret and dependencies combine as in `Output.all`: unknown if any Output is unknown
    (then `.apply` callbacks are skipped, as usual), secret if any is, depending on all their resources.
    """
    outputs: list[pulumi.Output] = []
    _collect(tree, outputs)
    # Futures, not coroutines: if an Output fails, the value raises and these are never awaited.
    resources: asyncio.Future = asyncio.Future()
    known: asyncio.Future = asyncio.Future()
    secret: asyncio.Future = asyncio.Future()

    async def value() -> Any:
        try:
            dependencies, values, is_known, is_secret = await _gather(outputs)
        except BaseException:
            resources.set_result(set())
            known.set_result(False)
            secret.set_result(False)
            raise
        resources.set_result(dependencies)
        known.set_result(is_known)
        secret.set_result(is_secret)
        return _substitute(tree, iter(values))

    return pulumi.Output(resources, asyncio.ensure_future(value()), known, secret)


async def _gather(outputs: list[pulumi.Output]) -> tuple[set, list, bool, bool]:
    resources: set = set()
    values: list = []
    known, secret = True, False
    for output in outputs:
        resources |= await output.resources()
        value = await output.future(with_unknowns=True)
        if not await output.is_known():  # as Output.all: an unknown leaf keeps the whole tree unknown
            known, value = False, UNKNOWN
        values.append(value)
        secret = secret or await output.is_secret()
    return resources, values, known, secret


def _collect(node: Any, outputs: list[pulumi.Output]) -> None:
    if isinstance(node, pulumi.Output):
        outputs.append(node)
    elif isinstance(node, dict):
        for child in node.values():
            _collect(child, outputs)
    elif isinstance(node, (list, tuple)):
        for child in node:
            _collect(child, outputs)


def _substitute(node: Any, values: Any) -> Any:
    if isinstance(node, pulumi.Output):
        return next(values)
    if isinstance(node, dict):
        return {key: _substitute(child, values) for key, child in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_substitute(child, values) for child in node)
    return node
