"""`agentid validate` and `agentid inventory`: the agent spec from the command line."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INVALID = 2
AGENT_FILE_SUFFIXES = (".yaml", ".yml", ".json")
PULUMI_FILES = ("Pulumi.yaml", "Pulumi.yml", "Pulumi.*.yaml", "Pulumi.*.yml")  # project and stack config, not agents


class InventoryFormat(str, Enum):
    json = "json"
    csv = "csv"
    markdown = "markdown"


AllowOutsideFiles = Annotated[bool, typer.Option(
    "--allow-outside-files",
    help="Let an agent file name certificates outside its repository (default: refused, symlinks included).")]


def _files_root(file: Path, allow_outside: bool) -> Path | None:
    from agentid_components.input_limits import repository_root

    return None if allow_outside else repository_root(file)


def validate(
    files: Annotated[list[Path], typer.Argument(
        help="Agent files (YAML, or JSON inventories), or directories holding them (*.yaml, *.yml, *.json).",
        metavar="FILE_OR_DIR...", show_default=False)],
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Check agent files against the spec; print every problem as FILE:LINE: PATH: MESSAGE.

    An agent whose review_by date has passed is reported as a finding (the file still loads).

    Exit codes: 0 every file valid, no finding; 1 overdue reviews; 2 an invalid or unreadable file,
    no agent file found, or a usage error.
    """
    from agentid.paths import expand
    from agentid.today import today
    from agentid_components.loader import SpecError, check_file
    from agentid_components.review import overdue_agents, overdue_message
    from agentid_components.text_safety import visible

    day = today()
    worst = EXIT_OK
    agent_files = []
    for argument in files:
        found = expand([argument], AGENT_FILE_SUFFIXES, ignore=PULUMI_FILES)
        if not found:
            typer.echo(visible(f"{argument}: no agent file (*.yaml, *.yml, *.json) under this directory"), err=True)
            worst = EXIT_INVALID
        agent_files += found
    for file in agent_files:
        inventory, lines, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
        if inventory is not None:
            errors = [
                SpecError(str(file), lines.get(("agents", index, "review_by"), 1), f"agents[{index}].review_by",
                          overdue_message(agent, day))
                for index, agent in overdue_agents(inventory, day)
            ]
        for error in errors:
            typer.echo(str(error), err=True)
        if inventory is None:
            worst = EXIT_INVALID
            typer.echo(visible(f"{file}: {len(errors)} problem{'s' if len(errors) != 1 else ''}"), err=True)
        elif errors:
            worst = max(worst, EXIT_FINDINGS)
            typer.echo(visible(f"{file}: valid, {len(errors)} overdue review{'s' if len(errors) != 1 else ''}"), err=True)
        else:
            typer.echo(visible(f"{file}: ok ({len(inventory.agents)} agents)"))
    raise typer.Exit(worst)


def inventory(
    file: Annotated[Path, typer.Argument(help="The agent file, e.g. stacks/agents/dev.yaml.", show_default=False)],
    format: Annotated[InventoryFormat, typer.Option("--format", "-f", help="Output format.")] = InventoryFormat.markdown,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")] = None,
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Render the agent inventory: owners, tools and exact permissions, trust, lifetimes, revocation steps.

    The JSON form loads back into the spec (`agentid validate inventory.json`); the files it names are
    relative to the JSON file. Agents whose review is overdue are listed like the others.

    Exit codes: 0 written; 2 an invalid or unreadable agent file, or a usage error.
    """
    from agentid_components.inventory import RENDERERS
    from agentid_components.loader import check_file

    loaded, _, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
    if errors:
        for error in errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_INVALID)
    text = RENDERERS[format.value](loaded, str(file), output.parent if output is not None else Path("."))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"wrote {format.value} inventory of {len(loaded.agents)} agents to {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(inventory)
