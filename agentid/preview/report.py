"""The verdict for people (a terminal or a CI log) and as JSON.

Terminal: the plan (resources grouped by agent and cloud), the inventory
summary (from the agent spec, with the stack outputs' names), the violations
(rule, severity, enforcement level, resource, message, remediation), and the
verdict with its exit code. Large plans are summarised per agent.
Progress goes to stderr: a rich progress bar on a terminal, plain lines elsewhere.

Names, types, messages and paths come from the pull request (its program, its
agent file, its packs): they are printed as `Text`, never as Rich markup, with
control and escape characters made visible (`agentid_components.text_safety.visible`),
so `[link=...]` or an ANSI/OSC sequence shows as what it is.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from agentid.preview.analysis import MANDATORY_LEVELS
from agentid.preview.locations import location_of
from agentid.preview.runner import PreviewResult
from agentid_components.text_safety import visible

FULL_PLAN_LIMIT = 300  # above this many resources the plan shows counts per agent and cloud
NO_AGENT = "(no agent)"


# --- progress ------------------------------------------------------------------------------------


class PlainProgress:
    """One line per step: readable in CI logs, no control characters."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def step(self, text: str, total: int | None = None) -> None:
        print(visible(f"agentid preview: {text} ..."), file=self.stream, flush=True)

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


