"""`--name-suffix`: the stack's name suffix, for commands that name an agent's live cloud objects.

Components end physical names in the stack's suffix (`agentid_components.naming`), so a command that looks a
role up by name (revoke, audit) must know it.
"""

from __future__ import annotations

from typing import Annotated

import typer

NameSuffixOption = Annotated[
    str,
    typer.Option(
        "--name-suffix", metavar="SUFFIX",
        help="The stack's name suffix in its physical names (config nameSuffix; by default the stack name, e.g. dev). "
             "'' for roles named without one.",
    ),
]


def checked_suffix(value: str, error: type[Exception]) -> str:
    """`value` if it is a valid suffix, else `error` with a one-line message naming --name-suffix."""
    from agentid_components import naming

    try:
        return naming.check_suffix(value)
    except naming.NameSuffixError as problem:
        raise error(str(problem).replace("nameSuffix", "--name-suffix")) from None
