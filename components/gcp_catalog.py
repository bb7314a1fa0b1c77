"""The Google Cloud IAM vocabulary: resource names, permissions, predefined roles and escalation permissions.

Two data snapshots answer "is this a real permission", "at which kinds of resource can it be granted", "what
does predefined role X hold" and "does it let the holder reach more than it was given":

- components/data/gcp_roles.json.gz: every predefined role (2,461) and the permissions it holds (13,790 distinct
  permissions), refreshed by scripts/refresh_gcp_roles.py from the public dataset iann0036/iam-dataset (MIT),
  itself taken from Google's IAM API `roles.list?view=FULL`. A permission is "known" when some predefined role
  holds it or a resource kind below lists it.
- components/data/gcp_iam.yaml: the resource kinds the kit grants at with the permissions grantable AT each
  (IAM API `permissions.queryTestablePermissions`, scripts/refresh_gcp_iam.py), the basic roles, and the
  escalation permissions (judgements from Google's guidance). Resources are IAM full resource names
(https://cloud.google.com/iam/docs/full-resource-names), e.g.
`//storage.googleapis.com/projects/_/buckets/BUCKET`.

Pure: no Pulumi, no cloud SDK. The snapshot loads on first use.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from agentid_components import data_yaml

DATA_FILE = Path(__file__).resolve().parent / "data" / "gcp_iam.yaml"
ROLES_FILE = Path(__file__).resolve().parent / "data" / "gcp_roles.json.gz"

# service.resource.verb (https://cloud.google.com/iam/docs/permissions-reference)
PERMISSION = re.compile(r"^[a-z][a-z0-9]*(\.[a-z][A-Za-z0-9]*){2}$")
ROLE = re.compile(r"^roles/[a-z][A-Za-z0-9_.]*$")
# Project ids: 6-30 lower-case letters, digits and hyphens, starting with a letter
# (https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin).
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Each kind's name rule, from the service's naming docs (buckets: 3-63 of a-z0-9_.-; datasets: letters, digits,
# underscore; secrets: letters, digits, _ and -; Pub/Sub: 3-255, starting with a letter; service accounts: e-mail).
_NAME_RULES = {
    "bucket": r"[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]",
    "dataset": r"[A-Za-z0-9_]{1,1024}",
    "secret": r"[A-Za-z0-9_-]{1,255}",
    "topic": r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}",
    "subscription": r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}",
    "service_account": r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com",
    "project": PROJECT_ID.pattern[1:-1],
}


# The same rules in words, for messages.
_NAME_RULE_TEXT = {
    "bucket": "3-63 of a-z, 0-9, '_', '.', '-', starting and ending with a letter or digit",
    "dataset": "1-1024 of letters, digits and '_'",
    "secret": "1-255 of letters, digits, '_' and '-'",
    "topic": "3-255 of letters, digits and . _ ~ + % -, starting with a letter",
    "subscription": "3-255 of letters, digits and . _ ~ + % -, starting with a letter",
    "service_account": "an address ACCOUNT@PROJECT.iam.gserviceaccount.com (ACCOUNT: 6-30 of a-z, 0-9, '-')",
    "project": "6-30 of a-z, 0-9, '-', starting with a letter, not ending with '-'",
}


@dataclass(frozen=True)
class GcpResource:
    """A parsed full resource name: its kind, its project (None for buckets: `projects/_`) and its own name."""

    kind: str
    project: str | None
    name: str
    full_name: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA_FILE)


@lru_cache(maxsize=1)
def _roles() -> dict[str, Any]:
    with ROLES_FILE.open("rb") as handle:
        return json.loads(gzip.decompress(handle.read()))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    patterns = {}
    for kind, entry in _data()["resource_kinds"].items():
        template = re.escape(entry["full_name"]).replace(r"\{project\}", f"(?P<project>{_NAME_RULES['project']})")
        template = template.replace(r"\{name\}", f"(?P<name>{_NAME_RULES[kind]})")
        patterns[kind] = re.compile(f"^{template}$")
    return patterns


def resource_kinds() -> list[str]:
    return list(_data()["resource_kinds"])


def example_names() -> list[str]:
    """One template a kind, for messages: //storage.googleapis.com/projects/_/buckets/{name}, ..."""
    return [entry["full_name"] for entry in _data()["resource_kinds"].values()]


def name_problem(full_name: str) -> str | None:
    """Why `full_name`, shaped like a kind's full resource name, names no valid resource of it; None if it is not
    shaped like any (then the kinds' templates are the useful answer) or is valid."""
    for kind, entry in _data()["resource_kinds"].items():
        template = re.escape(entry["full_name"]).replace(r"\{project\}", "(?P<project>[^/]*)")
        match = re.match("^" + template.replace(r"\{name\}", "(?P<name>[^/]*)") + "$", full_name)
        if not match or _patterns()[kind].match(full_name):
            continue
        groups = match.groupdict()
        project = groups.get("project")
        if project is not None and not PROJECT_ID.match(project):
            return f"'{project}' in {full_name} is not a project id: {_NAME_RULE_TEXT['project']}"
        label = "project id" if kind == "project" else f"{kind.replace('_', ' ')} name"
        return f"'{groups['name']}' is not a valid {label}: {_NAME_RULE_TEXT[kind]}"
    return None


def parse_resource(full_name: str) -> GcpResource | None:
    """The resource a full resource name denotes, or None if it is none of the kinds the kit grants at."""
    for kind, pattern in _patterns().items():
        match = pattern.match(full_name)
        if match:
            groups = match.groupdict()
            project = groups.get("project") if kind != "project" else groups["name"]
            return GcpResource(kind, project, groups["name"], full_name)
    return None


