"""AGID-AZ-066 (stack): an app role assignment on a service principal the pack cannot read grants an app role it knows.

An `azuread.AppRoleAssignment` grants app role `appRoleId` of the resource service principal `resourceObjectId`. A
service principal's object id differs in every tenant (Microsoft Graph's is a different GUID in each, while its
application id 00000003-0000-0000-c000-000000000000 is fixed), so a pasted object id literal says nothing about
which API it is. A role id the kit knows is judged whatever the resource (AGID-AZ-021 blocks the privileged ones); an
unknown one on Graph's service principal looked up in the stack blocks as "cannot check" (AGID-AZ-053). The same
unknown id on a resource the pack cannot read used to be advisory only (AGID-AZ-054, red20 r20-3:
DeviceManagementScripts.ReadWrite.All and Policy.ReadWrite.CrossTenantAccess passed), so the verdict depended on how
the pull request spelled Graph's service principal. Now it blocks, mandatory "cannot check", when the resource is
- a literal object id that is no stack service principal's (`objectId` / `id`), or
- an Output of something other than stack service principals (`other.id.apply(lambda _: GRAPH_SP_OBJECT_ID)`:
  the engine's propertyDependencies of `resourceObjectId`, else the assignment's dependencies), or
- a stack service principal of Exchange Online or SharePoint Online (their app roles are not catalogued).
An assignment whose role a stack application defines, the default-access id, or a known Graph id is not this rule's.
A resource traced to stack service principals of other APIs stays AGID-AZ-054's (advisory). A constant hidden behind
a stack service principal's own Output (`sp.object_id.apply(lambda _: GRAPH_SP)`) still reads as that principal.
Source: https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import (canonical_id, graph_app_id, known_graph_app_role, privileged_api_ids,
                                                 privileged_graph_app_role)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .entra_graph_app_role import APP_ROLE_ASSIGNMENT, APPLICATION
from .entra_graph_unknown_permission import DEFAULT_ACCESS, SERVICE_PRINCIPAL, assigned_by_graph
from .iam_links import input_dependencies

APP_ROLE = "azuread:index/applicationAppRole:ApplicationAppRole"


def _sp_ids(sp: Resource) -> set[str]:
    return {canonical_id(v) for k in ("objectId", "id") if isinstance(v := sp.props.get(k), str) and not is_unknown(v)}


def service_principals_by_id(resources) -> dict[str, list[Resource]]:
    """Object id (canonical) -> the stack service principals known to have it (their `objectId` / `id`)."""
    index: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.type == SERVICE_PRINCIPAL:
            for value in _sp_ids(resource):
                index.setdefault(value, []).append(resource)
    return index


def unreadable_resource(assignment: Resource, by_urn: dict[str, Resource],
                        sp_index: dict[str, list[Resource]] | None = None) -> str | None:
    """Why the pack cannot tell which API the assignment's resource service principal is; None when it is one or
    more stack service principals of APIs other than Exchange Online and SharePoint Online."""
    target = assignment.props.get("resourceObjectId")
    if isinstance(target, str) and not is_unknown(target):
        index = sp_index if sp_index is not None else service_principals_by_id(by_urn.values())
        named = list(index.get(canonical_id(target), ()))
        if not named:
            sources = [by_urn.get(urn) for urn in input_dependencies(assignment, "resourceObjectId")]
            named = [r for r in sources if r is not None and r.type == SERVICE_PRINCIPAL]
            if not named or len(named) != len(sources) or assignment.property_dependencies is None:
                return f"resource service principal {target[:80]!r} is an object id no stack service principal has"
    elif is_unknown(target):
        sources = [by_urn.get(urn) for urn in input_dependencies(assignment, "resourceObjectId")]
        named = [r for r in sources if r is not None and r.type == SERVICE_PRINCIPAL]
        if not named or len(named) != len(sources):
            return "resource service principal is an Output of resources that are not stack service principals"
    else:
        return f"resourceObjectId is {type(target).__name__}, not an object id"
    client_ids = {canonical_id(v) for sp in named if isinstance(v := sp.props.get("clientId"), str)
                  and not is_unknown(v)}
    other_privileged = client_ids & (privileged_api_ids() - {graph_app_id()})
    if other_privileged:
        return f"resource service principal is the one of {sorted(other_privileged)[0]} (Exchange / SharePoint)"
    return None


def unknown_role(assignment: Resource, defined: set[str]) -> bool:
    """Whether the assignment's literal appRoleId is none the pack can name (Graph known or privileged, defined by a
    stack application, default access)."""
    role_id = assignment.props.get("appRoleId")
    if not isinstance(role_id, str) or is_unknown(role_id):
        return False  # unknown at preview or not a string: AGID-AZ-054 / AGID-AZ-021 report it
    wanted = canonical_id(role_id)
    return not (wanted == DEFAULT_ACCESS or wanted in defined or known_graph_app_role(wanted)
                or privileged_graph_app_role(wanted))


def check(resources: list[Resource], config):
    from .entra_unknown_app_role_assignment import stack_app_role_ids  # noqa: PLC0415 - that rule imports this one

    by_urn = {resource.urn: resource for resource in resources}
    defined = stack_app_role_ids(resources)
    sp_index = service_principals_by_id(resources)
    for resource in resources:
        if resource.type != APP_ROLE_ASSIGNMENT or assigned_by_graph(resource, by_urn):
            continue  # Graph's own: AGID-AZ-053 judges its id
        if not unknown_role(resource, defined):
            continue
        why = unreadable_resource(resource, by_urn, sp_index)
        if why:
            yield Violation(f"{resource.name} grants app role {str(resource.props.get('appRoleId'))[:80]!r}, which is "
                            f"no Microsoft Graph permission the kit knows nor an app role of this stack, and its {why}: "
                            "it may be any Graph, Exchange or SharePoint write permission (Microsoft Graph's object id "
                            "differs per tenant), so it cannot be checked", resource.urn)


RULE = Rule(
    id="AGID-AZ-066",
    title="entra-app-role-on-unreadable-resource",
    severity="critical",
    category="unparseable",
    description="An app role assignment whose resource service principal the pack cannot read (an object id literal, "
                "an Output of non-service-principal resources, Exchange / SharePoint) grants only app roles it can "
                "name; any other role id is cannot check, as a known privileged one would block.",
    remediation="Look up the API's service principal in the stack (azuread.ServicePrincipal(client_id=<the API's "
                "application id>, use_existing=True)) and pass its object_id, or use the app role id of a Graph "
                "permission the kit knows or of an app role the stack defines.",
    url="https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto",
    check=check,
    stack=True,
    reads=(APP_ROLE_ASSIGNMENT, APPLICATION, APP_ROLE, SERVICE_PRINCIPAL),
)
