"""The pure analysis core: AWS policy semantics and Azure RBAC, with no Pulumi or cloud SDK import.

Shared by the CrossGuard rules (`policy_packs/rules`), `agentid lint` and
`agentid audit`. The stable API:

Parsing (raise `PolicyParseError` / `RoleDefinitionError`, which callers treat as a finding):
    parse_policy(document, kind=IDENTITY|TRUST|RESOURCE) -> PolicyDocument
    parse_role_definition(raw) -> RoleDefinition          # ARM, Azure CLI or resource-input shape

Whole-document verdicts (never raise; an unparseable document is the `unparseable` finding):
    identity_policy_findings(document, source="") -> list[Finding]   # broad grants + escalation in one policy
    trust_policy_findings(document, own_accounts=()) -> list[Finding]
    role_definition_verdict(raw) -> list[Finding]
    combined_escalation_findings({source: document, ...}) -> list[Finding]   # across a role's policies

Grants (for "does the live role hold more than the inventory declares?"):
    effective_grants(documents) -> list[Grant(action, resource, conditional, except_resources)]
    is_allowed(documents, action, arn) -> bool

Lower level: is_denied(action, resource, unconditional_denies), broad_grant_findings, escalation_findings, escalation_methods, trust_findings,
assigned_role, role_effects, federated_credential_findings, is_unbounded, expand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .aws_grants import Grant, broad_grant_findings, expand, is_denied, statement_actions
from .aws_grants import is_allowed as _is_allowed
from .aws_grants import effective_grants as _effective_grants
from .aws_policy import IDENTITY, RESOURCE, TRUST, PolicyDocument, PolicyParseError, Statement, parse_policy
from .aws_resources import is_unbounded
from .aws_trust import trust_findings
from .azure_roles import (
    RoleDefinition,
    RoleDefinitionError,
    assigned_role,
    role_effects,
    federated_credential_findings,
    parse_role_definition,
    role_definition_findings,
)
from .escalation import EscalationMethod, escalation_findings, escalation_methods, labelled
from .findings import Finding


def _parsed(document: Any, kind: str) -> PolicyDocument:
    return document if isinstance(document, PolicyDocument) else parse_policy(document, kind)


def unparseable(error: Exception, what: str = "policy") -> Finding:
    return Finding("unparseable", f"{what} cannot be parsed, so it cannot be judged safe: {error}")


def identity_policy_findings(document: Any, source: str = "", today: date | None = None) -> list[Finding]:
    """Broad grants and escalation methods in one identity policy (JSON string, object or parsed).

    `today` (a UTC date) is when aws:CurrentTime conditions are judged; None: the current date.
    """
    try:
        parsed = _parsed(document, IDENTITY)
    except (PolicyParseError, RecursionError) as error:
        return [unparseable(error)]
    return broad_grant_findings(parsed, today) + escalation_findings(labelled(source, parsed.statements), today)


def combined_escalation_findings(documents: Mapping[str, Any], today: date | None = None) -> list[Finding]:
    """Escalation methods made possible by several identity policies together (one role's policies).

    Unparseable documents are skipped here: each is reported on its own resource.
    """
    statements = []
    for source, document in documents.items():
        try:
            statements.extend(labelled(source, _parsed(document, IDENTITY).statements))
        except (PolicyParseError, RecursionError):
            continue
    return escalation_findings(statements, today)


def trust_policy_findings(document: Any, own_accounts: Iterable[str] = (), *, kind: str = TRUST) -> list[Finding]:
    """Weak trust in a role trust policy (kind=TRUST) or a resource policy such as a key policy (kind=RESOURCE)."""
    try:
        parsed = _parsed(document, kind)
    except (PolicyParseError, RecursionError) as error:
        return [unparseable(error, "trust policy" if kind == TRUST else "resource policy")]
    return trust_findings(parsed, own_accounts, check_cross_account=kind == TRUST)


def role_definition_verdict(raw: Any) -> list[Finding]:
    try:
        definition = raw if isinstance(raw, RoleDefinition) else parse_role_definition(raw)
    except RoleDefinitionError as error:
        return [unparseable(error, "role definition")]
    return role_definition_findings(definition)


def effective_grants(documents: Iterable[Any]) -> list[Grant]:
    """Every (action, resource) the identity policies allow together, after unconditional denies.

    Raises PolicyParseError for a document that cannot be parsed.
    """
    return _effective_grants([_parsed(d, IDENTITY) for d in documents])


def is_allowed(documents: Iterable[Any], action: str, arn: str, *, include_conditional: bool = True) -> bool:
    """Would the identity policies allow `action` on the concrete `arn`? (Unconditional denies win.)

    Raises PolicyParseError for a document that cannot be parsed.
    """
    return _is_allowed([_parsed(d, IDENTITY) for d in documents], action, arn, include_conditional=include_conditional)


__all__ = [
    "IDENTITY", "RESOURCE", "TRUST", "EscalationMethod", "Finding", "Grant", "PolicyDocument", "PolicyParseError",
    "RoleDefinition", "RoleDefinitionError", "Statement", "assigned_role", "role_effects", "broad_grant_findings",
    "combined_escalation_findings", "effective_grants", "escalation_findings", "escalation_methods", "expand",
    "federated_credential_findings", "identity_policy_findings", "is_allowed", "is_denied", "is_unbounded", "parse_policy",
    "parse_role_definition", "role_definition_findings", "role_definition_verdict", "statement_actions",
    "trust_findings", "trust_policy_findings", "unparseable",
]
