"""AGID-AZ-055 (stack): no app is consented, for every user of the tenant, to a Microsoft first-party API's delegated
scope that acts as the signed-in user on a whole service (Azure Resource Manager, Key Vault, Storage, SQL, DevOps,
AKS, Exchange `EWS.AccessAsUser.All`, ...).

An `azuread.ServicePrincipalDelegatedPermissionGrant` without `userObjectId` is admin consent for all principals
(consentType AllPrincipals): whenever anyone signs in to the app, it gets tokens for the resource API with that user's
rights, and an Owner or a Key Vault administrator signs in sooner or later (red11a r32: `user_impersonation` on
Azure Service Management, Key Vault and Storage passed while Graph's Directory.AccessAsUser.All was blocked by
AGID-AZ-021). The resource is the service principal `resourceServicePrincipalObjectId` names; its object id differs
in every tenant, so it is read as a stack `azuread.ServicePrincipal` it names (its object id Output, as
iam_links.output_sources proves it, or its known object id; a bare depends_on names none, issue 11) whose `clientId`
is a first-party API of policy_packs/analysis/entra_privileged.yaml (`first_party_delegated_apis`, with sources).
A grant of such a scope (`user_impersonation`, `EWS.AccessAsUser.All`, ...) whose resource the stack does not show
cannot be checked (the object id may be any tenant's ARM principal); a stack service principal of the stack's own
application (its `clientId` comes from an `azuread.Application`) is the org's own API and is not judged here.
Consent of one user (`userObjectId` set) acts only as that user and is not flagged.
Source: https://learn.microsoft.com/en-us/graph/api/resources/oauth2permissiongrant (consentType AllPrincipals),
https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import first_party_delegated_scope, first_party_delegated_scope_names
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources
from .stack_inputs import judged, strings

DELEGATED_GRANT = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION = "azuread:index/application:Application"


def _resource_principals(grant: Resource, principals: list[Resource]) -> list[Resource]:
    """The stack service principals `resourceServicePrincipalObjectId` names: a literal equal to one's known object id
    (after deployment, or the gate mocks'), an Output unknown at preview as iam_links.output_sources proves it. A bare
    dependency names none (issue 11: an existing ARM principal's object id with depends_on a harmless stack principal
    passed as the harmless one)."""
    value = grant.props.get("resourceServicePrincipalObjectId")
    if is_unknown(value):
        return output_sources(grant, principals, ("objectId", "id"), "resourceServicePrincipalObjectId") or []
    if not isinstance(value, str):
        return []
    wanted = value.strip().lower()
    return [p for p in principals
            if wanted in {str(v).strip().lower() for v in (known_state(p).get("objectId"), known_state(p).get("id"))
                          if isinstance(v, str) and not is_unknown(v)}]


def _resource_apps(grant: Resource, by_urn: dict[str, Resource]) -> tuple[list[str], bool]:
    """(client ids of the stack service principals the grant's resource names, whether one of them is the stack's own
    application's: its clientId the Application's Output as output_sources proves it)."""
    client_ids, own = [], False
    principals = [r for r in by_urn.values() if r.type == SERVICE_PRINCIPAL]
    applications = [r for r in by_urn.values() if r.type == APPLICATION]
    for principal in _resource_principals(grant, principals):
        client_id = principal.props.get("clientId")
        if isinstance(client_id, str) and not is_unknown(client_id):
            client_ids.append(client_id)
        elif is_unknown(client_id) and output_sources(principal, applications, ("clientId",), "clientId"):
            own = True  # the stack's own API: its client id is the Application's output
    return client_ids, own


def _judge(grant: Resource, by_urn: dict[str, Resource]):
    user = grant.props.get("userObjectId")
    if is_unknown(user):
        yield Unknown("userObjectId", grant.urn)
        return
    if user is not None:
        return  # one user's consent: acts only as that user
    scopes = strings(grant, "claimValues", grant.props.get("claimValues"))
    client_ids, own = _resource_apps(grant, by_urn)
    for client_id in client_ids:
        for scope in scopes:
            api = first_party_delegated_scope(client_id, scope)
            if api:
                yield Violation(f"{grant.name} consents for every user of the tenant to {scope} of {api.name} "
                                f"({api.id}): the app, with any user's sign-in, {api.why}", grant.urn)
    if client_ids or own:
        return
    acting = sorted({scope for scope in scopes if scope.strip().lower() in first_party_delegated_scope_names()})
    if acting:
        yield Violation(f"{grant.name}: cannot check: consents for every user to {', '.join(acting)} of a service "
                        "principal the stack does not define (resourceServicePrincipalObjectId), which may be Azure "
                        "Resource Manager, Key Vault or Storage: define it in the stack (azuread.ServicePrincipal "
                        "with its clientId, use_existing) so the API can be judged", grant.urn)


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    for resource in resources:
        if resource.type == DELEGATED_GRANT:
            yield from judged(_judge(resource, by_urn))


RULE = Rule(
    id="AGID-AZ-055",
    title="entra-no-tenant-consent-to-act-as-users",
    severity="critical",
    category="escalation",
    description="No app is consented for every user to a first-party API scope that acts as the user on a whole service "
                "(Azure Resource Manager / Key Vault / Storage / SQL / DevOps / AKS user_impersonation, Exchange "
                "EWS.AccessAsUser.All, ...).",
    remediation="Consent per user (userObjectId) or give the app its own identity with Azure roles scoped to what it "
                "uses; tenant-wide consent to act as users stays out of agent stacks.",
    url="https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent",
    check=check,
    stack=True,
    reads=(DELEGATED_GRANT, SERVICE_PRINCIPAL),
)
