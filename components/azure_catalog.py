"""The Azure RBAC vocabulary: scopes, operations and built-in role definitions.

Two data snapshots (components/data/, refreshed by scripts/refresh_azure_catalog.py
from `az role definition list` and `az provider operation list`) answer "is this
a real operation, and of which plane" and "what does built-in role GUID X grant".
Scopes are checked by their ARM path shape. Built-in role ids are the same in
every tenant of the public cloud.

Pure: no Pulumi, no cloud SDK. The snapshots load on first use (about 30 ms).
"""

from __future__ import annotations

import bisect
import difflib
import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
# What makes an Azure role privileged, by effect (its own header says the shape and sources): the pack's
# AGID-AZ-012 judges roles by it, and the components refuse its exact operations in a spec.
CAPABILITIES_FILE = DATA / "azure_capabilities.yaml"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_NAME = r"[^/\s]+"
_ROLE_ID = re.compile(rf"(?:^|/roleDefinitions/)({_UUID})$", re.IGNORECASE)

_SUBSCRIPTION = re.compile(rf"^/subscriptions/({_UUID})$", re.IGNORECASE)
_RESOURCE_GROUP = re.compile(rf"^/subscriptions/({_UUID})/resourceGroups/({_NAME})$", re.IGNORECASE)
_RESOURCE = re.compile(
    rf"^/subscriptions/({_UUID})/resourceGroups/({_NAME})/providers/"
    rf"([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)((?:/{_NAME}/{_NAME})+)$",
    re.IGNORECASE,
)
_MANAGEMENT_GROUP = re.compile(rf"^/providers/Microsoft\.Management/managementGroups/({_NAME})$", re.IGNORECASE)

