"""The gate's per-run autoname key, and the reports written without it (issue 11: autonamed buckets; issue 17).

Pulumi autonames a resource without its name input `<logical>-<random>` (azure-native `<logical><8 hex>` or a
GUID). The gate's mocks used to draw that random part deterministically (uuid5 of type and logical name), so a
program could write the autoname of its own bucket as a LITERAL (`arn:aws:s3:::data-1a2b3c4`), or return it from an
apply that ignores its input, and have it judged as the stack's bucket; at `pulumi up` the bucket gets another name
and the literal then names whatever bucket an attacker created under it. The rules therefore trusted no autoname.

Now the gate draws a key for each preview (`AutonameKey`, os.urandom) after the judged program's process was forked
from it (runner.run_preview: a secret in the gate's heap before that fork would be the child's to read; the packs'
processes are forked earlier still and get it in their `Configure` only, analysis.PackSession), answers every
registration's autoname keyed by it (monitor.GateMonitor; the program's child sends such registrations to the gate
instead of answering them itself, sdk_speedups.BatchingMonitor), and never writes it where the program could read it
(no environment, file, argument or log). A name equal to a stack resource's keyed autoname can then only have come
from that resource's Output, and rules may count it as the stack's (mock_provider.autoname_key on the packs' side).

Two runs' reports stay byte-for-byte the same (issue 17): before anything is judged by the gate itself (waiver
fingerprints) or written, every keyed autoname in the run's results is replaced by its deterministic form
(`Unkeyed`): the resources' inputs, stack outputs, the packs' messages, program warnings and errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from agentid.mock_provider import autoname_pairs

KEY_BYTES = 32


class AutonameKey:
    """One preview's key (drawn when made: make it only after the program's process was forked)."""

    __slots__ = ("_key",)

    def __init__(self) -> None:
        self._key = os.urandom(KEY_BYTES)

    @property
    def key(self) -> bytes:
        return self._key

    def __repr__(self) -> str:  # never the key itself, in a traceback or a log
        return "AutonameKey(<secret>)"

    def unkeyed(self, resources: Iterable[Any]) -> Unkeyed:
        """The map of every keyed autoname of `resources` (type, name, inputs) to its deterministic form."""
        pairs: dict[str, str] = {}
        for resource in resources:
            inputs = resource.inputs if isinstance(resource.inputs, dict) else {}
            pairs.update(autoname_pairs(resource.type, resource.name, inputs, self._key))
        return Unkeyed(pairs)


class Unkeyed:
    """Replaces keyed autonames by their deterministic forms in strings, lists and dicts (keys too)."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = {keyed: plain for keyed, plain in pairs.items() if keyed and keyed != plain}
        # longest first: a name that begins another (`a-1234567` in `a-1234567x...`) never cuts it
        self._pattern = re.compile("|".join(re.escape(k) for k in sorted(self.pairs, key=len, reverse=True))) \
            if self.pairs else None

    def text(self, value: str) -> str:
        if self._pattern is None or not isinstance(value, str):
            return value
        return self._pattern.sub(lambda match: self.pairs[match.group()], value)

    def value(self, value: Any) -> Any:
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        return value

    def resource(self, resource: Any) -> Any:
        """A program.Resource as reports show it (its inputs; the wire form was the packs' and is dropped)."""
        if self._pattern is None:
            return resource
        return replace(resource, inputs=self.value(resource.inputs),
                       shown_inputs=None if resource.shown_inputs is None else self.value(resource.shown_inputs),
                       wire_inputs=None)
