"""The audit's findings as a table, JSON or SARIF 2.1.0.

SARIF results are located in the inventory file, at the agent's declaration
when the agent is declared (line 1 otherwise: the inventory is where an
unknown identity gets declared or ruled out), with the AWS principal as a
logical location and a stable fingerprint (rule + principal + detail) so code
scanning alerts follow the identity across runs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from agentid.aws_audit.findings import RULES, AuditFinding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "agentid-audit-aws"
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "note": "3.0"}


def summary(findings: list[AuditFinding]) -> str:
    if not findings:
        return "no findings: every agent identity in the account matches the inventory"
    levels = Counter(f.level for f in findings)
    parts = ", ".join(f"{count} {level}{'s' if count != 1 else ''}" for level, count in sorted(levels.items()))
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({parts})"


def to_json(findings: list[AuditFinding], inventory: str, endpoint: str) -> str:
    document = {
        "inventory": inventory,
        "endpoint": endpoint,
        "summary": {"findings": len(findings), "by_rule": dict(Counter(f.rule for f in findings))},
        "findings": [asdict(f) for f in findings],
    }
    return json.dumps(document, indent=2) + "\n"


def to_table(findings: list[AuditFinding]) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from agentid_components.text_safety import visible

    table = Table(show_lines=True)
    for column in ("level", "rule", "agent", "principal", "finding"):
        table.add_column(column, overflow="fold")
    for finding in findings:  # names and policy text come from the account: text, never Rich markup or escapes
        table.add_row(*(Text(visible(str(cell))) for cell in (
            finding.level, finding.rule, finding.agent or "-", finding.principal, finding.message)))
    buffer = StringIO()
    console = Console(file=buffer, width=200, no_color=True)
    if findings:
        console.print(table)
    console.print(Text(visible(summary(findings))))
    return buffer.getvalue()


def to_sarif(findings: list[AuditFinding], inventory: str, agent_lines: dict[str, int]) -> dict[str, Any]:
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule,
            "name": "".join(part.capitalize() for part in rule.split("-")),
            "shortDescription": {"text": description},
            "defaultConfiguration": {"level": level},
            "properties": {"security-severity": _SECURITY_SEVERITY[level], "tags": ["security", "iam", "ai-agents"]},
        }
        for rule, (level, description) in RULES.items()
    ]
    results = []
    for finding in findings:
        fingerprint = hashlib.sha256(f"{finding.rule}|{finding.principal}|{finding.detail}".encode()).hexdigest()
        results.append({
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule),
            "level": finding.level,
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": inventory},
                    "region": {"startLine": agent_lines.get(finding.agent or "", 1)},
                },
                "logicalLocations": [{"fullyQualifiedName": finding.principal, "kind": "resource"}],
            }],
            "partialFingerprints": {"agentidAuditFinding/v1": fingerprint},
            "properties": {"agent": finding.agent, "detail": finding.detail},
        })
    run = {"tool": {"driver": {"name": TOOL_NAME, "version": "0.1.0", "rules": rules}}, "results": results}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

