"""`agentid revoke AGENT --inventory FILE --list FILE`: every broker refuses the agent, on every hop, whatever its
clouds; `agentid revoke undo AGENT --list FILE` restores it; `agentid revoke aws AGENT --inventory FILE`: cut an
AWS agent's live sessions off now."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from agentid.commands.name_suffix import NameSuffixOption, suffix_in_force

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _AgentByDefault(TyperGroup):
    """`agentid revoke AGENT ...` means `agentid revoke agent AGENT ...`: a first word that is not a subcommand is
    the agent (an agent named like a subcommand, e.g. `aws`, is revoked with `agentid revoke agent aws`)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # ctx: the click Context typer vendors
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["agent", *args]
        return super().resolve_command(ctx, args)


revoke_app = typer.Typer(cls=_AgentByDefault, help="Cut an agent's credentials off: `agentid revoke AGENT` (every hop, "
                         "every cloud, at the broker), `agentid revoke undo AGENT`, `agentid revoke aws AGENT` (AWS sessions).",
                         no_args_is_help=True)
ListOption = Annotated[Path, typer.Option(
    "--list", metavar="FILE", envvar="AGENTID_REVOCATION_LIST", show_default=False,
    help="The brokers' revocation list (JSON; created if missing). Default: $AGENTID_REVOCATION_LIST.")]


def _named_agent(agent: str, inventory: Path, name_suffix: str | None) -> tuple[Any, str]:
    """The agent's spec from the inventory and the stack's name suffix; LiveAwsError when it is not there. Only
    this agent is read: another agent's overdue review or missing certificate file does not stop a revocation."""
    from agentid.aws_audit.clients import LiveAwsError, load_agents

    known = {a.name: a for a in load_agents(inventory).agents}
    if agent not in known:
        raise LiveAwsError(f"agent '{agent}' is not in {inventory} (it lists: {', '.join(sorted(known))})")
    return known[agent], suffix_in_force(name_suffix, inventory, LiveAwsError)


def _fail(message: str) -> None:
    from agentid_components.text_safety import visible

    typer.echo(f"error: {visible(message)}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@revoke_app.command("agent")
def revoke_agent(
    agent: Annotated[str, typer.Argument(help="The agent's name, as in the inventory.", show_default=False)],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", metavar="FILE", help="Agent file (YAML) or JSON inventory.", show_default=False)],
    revocation_list: ListOption,
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why (kept in the list, shown in refusals).")] = "",
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who revoked (kept in the list).")] = "",
    name_suffix: NameSuffixOption = None,
) -> None:
    """Every broker reading the list refuses every credential of the agent, on every hop (AWS, OAuth, MCP, Azure,
    GCP, model), cached ones too, from its next call.

    Offline: it writes one file and changes nothing in the clouds, so it prints, per cloud and server, what is still
    valid and the command that cuts it (for AWS: `agentid revoke aws`). Running it again keeps the first entry.

    Exit codes: 0 the agent is on the list; 2 unknown agent, unreadable inventory or list (nothing changed),
    or a usage error.
    """
    from agentid.aws_audit.clients import LiveAwsError
    from agentid.revoke_agent import describe, now_utc
    from agentid.runtime import revocation_list as revocations

    try:
        spec, suffix = _named_agent(agent, inventory, name_suffix)
        entry, added = revocations.add(revocation_list, agent, now_utc(), reason.strip(), by.strip())
    except (LiveAwsError, revocations.RevocationListUnreadable) as error:
        _fail(f"{error}; nothing was changed")
    except OSError as error:
        _fail(f"{revocation_list}: cannot write the revocation list: {error.strerror or error}; nothing was changed")
    for line in describe(spec, entry, added, revocation_list, str(inventory), suffix):
        typer.echo(line)
    raise typer.Exit(EXIT_OK)


@revoke_app.command("undo")
def undo_revoke_agent(
    agent: Annotated[str, typer.Argument(help="The agent's name.", show_default=False)],
    revocation_list: ListOption,
) -> None:
    """Take the agent off the revocation list: brokers serve it again from their next call.

    Exit codes: 0 done, or the agent was not listed (said on stdout); 2 no list, an unreadable one, or a usage
    error.
    """
    from agentid.runtime import revocation_list as revocations

    try:
        entry = revocations.remove(revocation_list, agent)
    except revocations.RevocationListUnreadable as error:
        _fail(f"{error}; nothing was changed")
    except OSError as error:
        _fail(f"{revocation_list}: cannot write the revocation list: {error.strerror or error}; nothing was changed")
    if entry is None:
        from agentid_components.text_safety import visible

        typer.echo(visible(f"agent '{agent}' is not on the revocation list {revocation_list}: nothing to undo"))
    else:
        from agentid_components.text_safety import visible

        typer.echo(visible(f"restored agent '{agent}': removed from the revocation list {revocation_list} (revoked since "
                           f"{entry.revoked_at}); brokers reading it serve the agent again from their next call"))
        typer.echo("  what was cut outside the broker (AWS revoke policy, federated credentials, disabled accounts) "
                   "stays cut: undo those with the commands `agentid revoke` printed")
    raise typer.Exit(EXIT_OK)


@revoke_app.command("aws")
def revoke_aws(
    agent: Annotated[str, typer.Argument(help="The agent's name, as in the inventory.", show_default=False)],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", metavar="FILE", help="Agent file (YAML) or JSON inventory.", show_default=False)],
    name_suffix: NameSuffixOption = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", metavar="URL", envvar="AWS_ENDPOINT_URL", help="IAM endpoint (e.g. a moto server).")
    ] = None,
) -> None:
    """Deny everything to the agent's sessions issued before now (inline policy on its role).

    "Now" is AWS's clock (the Date header of IAM's answer), not this host's.
    Idempotent: a second run moves the cutoff to the new now and says so; a later
    cutoff already on the role is kept. Only this agent is read from the
    inventory: another agent's overdue review or missing certificate file does
    not stop a revocation.

    Exit codes: 0 the deny is in place; 2 the agent or its role does not exist,
    the account cannot be reached (nothing is changed then), or a usage error.
    """
    from agentid.aws_audit.clients import LiveAwsError, iam_client
    from agentid.revoke_aws import describe, revoke_sessions

    try:
        spec, suffix = _named_agent(agent, inventory, name_suffix)
        result = revoke_sessions(iam_client(endpoint_url), spec, suffix=suffix)
    except LiveAwsError as error:
        from agentid_components.text_safety import visible

        from agentid.runtime.redaction import hide_url_userinfo

        typer.echo(f"error: {visible(hide_url_userinfo(str(error)))}", err=True)  # names and AWS messages: shown, never run as escapes
        raise typer.Exit(EXIT_BAD_INPUT)
    for line in describe(result):
        typer.echo(line)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.add_typer(revoke_app, name="revoke")
