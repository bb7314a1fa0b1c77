"""`agentid cedar AGENT --inventory FILE`: the Cedar policies the broker evaluates for an agent, or the same permits
in AgentCore Policy's dialect (`--target agentcore`) for an AgentCore Gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agentid.commands.name_suffix import NameSuffixOption, checked_suffix

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def cedar(
    agent: Annotated[str, typer.Argument(help="The agent's name, as in the inventory.", show_default=False)],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", metavar="FILE", help="Agent file (YAML) or JSON inventory.", show_default=False)],
    target: Annotated[str, typer.Option("--target", help="kit (what the broker evaluates) or agentcore (AgentCore Policy).")] = "kit",
    gateway_arn: Annotated[str | None, typer.Option("--gateway-arn", metavar="ARN", help="agentcore: the Gateway (the policies' resource).")] = None,
    gateway_tools: Annotated[
        list[str], typer.Option("--gateway-tool", metavar="SPEC_TOOL=TARGET:MCP_TOOL[,MCP_TOOL][@ARG]",
                                help="agentcore: a spec tool's Gateway target and the MCP tools it may call there; @ARG: "
                                     "the argument holding the call's target, checked like the kit's targets (repeatable).")
    ] = [],  # noqa: B006
    caller: Annotated[str, typer.Option("--caller", help="agentcore: how the Gateway authenticates the agent: iam or oauth.")] = "iam",
    account: Annotated[str | None, typer.Option("--account", metavar="ACCOUNT", help="agentcore, iam: the agent role's account id.")] = None,
    oauth_subject: Annotated[
        str | None, typer.Option("--oauth-subject", metavar="SUB", help="agentcore, oauth: the agent's token subject (its client id).")
    ] = None,
    name_suffix: NameSuffixOption = "",
    output_format: Annotated[str, typer.Option("--format", "-f", help="agentcore: text (one Cedar text) or json (CreatePolicy inputs).")] = "text",
) -> None:
    """Print the agent's Cedar policies.

    `--target kit` (default): the generated permits plus the agent's own Cedar files, exactly the text the broker
    evaluates before each credential. `--target agentcore`: the same permits for an AgentCore Gateway (principal
    AgentCore::IamEntity or AgentCore::OAuthUser, actions TARGET___TOOL, resource AgentCore::Gateway::"ARN").

    Exit codes: 0 printed; 2 bad input (unknown agent, unreadable inventory or Cedar file, malformed mapping) or a
    usage error.
    """
    from agentid.aws_audit.clients import LiveAwsError, load_agents
    from agentid.runtime import agentcore_cedar
    from agentid.runtime.authorization import Authorizer, PolicyError
    from agentid_components import naming

    try:
        if target not in ("kit", "agentcore"):
            raise LiveAwsError(f"--target must be kit or agentcore, not {target!r}")
        if output_format not in ("text", "json"):
            raise LiveAwsError(f"--format must be text or json, not {output_format!r}")
        agents = load_agents(inventory)
        known = {a.name: a for a in agents.agents}
        if agent not in known:
            raise LiveAwsError(f"agent {agent!r} is not in {inventory} (it lists: {', '.join(sorted(known))})")
        spec = known[agent]
        if target == "kit":
            typer.echo(Authorizer.from_spec([spec], base_dir=inventory.parent).text)
            raise typer.Exit(EXIT_OK)
        suffix = checked_suffix(name_suffix, LiveAwsError)
        subject = agentcore_cedar.Caller(caller, account=account, role_name=naming.aws_role_name(agent, suffix),
                                         subject=oauth_subject)
        policies = agentcore_cedar.render(spec, gateway_arn or "", [agentcore_cedar.GatewayTool.parse(t) for t in gateway_tools], subject)
    except (LiveAwsError, PolicyError, agentcore_cedar.AgentCoreExportError) as error:
        from agentid_components.text_safety import visible

        typer.echo(f"error: {visible(str(error))}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if output_format == "json":
        typer.echo(json.dumps([p.as_dict() for p in policies], indent=2))
    else:
        typer.echo(agentcore_cedar.render_text(policies), nl=False)
    for name in spec.cedar_policies or ():
        from agentid_components import input_limits

        try:  # already read once by the spec's loader and the Authorizer: bounded the same way
            text = input_limits.read_text(inventory.parent / name, input_limits.CERTIFICATE_BYTES, "Cedar file")
        except input_limits.InputRefused as refused:
            typer.echo(f"note: {refused}: not exported", err=True)
            continue
        for line in agentcore_cedar.untranslated(name, text):
            typer.echo(f"note: {line}", err=True)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("cedar")(cedar)
