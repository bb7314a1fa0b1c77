"""AGID-AZ-033 (stack): no owner on an Entra application that holds privileged permissions.

An application's or service principal's owner can add a secret or certificate to it and then sign in as it:
ownership of an app is its permissions (https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/overview-assign-app-owners,
"Owners can add credentials"; the classic escalation path of Application Administrator). So an app that holds
tenant-wide Microsoft Graph write permissions or a privileged directory role (AGID-AZ-021 / AGID-AZ-020, which may be
waived for an admin tool) must have no owner the gate lets through, an agent's identity least of all.

An application in the stack is privileged when
  - it asks for a tenant-write Graph application permission (requiredResourceAccesses, or an
    ApplicationApiAccess that depends on it), or
  - an AppRoleAssignment of such a permission, or a DirectoryRoleAssignment of a privileged directory role (a
    stack custom role holding a privileged action counts, judged as AGID-AZ-020 judges it), depends on its service
    principal (the principal of the grant; a service principal of Microsoft Graph
    itself is the grant's resource side and is skipped).
Owners: an `ApplicationOwner` whose `applicationId` names the application, the application's `owners`, and the
`owners` of a service principal whose `clientId` is the application's. A name is a known id (after deployment, or
the gate mocks') or an Output unknown at preview as iam_links.output_sources proves it; a bare depends_on names
nothing (issue 11: an owner of an existing privileged app with depends_on a harmless stack app passed). Privileged permissions and roles are data
(policy_packs/analysis/entra_privileged.yaml).

An owner given to an application or service principal the stack does not define (an `ApplicationOwner` whose
application is not in the stack, a `ServicePrincipal` with `owners` for an outside app, Microsoft Graph's own
included) cannot be judged: what that app holds is out of sight, and the owner becomes it. That fails closed as a
violation (issue 11, red4: "app owner adds secret"), as an unknown role does (AGID-AZ-011). Group owners are
AGID-AZ-034's.
"""

from __future__ import annotations

from collections.abc import Callable

from agentid_policy_packs.analysis.entra import canonical_id, graph_app_id, privileged_graph_app_role
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .entra_graph_app_role import API_ACCESS, APP_ROLE_ASSIGNMENT, APPLICATION, requested_graph_app_roles
from .entra_privileged_directory_role import granted_privileged_role
from .iam_links import known_state, output_sources

SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION_OWNER = "azuread:index/applicationOwner:ApplicationOwner"
DIRECTORY_ROLE_ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"


def _graph_permissions(resource: Resource) -> list[str]:
    found = []
    for _path, role_id, api in requested_graph_app_roles(resource):
        permission = privileged_graph_app_role(role_id, api) if isinstance(role_id, str) else None
        if permission:
            found.append(permission.name)
    return found


def _privileges(resource: Resource, by_urn: dict[str, Resource]) -> list[str]:
    """The privileged permissions or roles a grant resource gives (empty for others)."""
    if resource.type in (APPLICATION, API_ACCESS, APP_ROLE_ASSIGNMENT):
        return _graph_permissions(resource)
    if resource.type == DIRECTORY_ROLE_ASSIGNMENT:
        role = granted_privileged_role(resource, by_urn)  # built-in, or a privileged custom role of the stack
        return [f"directory role {role.name}"] if role else []
    return []


def _application_ids(app: Resource) -> set[str]:
    """The known ids an `applicationId` naming `app` holds (`/applications/OBJECT_ID`, azuread >= 3), lower case."""
    state = known_state(app)
    known = {state.get("id")}
    if isinstance(state.get("objectId"), str):
        known.add(f"/applications/{state['objectId']}")
    return {v.strip().lower() for v in known if isinstance(v, str) and not is_unknown(v)}


def _named_app(holder: Resource, key: str, apps: dict[str, Resource], outputs: tuple[str, ...],
               known: Callable[[Resource], set[str]], index: dict[str, str] | None = None) -> str | None:
    """The URN of the stack application the input `key` of `holder` names: a literal equal to a known value of it, or
    an Output unknown at preview as iam_links.output_sources proves it; None otherwise. A dependency alone names
    nothing: an owner of an existing privileged app (or a service principal of its client id) with depends_on a
    harmless stack application passed as the harmless one's (issue 11). `index`: `_known_index(apps, known)`, built
    once a check (a scan of every app per holder was quadratic in the fleet, issue 17)."""
    value = holder.props.get(key)
    if is_unknown(value):
        found = output_sources(holder, apps.values(), outputs, key)
        return found[0].urn if found else None
    if not isinstance(value, str):
        return None
    if index is None:
        index = _known_index(apps, known)
    return index.get(value.strip().lower())


def _known_index(apps: dict[str, Resource], known: Callable[[Resource], set[str]]) -> dict[str, str]:
    """Each known value -> the first app (in `apps` order) that holds it: what a scan of `apps` in order finds."""
    index: dict[str, str] = {}
    for urn, app in apps.items():
        for value in known(app):
            index.setdefault(value, urn)
    return index


