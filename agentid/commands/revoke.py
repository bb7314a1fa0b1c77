"""`agentid revoke aws AGENT --inventory FILE`: cut an agent's live sessions off now."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentid.commands.name_suffix import NameSuffixOption, suffix_in_force

EXIT_OK = 0
EXIT_BAD_INPUT = 2

revoke_app = typer.Typer(help="Cut an agent's live credentials off now.", no_args_is_help=True)


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
    from agentid.aws_audit.clients import LiveAwsError, iam_client, load_agents
    from agentid.revoke_aws import describe, revoke_sessions

    try:
        agents = load_agents(inventory)
        known = {a.name: a for a in agents.agents}
        if agent not in known:
            raise LiveAwsError(f"agent '{agent}' is not in {inventory} (it lists: {', '.join(sorted(known))})")
        suffix = suffix_in_force(name_suffix, inventory, LiveAwsError)
        result = revoke_sessions(iam_client(endpoint_url), known[agent], suffix=suffix)
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
