"""AGID-AZ-048 (stack): compute the stack defines runs only as user-assigned identities the stack defines.

A resource with `identity.userAssignedIdentities` (a web app, function, Logic Apps workflow, Automation account,
container group, VM, ...) gets tokens for each identity listed: the code or workflow the stack deploys there acts
as it. Attaching an identity the stack does not define (an existing `prod-deployer` holding Owner) hands the stack's
code that identity's roles, which the pack cannot see: "cannot check" (fail closed). It is the program-side twin of
a role holding `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` (AGID-AZ-012, capability
assign-identity), the escalation Microsoft's managed identity guidance warns of
(https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations).

An identity is the stack's when the resource depends on a stack `managedidentity.UserAssignedIdentity` it names:
in Azure's id form (`/subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME`)
by resource group and name (any case), its `resourceName` (never its Pulumi name: azure-native autonames an
identity without one `<logical name><8 random hex>`, issue 11; under the gate as its mocks autoname it); an id in no Azure form
(the gate mocks' `.../UserAssignedIdentity/NAME`) by its last segment, since Azure accepts no such id for an existing
identity. An id unknown at preview is the stack's only when the resource depends on stack identities and nothing
else and their id is not known either (iam_links.output_sources: `depends_on=[own]` + a constant behind another
Output is "cannot check until known", red12 #7). Ids are read from the list the provider takes and from the ARM map
form (keys). System-assigned identities are the resource's own and pass.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.values import is_unknown

from .azure_federated_unseen_identity import MANAGED_IDENTITY, depended_on
from .base import Resource, Rule, Unknown, Violation
from .iam_links import azure_name, known_state, output_sources

_AZURE_IDENTITY_ID = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/(?P<group>[^/]+)/providers/microsoft\.managedidentity/"
    r"userassignedidentities/(?P<name>[^/]+)/?$", re.IGNORECASE)


def _attached(resource: Resource) -> list[object] | None:
    """The user-assigned identity ids `resource` asks for (list or ARM map keys); None when it names none."""
    identity = resource.props.get("identity")
    if not isinstance(identity, dict):
        return None
    listed = identity.get("userAssignedIdentities")
    if is_unknown(listed):
        return [listed]
    if isinstance(listed, dict):
        return list(listed)
    return list(listed) if isinstance(listed, list) else None


def _is_stack_identity(value: str, identities: list[Resource]) -> bool:
    match = _AZURE_IDENTITY_ID.match(value.strip())
    for identity in identities:
        # its Azure name (resourceName, or as azure-native autonamed it), never its logical name (issue 11)
        own = azure_name(identity, "resourceName")
        if not isinstance(own, str) or is_unknown(own):
            continue
        group = known_state(identity).get("resourceGroupName")
        if match:
            if match["name"].lower() == own.lower() and (
                    is_unknown(group) or (isinstance(group, str) and group.lower() == match["group"].lower())):
                return True
        elif value.rstrip("/").rsplit("/", 1)[-1].lower() == own.lower():
            return True
    return False


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    own = [resource for resource in resources if resource.type == MANAGED_IDENTITY]
    for resource in resources:
        if not resource.type.startswith("azure-native:") or resource.type == MANAGED_IDENTITY:
            continue
        attached = _attached(resource)
        if not attached:
            continue
        identities = depended_on(resource, by_urn, (MANAGED_IDENTITY,))
        for index, value in enumerate(attached):
            if is_unknown(value):
                if output_sources(resource, own, ("id",)) is None:
                    yield Unknown(f"{resource.name}.identity.userAssignedIdentities[{index}]", resource.urn)
            elif not isinstance(value, str) or not _is_stack_identity(value, identities):
                yield Violation(f"{resource.name} runs as user-assigned identity {str(value)[:200]!r}, which this stack "
                                "does not define: the code it deploys there acts with that identity's roles, which "
                                "cannot be checked here", resource.urn)


RULE = Rule(
    id="AGID-AZ-048",
    title="azure-attached-identity-own",
    severity="critical",
    category="unparseable",
    description="Resources the stack defines run only as user-assigned managed identities the same stack defines, so "
                "the roles their code acts with are judged.",
    remediation="Define the identity in this stack (managedidentity.UserAssignedIdentity) with the roles the resource "
                "needs and attach it by reference (user_assigned_identities=[identity.id]), or use a system-assigned "
                "identity.",
    url="https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations",
    check=check,
    stack=True,
    reads=(MANAGED_IDENTITY,),
)
