"""`agentid audit aws --inventory FILE`: compare a live account's agent identities with the inventory."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from agentid.commands.name_suffix import NameSuffixOption, suffix_in_force

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

audit_app = typer.Typer(help="Audit live cloud accounts against the agent inventory.", no_args_is_help=True)


class AuditFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"


@audit_app.command("aws")
def audit_aws(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", metavar="FILE", help="Agent file (YAML) or JSON inventory.", show_default=False)],
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", metavar="URL", envvar="AWS_ENDPOINT_URL", help="IAM endpoint (e.g. a moto server).")
    ] = None,
    name_suffix: NameSuffixOption = None,
    format: Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format.")] = AuditFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file instead of stdout.")] = None,
) -> None:
    """Compare a live AWS account's agent identities with the inventory.

    Reports agent identities the inventory does not know, inventory agents missing
    from the account, IAM users and access keys of agents, roles whose live
    policies grant more than declared or too broadly, and weak trust policies.

    Agents whose review_by date has passed are reported (review-overdue) and audited like the others.

    Exit codes: 0 clean; 1 findings; 2 a bad inventory, an unreachable account, or a usage error.
    """
    import json

    from agentid.aws_audit.clients import LiveAwsError, iam_client, load_agents
    from agentid.aws_audit.collect import collect
    from agentid.aws_audit.findings import agent_of_role, agent_of_user, audit
    from agentid.aws_audit.report import summary, to_json, to_sarif, to_table
    from agentid_components.loader import load_inventory

    try:
        suffix = suffix_in_force(name_suffix, inventory, LiveAwsError)
        agents = load_agents(inventory)
        names = [agent.name for agent in agents.agents]
        iam = iam_client(endpoint_url)
        snapshot = collect(iam, lambda role: agent_of_role(role) is not None, lambda user: agent_of_user(user, names) is not None)
    except LiveAwsError as error:
        from agentid_components.text_safety import visible

        from agentid.runtime.redaction import hide_url_userinfo

        typer.echo(f"error: {visible(hide_url_userinfo(str(error)))}", err=True)  # names and AWS messages: shown, never run as escapes
        raise typer.Exit(EXIT_BAD_INPUT)
    findings = audit(snapshot, agents, suffix)

    if format is AuditFormat.json:
        text = to_json(findings, str(inventory), iam.meta.endpoint_url)
    elif format is AuditFormat.sarif:
        loaded = load_inventory(inventory, check_files=False)
        lines = {name: loaded.agent_line(name) for name in names}
        text = json.dumps(to_sarif(findings, str(inventory), lines), indent=2) + "\n"
    else:
        text = to_table(findings)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"{summary(findings)}; wrote the {format.value} report to {output}", err=True)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_CLEAN)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
