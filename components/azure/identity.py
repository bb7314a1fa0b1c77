"""One agent's Azure identity: a user-assigned managed identity, its keyless trust and its least-privilege roles.

- `managedidentity.UserAssignedIdentity`, tagged for the inventory.
- One `managedidentity.FederatedIdentityCredential` per trust binding usable on Azure
  (GitHub Actions, Kubernetes service accounts, SPIFFE JWT-SVIDs), audience
  `api://AzureADTokenExchange`, each waiting for the previous one: Azure rejects
  concurrent credential writes to one identity.
- Per Azure tool, a custom `authorization.RoleDefinition` holding exactly the tool's
  operations, assignable only at the tool's scope, and a `RoleAssignment` of it to
  the identity at that scope.
- With Entra OAuth tools, the agent's Entra application (see `entra.py`).
"""

from __future__ import annotations

import functools
from typing import Any

import pulumi
from pulumi_azure_native import authorization, managedidentity

from agentid_components.child_names import ChildNames
from agentid_components.azure.entra import EntraClientResources, ResourceAppRef, create_agent_client
from agentid_components.azure.inventory import agent_inventory
from agentid_components.azure.plan import AgentPlan, RoleGrant
from agentid_components.outputs import resolve_nested

TYPE_TOKEN = "agentid:azure:AgentIdentity"


class AzureAgentIdentity(pulumi.ComponentResource):
    """Everything one agent is on Azure. Build it from a checked plan (`plan.plan_fleet`)."""

    identity: managedidentity.UserAssignedIdentity
    entra: EntraClientResources | None

    def __init__(
        self,
        plan: AgentPlan,
        resource_apps: dict[str, ResourceAppRef],
        opts: pulumi.ResourceOptions | None = None,
        name: str | None = None,
        legacy: bool = False,
    ) -> None:
        """`name`: the logical name (default: the agent's), prefix of every child's; `legacy`: alias the children
        named by their Azure names before that convention (see `child_names`)."""
        name = name or plan.agent.name
        super().__init__(TYPE_TOKEN, name, None, opts)
        names = ChildNames(self, name, legacy)
        for warning in plan.warnings:
            pulumi.log.warn(warning, resource=self)
        agent = plan.agent.name
        self.identity = managedidentity.UserAssignedIdentity(
            names.name("identity"),
            resource_name_=plan.identity_name,
            resource_group_name=plan.resource_group,
            location=plan.location,
            tags=plan.tags,
            opts=names.options(plan.identity_name),  # named by its Azure name before the convention
        )
        self._federate(plan, plan.identity_name, self.identity, name)
        # azure_identity_per_tool: each Azure tool's role goes to an identity of its own, trusted the same way.
        self.tool_identities: dict[str, managedidentity.UserAssignedIdentity] = {}
        for role in plan.roles:
            holder = self.identity
            if role.identity_name is not None:
                holder = managedidentity.UserAssignedIdentity(
                    names.name(f"{role.tool}-identity"),
                    resource_name_=role.identity_name,
                    resource_group_name=plan.resource_group,
                    location=plan.location,
                    tags={**plan.tags, "tool": role.tool},
                    opts=names.options(role.identity_name),
                )
                self._federate(plan, role.identity_name, holder, f"{name}-{role.tool}")
                self.tool_identities[role.tool] = holder
            self._grant(agent, role, holder)
        self.entra = None
        self._resource_apps = resource_apps
        if plan.entra:
            self.entra = create_agent_client(
                plan, self.identity.principal_id, self.identity.tenant_id, resource_apps, parent=self
            )
        self.plan = plan
        self.ids = self._ids()
        # Only the identifiers: the inventory is the stack's to export, registering it here would serialize it again.
        self.register_outputs({"clientId": self.identity.client_id, "principalId": self.identity.principal_id})

    @functools.cached_property
    def inventory(self) -> pulumi.Output[dict[str, Any]]:
        """This agent's inventory entry (built on first use: the fleet resolves every agent's ids at once)."""
        return resolve_nested(self.ids).apply(self.inventory_entry)

    def inventory_entry(self, ids: dict[str, Any]) -> dict[str, Any]:
        """The inventory entry, given `ids` resolved (see `_ids`)."""
        return agent_inventory(self.plan, ids["identity"], ids["entra"], ids.get("tools") or {})

    def _federate(self, plan: AgentPlan, identity_name: str, identity: managedidentity.UserAssignedIdentity, prefix: str) -> None:
        """One federated credential per trust binding, each after the previous (Azure rejects concurrent writes)."""
        previous: pulumi.Resource = identity
        for credential in plan.federated:
            previous = managedidentity.FederatedIdentityCredential(
                f"{prefix}-{credential.name}",
                federated_identity_credential_resource_name=credential.name,
                resource_name_=identity_name,
                resource_group_name=plan.resource_group,
                issuer=credential.issuer,
                subject=credential.subject,
                audiences=list(credential.audiences),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous]),
            )

    def _grant(self, agent: str, role: RoleGrant, holder: managedidentity.UserAssignedIdentity) -> None:
        # Both names are fixed GUIDs: a replacement must delete the old object before creating its twin.
        definition = authorization.RoleDefinition(
            f"{self.pulumi_resource_name}-{role.tool}-role",
            role_definition_id=role.definition_guid,
            role_name=role.role_name,
            role_type="CustomRole",
            description=role.description,
            scope=role.scope,
            assignable_scopes=[role.scope],
            permissions=[
                authorization.PermissionArgs(
                    actions=list(role.actions),
                    data_actions=list(role.data_actions),
                    not_actions=[],
                    not_data_actions=[],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        authorization.RoleAssignment(
            f"{self.pulumi_resource_name}-{role.tool}-assignment",
            role_assignment_name=role.assignment_guid,
            scope=role.scope,
            role_definition_id=role.role_definition_id,
            principal_id=holder.principal_id,
            # Without it a brand-new identity fails with PrincipalNotFound while Entra replicates it.
            principal_type="ServicePrincipal",
            description=f"{role.role_name} for managed identity {role.identity_name or 'of agent ' + agent}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[definition], delete_before_replace=True),
        )

    def _ids(self) -> dict[str, Any]:
        """The identifiers Azure assigns that the inventory names, as Outputs (resolve with `resolve_nested`)."""
        identity = {
            "client_id": self.identity.client_id,
            "principal_id": self.identity.principal_id,
            "tenant_id": self.identity.tenant_id,
            "resource_id": self.identity.id,
            "resource_group": self.plan.resource_group,
        }
        entra = None
        if self.entra:
            entra = {
                "client_id": self.entra.application.client_id,
                "application_object_id": self.entra.application.object_id,
                "service_principal_object_id": self.entra.service_principal.object_id,
                "app_role_ids": {
                    f"{grant.audience} {grant.scope}": self._resource_apps[grant.audience].app_role_ids[grant.scope]
                    for grant in self.plan.entra.grants
                },
            }
        tools = {
            tool: {"name": holder_name, "client_id": holder.client_id, "principal_id": holder.principal_id, "resource_id": holder.id}
            for (tool, holder), holder_name in zip(
                self.tool_identities.items(), [r.identity_name for r in self.plan.roles if r.identity_name is not None]
            )
        }
        return {"identity": identity, "entra": entra, "tools": tools}
