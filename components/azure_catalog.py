"""The Azure RBAC vocabulary: scopes, operation strings and privileged built-in roles.

Azure publishes no operation database as a Python package, so operations are
checked by their grammar (`Provider.Namespace/resourceType[/...]/verb`, the verb
being read, write, delete or action) and scopes by their ARM path shape.

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Built-in roles that grant control of the scope itself (or of who may act on
# it). Ids are the same in every tenant.
PRIVILEGED_BUILTIN_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "a8889054-8d42-49c9-bc1c-52486c10e7cd": "Reservations Administrator",
}

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


def privileged_role_name(role_definition_id: str) -> str | None:
    role_id = role_id_of(role_definition_id)
    return PRIVILEGED_BUILTIN_ROLES.get(role_id) if role_id else None
