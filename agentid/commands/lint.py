"""`agentid lint FILE...`: the agent_guard analysis on raw IAM policy and Azure role-definition JSON files.

For pre-commit hooks and pull requests. Each file is classified (identity,
trust or resource policy; Azure role definition) and judged by the same rules
the pack runs at deploy time. Exit 0 clean, 1 findings, 2 unreadable or
unrecognised input (one line on stderr per bad file).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2
_SARIF_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def lint(
    files: Annotated[list[Path], typer.Argument(help="IAM policy or Azure role-definition JSON files.",
                                                show_default=False)],
    format: Annotated[LintFormat, typer.Option("--format", "-f", help="Output format.")] = LintFormat.text,
) -> None:
    """Judge IAM policies and Azure role definitions: broad grants, escalation, weak trust, unreadable documents."""
    from components import input_limits
    from components.text_safety import visible
    from policy_packs.rules.files import AZURE_ROLE, NotADocument, classify, lint_document

    results: list[dict] = []
    invalid = False
    for file in files:
        try:
            text = input_limits.read_text(file, input_limits.LINT_FILE.max_bytes, "policy file")
            decoded = input_limits.json_document(text, str(file), input_limits.LINT_FILE)
            kind, document = classify(decoded)
        except input_limits.InputRefused as refused:
            typer.echo(visible(str(refused)), err=True)
            invalid = True
            continue
        except ValueError as error:  # JSONDecodeError and NotADocument
            reason = str(error) if isinstance(error, NotADocument) else f"invalid JSON: {error}"
            line = getattr(error, "lineno", 1)
            typer.echo(visible(f"{file}:{line}: {reason}"), err=True)
            invalid = True
            continue
        if document is decoded and kind != AZURE_ROLE:
            document = text  # the rules parse JSON text once and share it
        for finding in lint_document(kind, document, file.name):
            results.append({"file": str(file), "kind": kind, "rule": finding.rule.id, "title": finding.rule.title,
                            "severity": finding.rule.severity, "category": finding.category,
                            "message": finding.message})
    _print(results, format, len(files))
    raise typer.Exit(EXIT_INVALID if invalid else EXIT_FINDINGS if results else EXIT_CLEAN)


def _print(results: list[dict], format: LintFormat, file_count: int) -> None:
    if format is LintFormat.json:
        typer.echo(json.dumps(results, indent=2))
    elif format is LintFormat.sarif:
        typer.echo(json.dumps(sarif(results), indent=2))
    else:
        from components.text_safety import visible

        for result in results:  # file names and policy text are the user's: no escape code reaches the terminal
            typer.echo(visible(f"{result['file']}: {result['rule']} [{result['severity']}] {result['message']}"))
        files_with = len({r["file"] for r in results})
        typer.echo(f"{len(results)} finding{'s' if len(results) != 1 else ''} in {files_with} of {file_count} "
                   f"file{'s' if file_count != 1 else ''}")


def sarif(results: list[dict]) -> dict:
    """SARIF 2.1.0, as GitHub code scanning reads it: one run, the rules that fired, one result each."""
    from urllib.parse import quote

    from policy_packs.rules.registry import RULES_BY_ID

    fired = sorted({r["rule"] for r in results})
    rules = [{
        "id": rule.id, "name": rule.title,
        "shortDescription": {"text": rule.description},
        "help": {"text": rule.remediation}, "helpUri": rule.url,
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"security-severity": {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}[
            rule.severity], "tags": ["security", "iam", rule.category], "category": rule.category},
    } for rule in (RULES_BY_ID[rule_id] for rule_id in fired)]
    index = {rule_id: i for i, rule_id in enumerate(fired)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "agentid lint", "rules": rules}},
            "results": [{
                "ruleId": r["rule"], "ruleIndex": index[r["rule"]], "level": _SARIF_LEVELS[r["severity"]],
                "message": {"text": r["message"]},
                "properties": {"category": r["category"], "tags": [r["category"]]},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(Path(r["file"]).as_posix(), errors="replace")},
                                                    "region": {"startLine": 1}}}],
            } for r in results],
        }],
    }


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
