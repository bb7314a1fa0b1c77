"""AgentFleet: a stack's agents compiled onto every cloud they use, and the inventory as an output.

The one component the stack program declares. It hands each cloud's agents to
that cloud's fleet component (`components.aws.fleet.AwsAgents`,
`components.azure.fleet.AzureAgents`) and merges their inventories with the
spec's own facts (owner, purpose, review date, lifetimes).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.aws.fleet import AwsAgents, AwsSettings
from components.azure.fleet import AzureAgents, AzureSettings
from components.loader import LoadedInventory
from components.spec import Agent

TYPE_TOKEN = "agentid:index:AgentFleet"


def _spec_facts(agent: Agent) -> dict[str, Any]:
    return {
        "owner": agent.owner,
        "purpose": agent.purpose,
        "environment": agent.environment,
        "review_by": agent.review_by.isoformat(),
        "clouds": agent.clouds,
        "credential_lifetime_minutes": agent.max_credential_minutes,
        "tools": [tool.name for tool in agent.tools],
    }


class AgentFleet(pulumi.ComponentResource):
    """Every agent of the stack. Output `inventory`: agent -> spec facts + `aws` + `azure` entries."""

    def __init__(
        self,
        name: str,
        loaded: LoadedInventory,
        aws_settings: AwsSettings,
        azure_settings: AzureSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        agents = loaded.inventory.agents
        child = pulumi.ResourceOptions(parent=self)
        on_aws = [agent for agent in agents if "aws" in agent.clouds]
        on_azure = [agent for agent in agents if "azure" in agent.clouds]
        self.aws = AwsAgents("aws", on_aws, aws_settings, child) if on_aws else None
        self.azure = AzureAgents("azure", on_azure, azure_settings, child) if on_azure else None
        aws_inventory = self.aws.inventory if self.aws else {}
        azure_inventory = self.azure.inventory if self.azure else {}
        self.inventory = pulumi.Output.all(aws_inventory, azure_inventory).apply(
            lambda clouds: {
                agent.name: {
                    **_spec_facts(agent),
                    **({"aws": clouds[0][agent.name]} if agent.name in clouds[0] else {}),
                    **({"azure": clouds[1][agent.name]} if agent.name in clouds[1] else {}),
                }
                for agent in agents
            }
        )
        self.client_secrets = self.aws.client_secrets if self.aws else None
        self.register_outputs({"inventory": self.inventory})
