"""One agent's Azure inventory entry: what identifies it, what it may do, and how to cut it off.

Built from the plan plus the identifiers Azure assigns (client and principal
ids), once those are known. The revocation commands name exact objects, so an
operator can run them without looking anything up.

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

from typing import Any

from agentid_components.azure.plan import ENTRA_ISSUER, AgentPlan, FederatedCredential
from agentid_components.revocation import azure_revocation_steps


def _credential(credential: FederatedCredential) -> dict[str, Any]:
    return {
        "name": credential.name,
        "kind": credential.kind,
        "issuer": credential.issuer,
        "subject": credential.subject,
        "audiences": list(credential.audiences),
    }


def agent_inventory(
    plan: AgentPlan, identity: dict[str, str], entra: dict[str, str] | None, tools: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    """`identity`: client_id, principal_id, tenant_id, resource_id of the managed identity;
    `entra`: client_id, application_object_id, service_principal_object_id of the agent's Entra app;
    `tools`: tool -> name, client_id, principal_id, resource_id of its own identity (azure_identity_per_tool)."""
    tools = tools or {}
    agent = plan.agent
    return {
        "agent": agent.name,
        "owner": agent.owner,
        "environment": agent.environment,
        "review_by": agent.review_by.isoformat(),
        "client_id": identity["client_id"],
        "principal_id": identity["principal_id"],
        "tenant_id": identity["tenant_id"],
        "managed_identity": {
            "name": plan.identity_name,
            "resource_group": identity.get("resource_group", plan.resource_group),
            "resource_id": identity["resource_id"],
        },
        "federated_subjects": [_credential(credential) for credential in plan.federated],
        "attach_to": list(plan.hosted_on),
        "roles": [
            {
                "tool": role.tool,
                "role_name": role.role_name,
                "role_definition_id": role.role_definition_id,
                "scope": role.scope,
                "actions": list(role.actions),
                "data_actions": list(role.data_actions),
                "assignment_id": role.assignment_id,
                **({"identity": tools[role.tool]} if role.tool in tools else {}),
            }
            for role in plan.roles
        ],
        "oauth": _oauth_entry(plan, identity, entra) if plan.entra else None,
        "revocation": {
            "steps": azure_revocation_steps(agent, plan.suffix),
            "commands": revocation_commands(plan, entra, identity.get("resource_group", plan.resource_group)),
        },
    }


def _oauth_entry(plan: AgentPlan, identity: dict[str, str], entra: dict[str, str]) -> dict[str, Any]:
    client = plan.entra
    credentials = [_credential(credential) for credential in client.federated]
    if client.managed_identity_credential:
        credentials.append(
            _credential(
                FederatedCredential(
                    client.managed_identity_credential,
                    "managed_identity",
                    ENTRA_ISSUER.format(tenant=identity["tenant_id"]),
                    identity["principal_id"],
                )
            )
        )
    certificate = client.certificate
    return {
        "client_id": entra["client_id"],
        "application_object_id": entra["application_object_id"],
        "service_principal_object_id": entra["service_principal_object_id"],
        "federated_subjects": credentials,
        "certificate": {
            "file": certificate.file,
            "key_id": certificate.key_id,
            "thumbprint_sha1": certificate.thumbprint_sha1,
            "thumbprint_sha256": certificate.thumbprint_sha256,
            "not_after": certificate.not_after,
        }
        if certificate
        else None,
        "scopes": [
            {"tool": grant.tool, "audience": grant.audience, "scope": grant.scope,
             "app_role_id": entra.get("app_role_ids", {}).get(f"{grant.audience} {grant.scope}", grant.app_role_id)}
            for grant in client.grants
        ],
        # client credentials against Entra: one token per API, carrying the assigned app roles in `roles`
        "token_requests": sorted({f"scope={grant.audience}/.default" for grant in client.grants}),
    }


def revocation_commands(plan: AgentPlan, entra: dict[str, str] | None, resource_group: str | None = None) -> list[str]:
    """Azure CLI commands that cut the agent off, most urgent first (`resource_group`: resolved, if the plan's is an Output)."""
    commands: list[str] = []
    if plan.entra and entra:
        # Stops Entra issuing new tokens to the agent's app at once, whatever credential it presents.
        commands.append(f"az ad sp update --id {entra['service_principal_object_id']} --set accountEnabled=false")
    commands += [
        f"az identity federated-credential delete --resource-group {resource_group or plan.resource_group} "
        f"--identity-name {plan.identity_name} --name {credential.name} --yes"
        for credential in plan.federated
    ]
    commands += [f"az role assignment delete --ids {role.assignment_id}" for role in plan.roles]
    if plan.entra and entra:
        app = entra["client_id"]
        names = [credential.name for credential in plan.entra.federated]
        if plan.entra.managed_identity_credential:
            names.append(plan.entra.managed_identity_credential)
        commands += [f"az ad app federated-credential delete --id {app} --federated-credential-id {name}" for name in names]
        if plan.entra.certificate:
            commands.append(f"az ad app credential delete --id {app} --key-id {plan.entra.certificate.key_id} --cert")
    return commands
