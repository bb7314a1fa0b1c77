"""`agentid validate` and `agentid inventory`: the agent spec from the command line."""

from __future__ import annotations

import os
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
    files: Annotated[list[Path] | None, typer.Argument(
        help="Agent files (YAML, or JSON inventories), or directories holding them (*.yaml, *.yml, *.json).",
        metavar="[FILE_OR_DIR]...", show_default=False)] = None,
    stacks: Annotated[list[str], typer.Option(
        "--stack", "-s", metavar="NAME", help="A stack of the Pulumi project here: its agent file is checked; with "
        "several, an object one AWS account or Entra tenant holds once that two of them would create is an error."
    )] = [],  # noqa: B006
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Check agent files against the spec; print every problem as FILE:LINE: PATH: MESSAGE.

    An agent whose review_by date has passed is reported as a finding (the file still loads). With several
    --stack: two stacks that would both create the GitHub OIDC provider, an IRSA issuer's OIDC provider or an
    Entra API application (one per account / tenant) are refused, both named (move it to the platform stack).

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
    agent_files = [_stack_agents_file(stack)[0] for stack in stacks]
    if not files and not stacks:
        typer.echo("agentid validate: name an agent file, a directory of them or --stack NAME", err=True)
        raise typer.Exit(EXIT_INVALID)
    loaded_by_file = {}
    for argument in files or []:
        found = expand([argument], AGENT_FILE_SUFFIXES, ignore=PULUMI_FILES)
        if not found:
            typer.echo(visible(f"{argument}: no agent file (*.yaml, *.yml, *.json) under this directory"), err=True)
            worst = EXIT_INVALID
        agent_files += found
    for file in dict.fromkeys(agent_files):  # two stacks may share one agent file
        inventory, lines, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
        if inventory is not None and (refused := _compile_refusals(str(file), inventory, lines, Path(file).parent)):
            inventory, errors = None, refused  # the components would refuse it: not valid
        loaded_by_file[file] = inventory
        if inventory is not None:
            errors = [
                SpecError(str(file), lines.get(("agents", index, "review_by"), 1), f"agents[{index}].review_by",
                          overdue_message(agent, day))
                for index, agent in overdue_agents(inventory, day)
            ]
        for error in errors:
            typer.echo(str(error), err=True)
        if inventory is not None:
            for note in _cut_name_notes(str(file), inventory, lines):
                typer.echo(visible(note), err=True)
        if inventory is None:
            worst = EXIT_INVALID
            typer.echo(visible(f"{file}: {len(errors)} problem{'s' if len(errors) != 1 else ''}"), err=True)
        elif errors:
            worst = max(worst, EXIT_FINDINGS)
            typer.echo(visible(f"{file}: valid, {len(errors)} overdue review{'s' if len(errors) != 1 else ''}"), err=True)
        else:
            typer.echo(visible(f"{file}: ok ({len(inventory.agents)} agents)"))
    stacks = list(dict.fromkeys(stacks))
    if len(stacks) > 1 and all(loaded_by_file.get(file) is not None for file in agent_files[:len(stacks)]):
        parts = [(stack, loaded_by_file[file]) for stack, file in zip(stacks, agent_files)]
        for line in _warn_collisions(parts, stacks):
            typer.echo(visible(f"error: {line}"), err=True)
            worst = EXIT_INVALID
    raise typer.Exit(worst)


def _compile_refusals(file: str, inventory, lines, spec_dir: Path) -> list:
    """FILE:LINE: agents[i]: MESSAGE for each agent a cloud compiler refuses (the components' own checks)."""
    from agentid_components.compile_check import agent_refusals
    from agentid_components.loader import SpecError

    return [SpecError(file, lines.get(("agents", index), 1), f"agents[{index}]", message)
            for index, agent in enumerate(inventory.agents) for message in agent_refusals(agent, spec_dir)]


def _cut_name_notes(file: str, inventory, lines) -> list[str]:
    """FILE:LINE: PATH: note: ... for each physical name a cloud's length limit cuts (not a problem: exit unchanged)."""
    from agentid_components.physical_names import cut_names

    notes = []
    for loc, note in cut_names(list(inventory.agents)):
        path = ("agents", *loc)
        line = next((lines[path[:end]] for end in range(len(path), 0, -1) if path[:end] in lines), 1)
        where = f"agents[{loc[0]}]" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
        notes.append(f"{file}:{line}: {where}: note: {note}")
    return notes