class BarProgress:
    """A rich progress bar (terminal only): a spinner per step, a bar while resources are analysed."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        # Started at the first step, not here: its refresh thread must not exist yet when the gate forks its packs'
        # processes at the start of the run (agentid/pack_fork.py forks only a process with one thread).
        self.started = False
        self.task: Any = None

    def step(self, text: str, total: int | None = None) -> None:
        if not self.started:
            self.progress.start()
            self.started = True
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total or 0)
        self.task = self.progress.add_task(_markup_safe(text), total=total)  # the column renders markup

    def advance(self) -> None:
        if self.task is not None:
            self.progress.advance(self.task)

    def close(self) -> None:
        if self.started:
            self.progress.stop()


def progress_for(stream: TextIO) -> PlainProgress | BarProgress:
    console = Console(file=stream)
    return BarProgress(console) if console.is_terminal else PlainProgress(stream)


# --- terminal report ----------------------------------------------------------------------------


def console_for(stream: TextIO) -> Console:
    """A console for the report: on a terminal its own width; in a CI log wide enough that tables do not fold."""
    console = Console(file=stream, highlight=False)
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, width=max(console.width, 160))
    return console


def _plain(value: Any, one_line: bool = True) -> Text:
    """User data as Rich text: no markup, no control characters."""
    return Text(visible(str(value), one_line=one_line))


def _markup_safe(value: Any) -> str:
    """User data to embed in a markup string of ours."""
    return escape(visible(str(value)))


def render(result: PreviewResult, console: Console) -> None:
    project = result.project.name if result.project else "?"
    console.print(f"[bold]agentid preview[/bold]: stack [bold]{_markup_safe(result.stack)}[/bold] "
                  f"of project {_markup_safe(project)}")
    if result.isolation is not None and result.isolation.warning:
        console.print(Text(visible(result.isolation.warning), style="bold yellow"), highlight=False, soft_wrap=True)
    if result.error:
        _render_error(result, console)
    else:
        _render_plan(result, console)
        _render_inventory(result, console)
        _render_violations(result, console)
        _render_gate(result, console)
    _render_verdict(result, console)


def _render_error(result: PreviewResult, console: Console) -> None:
    console.print(Text.assemble(("error", "red"), (f" ({visible(str(result.error_kind))})", "red"), ": ",
                                visible(str(result.error), one_line=False)), highlight=False, soft_wrap=True)
    for problem in result.spec_problems:
        console.print(_plain(f"  {problem}"), highlight=False)


def _render_plan(result: PreviewResult, console: Console) -> None:
    groups: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for resource in result.resources:
        agent = result.agent_of.get(resource.urn) or NO_AGENT
        cloud = result.cloud_of.get(resource.urn) or "component"
        groups[agent][cloud].append(resource)
    order = sorted(groups, key=lambda a: (a == NO_AGENT, a))
    console.print(f"\n[bold]Plan[/bold]: {len(result.resources)} resources to create, "
                  f"{len(groups) - (NO_AGENT in groups)} agents")
    if len(result.resources) > FULL_PLAN_LIMIT:
        table = Table("agent", "aws", "azure", "components", "other")
        for agent in order:
            clouds = groups[agent]
            other = sum(len(v) for k, v in clouds.items() if k not in ("aws", "azure", "component"))
            table.add_row(_plain(agent), *(str(len(clouds.get(k, []))) for k in ("aws", "azure", "component")), str(other))
        console.print(table)
        return
    tree = Tree(_plain(f"stack {result.stack}"))
    for agent in order:
        branch = tree.add(Text(visible(agent), style="bold" if agent != NO_AGENT else ""))
        for cloud in sorted(groups[agent]):
            leaf = branch.add(_plain(cloud))
            for resource in groups[agent][cloud]:
                leaf.add(_plain(f"+ {resource.type}  {resource.name}"), highlight=False)
    console.print(tree)
    for name, source in result.stack_references.items():
        console.print(_plain(f"stack reference {name}: answered by the {source}"), highlight=False)


def _render_inventory(result: PreviewResult, console: Console) -> None:
    if result.inventory is None:
        outputs = ", ".join(sorted(result.outputs)) or "none"
        console.print(Text.assemble("\n", ("Inventory", "bold"), ": no agent file for this stack; stack outputs: ",
                                    visible(outputs)))
        return
    table = Table("agent", "owner", "env", "clouds", "tools", "trust", "max min", "review by",
                  title=_plain(f"Inventory ({result.agents_file})"), title_justify="left")
    for agent in result.inventory.inventory.agents:
        table.add_row(*(_plain(cell) for cell in (
            agent.name, agent.owner, agent.environment, ", ".join(agent.clouds), len(agent.tools),
            ", ".join(t.kind for t in agent.trust), agent.max_credential_minutes, agent.review_by)))
    console.print()
    console.print(table)
    if result.outputs:
        console.print(_plain(f"stack outputs: {', '.join(sorted(result.outputs))}"), highlight=False)


def _render_violations(result: PreviewResult, console: Console) -> None:
    """One block per violation (no table: messages and URNs stay whole in narrow terminals and CI logs)."""
    violations = sorted(result.violations, key=lambda v: (not v.mandatory, v.policy, v.urn))
    packs = ", ".join(f"{p.name} {p.version}".strip() for p in result.packs)
    console.print(Text.assemble("\n", ("Violations", "bold"), f" ({visible(packs)}): ",
                                f"{len(violations)}" if violations else "none"))
    # Rules quote resource names in messages; a name holding a line break would start a report line of its own
    # (a forged "PASS: ..."), so such names are written escaped wherever a message quotes them.
    hostile = sorted({r.name for r in result.resources if visible(r.name) != r.name}, key=len, reverse=True)
    for violation in violations:
        resource = result.resource(violation.urn) if violation.urn else None
        message = violation.message
        for name in hostile:
            message = message.replace(name, visible(name))
        file, line = location_of(result, violation.urn)
        level = (("MANDATORY", "red") if violation.mandatory else ("WAIVED", "yellow") if violation.waiver
                 else visible(str(violation.enforcement_level)))
        subject = f"{resource.name} ({resource.type})" if resource else _unregistered(violation.urn, result.stack)
        console.print(Text.assemble("\n", level, f" {visible(str(violation.severity or 'unspecified'))}  ",
                                    (visible(str(violation.policy)), "bold"), f"  {visible(subject)}"), highlight=False)
        console.print(_indented("message", message), highlight=False)
        if violation.waiver is not None:
            console.print(_indented("waiver", violation.waiver.justification), highlight=False)
        if violation.urn:
            console.print(Text(f"  urn: {visible(violation.urn)}"), highlight=False)  # one line, whatever the name holds
        if violation.enforcement_level in MANDATORY_LEVELS:  # what a waiver pins to accept exactly this finding
            console.print(Text(f"  finding: {violation.finding}"), highlight=False)
        console.print(_indented("declared at", f"{file}:{line}"), highlight=False)
        if violation.remediation:
            console.print(_indented("remediation", violation.remediation), highlight=False)
        if violation.url:
            console.print(_indented("more", violation.url), highlight=False)


def _indented(label: str, text: str) -> Text:
    lines = [visible(line) for line in (text.strip().splitlines() or [""])]
    return Text("\n".join([f"  {label}: {lines[0]}", *(f"    {line}" for line in lines[1:])]))


def own_accounts(result: PreviewResult) -> list[str]:
    """One line per pack and distinct `ownAccountIds` the gate configured: which accounts count as the stack's own.

    These settings decide whether a grant to an account is "own" or "foreign" (AGID-AWS-032/033/042/044/050),
    so the report shows them whatever their source (pack default, base branch's waiver file, stack file).
    """
    return _configured_lists(result, "ownAccountIds", "none listed (a grant to any account is flagged: cannot tell)")


def own_gcp(result: PreviewResult) -> list[str]:
    """One line per pack, list and distinct value of the Google Cloud lists the gate configured (ownGcpDomains,
    ownGcpProjects, ownGcpOrganizations): which users, groups, domains and service accounts count as the
    organisation's (AGID-GCP-021, -024), whatever their source; and the own HTTP endpoint hosts (ownHosts,
    AGID-GCP-033)."""
    return [*(f"{key}: {line}" for key in ("ownGcpDomains", "ownGcpProjects", "ownGcpOrganizations")
              for line in _configured_lists(result, key, "none listed (a user or group is flagged: cannot tell)")),
            *(f"ownHosts: {line}" for line in _configured_lists(
                result, "ownHosts", "none listed (a push or event endpoint not of the stack is flagged)"))]


def own_aws_ids(result: PreviewResult) -> list[str]:
    """One line per pack, list and distinct value of the AWS organizations, VPCs and VPC endpoints the gate configured
    (ownOrganizationIds, ownVpcIds, ownVpcEndpointIds): which aws:PrincipalOrgID / SourceVpc / SourceVpce pins
    confine a grant (AGID-AWS-030, -032, -034), whatever their source; and the S3 buckets outside the stack it lists
    as own (ownS3Buckets, AGID-AWS-064/073/076)."""
    return [*(f"{key}: {line}" for key in ("ownOrganizationIds", "ownVpcIds", "ownVpcEndpointIds")
              for line in _configured_lists(result, key, "none listed (a grant pinned to one is flagged: cannot tell)")),
            *(f"ownS3Buckets: {line}" for line in _configured_lists(
                result, "ownS3Buckets", "none listed (a bucket the stack does not create is flagged: cannot tell)")),
            *(f"ownEmailDomains: {line}" for line in _configured_lists(
                result, "ownEmailDomains", "none listed (an account's root mailbox is flagged: cannot tell)"))]


def trusted_issuers(result: PreviewResult) -> list[str]:
    """One line per pack and distinct `trustedIssuers` the gate configured (--trusted-issuer, the base branch's
    waiver file): the self-run OIDC issuers federated credentials may trust (AGID-GEN-003)."""
    return _configured_lists(result, "trustedIssuers", "none listed (only platform issuers pass)")


def _configured_lists(result: PreviewResult, key: str, empty: str) -> list[str]:
    """`pack: value, value (policies)` for each distinct list setting `key` of the enabled policies."""
    lines = []
    for pack in result.packs:
        by_value: dict[tuple, list[str]] = defaultdict(list)
        for policy, entry in sorted(pack.config.items()):
            if isinstance(entry, dict) and key in entry and entry.get("enforcementLevel") != "disabled":
                values = entry[key] if isinstance(entry[key], list) else []
                by_value[tuple(str(v) for v in values)].append(policy)
        for values, policies in by_value.items():
            lines.append(f"{pack.name}: {', '.join(values) if values else empty} ({', '.join(policies)})")
    return lines


def secret_read_lines(result: PreviewResult) -> list[str]:
    """One line per `secure:` stack value the program read as plain text (`key (getter)`)."""
    return [f"{note}: the program got a placeholder, not the value `pulumi up` decrypts" for note in result.secret_reads]


def _render_gate(result: PreviewResult, console: Console) -> None:
    """What the gate itself decided, apart from the packs: levels it kept, waivers it applied or flags."""
    _render_section(console, "Own accounts", " (ownAccountIds the packs judged with):", own_accounts(result))
    _render_section(console, "Own AWS organizations and networks", " (the lists the packs judged with):",
                    own_aws_ids(result))
    _render_section(console, "Own Google Cloud principals", " (the lists the packs judged with):", own_gcp(result))
    _render_section(console, "Trusted issuers", " (trustedIssuers the packs judged with):", trusted_issuers(result))
    _render_section(console, "Nothing else judged", " (the verdict stands on the findings above):",
                    [result.nothing_judged] if result.nothing_judged else [])
    notes = result.floor_notes
    _render_section(console, "Enforcement floor", f": {len(notes)} note{'s' * (len(notes) != 1)} (settings refused, "
                    "packs not installed with the kit)", notes)
    _render_section(console, "Cloaking",
                    " (advisory): where the program asks whether it runs at preview, or reads the clock or chance, or "
                    "probes what the gate cannot show as a deploy runner does",
                    result.cloaking)
    _render_section(console, "Secure config read as plain text",
                    f" ({'blocking: --strict-unknowns' if result.strict_unknowns else 'cannot check'}): agentid "
                    "preview cannot decrypt these, so what the program does with their values is not judged; read "
                    "them with get_secret/require_secret (an Output) or judge with `pulumi preview --policy-pack`",
                    secret_read_lines(result))
    _render_section(console, "Apply callbacks not run",
                    f" ({'blocking: --strict-unknowns' if result.strict_unknowns else 'cannot check'}): the program "
                    "calls apply on a value unknown at preview, so the callback never ran here; what it registers or "
                    "invokes at `pulumi up` is not judged",
                    [f"{spot}: the program registers work inside an apply on a value unknown at preview"
                     for spot in result.unknown_applies])
    source = result.waivers
    if source is None or not (source.waivers or source.proposed):
        return
    console.print(Text.assemble("\n", ("Waivers", "bold"), f" ({visible(source.origin)}): "
                                f"{len(result.waived)} violation{'s' * (len(result.waived) != 1)} accepted"))
    for violation in result.waived:
        waiver = violation.waiver
        console.print(Text(f"  {visible(violation.policy)} on {visible(violation.urn or 'the stack')}: "
                           f"{visible(waiver.justification)}"), highlight=False)
    for finding in result.waiver_findings:
        label = ("  EXPIRED ", "red") if finding.blocking else f"  {finding.kind} "
        console.print(Text.assemble(label, visible(finding.message)), highlight=False)


def _render_section(console: Console, title: str, summary: str, lines: list[str]) -> None:
    """A titled list of the gate's own lines (user data shown as text); nothing when there is none."""
    if not lines:
        return
    console.print(Text.assemble("\n", (title, "bold"), summary))
    for line in lines:
        console.print(Text(f"  {visible(line)}"), highlight=False)


