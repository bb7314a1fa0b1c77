"""The gate's answer to `kubernetes:yaml:decode`: a YAML stream of Kubernetes manifests as a list of objects.

pulumi-kubernetes' v1 `yaml.ConfigFile` / `yaml.ConfigGroup` read their files (or strings) in the program and
ask the provider only to split the text into objects (invoke `kubernetes:yaml:decode`, args {text}, result
{result: [object, ...]}, one object per non-empty document); the SDK then registers each object as its typed
resource (a `List` kind as its items). Under the gate no provider runs, so the gate answers the invoke itself
and the children are judged like any resource the program declares.

The text comes from the judged program: it is parsed with the kit's bounded YAML reader
(agentid_components.input_limits: size, depth, alias expansion and value count capped, tags never constructed),
document by document. Raises ManifestRefused (one line) for text it will not read; the gate then gives no verdict.
"""

from __future__ import annotations

from typing import Any

import yaml

from agentid_components import input_limits

DECODE = "kubernetes:yaml:decode"
# a chart's worth of manifests is well under a MiB; each document is also held to the limits below
LIMITS = input_limits.Limits(max_bytes=8 * input_limits.MiB, max_nodes=500_000)
MAX_DOCUMENTS = 10_000


class ManifestRefused(Exception):
    """The manifests cannot be decoded; `str()` says why in one line."""


def decode(args: dict[str, Any]) -> dict[str, Any]:
    """`{"text": str}` -> `{"result": [object, ...]}`: every document that is a mapping, in order; empty documents
    are skipped (as the provider does). A document that is not a mapping, or text over the limits, is refused."""
    text = args.get("text")
    if not isinstance(text, str):
        raise ManifestRefused("kubernetes:yaml:decode: the manifest text is not known at preview")
    if len(text.encode()) > LIMITS.max_bytes:
        raise ManifestRefused(f"kubernetes manifests: over {LIMITS.max_bytes:,} bytes, the limit")
    objects = []
    for number, (line, document) in enumerate(_documents(text), 1):
        if number > MAX_DOCUMENTS:
            raise ManifestRefused(f"kubernetes manifests: over {MAX_DOCUMENTS:,} documents, the limit")
        try:
            value = input_limits.plain_yaml(document, "manifest", LIMITS)
        except input_limits.InputRefused as refused:
            raise ManifestRefused(f"kubernetes manifest at line {line + refused.line - 1}: {refused.message}") from None
        if value is None:
            continue
        if not isinstance(value, dict):
            raise ManifestRefused(f"kubernetes manifest at line {line}: a document is a {type(value).__name__}, "
                                  "not an object with apiVersion and kind")
        objects.append(value)
    return {"result": objects}


def _documents(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each document of the stream, split where the YAML parser says documents start."""
    try:
        starts = [event.start_mark.index for event in yaml.parse(text, Loader=getattr(yaml, "CBaseLoader",
                                                                                    yaml.BaseLoader))
                  if isinstance(event, yaml.DocumentStartEvent)]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ManifestRefused(f"kubernetes manifests at line {mark.line + 1 if mark else 1}: invalid YAML: "
                              f"{getattr(error, 'problem', None) or str(error).splitlines()[0]}") from None
    bounds = [*starts, len(text)]
    return [(text.count("\n", 0, start) + 1, text[start:end]) for start, end in zip(bounds, bounds[1:])]
