"""Azure RBAC: custom role definitions, role assignments and federated identity credentials.

Roles are judged by effect: what their effective permissions (per block, actions minus notActions) let the
holder do, from the capability list components/data/azure_capabilities.yaml, with wildcards expanded against the snapshot
of real provider operations (components/azure_catalog.py). A built-in role id is judged by its definition
in the snapshot of `az role definition list`.

Findings (codes):
  azure-all-actions           `*` in actions or dataActions: every operation of every provider
  azure-service-wide          `Provider.Namespace/*` or a `*/...` pattern reaching writes: a whole service
  azure-read-everything       `*/read`: reads every resource of every provider (read only, not every operation)
  azure-privileged-capability privileged effects (assign or define roles, run commands on VMs, attach identities, ...)
  azure-broad-assignable      a custom role assignable at root, management-group or subscription scope
  azure-invalid               a definition or scope we cannot read (fail closed)
  fic-wildcard-subject        federated credential subject with a wildcard
  fic-claims-expression       claims-matching expression that admits more than one subject
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import azure_catalog

from .azure_conditions import ANY_ROLE, ConditionError, RoleSet, assignable_roles
from .findings import Finding
from .values import as_list
from .github_oidc import pull_request_message, pull_request_subject, pull_request_subjects_in


class RoleDefinitionError(ValueError):
    """Not a role definition we can judge."""


@dataclass(frozen=True)
class Permission:
    """One permission block: the not-lists subtract from this block only."""

    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]
    condition: str | None = None  # the block's ABAC condition (some built-in roles)


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    permissions: tuple[Permission, ...]
    assignable_scopes: tuple[str, ...]
    built_in: bool = False  # roleType BuiltInRole: Azure's own, assignable everywhere by design


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


def _condition(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RoleDefinitionError("a permission's condition must be a string")
    return value


def parse_permissions(raw_permissions: Any) -> tuple[Permission, ...]:
    if not isinstance(raw_permissions, list) or not all(isinstance(p, dict) for p in raw_permissions):
        raise RoleDefinitionError("permissions must be a list of objects")
    return tuple(
        Permission(
            actions=_operations(_get(p, "actions", "Actions"), "actions"),
            not_actions=_operations(_get(p, "notActions", "NotActions"), "notActions"),
            data_actions=_operations(_get(p, "dataActions", "DataActions"), "dataActions"),
            not_data_actions=_operations(_get(p, "notDataActions", "NotDataActions"), "notDataActions"),
            condition=_condition(_get(p, "condition", "Condition")),
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
    says_built_in = _get(body, "roleType", "RoleType") == "BuiltInRole" or _get(body, "IsCustom", "isCustom") is False
    # Only a GUID Azure ships as a built-in role is one: the label alone is the judged input's word.
    ids = [v for v in (_get(raw, "name"), _get(raw, "id", "Id"), _get(body, "Id")) if isinstance(v, str)]
    built_in = says_built_in and any(azure_catalog.builtin_role(v) for v in ids)
    return RoleDefinition(str(name), permissions, scopes, built_in)


@dataclass(frozen=True)
class Capability:
    """One privileged effect, as listed in azure_capabilities.yaml."""

    id: str
    plane: str  # "actions" | "dataActions"
    operations: tuple[str, ...]
    category: str
    effect: str
    source: str
    wildcard: bool = False


@lru_cache(maxsize=1)
def capabilities() -> tuple[Capability, ...]:
    raw = azure_catalog.capability_catalogue()  # listed operations and the snapshot's matches of operation_patterns
    return tuple(Capability(c["id"], c["plane"], tuple(c["operations"]), c["category"], c["effect"], c["source"],
                            bool(c.get("wildcard", False))) for c in raw)


def _matches(pattern: str, operation: str) -> bool:
    return azure_catalog.operation_pattern(pattern).fullmatch(operation.lower()) is not None


def granting_pattern(permission: Permission, plane: str, operation: str) -> str | None:
    """The pattern of the block that grants `operation` after its not-list, or None."""
    grants, exclusions = ((permission.actions, permission.not_actions) if plane == azure_catalog.ACTIONS
                          else (permission.data_actions, permission.not_data_actions))
    if any(_matches(x, operation) for x in exclusions):
        return None
    return next((p for p in grants if _matches(p, operation)), None)


@dataclass(frozen=True)
class Effect:
    """A capability a role holds, with the pattern that grants it (and, for role assignment, what it may assign)."""

    capability: Capability
    operation: str
    pattern: str
    assignable: RoleSet | None = None  # assign-roles only: the privileged or unknown roles it may still assign
    condition_error: str = ""

    def describe(self) -> str:
        via = f" via {self.pattern}" if self.pattern.lower() != self.operation.lower() else ""
        text = f"{self.capability.effect} ({self.operation}{via})"
        if self.condition_error:
            text += f"; its condition cannot be read ({self.condition_error}), so any role counts"
        elif self.assignable is not None and not self.assignable.allowed and self.assignable.ids:
            text += f"; its condition excludes only {_role_names(self.assignable.ids)}, any other role may be assigned"
        elif self.assignable is not None and self.assignable.allowed:
            text += f"; its condition still allows {_role_names(self.assignable.ids)}"
        return text


def _role_names(ids: frozenset[str]) -> str:
    names = []
    for role_id in sorted(ids):
        role = azure_catalog.builtin_role(role_id)
        names.append(f"{role.name} ({role_id})" if role else f"{role_id} (not a built-in role: cannot check)")
    return ", ".join(names) or "no role"


def role_effects(permissions: tuple[Permission, ...], condition: str | None = None, *, depth: int = 0) -> list[Effect]:
    """The privileged capabilities a set of permission blocks holds, judged by effect.

    `condition` is the role assignment's ABAC condition; a block's own condition (some built-in roles) applies
    to that block too. An assignment-writer whose conditions allow only known roles without privileged
    capabilities of their own is not privileged; custom or unknown roles in the allowed set keep it privileged
    (cannot tell: flag).

    A pure function of its arguments and the snapshot data: remembered per distinct (blocks, condition, depth), as
    every grant of a role, and every agent whose tools compile to the same permissions, asks it again (issue 17:
    the stack rules asked it once per grant per rule, ~1 s of the pack's AnalyzeStack at 200 agents).
    """
    blocks = tuple(permissions)
    try:
        return list(_role_effects(blocks, condition, depth))
    except TypeError:  # an unhashable block (not one parse_role_definition builds): judged without remembering
        return list(_role_effects.__wrapped__(blocks, condition, depth))


@lru_cache(maxsize=4096)
def _role_effects(permissions: tuple[Permission, ...], condition: str | None, depth: int) -> tuple[Effect, ...]:
    effects = []
    for capability in capabilities():
        found = None
        for permission in permissions:
            for operation in capability.operations:
                pattern = granting_pattern(permission, capability.plane, operation)
                if pattern is None or (capability.wildcard and "*" not in pattern):
                    continue
                if capability.id == "assign-roles":
                    found = _assignment_effect(capability, operation, pattern, (condition, permission.condition), depth)
                else:
                    found = Effect(capability, operation, pattern)
                if found:
                    break
            if found:
                break
        if found:
            effects.append(found)
    return tuple(effects)


def _assignment_effect(capability: Capability, operation: str, pattern: str, conditions: tuple[str | None, ...],
                       depth: int) -> Effect | None:
    """None when every role the conditions allow is a known built-in role without privileged capabilities."""
    allowed = ANY_ROLE
    for condition in conditions:
        try:
            allowed = allowed & assignable_roles(condition, operation)
        except ConditionError as error:
            return Effect(capability, operation, pattern, ANY_ROLE, str(error))
    if not allowed.allowed:
        return Effect(capability, operation, pattern, allowed)
    offending = frozenset(
        role_id for role_id in allowed.ids
        if (role := azure_catalog.builtin_role(role_id)) is None or depth >= 2
        or role_effects(builtin_permissions(role), depth=depth + 1)
    )
    return Effect(capability, operation, pattern, RoleSet(True, offending)) if offending else None


def builtin_permissions(role: azure_catalog.BuiltinRole) -> tuple[Permission, ...]:
    return parse_permissions(list(role.permissions))


_SERVICE_WIDE = re.compile(r"^[^/*]+/\*$")


def wildcard_findings(permission: Permission, where: str) -> list[Finding]:
    """Wildcard patterns judged by what they expand to in the operation catalogue, not by their text."""
    findings = []
    for plane, grants, excluded in ((azure_catalog.ACTIONS, permission.actions, permission.not_actions),
                                    (azure_catalog.DATA_ACTIONS, permission.data_actions, permission.not_data_actions)):
        for pattern in grants:
            if "*" not in pattern:
                continue
            if pattern == "*":
                findings.append(Finding("azure-all-actions", f"{plane} holds '*': every operation of every resource "
                                        "provider" + (f" except {list(excluded)}" if excluded else ""), where))
            elif pattern.startswith("*"):
                expanded = [op for op in azure_catalog.expand(pattern, plane) if granting_pattern(permission, plane, op)]
                if all(op.lower().endswith("/read") for op in expanded):
                    findings.append(Finding("azure-read-everything", f"{plane} holds {pattern}: reads every resource "
                                            f"of every provider (read only: {len(expanded)} operations)", where))
                else:
                    findings.append(Finding("azure-service-wide", f"{plane} holds {pattern}: {len(expanded)} "
                                            "operations across every provider, writes included", where))
            elif _SERVICE_WIDE.match(pattern):
                expanded = azure_catalog.expand(pattern, plane)
                findings.append(Finding("azure-service-wide", f"{plane} holds {pattern}: every operation of "
                                        f"{pattern.split('/', 1)[0]} ({len(expanded)} known)", where))
    return findings


def role_definition_findings(definition: RoleDefinition) -> list[Finding]:
    findings = []
    for index, permission in enumerate(definition.permissions):
        findings.extend(wildcard_findings(permission, f"permissions[{index}]"))
    # A capability granted by `*` is azure-all-actions' consequence: one root cause, one finding.
    effects = [e for e in role_effects(definition.permissions) if e.pattern != "*"]
    if effects:  # one root cause (a privileged role), its effects listed together
        findings.append(Finding("azure-privileged-capability", "the role can " + "; ".join(e.describe() for e in effects)))
    if not definition.built_in:
        for scope in definition.assignable_scopes:
            parsed = azure_catalog.parse_scope(scope)
            if parsed.is_broad:
                findings.append(Finding("azure-broad-assignable", f"assignable at {parsed.level.replace('_', '-')} "
                                        f"scope {scope}: it can be granted far beyond one agent's resources",
                                        "assignableScopes"))
            elif parsed.level == "invalid":
                findings.append(Finding("azure-invalid", f"assignable scope {scope!r} is not an Azure scope",
                                        "assignableScopes"))
    return findings


@dataclass(frozen=True)
class AssignedRole:
    """What an assignment of a role id grants, as far as the built-in snapshot tells."""

    role_id: str | None  # None: the id names no role
    builtin: azure_catalog.BuiltinRole | None  # None: not a built-in role (custom, or unknown)
    effects: tuple[Effect, ...]
    all_operations: bool  # `*` in actions (Owner, Contributor): every control-plane operation, less its not-list


def assigned_role(role_definition_id: str, condition: str | None = None) -> AssignedRole:
    """Judge an assignment of `role_definition_id` (GUID or ARM id) by the built-in role's definition.

    Raises nothing: an unreadable condition counts as no restriction.
    """
    role_id = azure_catalog.role_id_of(role_definition_id)
    builtin = azure_catalog.builtin_role(role_definition_id) if role_id else None
    if builtin is None:
        return AssignedRole(role_id, None, (), False)
    permissions = builtin_permissions(builtin)
    return AssignedRole(role_id, builtin, tuple(role_effects(permissions, condition)),
                        any("*" in p.actions for p in permissions))


_MATCHES = re.compile(r"\bmatches\b", re.IGNORECASE)
_OR = re.compile(r"(\|\||\bor\b)", re.IGNORECASE)


def federated_credential_findings(subject: str | None, claims_matching_expression: str | None) -> list[Finding]:
    """A federated identity credential must admit exactly one subject, and not the GitHub pull-request one."""
    findings = []
    if subject is not None and ("*" in subject or "?" in subject or not subject.strip()):
        findings.append(Finding("fic-wildcard-subject", f"subject {subject!r} is not one exact subject: any "
                                "matching workload could act as the identity"))
    if claims_matching_expression:
        expression = claims_matching_expression
        if _MATCHES.search(expression) and re.search(r"[*?]", expression) or _OR.search(expression):
            findings.append(Finding("fic-claims-expression", f"claims-matching expression {expression!r} admits "
                                    "more than one subject"))
    subjects = [subject] if subject is not None and pull_request_subject(subject) else []
    subjects += pull_request_subjects_in(claims_matching_expression or "")
    for pr_subject in subjects:
        findings.append(Finding("fic-pull-request-subject", pull_request_message(pr_subject)))
    return findings