# Provider.Namespace / type [/ subtype ...] / verb   (verb: read | write | delete | action)
_OPERATION = re.compile(
    r"^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+(?:/[A-Za-z][A-Za-z0-9._-]*)*/(?:read|write|delete|action)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Scope:
    """An ARM scope, classified by level."""

    level: str  # root | management_group | subscription | resource_group | resource | invalid
    path: str

    @property
    def is_broad(self) -> bool:
        """Root, management-group and subscription scopes reach far beyond one agent's resources."""
        return self.level in ("root", "management_group", "subscription")


def parse_scope(scope: str) -> Scope:
    path = scope.strip().rstrip("/") or "/"
    if path == "/":
        return Scope("root", "/")
    if _MANAGEMENT_GROUP.match(path):
        return Scope("management_group", path)
    if _SUBSCRIPTION.match(path):
        return Scope("subscription", path)
    if _RESOURCE_GROUP.match(path):
        return Scope("resource_group", path)
    if _RESOURCE.match(path):
        return Scope("resource", path)
    return Scope("invalid", path)


def subscription_of(scope: str) -> str | None:
    match = re.match(rf"^/subscriptions/({_UUID})", scope.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else None


def is_operation(operation: str) -> bool:
    """True for a concrete operation string; wildcards are not operations."""
    return bool(_OPERATION.match(operation))


def role_id_of(role_definition_id: str) -> str | None:
    """The role's GUID from `/subscriptions/.../roleDefinitions/<guid>` or a bare GUID."""
    match = _ROLE_ID.search(role_definition_id.strip())
    return match.group(1).lower() if match else None


# --- built-in role definitions (snapshot of `az role definition list`) ---------------


@dataclass(frozen=True)
class BuiltinRole:
    """One built-in role: its GUID, name and permission blocks as `az role definition list` gives them.

    Each block is a dict with `actions`, `notActions`, `dataActions`, `notDataActions` (lists of
    operation patterns) and, for a few roles, `condition` (an ABAC condition on the block).
    """

    id: str
    name: str
    permissions: tuple[dict[str, Any], ...]


@lru_cache(maxsize=1)
def _roles_snapshot() -> dict[str, Any]:
    with gzip.open(DATA / "azure_builtin_roles.json.gz", "rt") as handle:
        return json.load(handle)


def roles_source() -> str:
    """Where the built-in role snapshot came from (recorded by the refresh script)."""
    return _roles_snapshot()["source"]


def builtin_role(role_definition_id: str) -> BuiltinRole | None:
    """The built-in role named by a GUID or a `.../roleDefinitions/<guid>` id; None if it is not built in."""
    role_id = role_id_of(role_definition_id)
    entry = _roles_snapshot()["roles"].get(role_id) if role_id else None
    if entry is None:
        return None
    return BuiltinRole(role_id, entry["name"], tuple(entry["permissions"]))


@lru_cache(maxsize=1)
def _roles_by_name() -> dict[str, str]:
    return {entry["name"].lower(): guid for guid, entry in _roles_snapshot()["roles"].items()}


def builtin_role_id(name: str) -> str | None:
    """The GUID of the built-in role called `name` (case-insensitive), e.g. "Owner"."""
    return _roles_by_name().get(name.strip().lower())


# --- provider operations (snapshot of `az provider operation list`) ---------------------

ACTIONS = "actions"
DATA_ACTIONS = "dataActions"


@lru_cache(maxsize=1)
def _operations() -> dict[str, tuple[str, str]]:
    """Lower-cased operation -> (canonical spelling, plane)."""
    with gzip.open(DATA / "azure_operations.json.gz", "rt") as handle:
        providers = json.load(handle)["providers"]
    table: dict[str, tuple[str, str]] = {}
    for planes in providers.values():
        for plane in (ACTIONS, DATA_ACTIONS):
            for operation in planes[plane]:
                table.setdefault(operation.lower(), (operation, plane))
    return table


@lru_cache(maxsize=1)
def _providers() -> dict[str, str]:
    """Lower-cased namespace -> canonical spelling."""
    names: dict[str, str] = {}
    for operation, _ in _operations().values():
        namespace = operation.split("/", 1)[0]
        names.setdefault(namespace.lower(), namespace)
    return names


def operation_plane(operation: str) -> str | None:
    """`actions` (control plane) or `dataActions` for a known operation; None if Azure has no such operation."""
    entry = _operations().get(operation.strip().lower())
    return entry[1] if entry else None


def provider_exists(namespace: str) -> bool:
    return namespace.strip().lower() in _providers()


def suggest_operation(operation: str) -> str | None:
    """The closest known operation of the same provider, for did-you-mean messages (None for an unknown provider:
    suggest_provider answers that). Bounded: one provider's operations, the first 300 characters."""
    lowered = operation.strip().lower()[:300]
    parts = lowered.split("/")
    # the operations of the same resource type if there are any, else of the same provider
    candidates = _with_prefix("/".join(parts[:2]) + "/") if len(parts) > 2 else []
    candidates = candidates or _with_prefix(parts[0] + "/")
    match = difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.75) if candidates else []
    return _operations()[match[0]][0] if match else None


def suggest_provider(namespace: str) -> str | None:
    match = difflib.get_close_matches(namespace.strip().lower(), list(_providers()), n=1, cutoff=0.7)
    return _providers()[match[0]] if match else None


@lru_cache(maxsize=4096)
def operation_pattern(pattern: str) -> re.Pattern[str]:
    """An Azure operation pattern as a regex over lower-cased operations, matched as Azure matches them:
    `*` matches any characters, `/` included, and a whole `/*/` segment may match nothing (Managed Identity
    Operator's `userAssignedIdentities/*/assign/action` grants `userAssignedIdentities/assign/action`)."""
    regex = ".*".join(re.escape(piece) for piece in pattern.strip().lower().split("*")).replace("/.*/", "/(?:.*/)?")
    return re.compile(regex, re.DOTALL)


@lru_cache(maxsize=4096)
def expand(pattern: str, plane: str) -> tuple[str, ...]:
    """The known operations of `plane` a pattern stands for (see operation_pattern). Cached: built-in roles
    repeat the same patterns (`*/read`, `Microsoft.Support/*`), and one expansion scans 22,000 operations."""
    lowered = pattern.strip().lower()
    if "*" not in lowered:
        entry = _operations().get(lowered)
        return (entry[0],) if entry and entry[1] == plane else ()
    regex = operation_pattern(lowered)
    prefix = lowered.split("*", 1)[0]  # only operations starting with the literal prefix can match
    suffix = lowered.rsplit("*", 1)[1]  # ... and ending with the literal after the last `*` (a cheap filter first:
    keys = _sorted_operations()         # `*/listKeys/action` patterns scan all 22,000 operations)
    start = bisect.bisect_left(keys, prefix)
    end = bisect.bisect_left(keys, prefix + "\U0010ffff", start) if prefix else len(keys)
    table = _operations()
    found = []
    for key in [k for k in keys[start:end] if k.endswith(suffix)]:
        canonical, p = table[key]
        if p == plane and regex.fullmatch(key):
            found.append(canonical)
    return tuple(found)


def _with_prefix(prefix: str) -> list[str]:
    keys = _sorted_operations()
    found = []
    for key in keys[bisect.bisect_left(keys, prefix):]:
        if not key.startswith(prefix):
            break
        found.append(key)
    return found


@lru_cache(maxsize=1)
def _sorted_operations() -> list[str]:
    return sorted(_operations())


# The operations each capability's `operation_patterns` add, precomputed (expanding the patterns scans the
# 22,000-operation snapshot: ~0.07 s of CPU in each process that judges or compiles Azure roles, the pack and the
# program, issue 17). Generated by `python -m agentid_components.azure_catalog` and keyed by the SHA-256 of the two
# files it is derived from: a file whose key does not match is ignored and the patterns are expanded as before,
# so a refreshed snapshot or an edited capability file is never read through a stale expansion
# (tests/policy/test_azure_operation_patterns.py checks the checked-in file is current).
EXPANSION_FILE = DATA / "azure_capability_expansion.json"
_EXPANSION_SOURCES = ("azure_capabilities.yaml", "azure_operations.json.gz")


def _expansion_key() -> dict[str, str]:
    import hashlib  # noqa: PLC0415
    return {name: hashlib.sha256((DATA / name).read_bytes()).hexdigest() for name in _EXPANSION_SOURCES}


def _expanded_operations(raw: dict[str, Any]) -> dict[str, list[str]]:
    """Capability id -> the snapshot operations its patterns add (in order), as capability_catalogue adds them:
    the precomputed file when its key is these files' hashes, else by expanding each pattern."""
    try:
        stored = json.loads(EXPANSION_FILE.read_text(encoding="utf-8"))
        if stored.get("sha256") == _expansion_key() and isinstance(stored.get("added"), dict):
            return stored["added"]
    except (OSError, ValueError, AttributeError):
        pass
    return expand_patterns(raw)


def expand_patterns(raw: dict[str, Any]) -> dict[str, list[str]]:
    """Capability id -> the snapshot operations of its plane that one of `raw`'s operation_patterns assigns to it,
    unless the pattern's `except` names it with a reason or a capability already lists it (or gained it first)."""
    planes = {capability["id"]: capability["plane"] for capability in raw["capabilities"]}
    listed = {operation.lower() for capability in raw["capabilities"] for operation in capability["operations"]}
    added: dict[str, list[str]] = {}
    for entry in raw.get("operation_patterns", []):
        excepted = {item["operation"].lower() for item in entry.get("except", [])}
        for operation in expand(entry["pattern"], planes[entry["capability"]]):
            if operation.lower() not in listed and operation.lower() not in excepted:
                added.setdefault(entry["capability"], []).append(operation)
                listed.add(operation.lower())
    return added


def write_expansion() -> None:
    """Regenerate EXPANSION_FILE from the capability file and the operations snapshot."""
    from agentid_components import data_yaml  # noqa: PLC0415

    document = {"generated_by": "python -m agentid_components.azure_catalog",
                "sha256": _expansion_key(), "added": expand_patterns(data_yaml.load(CAPABILITIES_FILE))}
    EXPANSION_FILE.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def capability_catalogue() -> tuple[dict[str, Any], ...]:
    """The capabilities of azure_capabilities.yaml, each with its operations: the ones it lists, then every snapshot
    operation of its plane that one of the file's `operation_patterns` assigns to it (slot, legacy, enterprise and
    other-plane twins of a listed operation), unless the pattern's `except` names it with a reason or another
    capability already lists it. A refreshed snapshot's new `*/listKeys/action` is privileged without an edit."""
    from agentid_components import data_yaml  # noqa: PLC0415 - only the spec compiler and the pack need it

    raw = data_yaml.load(CAPABILITIES_FILE)
    added = _expanded_operations(raw)
    return tuple(dict(capability, operations=[*capability["operations"], *added.get(capability["id"], ())])
                 for capability in raw["capabilities"])


@lru_cache(maxsize=1)
def privileged_operations() -> dict[str, str]:
    """Lower-cased exact operation -> what its holder can do, for every capability of azure_capabilities.yaml that
    an exact operation grants (those marked `wildcard: true` count only as wildcards: one exact vault data action is
    what a tool needs), operation patterns expanded (capability_catalogue)."""
    return {operation.lower(): capability["effect"] for capability in capability_catalogue()
            if not capability.get("wildcard") for operation in capability["operations"]}


if __name__ == "__main__":
    write_expansion()
