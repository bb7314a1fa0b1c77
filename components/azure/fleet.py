"""The Azure side of a fleet: per-stack shared Entra resource applications and one identity per agent.

Usage in a stack program:

    settings = AzureSettings.from_config(spec_dir=Path(loaded.file).parent)
    azure = AzureAgents("azure", loaded.inventory.agents, settings)
    pulumi.export("azure", azure.inventory)

Everything is planned and checked first (`plan.plan_fleet`): bad input raises
`AzureCompileError` before a single resource, the component included, registers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from agentid_components.azure.entra import create_resource_app
from agentid_components.azure.identity import AzureAgentIdentity
from agentid_components.azure.plan import FleetPlan, plan_fleet
from agentid_components.outputs import resolve_nested
from agentid_components.spec import Agent

CONFIG_NAMESPACE = "agent-identity-kit"
TYPE_TOKEN = "agentid:azure:AgentFleet"


@dataclass(frozen=True)
class AzureSettings:
    """Where the agents' Azure identities live.

    resource_group: existing resource group holding the managed identities (config `azureResourceGroup`;
        required as soon as one agent has Azure tools).
    location: Azure region of the identities (config `azureLocation`; default: the azure-native
        provider's `azure-native:location`).
    spec_dir: directory the agent file's relative paths (client certificates) are resolved from.
    """

    resource_group: str | None = None
    location: str | None = None
    spec_dir: Path = Path(".")

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None, spec_dir: str | Path = ".") -> "AzureSettings":
        config = config or pulumi.Config(CONFIG_NAMESPACE)
        return cls(
            resource_group=config.get("azureResourceGroup"),
            location=config.get("azureLocation"),
            spec_dir=Path(spec_dir),
        )


class AzureAgents(pulumi.ComponentResource):
    """One `AzureAgentIdentity` per agent with Azure tools, plus the Entra applications of their OAuth audiences."""

    identities: dict[str, AzureAgentIdentity]

    def __init__(
        self,
        name: str,
        agents: list[Agent],
        settings: AzureSettings,
        opts: pulumi.ResourceOptions | None = None,
        plans: FleetPlan | None = None,
    ) -> None:
        """`plans`: what `AzureAgents.check(agents, settings)` returned, if the caller already checked them."""
        plan = plans if plans is not None else self.check(agents, settings)
        super().__init__(TYPE_TOKEN, name, None, opts)
        resource_apps = {
            audience: create_resource_app(app, parent=self) for audience, app in plan.resource_apps.items()
        }
        self.identities = {
            agent_plan.agent.name: AzureAgentIdentity(agent_plan, resource_apps, pulumi.ResourceOptions(parent=self))
            for agent_plan in plan.agents
        }
        # The inventory is the caller's to export; registering it here would serialize it a second time.
        self.register_outputs({"agents": list(self.identities)})

    @staticmethod
    def check(agents: list[Agent], settings: AzureSettings) -> FleetPlan:
        """Plan and check every agent without registering anything; raise `AzureCompileError`.

        The constructor runs this first; a parent component can call it before registering itself.
        """
        return plan_fleet(agents, settings.resource_group, settings.location, settings.spec_dir)

    @functools.cached_property
    def inventory(self) -> pulumi.Output[dict[str, dict[str, Any]]]:
        """Agent -> inventory entry, built on first use: one Output over every agent's Azure ids."""
        identities = self.identities
        return resolve_nested({agent: identity.ids for agent, identity in identities.items()}).apply(
            lambda ids: {agent: identities[agent].inventory_entry(ids[agent]) for agent in identities}
        )
