"""Azure resource types that run code on a machine, an app or a cluster: the table azure_code_runners.yaml.

Read by AGID-AZ-042 (code the gate cannot judge, whatever the target: `unjudged`; extensions by an allow-list,
`extension_verdict`, on extension resources and inline in VMSS, Batch pools, Service Fabric node types, fleets) and AGID-AZ-059's stack rule
(code put on a target the stack does not define: `puts_code`, `target_values`, `target_kinds`). The file names its
sources (Azure run command, VM extension, Machine Configuration, Automation hybrid worker, App Service deployment,
GitOps Flux documentation).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .values import is_unknown, value_at, values_at

_DATA_FILE = Path(__file__).resolve().parent / "azure_code_runners.yaml"
UNKNOWN_INPUT = object()  # a deciding input unknown at preview


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - only the Azure code rules need the file

    return data_yaml.load(_DATA_FILE)


def runners() -> dict[str, dict[str, Any]]:
    """Type token -> its entry (what, unjudged, when, target)."""
    return _data()["runners"]


def targets() -> dict[str, str]:
    """Target type token -> the input holding its Azure name."""
    return _data()["targets"]


@lru_cache(maxsize=1)
def code_extensions() -> frozenset[tuple[str, str]]:
    """(publisher, type) of the VM / Arc extensions that run a script or reset credentials, lower case."""
    return frozenset((publisher, kind) for publisher, kind in _data()["code_extensions"])


@lru_cache(maxsize=1)
def reviewed_extensions() -> frozenset[tuple[str, str]]:
    """(publisher, type) of the extensions reviewed as running only their publisher's code with settings, lower case."""
    return frozenset((entry["publisher"].lower(), entry["type"].lower()) for entry in _data()["reviewed_extensions"])


def inline_extensions() -> dict[str, list[dict[str, str]]]:
    """Type token -> where it keeps a list of extensions inline ({list, publisher, type})."""
    return _data()["inline_extensions"]


CODE, REVIEWED, UNREVIEWED, UNREADABLE = "code", "reviewed", "unreviewed", "unreadable"


def extension_verdict(publisher: Any, kind: Any) -> str | object:
    """What an extension (publisher, type) runs, by the allow-list: CODE (a script-running handler), REVIEWED (its
    publisher's code with settings), UNREVIEWED (not reviewed: cannot be checked), UNREADABLE (not strings) or
    UNKNOWN_INPUT (unknown at preview)."""
    if is_unknown(publisher) or is_unknown(kind):
        return UNKNOWN_INPUT
    if not isinstance(publisher, str) or not isinstance(kind, str):
        return UNREADABLE
    key = (publisher.strip().lower(), kind.strip().lower())
    if key in code_extensions():
        return CODE
    return REVIEWED if key in reviewed_extensions() else UNREVIEWED


def inline_extension_items(type_: str, props: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, publisher, type) of each extension a resource of `type_` carries inline; a list (or an item) unknown
    at preview gives the unknown sentinel as publisher and type, an item that is not an object None for both."""
    found = []
    for where in inline_extensions().get(type_, ()):
        for path, item in values_at(props, where["list"]):
            if is_unknown(item):
                found.append((path, item, item))
            elif not isinstance(item, dict):
                found.append((path, None, None))
            else:
                found.append((path, value_at(item, where["publisher"]), value_at(item, where["type"])))
    return found


def unjudged(type_: str, props: dict[str, Any]) -> str | bool | object:
    """Whether a runner of `type_` with inputs `props` runs code the gate cannot judge whatever its target: False,
    True, UNKNOWN_INPUT (a deciding input unknown at preview: `unjudged_path` names it), or for an extension
    the string "unreadable" when publisher / type are not strings. An extension is judged by the allow-list: any
    (publisher, type) not in reviewed_extensions is True (a script runner, or one the gate has not reviewed)."""
    rule = runners().get(type_, {}).get("unjudged")
    if rule is None:
        return False
    if rule == "always":
        return True
    if rule == "code_extension":
        verdict = extension_verdict(*extension_kind(type_, props))
        return verdict if verdict in (UNKNOWN_INPUT, UNREADABLE) else verdict != REVIEWED
    value = value_at(props, rule["path"])
    if is_unknown(value):
        return UNKNOWN_INPUT
    if rule.get("present"):
        return value is not None and value != ""
    if value is None:
        value = rule.get("default")
    return isinstance(value, str) and value.strip().lower() in rule["in"]


def extension_kind(type_: str, props: dict[str, Any]) -> tuple[Any, Any]:
    """An extension's (publisher, type) inputs, wherever its type keeps them."""
    where = runners()[type_].get("extension_inputs", {})
    return value_at(props, where.get("publisher", "publisher")), value_at(props, where.get("type", "type"))


def unjudged_path(type_: str) -> str:
    """The input whose value decides `unjudged` (for an "unknown" message)."""
    rule = runners()[type_].get("unjudged")
    return rule["path"] if isinstance(rule, dict) else "publisher/type"


def puts_code(type_: str, props: dict[str, Any]) -> bool | object:
    """Whether the runner carries code at all (its `when` inputs; none listed: always); UNKNOWN_INPUT when the
    only deciding inputs are unknown."""
    paths = runners()[type_].get("when")
    if not paths:
        return True
    values = [value_at(props, path) for path in paths]
    if any(value not in (None, "", [], {}) and not is_unknown(value) for value in values):
        return True
    return UNKNOWN_INPUT if any(is_unknown(value) for value in values) else False


def target_values(type_: str, props: dict[str, Any]) -> list[tuple[str, Any]]:
    """(input path, value) of every target the runner names: each a name, an ARM id or the unknown sentinel;
    a list input gives one pair per item (path[i]); a value of another shape is returned as is."""
    found: list[tuple[str, Any]] = []
    for path in runners()[type_].get("target", {}).get("name", ()):
        value = value_at(props, path)
        if isinstance(value, list):
            found.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
        elif value is not None:
            found.append((path, value))
    return found


def target_kinds(type_: str) -> tuple[str, ...]:
    """The stack resource types that can be this runner's target."""
    return tuple(runners()[type_].get("target", {}).get("kinds", ()))