def _render_verdict(result: PreviewResult, console: Console) -> None:
    code = result.exit_code
    expired = sum(f.blocking for f in result.waiver_findings)
    if code == 0:
        advisory = len(result.violations) - len(result.waived)
        text = "[green]PASS[/green]: no mandatory violation" + (f" ({advisory} advisory)" if advisory else "")
        if result.waived:
            text += f", {len(result.waived)} waived"
    elif code == 1:
        text = f"[red]FAIL[/red]: {len(result.mandatory)} mandatory violation{'s' * (len(result.mandatory) != 1)}"
        if expired:
            text += f", {expired} expired waiver{'s' * (expired != 1)}"
        if result.strict_unknowns and result.secret_reads:
            reads = len(result.secret_reads)
            text += f", {reads} secure value{'s' * (reads != 1)} read as plain text (--strict-unknowns)"
        if result.strict_unknowns and result.unknown_applies:
            skipped = len(result.unknown_applies)
            text += f", {skipped} apply callback{'s' * (skipped != 1)} not run on unknown values (--strict-unknowns)"
    else:
        text = "[red]ERROR[/red]: no verdict (the gate fails closed)"
    console.print(f"\n{text} (exit {code})")


# --- JSON ----------------------------------------------------------------------------------------


def _unregistered(urn: str | None, stack: str) -> str:
    """What a finding on no registered resource names: a resource the program read (Resource.get, AGID-GATE-001)
    by its URN's name and type, else the stack."""
    parts = (urn or "").split("::")
    if len(parts) >= 4 and urn.startswith("urn:pulumi:") and not parts[2].endswith("pulumi:pulumi:Stack"):
        return f"{parts[-1]} ({parts[2].rsplit('$', 1)[-1]})"
    return f"stack {stack}"


