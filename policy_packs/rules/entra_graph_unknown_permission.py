"""AGID-AZ-053 (stack): every Microsoft Graph application permission requested or granted is one the kit knows.

AGID-AZ-021 blocks the Graph app roles entra_privileged.yaml lists as tenant-wide writes; an id in neither that list
nor `graph_reviewed_app_roles` (reads and bounded writes) used to pass in silence, although Graph adds write
permissions every few months and an id is all the program gives. Asked of Microsoft Graph, such an id is "cannot
check", mandatory: an unknown Graph id may be any write. Graph is known to be the resource when
- an `azuread.Application`'s `requiredResourceAccesses[].resourceAppId` or an `ApplicationApiAccess`'s `apiClientId`
  is Graph's application id (00000003-0000-0000-c000-000000000000, any GUID spelling), for entries of type `Role`;
- an `azuread.AppRoleAssignment` depends on a stack `azuread.ServicePrincipal` whose `clientId` is Graph's (the
  usual `ServicePrincipal(client_id=..., use_existing=True)` lookup); its `resourceObjectId` is that service
  principal's object id, which differs per tenant, so a literal one says nothing (AGID-AZ-054 reports those).
Delegated scopes (`Scope`) are AGID-AZ-021's by name; Exchange and SharePoint app roles are not catalogued here.
Source: https://learn.microsoft.com/en-us/graph/permissions-reference
"""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis.entra import canonical_id, graph_app_id, known_graph_app_role
from agentid_policy_packs.analysis.values import is_unknown

from .azure_federated_unseen_identity import depended_on
from .base import Resource, Rule, Unknown, Violation
from .entra_graph_app_role import API_ACCESS, APP_ROLE_ASSIGNMENT, APPLICATION, requested_graph_app_roles

SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
# the role id an assignment carries when the resource app defines no app role (access to the app itself)
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


def _is_graph(value: object) -> bool:
    return isinstance(value, str) and canonical_id(value) == graph_app_id()


def assigned_by_graph(assignment: Resource, by_urn: dict[str, Resource]) -> bool:
    """Whether the assignment's resource is a stack service principal of Microsoft Graph."""
    return any(_is_graph(sp.props.get("clientId")) for sp in depended_on(assignment, by_urn, (SERVICE_PRINCIPAL,)))


def graph_app_role_ids(resource: Resource, by_urn: dict[str, Resource]) -> Iterator[tuple[str, object]]:
    """(path, app role id) of each Microsoft Graph application permission the resource requests or grants."""
    if resource.type == APP_ROLE_ASSIGNMENT:
        if assigned_by_graph(resource, by_urn):
            yield "appRoleId", resource.props.get("appRoleId")
        return
    for path, role_id, api in requested_graph_app_roles(resource):
        if api == graph_app_id():
            yield path, role_id


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    for resource in resources:
        if resource.type not in (APPLICATION, API_ACCESS, APP_ROLE_ASSIGNMENT):
            continue
        for path, role_id in graph_app_role_ids(resource, by_urn):
            if is_unknown(role_id) or role_id is None:
                yield Unknown(f"{resource.name}.{path}", resource.urn)
            elif not isinstance(role_id, str):
                yield Violation(f"{resource.name}: {path} is {type(role_id).__name__}, not an app role id: cannot "
                                "check which Microsoft Graph permission it is", resource.urn)
            elif known_graph_app_role(role_id) is None and canonical_id(role_id) != DEFAULT_ACCESS:
                yield Violation(f"{resource.name}: Microsoft Graph application permission {role_id[:80]!r} ({path}) "
                                "is not one the kit knows (entra_privileged.yaml): it may write tenant-wide identity "
                                "state, so it cannot be checked", resource.urn)


RULE = Rule(
    id="AGID-AZ-053",
    title="entra-graph-permission-known",
    severity="critical",
    category="unparseable",
    description="Every Microsoft Graph application permission an application requests or is granted is one the kit "
                "knows (privileged or reviewed), so a new or mistyped write permission is not passed unseen.",
    remediation="Use the permission's documented app role id; if it is a new Graph permission, review it and add it "
                "to policy_packs/analysis/entra_privileged.yaml (privileged or reviewed).",
    url="https://learn.microsoft.com/en-us/graph/permissions-reference",
    check=check,
    stack=True,
    reads=(APPLICATION, API_ACCESS, APP_ROLE_ASSIGNMENT, SERVICE_PRINCIPAL),
)
