"""Policy-pack config, read and reconciled the way the Pulumi engine does before `Configure`.

The file `pulumi preview --policy-pack-config FILE` reads is a JSON object
mapping a policy name (or `all`) to either an enforcement level
(`"mandatory"`) or an object of properties, optionally holding
`"enforcementLevel"`. Before `Configure`, the engine builds the config of
*every* policy: its default level and the `default`s of its config schema,
then `all`'s level, then the given entries on top; the result is validated
against each policy's schema. `Configure` replaces the pack's whole config, so
sending only the given entries would drop the schema defaults a rule reads.
`all` may also hold pack-wide settings (`ownAccountIds`): each is joined to the
list of every policy whose schema takes it (agentid_policy_packs.rules.pack_settings),
so the packs get one config per policy, as the gate sends it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from agentid.analyzer_client import AnalyzerInfo
from agentid_components import https_url, input_limits
from agentid_policy_packs.rules.pack_settings import ALL, PACK_WIDE, fanned_out, pack_wide
from agentid.preview.stack_config import ConfigError

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")
# Config values a policy declares as URLs (schema `"format": "https-url"`, e.g. AGID-GEN-003's trustedIssuers) obey
# the agent file's URL rules (agentid_components.https_url): an issuer one parser reads as another host, port or
# path than the exact comparison does is refused, wherever the list comes from (waiver file, stack file, JSON file).
# The Pulumi engine ignores formats it does not know, so the schema stays valid for `pulumi preview`.
URL_FORMATS = jsonschema.FormatChecker(formats=())


@URL_FORMATS.checks("https-url", raises=ValueError)
def _https_url(value: object) -> bool:
    why = https_url.problem(value.rstrip("/") or value) if isinstance(value, str) else None
    if why:
        raise ValueError(why)
    return True


def _schema_problem(policy: str, error: jsonschema.ValidationError) -> str:
    """One line for a schema error; a URL format error names the entry and the rule it breaks."""
    if error.validator == "format" and error.cause is not None:
        where = ".".join(str(part) for part in error.absolute_path)
        return f"{policy}.{where}: {str(error.instance)[:200]!r} {error.cause}"
    return f"{policy}: {error.message}"


def read_config_file(file: str | Path) -> dict[str, Any]:
    """Parse a `--policy-pack-config` JSON file; an empty file is no config."""
    try:
        text = input_limits.read_text(file, input_limits.PACK_CONFIG.max_bytes, "policy pack config")
        if not text.strip():
            return {}
        document = input_limits.json_document(text, str(file), input_limits.PACK_CONFIG)
    except input_limits.InputRefused as refused:
        raise ConfigError(str(refused)) from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{file}:{error.lineno}: invalid JSON: {error.msg}") from None
    return parse_config(document, str(file))


def parse_config(document: Any, origin: str) -> dict[str, dict[str, Any]]:
    """Normalise to {policy: {"enforcementLevel"?: level, property: value, ...}}, checking levels."""
    if not isinstance(document, dict):
        raise ConfigError(f"{origin}: policy pack config must be a JSON object of policy name to config")
    parsed: dict[str, dict[str, Any]] = {}
    for policy, value in document.items():
        if isinstance(value, str):
            entry: dict[str, Any] = {"enforcementLevel": value}
        elif isinstance(value, dict):
            entry = dict(value)
        else:
            raise ConfigError(f"{origin}: {policy}: {json.dumps(value)} is not valid; use an enforcement level or an object")
        level = entry.get("enforcementLevel")
        if level is not None and level not in ENFORCEMENT_LEVELS:
            raise ConfigError(f"{origin}: {policy}: {level!r} is not an enforcement level ({', '.join(ENFORCEMENT_LEVELS)})")
        if entry:
            parsed[str(policy)] = entry
    return parsed


def _title_hints(unknown: list[str], known: set[str]) -> str:
    """"use AGID-AWS-001 for aws-no-access-keys" for keys that are the kit's rule titles (the README catalogue
    shows both; the engine keys policy config by policy name, which is the rule id)."""
    from agentid_policy_packs.rules.registry import RULES

    by_title = {rule.title: rule.id for rule in RULES if rule.id in known}
    return ", ".join(f"use {by_title[key]} for {key}" for key in unknown if key in by_title)


def _pack_wide_settings(entry: dict[str, Any], info: AnalyzerInfo, origin: str) -> dict[str, list[str]]:
    """The `all` entry's pack-wide settings; anything else in it (a typo would silently do nothing) is refused."""
    odd = sorted(set(entry) - {"enforcementLevel", *PACK_WIDE})
    if odd:
        raise ConfigError(f"{origin}: {ALL}: {', '.join(odd)} is not a pack-wide setting of {info.name} "
                          f"(pack-wide: {', '.join(PACK_WIDE)}; other settings go under the policy that takes them)")
    wide = pack_wide(entry)
    bad = [key for key in PACK_WIDE if key in entry and key not in wide]
    if bad:
        raise ConfigError(f"{origin}: {ALL}: {bad[0]} must be a list of strings, e.g. [\"111122223333\"]")
    return wide


def reconcile(info: AnalyzerInfo, given: dict[str, dict[str, Any]], origin: str) -> dict[str, dict[str, Any]]:
    """Every policy's full config (level + properties) as the engine sends it to `Configure`."""
    known = {policy.name for policy in info.policies}
    unknown = sorted(set(given) - known - {"all"})
    if unknown:  # the engine ignores these; a typo here would silently leave a rule at its default, so refuse
        hints = _title_hints(unknown, known)
        raise ConfigError(f"{origin}: policy pack {info.name} has no policy {', '.join(unknown)}"
                          + (f"; config is keyed by policy id, not title: {hints}" if hints else
                             f" (its policies: {', '.join(sorted(known))})"))
    all_level = given.get(ALL, {}).get("enforcementLevel")
    wide = _pack_wide_settings(given.get(ALL, {}), info, origin)
    result: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for policy in info.policies:
        schema = policy.config_schema or {}
        properties = {key: spec["default"] for key, spec in schema.items() if isinstance(spec, dict) and "default" in spec}
        entry = dict(given.get(policy.name, {}))
        level = entry.pop("enforcementLevel", None) or all_level or policy.enforcement_level
        properties.update(entry)
        properties = fanned_out(schema, properties, wide)
        if schema:
            validator = jsonschema.Draft7Validator({"type": "object", "properties": schema}, format_checker=URL_FORMATS)
            problems += [_schema_problem(policy.name, error) for error in validator.iter_errors(properties)]
        result[policy.name] = {"enforcementLevel": level, **properties}
    if problems:
        raise ConfigError(f"{origin}: invalid config for policy pack {info.name}: " + "; ".join(problems))
    return result
