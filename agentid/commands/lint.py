"""`agentid lint FILE...`: the agent_guard analysis on raw IAM policy and Azure role-definition JSON files.

For pre-commit hooks and pull requests. Each file is classified (identity,
trust or resource policy; Azure role definition) and judged by the same rules
the pack runs at deploy time. Exit 0 clean, 1 findings, 2 unreadable or
unrecognised input (one line on stderr per bad file; the JSON and SARIF reports
say the run failed).
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

import typer

from agentid.commands.own_options import (
    OwnAccounts,
    OwnGcpProjects,
    OwnOrganizations,
    OwnS3Buckets,
    TrustedAzureDevOpsOrganizations,
    TrustedGitLabGroups,
    TrustedIssuers,
    TrustedRepositoryOwners,
    TrustedTerraformOrganizations,
    trusted_tenants,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2
_SARIF_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def lint(
    files: Annotated[list[Path], typer.Argument(
        help="IAM policy or Azure role-definition JSON files (AWS CLI output included), or directories holding them.",
        metavar="FILE_OR_DIR...", show_default=False)],
    format: Annotated[LintFormat, typer.Option("--format", "-f", help="Output format.")] = LintFormat.text,
    own_accounts: OwnAccounts = [],  # noqa: B006
    own_organizations: OwnOrganizations = [],  # noqa: B006
    own_s3_buckets: OwnS3Buckets = [],  # noqa: B006
    trusted_repository_owners: TrustedRepositoryOwners = [],  # noqa: B006
    trusted_gitlab_groups: TrustedGitLabGroups = [],  # noqa: B006
    trusted_terraform_organizations: TrustedTerraformOrganizations = [],  # noqa: B006
    trusted_azure_devops_organizations: TrustedAzureDevOpsOrganizations = [],  # noqa: B006
    trusted_issuers: TrustedIssuers = [],  # noqa: B006
    own_gcp_projects: OwnGcpProjects = [],  # noqa: B006
) -> None:
    """Judge IAM policies and Azure role definitions: broad grants, escalation, weak trust, unreadable documents.

    Reads plain documents and the AWS CLI's outputs (get-policy-version, get-role, get-role-policy,
    get-account-authorization-details; URL-encoded documents too). A directory stands for its *.json files.

    Exit codes: 0 clean; 1 findings; 2 an unreadable or unrecognised file (the JSON and SARIF reports then say
    the run failed: executionSuccessful false), or a usage error.
    """
    from agentid.paths import expand
    from agentid_components import input_limits
    from agentid_components.text_safety import visible
    from agentid_policy_packs.rules.files import AZURE_ROLE, NotADocument, documents_in, lint_document

    settings = _settings(own_accounts, own_organizations, own_s3_buckets) | _trust_settings(
        trusted_tenants(trusted_repository_owners, trusted_gitlab_groups, trusted_terraform_organizations,
                        trusted_azure_devops_organizations), trusted_issuers, own_gcp_projects)
    results: list[dict] = []
    errors: list[dict] = []
    paths = expand(files, (".json",))
    for file in paths:
        try:
            text = input_limits.read_text(file, input_limits.LINT_FILE.max_bytes, "policy file")
            if text.lstrip()[:3].upper() == "%7B":  # a whole document URL-encoded, as the raw IAM API returns it
                text = unquote(text)
            decoded = input_limits.json_document(text, str(file), input_limits.LINT_FILE)
            documents = documents_in(decoded)
        except input_limits.InputRefused as refused:
            errors.append({"file": str(file), "line": refused.line, "message": str(refused)})
            continue
        except ValueError as error:  # JSONDecodeError and NotADocument
            reason = str(error) if isinstance(error, NotADocument) else f"invalid JSON: {error}"
            line = getattr(error, "lineno", 1)
            errors.append({"file": str(file), "line": line, "message": f"{file}:{line}: {reason}"})
            continue
        lines = None
        for where, kind, document in documents:
            if where == () and document is decoded and kind != AZURE_ROLE:
                document = text  # the rules parse JSON text once and share it
            for finding in lint_document(kind, document, file.name, settings=settings):
                lines = _line_map(text) if lines is None else lines
                results.append({"file": str(file), "document": _format_path(where), "kind": kind,
                                "rule": finding.rule.id, "title": finding.rule.title, "severity": finding.rule.severity,
                                "category": finding.category, "message": finding.message, "line": _finding_line(lines, where, finding.message)})
    for error in errors:
        typer.echo(visible(error["message"]), err=True)
    _print(results, errors, format, len(paths))
    raise typer.Exit(EXIT_INVALID if errors else EXIT_FINDINGS if results else EXIT_CLEAN)


def _settings(accounts: list[str], organizations: list[str], buckets: list[str]) -> dict[str, list[str]]:
    """The pack-wide own-id settings from the options, checked as `agentid preview` checks them (exit 2 naming
    the first bad value)."""
    if not (accounts or organizations or buckets):
        return {}
    from agentid.preview.runner import checked_accounts, checked_aws_ids
    from agentid.preview.stack_config import ConfigError

    try:
        return {"ownAccountIds": checked_accounts([a.strip() for a in accounts]),
                **checked_aws_ids({"ownOrganizationIds": organizations, "ownS3Buckets": buckets})}
    except ConfigError as error:
        typer.echo(f"agentid lint: {error}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _trust_settings(tenants: dict[str, list[str]], issuers: list[str], projects: list[str]) -> dict[str, list[str]]:
    """The own tenants, issuers and GCP projects a trust policy is judged with (the same pack-wide settings, checked
    the same way, as `agentid preview --trusted-repository-owner / --trusted-issuer / --own-gcp-project`); exit 2
    naming the first bad value. None given: a pinned platform subject or a cluster issuer is "cannot tell"."""
    if not (any(tenants.values()) or issuers or projects):
        return {}
    from agentid.preview import trusted_issuers
    from agentid.preview.runner import checked_gcp, checked_tenants
    from agentid.preview.stack_config import ConfigError

    try:
        settings = {k: v for k, v in checked_tenants(tenants).items() if v}
        if issuers:
            settings["trustedIssuers"] = list(trusted_issuers.checked(issuers))
        if projects:
            settings["ownGcpProjects"] = checked_gcp([], projects)["ownGcpProjects"]
        return settings
    except ConfigError as error:
        typer.echo(f"agentid lint: {error}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _format_path(path: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else (f".{part}" if i else part) for i, part in enumerate(path))


def _line_map(text: str) -> dict[tuple, int]:
    """Line of every key and list item of a JSON text (JSON is YAML: libyaml keeps each node's line); {} if unparsable."""
    import yaml

    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
                lines[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if root is not None:
            walk(root, ())
    except Exception:  # noqa: BLE001 - JSON that YAML reads differently: locations fall back to line 1
        return {}
    return lines


def _finding_line(lines: dict[tuple, int], where: tuple, message: str) -> int:
    """The line of the statement a finding names (`Statement[2]`), else of the document, else 1."""
    match = re.search(r"Statement\[(\d+)\]", message)
    if match:
        for path in (where + ("Statement", int(match.group(1))), where + ("Statement",)):
            if path in lines:
                return lines[path]
    return lines.get(where, 1)


def _print(results: list[dict], errors: list[dict], format: LintFormat, file_count: int) -> None:
    if format is LintFormat.json:
        typer.echo(json.dumps({"executionSuccessful": not errors, "errors": errors, "findings": results}, indent=2))
    elif format is LintFormat.sarif:
        typer.echo(json.dumps(sarif(results, errors), indent=2))
    else:
        from agentid_components.text_safety import visible

        for result in results:  # file names and policy text are the user's: no escape code reaches the terminal
            typer.echo(visible(f"{result['file']}: {result['rule']} [{result['severity']}] {result['message']}"))
        files_with = len({r["file"] for r in results})
        typer.echo(f"{len(results)} finding{'s' if len(results) != 1 else ''} in {files_with} of {file_count} "
                   f"file{'s' if file_count != 1 else ''}")


def sarif(results: list[dict], errors: list[dict] = ()) -> dict:
    """SARIF 2.1.0, as GitHub code scanning reads it: one run, the rules that fired, one result each at the
    statement's line; an unreadable file makes the run unsuccessful (`executionSuccessful` false, the reason a
    tool notification at the file)."""
    from urllib.parse import quote

    from agentid_policy_packs.rules.registry import RULES_BY_ID

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
                                                    "region": {"startLine": max(1, r["line"])}}}],
            } for r in results],
            "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": [{
                "level": "error", "message": {"text": e["message"]},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(Path(e["file"]).as_posix(), errors="replace")},
                                                    "region": {"startLine": max(1, e["line"])}}}],
            } for e in errors]}],
        }],
    }


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
