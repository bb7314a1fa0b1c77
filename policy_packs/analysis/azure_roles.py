"""Azure RBAC: custom role definitions, role assignments and federated identity credentials.

Findings (codes):
  azure-all-actions           `*` in actions or dataActions: every operation of every provider
  azure-authorization-write   Microsoft.Authorization writes (role assignments/definitions): can grant itself more
  azure-service-wide          `Provider.Namespace/*` or `*/verb`: a whole service (or every service)
  azure-broad-assignable      assignable at root, management-group or subscription scope
  azure-privileged-role       assignment of a privileged built-in role (Owner, Contributor, ...)
  azure-broad-scope           assignment at root, management-group or subscription scope
  azure-invalid               a definition or scope we cannot read (fail closed)
  fic-wildcard-subject        federated credential subject with a wildcard
  fic-claims-expression       claims-matching expression that admits more than one subject
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from components import azure_catalog

from .findings import Finding
from .values import as_list


class RoleDefinitionError(ValueError):
    """Not a role definition we can judge."""


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    permissions: tuple[Permission, ...]
    assignable_scopes: tuple[str, ...]


def _get(raw: dict, *names: str) -> Any:
    """A field under any of its spellings (ARM camelCase, Azure CLI PascalCase)."""
    for name in names:
        if name in raw:
            return raw[name]
    return None


def _operations(value: Any, what: str) -> tuple[str, ...]:
    items = as_list(value)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise RoleDefinitionError(f"{what} must be a list of operation strings")
    return tuple(item.strip() for item in items)


def parse_permissions(raw_permissions: Any) -> tuple[Permission, ...]:
    if not isinstance(raw_permissions, list) or not all(isinstance(p, dict) for p in raw_permissions):
        raise RoleDefinitionError("permissions must be a list of objects")
    return tuple(
        Permission(
            actions=_operations(_get(p, "actions", "Actions"), "actions"),
            not_actions=_operations(_get(p, "notActions", "NotActions"), "notActions"),
            data_actions=_operations(_get(p, "dataActions", "DataActions"), "dataActions"),
            not_data_actions=_operations(_get(p, "notDataActions", "NotDataActions"), "notDataActions"),
        )
        for p in raw_permissions
    )


def parse_role_definition(raw: Any) -> RoleDefinition:
    """An ARM role definition (`properties.permissions`), an Azure CLI role JSON (`Actions`, ...), or inputs."""
    if not isinstance(raw, dict):
        raise RoleDefinitionError("a role definition must be a JSON object")
    body = raw.get("properties") if isinstance(raw.get("properties"), dict) else raw
    name = _get(body, "roleName", "Name", "name") or _get(raw, "name") or ""
    if _get(body, "permissions", "Permissions") is not None:
        permissions = parse_permissions(_get(body, "permissions", "Permissions"))
    elif any(k in body for k in ("Actions", "actions", "DataActions", "dataActions")):
        permissions = parse_permissions([body])
    else:
        raise RoleDefinitionError("no permissions (actions / dataActions) in the role definition")
    scopes = _get(body, "assignableScopes", "AssignableScopes")
    scopes = () if scopes is None else _operations(scopes, "assignableScopes")
    return RoleDefinition(str(name), permissions, scopes)


_SERVICE_WIDE = re.compile(r"^([^/]+)/\*$")


def _covered(operation: str, exclusions: tuple[str, ...]) -> bool:
    """Is the operation pattern removed entirely by a notActions pattern?"""
    return any(fnmatch.fnmatchcase(operation.lower(), x.lower()) for x in exclusions)


def _may_write(operation: str) -> bool:
    """Can the (lower-cased) operation pattern match a write, delete or action verb?"""
    verb = operation.rsplit("/", 1)[-1]
    return "*" in verb or verb in ("write", "delete", "action")


def role_definition_findings(definition: RoleDefinition) -> list[Finding]:
    findings = []
    for index, permission in enumerate(definition.permissions):
        where = f"permissions[{index}]"
        for kind, operations, exclusions in (("actions", permission.actions, permission.not_actions),
                                             ("dataActions", permission.data_actions, permission.not_data_actions)):
            for operation in operations:
                if _covered(operation, exclusions):
                    continue
                lowered = operation.lower()
                if lowered == "*":
                    findings.append(Finding("azure-all-actions", f"{kind} holds '*': every operation of every "
                                            "resource provider" + (f" except {list(exclusions)}" if exclusions else ""), where))
                elif lowered.startswith("microsoft.authorization/") and _may_write(lowered):
                    findings.append(Finding("azure-authorization-write", f"{kind} holds {operation}: writes in "
                                            "Microsoft.Authorization (role assignments, role definitions, policies) "
                                            "let the identity grant itself more (privilege escalation)", where))
                elif _SERVICE_WIDE.match(operation) or lowered.startswith("*/"):
                    findings.append(Finding("azure-service-wide", f"{kind} holds {operation}: every operation of "
                                            f"{'every provider' if lowered.startswith('*/') else operation.split('/')[0]}", where))
    for scope in definition.assignable_scopes:
        parsed = azure_catalog.parse_scope(scope)
        if parsed.is_broad:
            findings.append(Finding("azure-broad-assignable", f"assignable at {parsed.level.replace('_', '-')} scope "
                                    f"{scope}: it can be granted far beyond one agent's resources", "assignableScopes"))
        elif parsed.level == "invalid":
            findings.append(Finding("azure-invalid", f"assignable scope {scope!r} is not an Azure scope", "assignableScopes"))
    return findings


def assignment_findings(role_definition_id: str, scope: str) -> list[Finding]:
    """A role assignment of `role_definition_id` at `scope`."""
    findings = []
    privileged = azure_catalog.privileged_role_name(role_definition_id)
    if privileged:
        findings.append(Finding("azure-privileged-role", f"assigns the privileged built-in role {privileged} "
                                f"({azure_catalog.role_id_of(role_definition_id)}): it controls the scope itself"))
    elif azure_catalog.role_id_of(role_definition_id) is None:
        findings.append(Finding("azure-invalid", f"roleDefinitionId {role_definition_id!r} does not name a role"))
    parsed = azure_catalog.parse_scope(scope)
    if parsed.is_broad:
        findings.append(Finding("azure-broad-scope", f"assigned at {parsed.level.replace('_', '-')} scope {scope}: "
                                "it reaches every resource below it"))
    elif parsed.level == "invalid":
        findings.append(Finding("azure-invalid", f"scope {scope!r} is not an Azure scope"))
    return findings


_MATCHES = re.compile(r"\bmatches\b", re.IGNORECASE)
_OR = re.compile(r"(\|\||\bor\b)", re.IGNORECASE)


def federated_credential_findings(subject: str | None, claims_matching_expression: str | None) -> list[Finding]:
    """A federated identity credential must admit exactly one subject."""
    findings = []
    if subject is not None and ("*" in subject or "?" in subject or not subject.strip()):
        findings.append(Finding("fic-wildcard-subject", f"subject {subject!r} is not one exact subject: any "
                                "matching workload could act as the identity"))
    if claims_matching_expression:
        expression = claims_matching_expression
        if _MATCHES.search(expression) and re.search(r"[*?]", expression) or _OR.search(expression):
            findings.append(Finding("fic-claims-expression", f"claims-matching expression {expression!r} admits "
                                    "more than one subject"))
    return findings
