"""Entra ID (pulumi-azuread) resources for OAuth 2.1 client credentials.

An API or MCP server is an Entra application whose identifier URI is the
audience and whose app roles are the scopes agents ask for (application
permissions: client-credentials tokens carry them in the `roles` claim). Each
agent gets its own application and service principal whose only credentials
are federated identity credentials and, if the spec names one, a public
certificate: no password, no implicit grant, no public-client flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread

from agentid_components import naming
from agentid_components.child_names import ChildNames
from agentid_components.azure.plan import ENTRA_ISSUER, TOKEN_EXCHANGE_AUDIENCE, AgentPlan, ResourceApp

ONLY_THIS_TENANT = "AzureADMyOrg"
# Redirect-based browser flows are off: these applications authenticate as themselves only.
_NO_BROWSER_FLOWS = azuread.ApplicationWebArgs(
    implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
        access_token_issuance_enabled=False, id_token_issuance_enabled=False
    )
)


@dataclass
class ResourceAppRef:
    """The Entra application of one API / MCP server, created by this stack or referenced (platform stack).

    Agents' applications request its roles by `client_id`; their role assignments name its service principal.
    """

    audience: str
    client_id: pulumi.Input[str]
    service_principal_object_id: pulumi.Input[str]
    app_role_ids: dict[str, pulumi.Input[str]]  # scope -> app role id


def create_resource_app(plan: ResourceApp, names: ChildNames) -> ResourceAppRef:
    """The application and service principal standing for one API / MCP server, shared by every agent.

    Its identifier URI (the audience) is unique per tenant: a second stack with this audience in the same
    tenant must reference it (`azureApiApplications`, or the platform stack) rather than create it.
    """
    options = names.options(plan.display_name)
    application = azuread.Application(
        names.name(plan.display_name),
        display_name=plan.display_name,
        identifier_uris=[plan.audience],
        sign_in_audience=ONLY_THIS_TENANT,
        app_roles=[
            azuread.ApplicationAppRoleArgs(
                id=role_id,
                value=scope,
                display_name=scope,
                description=f"Client-credentials scope '{scope}' on {plan.audience}",
                allowed_member_types=["Application"],  # granted to agents' service principals, never to users
                enabled=True,
            )
            for scope, role_id in sorted(plan.roles.items())
        ],
        fallback_public_client_enabled=False,
        web=_NO_BROWSER_FLOWS,
        prevent_duplicate_names=True,
        tags=[f"{naming.TAG_MANAGED_BY}:{naming.MANAGED_BY}"],
        opts=options,
    )
    service_principal = azuread.ServicePrincipal(
        names.name(plan.display_name),
        client_id=application.client_id,
        # Entra issues tokens for this API only to principals assigned one of its app roles.
        app_role_assignment_required=True,
        opts=options,
    )
    return ResourceAppRef(plan.audience, application.client_id, service_principal.object_id, dict(plan.roles))


@dataclass
class EntraClientResources:
    application: azuread.Application
    service_principal: azuread.ServicePrincipal


def create_agent_client(
    plan: AgentPlan,
    identity_principal_id: pulumi.Output[str],
    identity_tenant_id: pulumi.Output[str],
    resource_apps: dict[str, ResourceAppRef],
    parent: pulumi.Resource,
) -> EntraClientResources:
    """The agent's own Entra application, its keyless credentials and its app role assignments, children of
    `parent` (the agent's Azure component) named `<parent's name>-entra-app`, ..."""
    client = plan.entra
    agent = plan.agent
    prefix = parent.pulumi_resource_name
    options = pulumi.ResourceOptions(parent=parent)
    roles_by_audience: dict[str, list[pulumi.Input[str]]] = {}
    for grant in client.grants:
        roles_by_audience.setdefault(grant.audience, []).append(resource_apps[grant.audience].app_role_ids[grant.scope])
    application = azuread.Application(
        f"{prefix}-entra-app",
        display_name=client.display_name,
        sign_in_audience=ONLY_THIS_TENANT,
        fallback_public_client_enabled=False,
        web=_NO_BROWSER_FLOWS,
        # Shows reviewers, in the portal, which API permissions the agent holds (granted below).
        required_resource_accesses=[
            azuread.ApplicationRequiredResourceAccessArgs(
                resource_app_id=resource_apps[audience].client_id,
                resource_accesses=[
                    azuread.ApplicationRequiredResourceAccessResourceAccessArgs(id=role_id, type="Role")
                    for role_id in role_ids
                ],
            )
            for audience, role_ids in roles_by_audience.items()
        ],
        prevent_duplicate_names=True,
        notes=agent.purpose,
        tags=[f"{key}:{value}" for key, value in plan.tags.items()],
        opts=options,
    )
    service_principal = azuread.ServicePrincipal(
        f"{prefix}-entra-sp",
        client_id=application.client_id,
        account_enabled=True,  # revocation sets this to false
        app_role_assignment_required=True,  # nobody may obtain a token *for* the agent's app
        notes=f"Agent {agent.name}, owner {agent.owner}, review by {agent.review_by.isoformat()}",
        opts=options,
    )
    # Credential writes to one application conflict when concurrent: chain them.
    previous: pulumi.Resource = application
    for credential in client.federated:
        previous = _app_federated_credential(
            agent.name, application, credential.name, credential.kind, credential.issuer, credential.subject, previous, parent
        )
    if client.managed_identity_credential:
        previous = _app_federated_credential(
            agent.name,
            application,
            client.managed_identity_credential,
            "managed_identity",
            identity_tenant_id.apply(lambda tenant: ENTRA_ISSUER.format(tenant=tenant)),
            identity_principal_id,
            previous,
            parent,
        )
    if client.certificate:
        certificate = client.certificate
        azuread.ApplicationCertificate(
            f"{prefix}-entra-certificate",
            application_id=application.id,
            type="AsymmetricX509Cert",
            encoding="pem",
            value=certificate.pem,  # public certificate only: the plan refuses files holding a private key
            key_id=certificate.key_id,
            end_date=certificate.not_after,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[previous]),
        )
    for grant in client.grants:
        azuread.AppRoleAssignment(
            f"{prefix}-{grant.tool}-{grant.app_role_id[:8]}",
            app_role_id=resource_apps[grant.audience].app_role_ids[grant.scope],
            principal_object_id=service_principal.object_id,
            resource_object_id=resource_apps[grant.audience].service_principal_object_id,
            opts=options,
        )
    return EntraClientResources(application, service_principal)


def _app_federated_credential(
    agent: str,
    application: azuread.Application,
    name: str,
    kind: str,
    issuer: pulumi.Input[str],
    subject: pulumi.Input[str],
    previous: pulumi.Resource,
    parent: pulumi.Resource,
) -> azuread.ApplicationFederatedIdentityCredential:
    return azuread.ApplicationFederatedIdentityCredential(
        f"{parent.pulumi_resource_name}-app-{name}",
        application_id=application.id,
        display_name=name,
        description=f"{kind} of agent {agent}",
        issuer=issuer,
        subject=subject,
        audiences=[TOKEN_EXCHANGE_AUDIENCE],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[previous]),
    )