def to_json(result: PreviewResult) -> dict[str, Any]:
    violations = []
    for violation in result.violations:
        resource = result.resource(violation.urn) if violation.urn else None
        file, line = location_of(result, violation.urn)
        violations.append({
            "policyPack": violation.pack, "policy": violation.policy, "description": violation.description,
            "message": violation.message, "enforcementLevel": violation.enforcement_level,
            "mandatory": violation.mandatory, "severity": violation.severity, "urn": violation.urn,
            "resourceName": resource.name if resource else None, "resourceType": resource.type if resource else None,
            "agent": result.agent_of.get(violation.urn) if violation.urn else None,
            "remediation": violation.remediation, "url": violation.url, "file": file, "line": line,
            "unknown": violation.unknown, "waiver": waiver_json(violation.waiver) if violation.waiver else None,
            "finding": violation.finding,
        })
    return {
        "project": result.project.name if result.project else None,
        "stack": result.stack,
        "verdict": result.verdict,
        "exitCode": result.exit_code,
        "error": {"kind": result.error_kind, "message": result.error,
                  "problems": [vars(p) for p in result.spec_problems]} if result.error else None,
        "policyPacks": [{"name": p.name, "version": p.version, "directory": p.directory,
                         "policies": [x.name for x in p.policies], "config": p.config} for p in result.packs],
        # Each resource's inputs as the packs judged them, secrets as "[secret]" (values unknown at preview
        # as Pulumi's unknown sentinel): physical names, trust and grants can be checked from outside.
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent,
                       "agent": result.agent_of.get(r.urn), "cloud": result.cloud_of.get(r.urn),
                       "inputs": r.public_inputs}
                      for r in result.resources],
        "agents": _agents_json(result),
        # The stack outputs' values, as `pulumi stack output --json` prints them (secrets as "[secret]"): the
        # inventory the run-time broker reads, produced offline (`jq .outputs preview.json > outputs.json`).
        "outputs": result.outputs,
        "timings": {key: round(value, 3) for key, value in result.timings.items()},
        "violations": violations,
        "enforcementFloor": list(result.floor_notes),
        "programWarnings": list(result.program_warnings),
        "cloaking": list(result.cloaking),
        "nothingJudged": result.nothing_judged,
        "secretReads": list(result.secret_reads),
        "unknownApplies": list(result.unknown_applies),  # program file:line of apply callbacks that never ran
        "stackReferences": dict(result.stack_references),  # name -> how the gate answered it (a preview, a file)
        "sandbox": None if result.isolation is None else {"sandboxed": result.isolation.sandboxed,
                                                          "reason": result.isolation.reason or None},
        "waivers": {
            "source": result.waivers.origin if result.waivers else None,
            "inForce": [waiver_json(w) for w in result.waivers.waivers] if result.waivers else [],
            "findings": [{"kind": f.kind, "blocking": f.blocking, "message": f.message, "waiver": waiver_json(f.waiver)}
                         for f in result.waiver_findings],
        },
    }


def waiver_json(waiver: Any) -> dict[str, Any]:
    return {"rule": waiver.rule, "resource": waiver.resource, "reason": waiver.reason, "approver": waiver.approver,
            "expires": waiver.expires.isoformat(), "stack": waiver.stack, "line": waiver.line,
            "finding": waiver.finding}


def _agents_json(result: PreviewResult) -> list[dict[str, Any]]:
    if result.inventory is None:
        return []
    counts: dict[str, int] = defaultdict(int)
    for agent in result.agent_of.values():
        if agent:
            counts[agent] += 1
    return [{"name": a.name, "owner": a.owner, "environment": a.environment, "clouds": a.clouds,
             "tools": [t.name for t in a.tools], "trust": [t.kind for t in a.trust],
             "maxCredentialMinutes": a.max_credential_minutes, "reviewBy": str(a.review_by),
             "resources": counts.get(a.name, 0), "line": result.inventory.agent_line(a.name)}
            for a in result.inventory.inventory.agents]
