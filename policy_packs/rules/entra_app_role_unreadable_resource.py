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
A resource the gate vouches for is judged by what it grants (AGID-AZ-021 for a privileged id, else AGID-AZ-054
advisory), as one traced to stack service principals of other APIs:
- an object id the gate lists as the organisation's own API's (`ownServicePrincipalIds`, pack-wide: the base
  branch's waivers.yaml, never the stack file, which a pull request writes), e.g. one a stack's
  `azureApiApplications` names;
- an output of a StackReference read of a stack the gate lists as own (`ownStacks`, e.g. the kit's platform stack
  `org/agent-identity-kit/platform`: its own preview judged the service principal it exports). Packs know a read only
  by the URN in the assignment's propertyDependencies, whose name is the StackReference resource's; `agentid preview`
  refuses one named other than the stack it reads. A StackReference of any other stack (one the pull request chose),
  a registered (not read) StackReference resource, or no propertyDependencies still fail closed.
A constant hidden behind a vouched Output (`sp.object_id.apply(lambda _: GRAPH_SP)`, the same on a listed stack
reference's output) still reads as that principal: the dependency list says where a value may come from, not what.
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
STACK_REFERENCE = "pulumi:pulumi:StackReference"
OWN_STACKS_KEY = "ownStacks"
OWN_SP_KEY = "ownServicePrincipalIds"
# a stack reference's name: ORG/PROJECT/STACK, PROJECT/STACK or STACK (Pulumi's parts, agentid.preview.references)
_STACK_NAME = r"^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100}){0,2}$"
_GUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
CONFIG = {OWN_STACKS_KEY: [], OWN_SP_KEY: []}
STRICTNESS = {OWN_STACKS_KEY: "subset", OWN_SP_KEY: "subset"}  # listed ones are vouched for: fewer is stricter
SCHEMA = {
    OWN_STACKS_KEY: {"type": "array", "items": {"type": "string", "pattern": _STACK_NAME}, "default": [],
                     "description": "Pulumi stacks (ORG/PROJECT/STACK as the program's StackReference names them) "
                                    "whose outputs are the organisation's own: a service principal object id read "
                                    "from one is judged by the app role it grants."},
    OWN_SP_KEY: {"type": "array", "items": {"type": "string", "pattern": _GUID}, "default": [],
                 "description": "Object ids of the organisation's own API service principals outside the stack: an "
                                "object id names no API (Microsoft Graph's differs per tenant)."},
}


class Vouched:
    """What the gate vouches for: its own stacks and own API service principals (the rule's config)."""

    def __init__(self, config=None) -> None:
        get = config.get if hasattr(config, "get") else (lambda key: None)
        self.stacks = frozenset(v.strip() for v in get(OWN_STACKS_KEY) or () if isinstance(v, str) and v.strip())
        self.principals = frozenset(canonical_id(v) for v in get(OWN_SP_KEY) or () if isinstance(v, str) and v.strip())


def stack_reference_name(urn: str) -> str | None:
    """The name of the StackReference a dependency URN is (its qualified type's last part), else None."""
    parts = urn.split("::")
    if len(parts) < 4 or parts[2].rsplit("$", 1)[-1] != STACK_REFERENCE:
        return None
    return parts[-1]


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


def _traced(assignment: Resource, by_urn: dict[str, Resource], vouched: Vouched,
            ) -> tuple[list[Resource], list[str], list[str]]:
    """The sources of `resourceObjectId`: (stack service principals, own stack references read, everything else
    as a short description)."""
    named: list[Resource] = []
    own_refs: list[str] = []
    others: list[str] = []
    # a listed stack counts only where the engine said this input's sources (its propertyDependencies entry): the
    # resource's dependency list also holds what `depends_on` names, so a literal beside depends_on=[ref] is no output
    by_input = "resourceObjectId" in (assignment.property_dependencies or {})
    for urn in input_dependencies(assignment, "resourceObjectId"):
        source = by_urn.get(urn)
        reference = stack_reference_name(urn)
        if source is not None and source.type == SERVICE_PRINCIPAL:
            named.append(source)
        elif source is None and reference is not None and reference in vouched.stacks and by_input:
            own_refs.append(reference)  # a read (reads are not sent to packs) of a stack the gate lists
        elif reference is not None:
            others.append(f"a registered (not read) StackReference {reference[:100]!r}" if source is not None else
                          f"stack reference {reference[:100]!r}, a stack the gate does not list as own (ownStacks)"
                          if reference not in vouched.stacks else
                          f"stack reference {reference[:100]!r} by dependency only (no propertyDependencies for it)")
        else:
            others.append(f"{urn.rsplit('::', 1)[-1][:80]}" if source is None else f"{source.name} ({source.type})")
    return named, own_refs, others


def unreadable_resource(assignment: Resource, by_urn: dict[str, Resource],
                        sp_index: dict[str, list[Resource]] | None = None, config=None) -> str | None:
    """Why the pack cannot tell which API the assignment's resource service principal is; None when it is one or
    more stack service principals of APIs other than Exchange Online and SharePoint Online, an own API's listed
    object id, or an output of an own stack's StackReference (Vouched)."""
    vouched = Vouched(config)
    target = assignment.props.get("resourceObjectId")
    if isinstance(target, str) and not is_unknown(target):
        if canonical_id(target) in vouched.principals:
            return None
        index = sp_index if sp_index is not None else service_principals_by_id(by_urn.values())
        named = list(index.get(canonical_id(target), ()))
        if not named:
            named, own_refs, others = _traced(assignment, by_urn, vouched)
            if not (named or own_refs) or others or assignment.property_dependencies is None:
                why = f" (its value comes from {others[0]})" if others else ""
                return (f"resource service principal {target[:80]!r} is an object id no stack service principal "
                        f"has{why}")
    elif is_unknown(target):
        named, own_refs, others = _traced(assignment, by_urn, vouched)
        if not (named or own_refs) or others:
            return "resource service principal is an Output of resources that are not stack service principals" + (
                f" ({others[0]})" if others else "")
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
        why = unreadable_resource(resource, by_urn, sp_index, config)
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
                "an Output of non-service-principal resources or of a stack reference the gate does not list as own, "
                "Exchange / SharePoint) grants only app roles it can name; any other role id is cannot check, as a "
                "known privileged one would block.",
    remediation="Look up the API's service principal in the stack (azuread.ServicePrincipal(client_id=<the API's "
                "application id>, use_existing=True)) and pass its object_id, use the app role id of a Graph "
                "permission the kit knows or of an app role the stack defines, or have the gate list the API's "
                "service principal (ownServicePrincipalIds) or the stack exporting it (ownStacks) in the base "
                "branch's waivers.yaml policyPackConfig.",
    url="https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto",
    check=check,
    stack=True,
    reads=(APP_ROLE_ASSIGNMENT, APPLICATION, APP_ROLE, SERVICE_PRINCIPAL),
    config=CONFIG,
    config_schema=SCHEMA,
    config_strictness=STRICTNESS,
)
