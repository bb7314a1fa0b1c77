"""The agent inventory: which agents exist, who owns them, what they may touch, how to cut them off.

Rendered from the validated spec as JSON (which loads back into the same
model: `load_inventory` accepts it), CSV (one row per tool grant) or Markdown.
Every user string is escaped for its format (`agentid_components.text_safety`): CSV
cells cannot start a spreadsheet formula, Markdown shows text as text.
Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from agentid_components import iam_catalog
from agentid_components.text_safety import csv_cell, markdown_code, markdown_text
from agentid_components.revocation import revocation_steps
from agentid_components.spec import Agent, Inventory, Tool

INVENTORY_KIND = "agentid/inventory"
INVENTORY_VERSION = 1


def applicable_resources(action: str, resources: list[str]) -> list[str]:
    """The declared resources an action really reaches ('*' only for actions without resource-level permissions)."""
    info = iam_catalog.action_info(action)
    if info is None or not info.supports_resource_level:
        return ["*"]
    return [arn for arn in resources if arn != "*" and iam_catalog.action_applies_to(info, arn)]


def tool_permissions(tool: Tool) -> list[str]:
    """A tool's exact grants as short human lines."""
    if tool.aws:
        lines = [f"{action} on {', '.join(applicable_resources(action, tool.aws.resources))}" for action in tool.aws.actions]
        if tool.aws.conditions:
            lines.append(f"when {json.dumps(tool.aws.conditions, sort_keys=True)}")
        return lines
    if tool.azure:
        operations = tool.azure.actions + tool.azure.data_actions
        return [f"{operation} at {tool.azure.scope}" for operation in operations]
    if tool.llm is not None and tool.llm.anthropic is not None:
        grant = tool.llm.anthropic
        return [f"Claude API as service account {grant.service_account_id} (federation rule {grant.federation_rule_id}, "
                f"organization {grant.organization_id})"]
    if tool.llm is not None and tool.llm.openai is not None:
        grant = tool.llm.openai
        return [f"OpenAI API as service account {grant.service_account_id} (workload identity provider {grant.identity_provider_id})"]
    if tool.gcp:
        return [f"{grant} on {tool.gcp.resource}" for grant in tool.gcp.permissions + tool.gcp.roles]
    return [f"{scope} on {tool.oauth.audience} ({tool.oauth.provider})" for scope in tool.oauth.scopes]


def grant_kind(tool: Tool) -> str:
    """The tool's grant as one word: aws, azure, gcp, oauth/PROVIDER or llm/PROVIDER (an llm grant names its provider)."""
    if tool.llm is not None:
        return f"llm/{tool.llm.provider}"
    return "aws" if tool.aws else "azure" if tool.azure else "gcp" if tool.gcp else f"oauth/{tool.oauth.provider}"


def trust_bindings(agent: Agent) -> list[str]:
    described = []
    for binding in agent.trust:
        detail = binding.detail
        if binding.github_actions:
            described.append(f"github_actions: {detail.subject}")
        elif binding.kubernetes:
            via = f" via EKS Pod Identity on {detail.cluster}" if detail.cluster else ""
            described.append(f"kubernetes: {detail.subject} @ {detail.issuer}{via}")
        elif binding.spiffe:
            described.append(f"spiffe: {detail.spiffe_id}")
        else:
            described.append(f"azure_hosted: {detail.resource_id}")
    return described


def derived_facts(agent: Agent, source: str = "FILE", suffix: str = "") -> dict[str, Any]:
    """What the inventory adds to the spec: clouds, lifetimes, trust subjects, revocation (whose steps name the
    cloud objects as the stack creates them: `suffix` is the stack's name suffix, see `naming`)."""
    return {
        "clouds": agent.clouds,
        "credential_lifetime_minutes": agent.max_credential_minutes,
        "trust_bindings": trust_bindings(agent),
        "permissions": {tool.name: tool_permissions(tool) for tool in agent.tools},
        "revocation": revocation_steps(agent, source, suffix),
    }


def to_json(inventory: Inventory, source: str, output_dir: str | Path | None = None, suffix: str = "") -> str:
    """The inventory as JSON that loads back into the spec model, wherever it is written.

    Portable: no absolute path. The files the spec names (client certificates, CA bundles; relative to the
    agent file `source`) are rewritten relative to `output_dir`, the directory the JSON file is written to
    (default: the current directory, for stdout), which is where the loader resolves them.
    """
    base = Path(output_dir) if output_dir is not None else Path(".")
    source_dir = Path(source).parent

    def rebase(path: str) -> str:
        return Path(os.path.relpath(source_dir / path, base)).as_posix()

    agents = []
    for agent in inventory.agents:
        entry = agent.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
        if "client_certificate" in entry:
            entry["client_certificate"] = rebase(entry["client_certificate"])
        for binding in entry["trust"]:
            if "ca_bundle" in (binding.get("spiffe") or {}):
                binding["spiffe"]["ca_bundle"] = rebase(binding["spiffe"]["ca_bundle"])
        agents.append({**entry, "derived": derived_facts(agent, rebase(Path(source).name), suffix)})  # portable: no absolute path
    document = {
        "kind": INVENTORY_KIND,
        "version": INVENTORY_VERSION,
        "source": rebase(Path(source).name),
        "name_suffix": suffix,  # what the revocation steps' physical names end in (the stack's nameSuffix)
        "agents": agents,
    }
    return json.dumps(document, indent=2) + "\n"


