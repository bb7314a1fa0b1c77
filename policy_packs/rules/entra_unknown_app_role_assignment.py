"""AGID-AZ-054 (stack, advisory): an app role assignment on another API's service principal names a role the kit knows.

An `azuread.AppRoleAssignment` grants the app role `appRoleId` of the resource service principal `resourceObjectId`.
That object id differs in every tenant, so unless the assignment depends on a stack service principal the pack cannot
tell which API the role belongs to. It can still name the role when the id is a Microsoft Graph app role it knows
(privileged ones are AGID-AZ-021's, entra_privileged.yaml), when an application of the stack defines it
(`Application.appRoles[].id`, `ApplicationAppRole.roleId`), or when it is the default-access id (all zeros). Any other
id is "cannot check". Advisory, not blocking, only where the resource is traced to stack service principals of APIs
other than Graph, Exchange and SharePoint (a role of the tenant's own API, which the pack has no catalogue of); with
Graph known as the resource the same id blocks (AGID-AZ-053), and on a resource the pack cannot read (an object id
literal, an Output of other resources, Exchange / SharePoint) it blocks too (AGID-AZ-066, red20 r20-3). A resource
the gate vouches for (pack-wide `ownServicePrincipalIds`, or an output of a stack listed in `ownStacks`) is judged
here like a stack service principal of another API.
Source: https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import canonical_id, known_graph_app_role, privileged_graph_app_role
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .entra_app_role_unreadable_resource import (CONFIG, SCHEMA, STRICTNESS, service_principals_by_id,
                                                 unreadable_resource)
from .entra_graph_app_role import APP_ROLE_ASSIGNMENT, APPLICATION
from .entra_graph_unknown_permission import DEFAULT_ACCESS, SERVICE_PRINCIPAL, assigned_by_graph

APP_ROLE = "azuread:index/applicationAppRole:ApplicationAppRole"


def stack_app_role_ids(resources: list[Resource]) -> set[str]:
    """The app role ids the stack's applications define (canonical GUIDs; unknown ones are left out)."""
    ids = set()
    for resource in resources:
        if resource.type == APP_ROLE:
            values = [resource.props.get("roleId")]
        elif resource.type == APPLICATION:
            roles = resource.props.get("appRoles")
            values = [role.get("id") for role in roles if isinstance(role, dict)] if isinstance(roles, list) else []
        else:
            continue
        ids.update(canonical_id(value) for value in values if isinstance(value, str))
    return ids


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    defined = stack_app_role_ids(resources)
    sp_index = service_principals_by_id(resources)
    for resource in resources:
        if resource.type != APP_ROLE_ASSIGNMENT or assigned_by_graph(resource, by_urn):
            continue  # Graph's own: AGID-AZ-053 judges its id
        role_id = resource.props.get("appRoleId")
        if role_id is None or is_unknown(role_id):
            if role_id is not None and not defined:
                yield Unknown(f"{resource.name}.appRoleId", resource.urn)
            continue  # an output of the stack (its own app role) or AGID-AZ-021's missing-value report
        if not isinstance(role_id, str):
            continue  # AGID-AZ-021 reports the shape
        wanted = canonical_id(role_id)
        if (wanted == DEFAULT_ACCESS or wanted in defined or known_graph_app_role(wanted)
                or privileged_graph_app_role(wanted)):
            continue
        if unreadable_resource(resource, by_urn, sp_index, config):
            continue  # a resource the pack cannot read: AGID-AZ-066 blocks it
        target = resource.props.get("resourceObjectId")
        yield Violation(f"{resource.name} grants app role {role_id[:80]!r} of service principal "
                        f"{str(target)[:80] if not is_unknown(target) else '(unknown at preview)'}, which is neither a "
                        "Microsoft Graph permission the kit knows nor an app role of this stack: cannot check what it "
                        "allows", resource.urn)


RULE = Rule(
    id="AGID-AZ-054",
    title="entra-app-role-assignment-known",
    severity="medium",
    category="unparseable",
    description="An app role assignment on a stack service principal of another API grants an app role the pack can "
                "name: a Microsoft Graph permission it knows, an app role the stack defines, or default access; other "
                "ids are reported as cannot check (on a resource the pack cannot read: AGID-AZ-066, mandatory).",
    remediation="Define the API's app roles in the stack, or look up Microsoft Graph's service principal in the stack "
                "(azuread.ServicePrincipal(client_id=..., use_existing=True)) so the permission is judged.",
    url="https://learn.microsoft.com/en-us/graph/permissions-reference",
    check=check,
    stack=True,
    reads=(APP_ROLE_ASSIGNMENT, APPLICATION, APP_ROLE, SERVICE_PRINCIPAL),
    # the same lists as AGID-AZ-066 (give them pack-wide): what the gate vouches for is judged here, advisory
    config=CONFIG,
    config_schema=SCHEMA,
    config_strictness=STRICTNESS,
)