def _client_ids(app: Resource) -> set[str]:
    value = known_state(app).get("clientId")
    return {value.strip().lower()} if isinstance(value, str) and not is_unknown(value) else set()


def _owner_object(owner: Resource) -> str:
    value = owner.props.get("ownerObjectId")
    return "an object (its id unknown at preview)" if is_unknown(value) or value is None else str(value)


def _owner_of_unseen_app(resource: Resource, apps: dict[str, Resource], sp_app: dict[str, str],
                         app_ids: dict[str, str] | None = None):
    """A violation (or Unknown) for an owner of an application or service principal the stack does not define."""
    if resource.type == APPLICATION_OWNER and _named_app(resource, "applicationId", apps, ("id", "objectId"),
                                                         _application_ids, app_ids) is None:
        target, owners = f"application {resource.props.get('applicationId')!s:.200}", _owner_object(resource)
    elif resource.type == SERVICE_PRINCIPAL and resource.urn not in sp_app:
        owners = resource.props.get("owners")
        if is_unknown(owners):
            return Unknown(f"{resource.name}.owners", resource.urn)
        if not owners:
            return None
        client = resource.props.get("clientId")
        target = "Microsoft Graph's service principal" if _is_graph(client) else \
            f"the service principal of application {client!s:.200}"
    else:
        return None
    return Violation(f"{resource.name} makes {owners} owner of {target}, which the stack does not define: an owner adds "
                     "a credential to it and acts with whatever it holds, which the pack cannot see", resource.urn)


def _is_graph(client) -> bool:
    return isinstance(client, str) and canonical_id(client) == graph_app_id()


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    apps = {resource.urn: resource for resource in resources if resource.type == APPLICATION}
    client_ids, app_ids = _known_index(apps, _client_ids), _known_index(apps, _application_ids)
    # service principal urn -> application urn (an app's own SP, not Microsoft Graph's)
    sp_app = {sp.urn: app for sp in resources
              if sp.type == SERVICE_PRINCIPAL and not _is_graph(sp.props.get("clientId"))
              for app in (_named_app(sp, "clientId", apps, ("clientId",), _client_ids, client_ids),)
              if app is not None}
    privileged: dict[str, list[str]] = {urn: _graph_permissions(app) for urn, app in apps.items()}
    for resource in resources:
        if resource.type not in (API_ACCESS, APP_ROLE_ASSIGNMENT, DIRECTORY_ROLE_ASSIGNMENT):
            continue
        gained = _privileges(resource, by_urn)
        if not gained:
            continue
        for dep in resource.dependencies:
            app = dep if (dep in apps and resource.type == API_ACCESS) else sp_app.get(dep)
            if app is not None:
                privileged[app] += gained
    for resource in resources:
        outside = _owner_of_unseen_app(resource, apps, sp_app, app_ids)
        if outside is not None:
            yield outside
            continue
        if resource.type == APPLICATION_OWNER:
            app = _named_app(resource, "applicationId", apps, ("id", "objectId"), _application_ids, app_ids)
            owned = [app] if app is not None and privileged.get(app) else []
            targets = [(urn, _owner_object(resource)) for urn in owned]
        elif resource.type == APPLICATION and privileged.get(resource.urn):
            targets = [(resource.urn, resource.props.get("owners"))]
        elif resource.type == SERVICE_PRINCIPAL and privileged.get(sp_app.get(resource.urn, "")):
            targets = [(sp_app[resource.urn], resource.props.get("owners"))]
        else:
            continue
        for app_urn, owners in targets:
            if is_unknown(owners):
                yield Unknown(f"{resource.name}.owners", resource.urn)
                continue
            if not owners:
                continue
            held = ", ".join(dict.fromkeys(privileged[app_urn]))
            yield Violation(f"{resource.name} makes {owners} owner of application {by_urn[app_urn].name}, which holds "
                            f"{held}: an owner adds a credential to the app and acts with those permissions",
                            resource.urn)


RULE = Rule(
    id="AGID-AZ-033",
    title="entra-no-owner-of-privileged-app",
    severity="critical",
    category="escalation",
    description="Applications holding tenant-write Microsoft Graph permissions or privileged directory roles, and "
                "applications or service principals the stack does not define, have no owners (an owner can add "
                "credentials and act as the app).",
    remediation="Remove the owners (ApplicationOwner, owners) of the privileged or outside app; manage it through a "
                "privileged role activated in PIM, or drop the privileged permission; define the app in the stack to "
                "have its permissions judged.",
    url="https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions",
    check=check,
    stack=True,
    reads=(APPLICATION, SERVICE_PRINCIPAL, APPLICATION_OWNER, API_ACCESS, APP_ROLE_ASSIGNMENT, DIRECTORY_ROLE_ASSIGNMENT),
)
