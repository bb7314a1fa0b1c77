"""AGID-AZ-044 (stack): a federated identity credential is added only to an identity the stack defines.

A federated identity credential lets whoever its issuer signs `subject` for get tokens AS the identity it is added
to: a user-assigned managed identity (`managedidentity.FederatedIdentityCredential`, named by `resourceGroupName`
+ `resourceName`) or an Entra application (`azuread.ApplicationFederatedIdentityCredential` /
`ApplicationFlexibleFederatedIdentityCredential`, named by `applicationId`). Added to an identity the stack does
not define (an existing production identity holding Owner, an app with Graph permissions), it hands that
identity's roles to the workload, and the pack cannot see them: "cannot check" (fail closed). It is the program-side
twin of a role holding `federatedIdentityCredentials/write` (AGID-AZ-012, capability federate-identity), and the
keyless form of adding a secret to an existing application (AzureHound's AZAddSecret edge; a secret or certificate
is AGID-AZ-001's). Source: https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations.

The identity is the stack's when the credential depends on it (directly or through the chain of earlier credentials
the kit writes one at a time: Azure refuses concurrent writes) and, where the name is known, names it: the managed
identity's `resourceName` and resource group (case-insensitive, as Azure compares names). Never its Pulumi name
(issue 11): azure-native autonames an identity without `resourceName` `<logical name><8 random hex>`, so a literal
equal to the logical name is an existing identity (under the gate its mocks autoname as the provider does, and an
Output of the identity's name arrives as that name). A literal name without that dependency is an existing identity:
creating the stack's twin fails (the name is taken) while the credential, created in parallel, stays. A name unknown at preview is the stack's identity only as
iam_links.output_sources proves it (the credential depends on stack identities and nothing else, red12 #7).
An application id is an output: a literal is the stack's application only when it equals one's known id (after
deployment, or the id the gate's mocks give it); a literal id of an existing application with `depends_on` a stack
application is an existing one (red12 #7); an id unknown at preview as output_sources proves it.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import azure_name, known_state, output_sources

MANAGED_IDENTITY_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
APPLICATION_CREDENTIALS = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential",
)
MANAGED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
APPLICATIONS = ("azuread:index/application:Application", "azuread:index/applicationRegistration:ApplicationRegistration")
_MAX_DEPTH = 64  # a chain of credentials is at most 20 long (Azure's limit per identity); deeper is no link


def depended_on(resource: Resource, by_urn: dict[str, Resource], types: tuple[str, ...]) -> list[Resource]:
    """The stack resources of `types` that `resource` depends on, directly or through other resources' dependencies."""
    found, seen, frontier = [], set(), list(resource.dependencies)
    for _ in range(_MAX_DEPTH):
        next_frontier = []
        for urn in frontier:
            if urn in seen or urn not in by_urn:
                continue
            seen.add(urn)
            if by_urn[urn].type in types:
                found.append(by_urn[urn])
            next_frontier.extend(by_urn[urn].dependencies)
        if not next_frontier:
            break
        frontier = next_frontier
    return found


def _same(value: object, own: object) -> bool:
    """Whether a name `value` is the identity's `own` name; an unknown on either side is the deployment's to fill."""
    if is_unknown(value) or is_unknown(own):
        return True
    return isinstance(value, str) and isinstance(own, str) and value.strip().lower() == own.strip().lower()


def _names_identity(credential: Resource, identity: Resource) -> bool:
    """Whether the credential's names are the identity's: its Azure name (iam_links.azure_name: its `resourceName`,
    or the name azure-native autonamed it `<logical><8 hex>` as known_state knows it; never its logical name, issue
    11) and resource group."""
    own_name = azure_name(identity, "resourceName")
    return (own_name is not None and _same(credential.props.get("resourceName"), own_name)
            and _same(credential.props.get("resourceGroupName"), known_state(identity).get("resourceGroupName")))


def _application_ids(application: Resource) -> set[str]:
    """The KNOWN ids an `applicationId` naming `application` holds (`/applications/OBJECT_ID`, azuread >= 3): its
    `id` / `objectId` where the engine sends them (after deployment), and under the gate the id its mocks give it
    (agentid.mock_provider: the object id derived from the Pulumi name). A new application's ids exist only once
    Entra creates it, so a literal naming none of these is an existing application (red12 #7)."""
    state = known_state(application)
    known = {state.get("id")}
    object_id = state.get("objectId")
    if isinstance(object_id, str):
        known.add(f"/applications/{object_id}")
    return {value.strip().lower() for value in known if isinstance(value, str) and not is_unknown(value)}


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    identities = [resource for resource in resources if resource.type == MANAGED_IDENTITY]
    applications = [resource for resource in resources if resource.type in APPLICATIONS]
    own_ids: set[str] | None = None
    for resource in resources:
        if resource.type == MANAGED_IDENTITY_CREDENTIAL:
            name, group = resource.props.get("resourceName"), resource.props.get("resourceGroupName")
            if is_unknown(name):
                if output_sources(resource, identities, ("resourceName",)) is None:
                    yield Unknown(f"{resource.name}.resourceName", resource.urn)
                continue
            if any(_names_identity(resource, identity) for identity in depended_on(resource, by_urn, (MANAGED_IDENTITY,))):
                continue
            if is_unknown(group):
                yield Unknown(f"{resource.name}.resourceGroupName", resource.urn)
                continue
            target = f"managed identity {str(group)[:90]}/{str(name)[:90]}"
        elif resource.type in APPLICATION_CREDENTIALS:
            application = resource.props.get("applicationId")
            if is_unknown(application):
                if output_sources(resource, applications, ("id",)) is None:
                    yield Unknown(f"{resource.name}.applicationId", resource.urn)
                continue
            if own_ids is None:  # every application's known ids, once (a scan per credential was quadratic)
                own_ids = set().union(*map(_application_ids, applications))
            if isinstance(application, str) and application.strip().lower() in own_ids:
                continue
            target = f"application {str(application)[:120]!r}"
        else:
            continue
        yield Violation(f"{resource.name} adds a federated credential to {target}, which this stack does not define: "
                        "whoever its issuer signs the subject for becomes that identity, whose roles and permissions "
                        "cannot be checked here", resource.urn)


RULE = Rule(
    id="AGID-AZ-044",
    title="azure-federated-credential-own-identity",
    severity="critical",
    category="unparseable",
    description="Federated identity credentials are added only to managed identities and Entra applications the same "
                "stack defines, so the roles and permissions a federated workload gains are judged.",
    remediation="Define the identity in this stack (managedidentity.UserAssignedIdentity, azuread.Application) and "
                "reference it (resource_name_=identity.name, application_id=app.id); do not federate existing identities "
                "from an agent's stack.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations",
    check=check,
    stack=True,
    reads=(MANAGED_IDENTITY_CREDENTIAL, *APPLICATION_CREDENTIALS, MANAGED_IDENTITY, *APPLICATIONS),
)