def inventory(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Agent files, or directories holding them (*.yaml, *.yml, *.json); several are merged.",
        metavar="[FILE_OR_DIR]...", show_default=False)] = None,
    stacks: Annotated[list[str], typer.Option(
        "--stack", "-s", metavar="NAME", help="A stack of the Pulumi project here: its agent file (config agentsFile, "
        "else agents/<stack>.yaml beside the program); repeatable, merged with the files.")] = [],  # noqa: B006
    format: Annotated[InventoryFormat, typer.Option("--format", "-f", help="Output format.")] = InventoryFormat.markdown,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")] = None,
    name_suffix: Annotated[str | None, typer.Option(
        "--name-suffix", metavar="SUFFIX",
        help="For FILE arguments: the suffix the stack's physical names end in (config nameSuffix, by default the stack "
             "name, e.g. dev; '' for none). Needed when FILE is not the agent file of one stack of its project; "
             "--stack reads it from the stack.")] = None,
    allow_outside_files: AllowOutsideFiles = False,
) -> None:
    """Render the agent inventory: owners, tools and exact permissions, trust, lifetimes, revocation steps.

    One agent file: the JSON form loads back into the spec (`agentid validate inventory.json`); the files it
    names are relative to the JSON file. Several files, a directory or several --stack: one merged inventory
    whose entries say their stack or file (the same agent in dev and prod stays two entries). Agents whose
    review is overdue are listed like the others.

    The revocation steps name the cloud objects as the stack creates them, ending in its name suffix: --stack
    reads it from the stack's config; a FILE that is the agent file of one stack of the Pulumi project holding it
    takes that stack's; any other FILE needs --name-suffix.

    Exit codes: 0 written; 2 an invalid or unreadable agent file, an unknown stack, nothing to list, or a usage error.
    """
    from agentid.paths import expand
    from agentid_components.inventory import RENDERERS, merge
    from agentid_components.loader import check_file
    from agentid_components.text_safety import visible

    sources: list[tuple[str, Path, str | None]] = [(stack, *_stack_agents_file(stack)) for stack in stacks]
    if name_suffix is not None:
        name_suffix = _checked_suffix(name_suffix)
    for argument in files or []:
        found = expand([argument], AGENT_FILE_SUFFIXES, ignore=PULUMI_FILES)
        if not found:
            typer.echo(visible(f"{argument}: no agent file (*.yaml, *.yml, *.json) under this directory"), err=True)
            raise typer.Exit(EXIT_INVALID)
        sources += [(str(file), file, name_suffix) for file in found]  # None: the stack's, once the file is valid
    if not sources:
        typer.echo("agentid inventory: name an agent file, a directory of them or --stack NAME", err=True)
        raise typer.Exit(EXIT_INVALID)
    parts, failed = [], False
    for label, file, suffix in sources:
        loaded, _, errors = check_file(file, files_root=_files_root(file, allow_outside_files))
        for error in errors:
            typer.echo(str(error), err=True)
        failed = failed or bool(errors)
        parts.append((label, loaded, str(file), suffix))
    if failed:
        raise typer.Exit(EXIT_INVALID)
    parts = [(label, loaded, file, _file_suffix(Path(file)) if suffix is None else suffix)
             for label, loaded, file, suffix in parts]
    for line in _warn_collisions(parts, list(dict.fromkeys(stacks))):
        typer.echo(visible(f"warning: {line}"), err=True)
    out_dir = output.parent if output is not None else Path(".")
    if len(parts) == 1:
        text = RENDERERS[format.value](parts[0][1], parts[0][2], out_dir, parts[0][3])
    else:
        text = merge(format.value, parts, out_dir)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        count = sum(len(part[1].agents) for part in parts)
        typer.echo(f"wrote {format.value} inventory of {count} agents to {output}", err=True)


def _stack_config_values(stack: str) -> dict[str, str]:
    from agentid.preview.stack_config import find_project, load_stack_config

    return load_stack_config(find_project(), stack).values  # already read once by _stack_agents_file


def _warn_collisions(parts: list, stacks: list[str]) -> list[str]:
    """Lines for every once-per-account/tenant object two of `stacks` would both create (agentid_components.shared_objects)."""
    from agentid_components.shared_objects import collisions

    by_label = {part[0]: part[1] for part in parts}
    return collisions([(stack, list(by_label[stack].agents), _stack_config_values(stack)) for stack in stacks])


def _stack_agents_file(stack: str) -> tuple[Path, str]:
    """The agent file of a stack of the project in the working directory, as `agentid preview` finds it, and the
    stack's name suffix."""
    from agentid.preview.stack_config import (ConfigError, KIT_NAMESPACE, find_project, load_stack_config,
                                              stack_agents_file, stack_name_suffix)
    from agentid_components.text_safety import visible

    try:
        project = find_project()
        config = load_stack_config(project, stack)
        file, suffix = stack_agents_file(project, config), stack_name_suffix(config)
    except ConfigError as error:
        typer.echo(visible(f"agentid inventory: {error}"), err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if not file.is_file():
        typer.echo(visible(f"agentid inventory: stack {stack} has no agent file ({project.relative(file)} does not exist): "
                           f"set {KIT_NAMESPACE}:agentsFile in {project.relative(config.file)} to the file the program "
                           "loads (relative to the program's directory)"), err=True)
        raise typer.Exit(EXIT_INVALID)
    return Path(os.path.relpath(file)), suffix  # as the user would name it (no machine path in a shared inventory)


def _checked_suffix(value: str) -> str:
    from agentid.commands.name_suffix import checked_suffix

    try:
        return checked_suffix(value, ValueError)
    except ValueError as error:
        typer.echo(f"agentid inventory: {error}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _file_suffix(file: Path) -> str:
    """The name suffix of the one stack (of the Pulumi project holding `file`) whose agent file is `file`;
    exit 2 naming --name-suffix when no stack, or stacks with different suffixes, use it."""
    from agentid.commands.name_suffix import stack_suffix_of_file
    from agentid_components.text_safety import visible

    suffix, used = stack_suffix_of_file(file)
    if suffix is not None:
        return suffix
    used += " (or give --stack for each)" if "different suffixes" in used else ""
    typer.echo(visible(f"agentid inventory: {file}: the revocation steps name the stack's cloud objects, which end in its "
                       f"name suffix, and {used}: pass --name-suffix SUFFIX (config nameSuffix, by default the stack "
                       "name, e.g. dev; '' for names without one)"), err=True)
    raise typer.Exit(EXIT_INVALID)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(inventory)