@lru_cache(maxsize=1)
def _permission_kinds() -> dict[str, tuple[str, ...]]:
    kinds: dict[str, list[str]] = {}
    for kind, entry in _data()["resource_kinds"].items():
        for permission in entry["permissions"]:
            kinds.setdefault(permission, []).append(kind)
    return {permission: tuple(found) for permission, found in kinds.items()}


@lru_cache(maxsize=1)
def _known_permissions() -> frozenset[str]:
    return frozenset(_roles()["permissions"]) | frozenset(_permission_kinds())


def is_permission(permission: str) -> bool:
    """Whether `permission` is a real permission: held by a predefined role or grantable at a catalogued kind."""
    return permission in _known_permissions()


def grantable_at(permission: str) -> tuple[str, ...]:
    """The kinds of resource below the project at which `permission` can be granted; () if only the project."""
    return tuple(kind for kind in _permission_kinds().get(permission, ()) if kind != "project")


def _suggest(wrong: str, candidates: list[str], acceptable: Callable[[str], bool]) -> str | None:
    """The closest candidate, if `acceptable` admits it: a did-you-mean never names what validation then refuses,
    and never a farther name in its place (`roles/ownr` gets no hint rather than `roles/browser`)."""
    hint = difflib.get_close_matches(wrong, candidates, n=1, cutoff=0.75)
    return hint[0] if hint and acceptable(hint[0]) else None


def project_only(permission: str) -> bool:
    """Whether the snapshot lists `permission` as grantable at the project and at no narrower kind."""
    return _permission_kinds().get(permission) == ("project",)


def suggest_permission(permission: str, acceptable: Callable[[str], bool] = lambda _: True) -> str | None:
    """The closest known permission (of the same service when it has one close enough), if `acceptable` admits it."""
    service = permission.split(".", 1)[0] + "."
    known = sorted(_known_permissions())
    same_service = [p for p in known if p.startswith(service)]
    if difflib.get_close_matches(permission, same_service, n=1, cutoff=0.75):
        return _suggest(permission, same_service, acceptable)
    return _suggest(permission, known, acceptable)


@dataclass(frozen=True)
class RoleInfo:
    name: str
    basic: bool
    permissions: tuple[str, ...]  # patterns: exact names, or `service.*` / `*.verb` for roles that hold every one

    def grants(self, permission: str) -> bool:
        return any(fnmatchcase(permission, pattern) for pattern in self.permissions)


@lru_cache(maxsize=256)
def role_info(role: str) -> RoleInfo | None:
    """What predefined role `role` (roles/SERVICE.ROLE, or a basic role) holds, or None if it is not one."""
    encoded = _roles()["roles"].get(role)
    if encoded is None:
        return None
    permissions = _roles()["permissions"]
    held = tuple(permissions[int(index, 16)] for index in encoded.split(",")) if encoded else ()
    return RoleInfo(role, is_basic_role(role), held)


def role_stage(role: str) -> str:
    """GA, BETA, ALPHA or DEPRECATED (the launch stage Google gives the role)."""
    return _roles()["stages"].get(role, "GA")


def known_roles() -> list[str]:
    return list(_roles()["roles"])


def is_basic_role(role: str) -> bool:
    """roles/owner, roles/editor, roles/viewer (https://cloud.google.com/iam/docs/roles-overview#basic)."""
    return role in _data()["basic_roles"]


def suggest_role(role: str, acceptable: Callable[[str], bool] = lambda _: True) -> str | None:
    """The closest predefined role, if `acceptable` admits it; else None."""
    return _suggest(role, known_roles(), acceptable)


def escalation_reason(permission: str) -> str | None:
    """Why `permission` lets its holder reach more than it was given, or None.

    `permission` may be a pattern (`storage.*`, `*`, from a hand-written custom role): it escalates if it covers an
    escalation permission of the snapshot (`*.setIamPolicy` entries cover every service's setIamPolicy).
    """
    escalating = _data()["escalation_permissions"]
    if "*" not in permission and "?" not in permission and "[" not in permission:
        # an exact name (every predefined role's permissions): dict look-ups, then the few pattern entries
        found = escalating.get(permission) or escalating.get("*." + permission.rsplit(".", 1)[-1])
        return found or next((reason for pattern, reason in escalating.items()
                              if "*" in pattern and fnmatchcase(permission, pattern)), None)
    for pattern, reason in escalating.items():
        if fnmatchcase(permission, pattern) or _patterns_overlap(permission, pattern):
            return reason
    return None


def _patterns_overlap(pattern: str, escalating: str) -> bool:
    """Whether two permission patterns of the shapes the data uses (`svc.*`, `*.verb`, `*`, exact) share a name."""
    if pattern == "*" or escalating == "*":
        return True
    if escalating.startswith("*."):
        verb = escalating[2:]
        return pattern.endswith(".*") or fnmatchcase(verb, pattern.rsplit(".", 1)[-1])
    return fnmatchcase(escalating, pattern)


def role_escalations(role: RoleInfo) -> list[tuple[str, str]]:
    """(permission pattern, reason) for each permission of `role` that escalates."""
    found = []
    for permission in role.permissions:
        reason = escalation_reason(permission)
        if reason:
            found.append((permission, reason))
    return found


def source() -> str:
    """Where both snapshots come from (for messages and the README)."""
    return f"{_data()['source']}; roles: {_roles()['source']} ({_roles()['licence']})"
