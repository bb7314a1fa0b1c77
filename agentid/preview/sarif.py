"""The verdict as SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).

* One rule descriptor per policy of every pack run: id, name, short and full
  description, help (remediation steps and the policy's link), default level
  from the severity, and `security-severity` so code scanning ranks it.
* One result per violation: level `error` when it is mandatory (it fails the
  gate), else `warning`/`note`; located at the agent's declaration in the
  stack's agent file when the resource belongs to an agent, otherwise in the
  program; the resource's name and URN in the message and as a logical location;
  a stable fingerprint (policy + URN) so alerts follow the resource across runs.
* A run that reached no verdict still yields a valid log: `executionSuccessful`
  false with the reason as a tool notification; each spec problem or config
  error is also a result (rule `agentid/spec`, `agentid/config`) at its file
  and line, so it annotates the pull request.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import MANDATORY_LEVELS, PackRun, Violation
from agentid.preview.locations import location_of
from agentid.preview.runner import PreviewResult
from agentid_components.text_safety import markdown_text
from agentid_policy_packs.rules.base import category_of

_CATEGORY_IN_DESCRIPTION = re.compile(r"\[category: ([a-z-]+)\]")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "agentid-preview"
SRCROOT = "%SRCROOT%"

# SARIF levels and GitHub's security-severity scores (critical >= 9.0, high >= 7.0, medium >= 4.0).
_LEVEL_OF_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SCORE_OF_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def to_sarif(result: PreviewResult, tool_version: str = "0.1.0") -> dict[str, Any]:
    rules, index_of = _rules(result.packs)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME, "version": tool_version, "rules": rules,
        }},
        "automationDetails": {"id": f"agentid-preview/{result.stack}/"},
        "invocations": [_invocation(result)],
        "results": [_result(result, v, index_of[(v.pack, v.policy)], rules[index_of[(v.pack, v.policy)]]["id"])
                    for v in result.violations] + _expired_waivers(result, rules) + _error_results(result, rules),
        "properties": {"stack": result.stack, "exitCode": result.exit_code, "verdict": result.verdict},
    }
    if result.project is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": result.project.root.resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def rule_id(pack: str, policy: str, clashes: set[str]) -> str:
    return f"{pack}/{policy}" if policy in clashes else policy


def _rules(packs: list[PackRun]) -> tuple[list[dict[str, Any]], dict[tuple[str, str], int]]:
    seen: dict[str, int] = {}
    for pack in packs:
        for policy in pack.policies:
            seen[policy.name] = seen.get(policy.name, 0) + 1
    clashes = {name for name, count in seen.items() if count > 1}  # two packs with one policy name: qualify both
    rules, index_of = [], {}
    for pack in packs:
        for policy in pack.policies:
            index_of[(pack.name, policy.name)] = len(rules)
            rules.append(_rule(pack, policy, rule_id(pack.name, policy.name, clashes)))
    return rules, index_of


def _rule(pack: PackRun, policy: PolicyInfo, identifier: str) -> dict[str, Any]:
    level = pack.config.get(policy.name, {}).get("enforcementLevel", policy.enforcement_level)
    summary = policy.description.strip().splitlines()[0] if policy.description.strip() else policy.name
    help_text = policy.remediation or "See the policy's description."
    help_markdown = f"**Remediation.** {markdown_text(policy.remediation or 'See the description.')}"
    if policy.url:
        help_text += f"\nMore: {policy.url}"
        link = quote(policy.url, safe=":/?#[]@!$&()*+,;=%~", errors="replace")  # no space or '>' can end the link early
        help_markdown += f"\n\n[More about {markdown_text(policy.name)}](<{link}>)"
    rule: dict[str, Any] = {
        "id": identifier,
        "name": _pascal(policy.name),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{policy.description or policy.name} (policy pack {pack.name} {pack.version}, "
                                    f"enforcement level {level})".strip()},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": _default_level(policy.severity, level), "enabled": level != "disabled"},
        "properties": {"tags": ["security", "iam", pack.name], "enforcementLevel": level,
                       "severity": policy.severity or "unspecified", "policyPack": pack.name},
    }
    category = _CATEGORY_IN_DESCRIPTION.search(policy.description or "")
    if category:  # agent_guard's policies name their category (agentid_policy_packs.rules.crossguard.to_policy)
        rule["properties"]["tags"].append(category.group(1))
        rule["properties"]["category"] = category.group(1)
    if policy.url:
        rule["helpUri"] = policy.url
    if policy.severity in _SCORE_OF_SEVERITY:
        rule["properties"]["security-severity"] = _SCORE_OF_SEVERITY[policy.severity]
    return rule


def _default_level(severity: str, enforcement_level: str) -> str:
    if severity in _LEVEL_OF_SEVERITY:
        return _LEVEL_OF_SEVERITY[severity]
    return "error" if enforcement_level in ("mandatory", "remediate") else "warning"


def _result(result: PreviewResult, violation: Violation, index: int, identifier: str) -> dict[str, Any]:
    resource = result.resource(violation.urn) if violation.urn else None
    file, line = location_of(result, violation.urn)
    subject = f"resource {resource.name} ({violation.urn})" if resource else f"stack {result.stack}"
    category, message = category_of(violation.message.strip())
    message = message or violation.description
    text = f"{message} [{subject}]"
    if violation.remediation:
        text += f" Remediation: {violation.remediation}"
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(file, errors="replace"), "uriBaseId": SRCROOT},
            "region": {"startLine": line},
        },
    }
    if resource:
        location["logicalLocations"] = [{"name": resource.name, "fullyQualifiedName": violation.urn,
                                         "kind": "resource"}]
    agent = result.agent_of.get(violation.urn) if violation.urn else None
    return {
        "ruleId": identifier,
        "ruleIndex": index,
        "level": _result_level(violation),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"agentidViolation/v1": hashlib.sha256(
            f"{violation.pack}|{violation.policy}|{violation.urn}".encode("utf-8", "surrogatepass")).hexdigest(),
            # this finding's content too: what a waiver's `finding:` pins (waivers.finding_fingerprint)
            "agentidFinding/v1": violation.finding},
        "properties": {
            "urn": violation.urn, "resourceName": resource.name if resource else "",
            "resourceType": resource.type if resource else "", "agent": agent or "",
            "enforcementLevel": violation.enforcement_level, "severity": violation.severity or "unspecified",
            "policyPack": violation.pack, "unknown": violation.unknown,
            **({"category": category, "tags": [category]} if category else {}),
        },
        **_suppressions(violation),
    }


def _suppressions(violation: Violation) -> dict[str, Any]:
    """A waived violation stays a result, suppressed with its waiver's justification (SARIF 2.1.0 §3.35)."""
    if violation.waiver is None:
        return {}
    return {"suppressions": [{"kind": "external", "status": "accepted",
                              "justification": violation.waiver.justification,
                              "properties": {"approver": violation.waiver.approver,
                                             "expires": violation.waiver.expires.isoformat(),
                                             **({"finding": violation.waiver.finding}
                                                if violation.waiver.finding else {})}}]}


