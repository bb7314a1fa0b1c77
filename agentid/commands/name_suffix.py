"""`--name-suffix`: the stack's name suffix, for commands that name an agent's live cloud objects.

Components end physical names in the stack's suffix (`agentid_components.naming`), so a command that looks a
role up by name (revoke, audit) must know it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

NameSuffixOption = Annotated[
    str | None,
    typer.Option(
        "--name-suffix", metavar="SUFFIX", show_default=False,
        help="The stack's name suffix in its physical names (config nameSuffix; by default the stack name, e.g. dev). "
             "'' for roles named without one. Default: the name_suffix a JSON inventory (`agentid inventory --stack "
             "NAME --format json`) records, else ''.",
    ),
]


def checked_suffix(value: str, error: type[Exception]) -> str:
    """`value` if it is a valid suffix, else `error` with a one-line message naming --name-suffix."""
    from agentid_components import naming

    try:
        return naming.check_suffix(value)
    except naming.NameSuffixError as problem:
        raise error(str(problem).replace("nameSuffix", "--name-suffix")) from None


def suffix_in_force(value: str | None, inventory: Path, error: type[Exception]) -> str:
    """`value` checked; if not given, the `name_suffix` the JSON inventory `inventory` records (`agentid inventory`
    writes the stack's), else '' (an agent file says nothing about the stack)."""
    if value is None:
        value = _recorded_suffix(inventory)
    return checked_suffix(value, error)


def _recorded_suffix(inventory: Path) -> str:
    import json

    from agentid_components import input_limits
    from agentid_components.inventory import is_inventory_json

    if inventory.suffix.lower() != ".json":
        return ""
    try:
        document = json.loads(input_limits.read_text(inventory, 64 * input_limits.MiB, "inventory"))
    except (input_limits.InputRefused, ValueError):
        return ""  # the loader reports an unreadable inventory with its own message
    recorded = document.get("name_suffix") if is_inventory_json(document) else None
    return recorded if isinstance(recorded, str) else ""
