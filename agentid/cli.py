"""`agentid`: validate agent specs, render the inventory, gate stacks offline, audit and revoke.

Each subcommand lives in `agentid/commands/<name>.py` and registers itself on
the app. Command modules import only typer at module level: anything heavy
(Pulumi, provider SDKs, boto3) is imported inside the command, so
`agentid --help` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
import typer.main

app = typer.Typer(
    name="agentid",
    help="Give every AI agent its own short-lived, least-privilege cloud identity, declared as code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: rich-formatted help costs ~170 ms of imports on every start (goal: --help < 0.5 s).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every subcommand
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"agentid {version('agent-identity-kit')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("agentid (not installed: version unknown)")
        raise typer.Exit(0)


def _today(value: str | None) -> str | None:
    """`--today` (or AGENTID_TODAY): checked, then set for this command and every process it starts."""
    if value is not None:
        import os

        from agentid.today import ENV_VAR, today

        try:
            os.environ[ENV_VAR] = today(value).isoformat()
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


@app.callback(epilog="Exit codes: each command's help lists them; 2 is also a usage error (unknown option, missing argument).")
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version, help="Print the version and exit."),
    today: str | None = typer.Option(
        None, "--today", metavar="YYYY-MM-DD", callback=_today, envvar="AGENTID_TODAY", show_envvar=True,
        help="The date review and expiry checks compare against (default: the real date).",
    ),
) -> None:
    """Give every AI agent its own short-lived, least-privilege cloud identity, declared as code."""

# Modules under agentid.commands, each with `register(app)`.
COMMAND_MODULES = ("spec_commands", "preview", "revoke", "audit", "lint", "credential", "cedar")


def _register_commands() -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"agentid.commands.{module_name}").register(app)


def conventional_help(command: Any) -> Any:
    """Help in the usual CLI conventions: `ARGUMENT...`, `--option VALUE`, never a Python type (`<list[Path]>`).

    Typer shows each parameter's annotation; an argument becomes its upper-case name, an option without
    a metavar its choices (`json|csv`) or its upper-case name. Applied to every command, recursively.
    """
    for param in command.params:
        if param.param_type_name == "argument":
            shown = (param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")
            usage = shown if param.required else f"[{shown}]"
            param.metavar = shown
            param.display_type_rich = lambda ctx: None  # typer appends `<type>` to the argument's name
            param._usage_display_name = lambda usage=usage: usage
            param._rich_display_name = lambda shown=shown: shown
        elif param.param_type_name == "option" and not param.is_flag and param.metavar is None:
            described = getattr(param, "type_descriptor", None)
            choices = described.choices if described is not None and described.is_choice else None
            shown = "|".join(str(getattr(c, "value", c)) for c in choices) if choices else (param.name or "value").upper()
            param.metavar = shown
    for sub in getattr(command, "commands", {}).values():
        conventional_help(sub)
    return command


def command() -> Any:
    """The whole command line as a (typer-vendored) click command, every subcommand registered."""
    if not app.registered_commands:
        _register_commands()
    return conventional_help(typer.main.get_command(app))


def main() -> None:
    command()(prog_name="agentid")


if __name__ == "__main__":
    main()