def is_inventory_json(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == INVENTORY_KIND


def strip_derived(document: Any) -> Any:
    """A JSON inventory back to a plain agent file (the loader calls this); other documents pass unchanged."""
    if not is_inventory_json(document):
        return document
    agents = document.get("agents")
    if isinstance(agents, list):
        agents = [{k: v for k, v in a.items() if k != "derived"} if isinstance(a, dict) else a for a in agents]
    return {"agents": agents}


CSV_COLUMNS = (
    "agent", "owner", "purpose", "environment", "review_by", "clouds", "credential_minutes",
    "tool", "grant", "permission", "trust_bindings", "revocation",
)


def to_csv(inventory: Inventory, source: str = "FILE", suffix: str = "") -> str:
    """One row per permission line, so a spreadsheet filter by agent, tool or cloud just works."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180 CRLF rows: a CR inside a value is then quoted, not a row break
    writer.writerow(CSV_COLUMNS)
    for agent in inventory.agents:
        facts = derived_facts(agent, source, suffix)
        revocation = " | ".join(f"{cloud}: {step}" for cloud, steps in facts["revocation"].items() for step in steps)
        for tool in agent.tools:
            grant = grant_kind(tool)
            for permission in facts["permissions"][tool.name]:
                writer.writerow([csv_cell(cell) for cell in (
                    agent.name, agent.owner, agent.purpose, agent.environment, agent.review_by.isoformat(),
                    " ".join(agent.clouds), agent.max_credential_minutes, tool.name, grant, permission,
                    " | ".join(facts["trust_bindings"]), revocation,
                )])
    return buffer.getvalue()


def to_markdown(inventory: Inventory, source: str, suffix: str = "") -> str:
    text = markdown_text
    lines = [f"# Agent inventory ({text(source)})", "", "| agent | owner | environment | review by | clouds | credential lifetime |", "|---|---|---|---|---|---|"]
    for agent in inventory.agents:
        lines.append(
            f"| {text(agent.name)} | {text(agent.owner)} | {text(agent.environment)} | {agent.review_by} | "
            f"{', '.join(agent.clouds)} | {agent.max_credential_minutes} min |"
        )
    for agent in inventory.agents:
        facts = derived_facts(agent, source, suffix)
        lines += ["", f"## {text(agent.name)}", "", text(agent.purpose), "", "**Tools**", ""]
        for tool in agent.tools:
            lines.append(f"- {markdown_code(tool.name)}" + (f" — {text(tool.description)}" if tool.description else ""))
            lines += [f"  - {markdown_code(permission)}" for permission in facts["permissions"][tool.name]]
        lines += ["", "**Trust**", ""] + [f"- {markdown_code(binding)}" for binding in facts["trust_bindings"]]
        lines += ["", "**Revocation**", ""]
        for cloud, steps in facts["revocation"].items():
            lines += [f"- {cloud}:"] + [f"  {index}. {text(step)}" for index, step in enumerate(steps, 1)]
    return "\n".join(lines) + "\n"


RENDERERS = {  # (inventory, agent file, output directory, name suffix) -> text
    "json": lambda inventory, source, output_dir=None, suffix="": to_json(inventory, source, output_dir, suffix),
    "csv": lambda inventory, source, output_dir=None, suffix="": to_csv(inventory, source, suffix),
    "markdown": lambda inventory, source, output_dir=None, suffix="": to_markdown(inventory, source, suffix),
}


INVENTORY_SET_KIND = "agentid/inventory-set"


def merge(format: str, parts: list[tuple[str, Inventory, str, str]], output_dir: str | Path | None = None) -> str:
    """Several stacks' inventories as one document; `parts`: (label — the stack or the file —, inventory, agent file,
    name suffix of the stack's physical names).

    The same agent in two stacks (dev and prod of one spec) stays two entries, each labelled. JSON: an
    `agentid/inventory-set` whose `inventories` are each an inventory document (`to_json`) with its `label`;
    CSV: the single-file columns after a `source` column; Markdown: one table of every agent, then each part.
    """
    if format == "json":
        documents = [{"label": label, **json.loads(to_json(inventory, source, output_dir, suffix))}
                     for label, inventory, source, suffix in parts]
        return json.dumps({"kind": INVENTORY_SET_KIND, "version": INVENTORY_VERSION, "inventories": documents},
                          indent=2) + "\n"
    if format == "csv":
        rows = []
        for index, (label, inventory, source, suffix) in enumerate(parts):
            table = list(csv.reader(io.StringIO(to_csv(inventory, source, suffix), newline="")))
            rows += [["source", *table[0]]] if index == 0 else []
            rows += [[csv_cell(label), *row] for row in table[1:]]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue()
    text = markdown_text
    lines = [f"# Agent inventory ({len(parts)} sources)", "",
             "| source | agent | owner | environment | review by | clouds | credential lifetime |",
             "|---|---|---|---|---|---|---|"]
    for label, inventory, _, _ in parts:
        lines += [f"| {text(label)} | {text(a.name)} | {text(a.owner)} | {text(a.environment)} | {a.review_by} | "
                  f"{', '.join(a.clouds)} | {a.max_credential_minutes} min |" for a in inventory.agents]
    for label, inventory, source, suffix in parts:
        lines += ["", *("#" + line if line.startswith("#") else line
                        for line in to_markdown(inventory, source, suffix).splitlines())]
    return "\n".join(lines) + "\n"
