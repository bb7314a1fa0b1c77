"""AGID-POL-001: every policy document and role definition can be parsed (fail closed).

A policy that cannot be read cannot be judged safe, so it is a violation in
itself. The other policy rules skip such documents and leave them to this one.
"""

from agentid_policy_packs.analysis import (
    IDENTITY,
    RESOURCE,
    TRUST,
    PolicyParseError,
    RoleDefinitionError,
    parse_policy,
    parse_role_definition,
)
from agentid_policy_packs.analysis.values import unknown_path

from .base import Resource, Rule, Unknown, Violation
from .documents import (
    IDENTITY_POLICY_TYPES,
    RESOURCE_POLICY_TYPES,
    Document,
    identity_policies,
    resource_policy,
    trust_policy,
)

ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"


def check(resource: Resource, config):
    if resource.type == ROLE_DEFINITION:
        yield from _role_definition(resource)
        return
    sources = [(identity_policies(resource), IDENTITY), (trust_policy(resource), TRUST),
               (resource_policy(resource), RESOURCE)]
    for documents, kind in sources:
        for document in documents:
            if not isinstance(document, Document):
                if kind != TRUST:  # the trust rules report an unknown trust policy
                    yield Unknown(document.path)
                continue
            try:
                parse_policy(document.value, kind)
            except (PolicyParseError, RecursionError) as error:
                yield Violation(f"{document.label} cannot be parsed, so it cannot be judged safe: {error}")


def _role_definition(resource: Resource):
    permissions = resource.props.get("permissions")
    path = unknown_path(permissions)
    if permissions is None or path is not None:
        yield Unknown(f"permissions{'.' + path if path else ''}")
        return
    try:
        parse_role_definition({"permissions": permissions, "assignableScopes": resource.props.get("assignableScopes")
                               if unknown_path(resource.props.get("assignableScopes")) is None else []})
    except RoleDefinitionError as error:
        yield Violation(f"role definition {resource.name} cannot be parsed, so it cannot be judged safe: {error}")


RULE = Rule(
    id="AGID-POL-001",
    title="policy-parseable",
    severity="critical",
    category="unparseable",
    description="Every IAM policy document and Azure role definition is well-formed (unreadable ones fail closed).",
    remediation="Fix the document: valid JSON, Version 2012-10-17, Statement with Effect, Action/NotAction and "
                "Resource/NotResource (Principal in trust and resource policies).",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
    check=check,
    resource_types=(*IDENTITY_POLICY_TYPES, *RESOURCE_POLICY_TYPES, ROLE_DEFINITION),
)