WAIVER_EXPIRED_RULE = "agentid-waiver-expired"


def _expired_waivers(result: PreviewResult, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An expired waiver is itself a blocking result, at its line in the waiver file."""
    expired = [f for f in result.waiver_findings if f.blocking]
    if not expired:
        return []
    rules.append({"id": WAIVER_EXPIRED_RULE, "name": "WaiverExpired",
                  "shortDescription": {"text": "A waiver has expired: renew it (with a new approval) or remove it."},
                  "defaultConfiguration": {"level": "error"},
                  "properties": {"tags": ["security", "waiver"], "enforcementLevel": "mandatory"}})
    origin = result.waivers.origin.split(":")[-1] if result.waivers else "waivers.yaml"
    return [{"ruleId": WAIVER_EXPIRED_RULE, "ruleIndex": len(rules) - 1, "level": "error",
             "message": {"text": finding.message},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": origin, "uriBaseId": SRCROOT},
                                                 "region": {"startLine": max(finding.waiver.line, 1)}}}],
             "partialFingerprints": {"agentidWaiver/v1": hashlib.sha256(
                 f"{finding.waiver.rule}|{finding.waiver.resource}".encode()).hexdigest()}}
            for finding in expired]


def _result_level(violation: Violation) -> str:
    if violation.mandatory or (violation.waiver is not None and violation.enforcement_level in MANDATORY_LEVELS):
        return "error"
    return "note" if violation.severity == "low" else "warning"


def _invocation(result: PreviewResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": result.error is None, "exitCode": result.exit_code}
    notes = [*(f"enforcement floor: {note}" for note in result.floor_notes),
             *(f"cloaking: {line}" for line in result.cloaking),
             *(f"secure config read as plain text (cannot check): {key}" for key in result.secret_reads),
             *(f"cannot check: the program registers work inside an apply on a value unknown at preview: {spot}"
               for spot in result.unknown_applies),
             *(f.message for f in result.waiver_findings if not f.blocking)]
    if notes and not result.error:
        invocation["toolConfigurationNotifications"] = [{"level": "warning", "message": {"text": n}} for n in notes]
    if result.error:
        problems = [str(p) for p in result.spec_problems]
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"{result.error_kind} error: {result.error}"}},
            *({"level": "error", "message": {"text": p}} for p in problems),
        ]
    return invocation


# Errors that stop the gate before a verdict, as rules of their own (results need a rule to annotate a line).
_ERROR_RULES = {
    "spec": ("agentid/spec", "The stack's agent file breaks the agent spec (README.md, \"Agent spec reference\")."),
    "config": ("agentid/config", "The stack's configuration is invalid or refused by the components."),
}


def _error_results(result: PreviewResult, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One `error` result per spec problem, or one for a config error, at its file and line.

    Appends the rule descriptor it uses to `rules`. Program and pack errors stay notifications only (a
    traceback or a pack has no line of the stack's files to annotate).
    """
    if not result.error or result.error_kind not in _ERROR_RULES:
        return []
    rule_id, description = _ERROR_RULES[result.error_kind]
    rules.append({"id": rule_id, "name": _pascal(rule_id.split("/")[1]) + "Error",
                  "shortDescription": {"text": description}, "defaultConfiguration": {"level": "error"},
                  "properties": {"tags": ["agentid"], "security-severity": _SCORE_OF_SEVERITY["high"]}})
    index = len(rules) - 1
    if result.spec_problems:
        located = [(p.file, p.line, f"{p.path}: {p.message}" if p.path else p.message) for p in result.spec_problems]
    else:
        file, line = _error_location(result)
        located = [(file, line, result.error.splitlines()[0])]
    return [{
        "ruleId": rule_id, "ruleIndex": index, "level": "error", "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(file, errors="replace"), "uriBaseId": SRCROOT},
                                            "region": {"startLine": max(1, line)}}}],
        "partialFingerprints": {"agentidError/v1": hashlib.sha256(
            f"{rule_id}|{file}|{text}".encode("utf-8", "surrogatepass")).hexdigest()},
    } for file, line, text in located]


_CONFIG_KEY = re.compile(r"^\s*(?:[\w.-]+:)?([A-Za-z][\w.-]*):")  # `  agent-identity-kit:azureResourceGroup: rg`


def _error_location(result: PreviewResult) -> tuple[str, int]:
    """A config error: the stack's config file, at the first key the message names (else line 1)."""
    project = result.project
    if project is None:
        return "Pulumi.yaml", 1
    file = result.config.file if result.config is not None else project.file
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return project.relative(file), 1
    for number, text in enumerate(lines, 1):
        match = _CONFIG_KEY.match(text)
        if match and match.group(1) != "config" and re.search(rf"\b{re.escape(match.group(1))}\b", result.error):
            return project.relative(file), number
    return project.relative(file), 1


def _pascal(name: str) -> str:
    parts = [p for p in name.replace("_", "-").split("-") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or name
