"""Property values as the engine sends them: plain JSON plus the preview's "unknown" sentinels.

During `pulumi preview` an input computed from another resource's output
arrives as one of these sentinel strings. Rules must not judge a sentinel as if
it were the value: they say "cannot check until known" instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_SENTINELS = frozenset({
    UNKNOWN_STRING,
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def unknown_path(value: Any, path: str = "") -> str | None:
    """The path of the first unknown value inside `value` (`""` for the value itself), or None."""
    if is_unknown(value):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = unknown_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = unknown_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def as_list(value: Any) -> list[Any]:
    """IAM's "one value or a list of values"."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def value_at(props: Any, dotted_path: str) -> Any:
    """The input at `dotted_path` (`features.disableLocalAuth`): the unknown sentinel when a level is unknown at
    preview, None when a level is missing or not an object."""
    value = props
    for part in dotted_path.split("."):
        if is_unknown(value) or not isinstance(value, dict):
            return value if is_unknown(value) else None
        value = value.get(part)
    return value


def values_at(props: Any, dotted_path: str, step_into: Callable[[Any], Any] | None = None,
              opaque: Callable[[Any], bool] | None = None) -> list[tuple[str, Any]]:
    """(path, value) of each value at a dotted input path where `a[].b` walks the list at `a`
    (`[("a[0].b", 1), ("a[1].b", 2)]`); absent values are left out, and a level unknown at preview is returned as
    the unknown sentinel at the path reached so far (what it holds is not known either).

    `step_into` reads each value below the top before stepping into it (e.g. JSON text as the object it holds);
    a value `opaque` says cannot be read is returned like an unknown one, at the path reached so far."""
    found = [("", props)]
    for part in dotted_path.split("."):
        walk, part = part.endswith("[]"), part.removesuffix("[]")
        step = []
        for where, item in found:
            item = step_into(item) if step_into is not None and where else item
            if is_unknown(item) or (opaque is not None and opaque(item)):
                step.append((where, item))
                continue
            item = item.get(part) if isinstance(item, dict) else None
            where = f"{where}.{part}" if where else part
            if walk and step_into is not None:
                item = step_into(item)
            if walk and isinstance(item, list):
                step += [(f"{where}[{index}]", element) for index, element in enumerate(item)]
            elif item is not None:
                step.append((where, item))
        found = step
    return found
