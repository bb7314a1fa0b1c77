"""`agentid validate` and `agentid inventory`: the agent spec from the command line."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_INVALID = 2


class InventoryFormat(str, Enum):
    json = "json"
    csv = "csv"
    markdown = "markdown"


AllowOutsideFiles = Annotated[bool, typer.Option(
    "--allow-outside-files",
    help="Let an agent file name certificates outside its repository (default: refused, symlinks included).")]


def _files_root(file: Path, allow_outside: bool) -> Path | None:
    from components.input_limits import repository_root

    return None if allow_outside else repository_root(file)


def validate(
    files: Annotated[list[Path], typer.Argument(help="Agent files (YAML, or JSON inventories) to check.", show_default=False)],
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Check agent files against the spec; print every problem as FILE:LINE: PATH: MESSAGE.

    Exit 0 when every file is valid, 2 when any is not.
    """
    from components.loader import check_file
    from components.text_safety import visible

    invalid = False
    for file in files:
        inventory, _, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
        for error in errors:
            typer.echo(str(error), err=True)
        if errors:
            invalid = True
            typer.echo(visible(f"{file}: {len(errors)} problem{'s' if len(errors) != 1 else ''}"), err=True)
        else:
            typer.echo(visible(f"{file}: ok ({len(inventory.agents)} agents)"))
    raise typer.Exit(EXIT_INVALID if invalid else EXIT_OK)


def inventory(
    file: Annotated[Path, typer.Argument(help="The agent file, e.g. stacks/agents/dev.yaml.", show_default=False)],
    format: Annotated[InventoryFormat, typer.Option("--format", "-f", help="Output format.")] = InventoryFormat.markdown,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Render the agent inventory: owners, tools and exact permissions, trust, lifetimes, revocation steps.

    The JSON form loads back into the spec (`agentid validate inventory.json`).
    Exit 2 (with the problems) when the agent file is invalid.
    """
    from components.inventory import RENDERERS
    from components.loader import check_file

    loaded, _, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
    if errors:
        for error in errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_INVALID)
    text = RENDERERS[format.value](loaded, str(file))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"wrote {format.value} inventory of {len(loaded.agents)} agents to {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(inventory)
