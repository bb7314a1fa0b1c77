"""AGID-AZ-021: no application is granted, or asks for, a Microsoft Graph permission that writes tenant-wide
identity state (RoleManagement.ReadWrite.Directory, AppRoleAssignment.ReadWrite.All, Application.ReadWrite.All,
Directory.ReadWrite.All, the PIM schedules, UserAuthenticationMethod.ReadWrite.All, Domain.ReadWrite.All, ...) or
takes over principals (Exchange full_access_as_app, SharePoint Sites.FullControl.All): each lets the app grant itself
any role or sign in as anyone. The list is data with its sources (policy_packs/analysis/entra_privileged.yaml), and
every Graph app role azure-tiering ranks tier 0 (a path to Global Administrator) or tier 1 with a verb that is not a
read (policy_packs/analysis/graph_app_role_tiers.yaml, a snapshot refreshed by scripts/refresh_graph_app_role_tiers.py;
ids entra_privileged.yaml reviews as not privileged keep that judgement).

Checked where azuread expresses it: an `AppRoleAssignment` of such an app role id, an `Application`'s
`requiredResourceAccesses` (Microsoft Graph, type `Role`), an `ApplicationApiAccess`'s `roleIds`, and a
`ServicePrincipalDelegatedPermissionGrant` consenting for every user to the delegated scope of the same name. App role
ids are Graph's own GUIDs (policy_packs/analysis/entra_privileged.yaml); delegated scopes (`Scope`) are other ids.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis.entra import (canonical_id, privileged_api_ids, privileged_graph_app_role,
                                                 privileged_graph_scope)
from agentid_policy_packs.analysis.values import is_unknown, unknown_path

from .base import Resource, Rule, Unknown, Violation

APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
APPLICATION = "azuread:index/application:Application"
API_ACCESS = "azuread:index/applicationApiAccess:ApplicationApiAccess"
DELEGATED_GRANT = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant"


def _items(value) -> list:
    return value if isinstance(value, list) else []


def _api(value) -> str | None:
    """The resource app id when it is one whose app roles are listed (Graph, Exchange, SharePoint); None otherwise."""
    return canonical_id(value) if isinstance(value, str) and canonical_id(value) in privileged_api_ids() else None


def requested_graph_app_roles(resource: Resource) -> Iterator[tuple[str, object, str | None]]:
    """(path, app role id, resource app id or None when any) the resource grants or requests from Microsoft Graph,
    Exchange Online or SharePoint Online."""
    props = resource.props
    if resource.type == APP_ROLE_ASSIGNMENT:
        yield "appRoleId", props.get("appRoleId"), None
    elif resource.type == API_ACCESS:
        api = props.get("apiClientId")
        if _api(api) or is_unknown(api):
            for index, role_id in enumerate(_items(props.get("roleIds"))):
                yield f"roleIds[{index}]", role_id, _api(api)
    elif resource.type == APPLICATION:
        for index, access in enumerate(_items(props.get("requiredResourceAccesses"))):
            api = _api(access.get("resourceAppId")) if isinstance(access, dict) else None
            if api is None:
                continue
            for inner, entry in enumerate(_items(access.get("resourceAccesses"))):
                if isinstance(entry, dict) and entry.get("type") == "Role":
                    yield f"requiredResourceAccesses[{index}].resourceAccesses[{inner}].id", entry.get("id"), api


def _delegated(resource: Resource):
    """Admin consent for every user (no userObjectId) to a tenant-wide write scope: the app acts as any signed-in
    user, administrators included, with that scope."""
    claims, user = resource.props.get("claimValues"), resource.props.get("userObjectId")
    pending = unknown_path(claims)
    if pending is not None or is_unknown(user):
        yield Unknown("claimValues" + (f".{pending}" if pending else "") if pending is not None else "userObjectId")
        return
    if user is not None:
        return  # consent of one user: limited to what that user may do
    for index, value in enumerate(_items(claims)):
        scope = privileged_graph_scope(value) if isinstance(value, str) else None
        if scope:
            yield Violation(f"{resource.name} consents for every user of the tenant to the delegated scope "
                            f"{scope.name} (claimValues[{index}]): the app, with any administrator's sign-in, {scope.why}")


def check(resource: Resource, config):
    if resource.type == DELEGATED_GRANT:
        yield from _delegated(resource)
        return
    fields = {APP_ROLE_ASSIGNMENT: "appRoleId", API_ACCESS: "roleIds", APPLICATION: "requiredResourceAccesses"}
    pending = unknown_path(resource.props.get(fields[resource.type]))
    if pending is not None or (resource.type == APP_ROLE_ASSIGNMENT and resource.props.get("appRoleId") is None):
        yield Unknown(fields[resource.type] + (f".{pending}" if pending else ""))
        return
    granted = "is granted" if resource.type == APP_ROLE_ASSIGNMENT else "asks for"
    for path, role_id, api in requested_graph_app_roles(resource):
        permission = privileged_graph_app_role(role_id, api) if isinstance(role_id, str) else None
        if permission:
            yield Violation(f"{resource.name} {granted} the Microsoft Graph application permission {permission.name} "
                            f"({permission.id}, {path}): the app {permission.why}")


RULE = Rule(
    id="AGID-AZ-021",
    title="entra-no-tenant-write-graph-permissions",
    severity="critical",
    category="escalation",
    description="No application holds or requests a Microsoft Graph (or Exchange / SharePoint) application permission that "
                "controls the tenant's identities: role and PIM writes, app and consent writes, authentication methods and "
                "passwords, sign-in policies, domains, sync, groups, Intune, every mailbox or site (entra_privileged.yaml), "
                "and every tier-0 or tier-1 write of azure-tiering's Graph classification (graph_app_role_tiers.yaml).",
    remediation="Request the narrowest Graph permission the tool needs (e.g. Application.ReadWrite.OwnedBy, "
                "User.Read.All) or an app role of the agent's own API.",
    url="https://learn.microsoft.com/en-us/graph/permissions-overview#best-practices-for-using-microsoft-graph-permissions",
    check=check,
    resource_types=(APP_ROLE_ASSIGNMENT, APPLICATION, API_ACCESS, DELEGATED_GRANT),
)
