"""AGID-AZ-043 (stack): a Lighthouse assignment assigns only a registration definition the stack defines.

A `managedservices.RegistrationAssignment` onboards its scope (a subscription or resource group) to Azure Lighthouse
with the definition named by `properties.registrationDefinitionId`
(`/subscriptions/SUB/providers/Microsoft.ManagedServices/registrationDefinitions/GUID`): the managing tenant's
principals then hold the definition's roles there. AGID-AZ-041 judges the roles of the definitions the stack
defines; an assignment of any other definition (one already in the subscription, made by someone else, possibly
giving Owner to another tenant) delegates roles the pack cannot see: "cannot check" (fail closed), as AGID-AZ-013
treats a role the stack does not define.

The assignment is the stack's definition's when its GUID is one a stack `RegistrationDefinition` declares
(`registrationDefinitionId`, the id Azure gives the definition; the provider fills it in before the pack sees the
inputs) and the assignment is created after that definition (iam_links.ordered_after, issue 11: a stack definition
given an existing definition's GUID fails to create, and an assignment not waiting for it assigns the existing one), or when the value is that definition's id as the deployment computes it: unknown at preview and proven
the definition's Output by iam_links.output_sources (the assignment depends on stack definitions and nothing else, and
their id is not known: a constant behind another resource's Output with `depends_on` a stack definition is "cannot
check until known", issue 11), or, under the gate's mocks, an id that is not in Azure's registration definition form
at all (`.../RegistrationDefinition/NAME`, which no existing definition can have) of a definition it depends on. A
value in Azure's form naming another GUID is another definition whatever the assignment depends on.
Source: https://learn.microsoft.com/en-us/rest/api/managedservices/registration-assignments/create-or-update
(properties.registrationDefinitionId), https://learn.microsoft.com/en-us/azure/lighthouse/how-to/onboard-customer.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.values import is_unknown

from .azure_lighthouse_delegation import REGISTRATION_DEFINITION
from .base import Resource, Rule, Unknown, Violation
from .iam_links import azure_name, ordered_after, output_sources

REGISTRATION_ASSIGNMENT = "azure-native:managedservices:RegistrationAssignment"
# Azure's id of a registration definition: at a subscription (or any scope) + the provider path + the GUID
_AZURE_DEFINITION_ID = re.compile(
    r"^(?P<scope>(?:/[^/]+/[^/]+)*)/providers/microsoft\.managedservices/registrationdefinitions/(?P<guid>[0-9a-f-]{36})/?$",
    re.IGNORECASE)


def _declared_guid(definition: Resource) -> str | None:
    value = definition.props.get("registrationDefinitionId")
    return value.lower() if isinstance(value, str) and not is_unknown(value) else None


def _same_scope(scope: str, definition: Resource) -> bool:
    """Whether an id's scope part is the definition's `scope` (a definition id is unique only within its scope);
    a scope unknown at preview is the stack's."""
    own = definition.props.get("scope")
    return is_unknown(own) or (isinstance(own, str) and own.strip().rstrip("/").lower() == scope.lower())


def _names_stack_definition(value: str, assignment: Resource, definitions: dict[str, Resource]) -> bool:
    """Whether the known `value` is the id of one of the stack's `definitions` (by URN)."""
    match = _AZURE_DEFINITION_ID.match(value.strip())
    if match:
        # only a definition the assignment is created after (issue 11, typed decoy: a stack definition given an
        # EXISTING definition's GUID fails to create, and an assignment not waiting for it assigns the existing one)
        return any(_declared_guid(d) == match["guid"].lower() and _same_scope(match["scope"], d)
                   and ordered_after(assignment, d) for d in definitions.values())
    # Not an id Azure has given any definition: only the id computed for a stack definition it depends on
    depended = [definitions[urn] for urn in assignment.dependencies if urn in definitions]
    # (its mock id ends in the GUID the mocks autoname it, as azure-native does: iam_links.azure_name)
    last = value.rstrip("/").rsplit("/", 1)[-1]
    return any(_declared_guid(d) is None and (last == d.name or last.lower() == str(azure_name(d) or "").lower())
               for d in depended)


def check(resources: list[Resource], config):
    definitions = {r.urn: r for r in resources if r.type == REGISTRATION_DEFINITION}
    for resource in resources:
        if resource.type != REGISTRATION_ASSIGNMENT:
            continue
        properties = resource.props.get("properties")
        value = properties.get("registrationDefinitionId") if isinstance(properties, dict) else properties
        if is_unknown(properties) or is_unknown(value):
            if output_sources(resource, definitions.values(), ("id",), "properties") is None:
                yield Unknown(f"{resource.name}.properties.registrationDefinitionId", resource.urn)
            continue  # the id of a stack definition, known after deployment
        if not isinstance(value, str) or not value.strip():
            yield Violation(f"Lighthouse assignment {resource.name}: properties.registrationDefinitionId is missing or not "
                            "a string, so which definition it assigns cannot be judged", resource.urn)
        elif not _names_stack_definition(value, resource, definitions):
            yield Violation(f"Lighthouse assignment {resource.name} assigns registration definition {value[:160]!r}, which "
                            "this stack does not define: cannot check which roles it gives which tenant over the scope",
                            resource.urn)


RULE = Rule(
    id="AGID-AZ-043",
    title="azure-lighthouse-assignment-known",
    severity="critical",
    category="unparseable",
    description="An Azure Lighthouse registration assignment assigns only a registration definition the same stack "
                "defines, so the roles it delegates to the managing tenant are judged (AGID-AZ-041).",
    remediation="Define the registration definition in this stack and assign it with "
                "properties.registrationDefinitionId=<definition>.id, or leave the onboarding out of the agent's stack.",
    url="https://learn.microsoft.com/en-us/rest/api/managedservices/registration-assignments/create-or-update",
    check=check,
    stack=True,
    reads=(REGISTRATION_ASSIGNMENT, REGISTRATION_DEFINITION),
)
