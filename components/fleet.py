"""AgentFleet: a stack's agents compiled onto every cloud they use, and the inventory as an output.

The one component the stack program declares. It hands each cloud's agents to
that cloud's fleet component (`agentid_components.aws.fleet.AwsAgents`,
`agentid_components.azure.fleet.AzureAgents`) and merges their inventories with the
spec's own facts (owner, purpose, review date, lifetimes). Both clouds' agents
are checked before the fleet registers itself, so bad input registers nothing.
"""

from __future__ import annotations

import weakref
from typing import Any

import pulumi

from agentid_components.aws.fleet import AwsAgents, AwsSettings
from agentid_components.azure.fleet import AzureAgents, AzureSettings
from agentid_components.gcp.fleet import GcpAgents, GcpSettings
from agentid_components.workload.fleet import Workloads, WorkloadSettings
from agentid_components.loader import LoadedInventory
from agentid_components.outputs import resolve_nested
from agentid_components.spec import Agent

TYPE_TOKEN = "agentid:index:AgentFleet"


class FleetError(pulumi.RunError):
    """A second AgentFleet in one stack (Pulumi prints the one-line message without a traceback)."""


# The fleets of the running program, per resource monitor (one a deployment; the mocks make one per test run).
_fleets: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def _claim_stack(name: str) -> None:
    """Refuse a second AgentFleet in the running program, naming both.

    The fleet's children have fixed names ("aws", "azure", "<agent>-role", ...) and a child's URN holds its
    parent's type, not its name, so two fleets in one stack would register the same URNs (and, for the same
    agent, the same physical names). Scoping the names by fleet would rename every child of every deployed
    single-fleet stack (a replacement unless each child got an alias), so one fleet a stack it is.
    """
    monitor = pulumi.runtime.settings.get_monitor()
    try:
        first = _fleets.get(monitor) if monitor is not None else None
    except TypeError:  # a monitor that cannot be weakly referenced: nothing to remember the fleet by
        return
    if first is not None:
        raise FleetError(f"AgentFleet '{name}': this stack already has AgentFleet '{first}'; their resources would "
                         "get the same URNs (children are named by agent, not by fleet): put every agent of the "
                         "stack in one AgentFleet")
    if monitor is not None:
        _fleets[monitor] = name


def _spec_facts(agent: Agent) -> dict[str, Any]:
    return {
        "owner": agent.owner,
        "purpose": agent.purpose,
        "environment": agent.environment,
        "review_by": agent.review_by.isoformat(),
        "clouds": agent.clouds,
        "credential_lifetime_minutes": agent.max_credential_minutes,
        "tools": [tool.name for tool in agent.tools],
        # What the run-time broker needs to get each OAuth / MCP tool's token (agentid.runtime.grants.from_stack_outputs);
        # a Cognito tool's client id, issuer and secret ARN are in the `aws.oauth` entry.
        "oauth_tools": {
            tool.name: {
                "audience": tool.oauth.audience,
                "scopes": list(tool.oauth.scopes),
                "provider": tool.oauth.provider,
                "issuer": tool.oauth.issuer,
                "client_id": tool.oauth.client_id,
            }
            for tool in agent.tools
            if tool.oauth is not None
        },
        # Model providers reached by workload identity federation (identifiers only: nothing here is a secret).
        "llm_tools": {
            tool.name: {
                "provider": tool.llm.provider,
                "ids": getattr(tool.llm, tool.llm.provider).model_dump(exclude_none=True),
            }
            for tool in agent.tools
            if tool.llm is not None and tool.llm.provider in ("anthropic", "openai")
        },
    }


class AgentFleet(pulumi.ComponentResource):
    """Every agent of the stack. Output `inventory`: agent -> spec facts + `aws` + `azure` + `gcp` entries."""

    def __init__(
        self,
        name: str,
        loaded: LoadedInventory,
        aws_settings: AwsSettings,
        azure_settings: AzureSettings,
        opts: pulumi.ResourceOptions | None = None,
        gcp_settings: GcpSettings | None = None,
        workload_settings: WorkloadSettings | None = None,
    ) -> None:
        agents = loaded.inventory.agents
        on_aws = [agent for agent in agents if "aws" in agent.clouds]
        on_azure = [agent for agent in agents if "azure" in agent.clouds]
        on_gcp = [agent for agent in agents if "gcp" in agent.clouds]
        gcp_settings = gcp_settings or GcpSettings()
        # Every cloud's checks first: bad input raises before anything, this component included, registers.
        aws_plans = AwsAgents.check(on_aws, aws_settings) if on_aws else None
        azure_plans = AzureAgents.check(on_azure, azure_settings) if on_azure else None
        gcp_plans = GcpAgents.check(on_gcp, gcp_settings) if on_gcp else None
        workload_settings = workload_settings or WorkloadSettings()
        workload_plan = Workloads.check(agents, workload_settings) if workload_settings.enabled else None
        _claim_stack(name)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.aws = AwsAgents("aws", on_aws, aws_settings, child, plans=aws_plans) if on_aws else None
        self.azure = AzureAgents("azure", on_azure, azure_settings, child, plans=azure_plans) if on_azure else None
        self.gcp = GcpAgents("gcp", on_gcp, gcp_settings, child, plans=gcp_plans) if on_gcp else None
        self.workloads = None
        if workload_plan is not None:
            self.workloads = Workloads("kubernetes", agents, workload_settings, self._cloud_identities(agents), child,
                                       plan=workload_plan)
        self.inventory = self._inventory(agents)
        # The inventory is the stack's to export; registering it here too would serialize it a second time.
        self.register_outputs({"agents": [agent.name for agent in agents]})

    def _cloud_identities(self, agents: list[Agent]) -> dict[str, dict[str, pulumi.Output[str]]]:
        """Agent -> the identifiers the workload side annotates its service accounts with."""
        found: dict[str, dict[str, pulumi.Output[str]]] = {}
        for agent in agents:
            ids: dict[str, pulumi.Output[str]] = {}
            if self.aws and agent.name in self.aws.identities:
                ids["aws_role_arn"] = self.aws.identities[agent.name].role_arn
            if self.azure and agent.name in self.azure.identities:
                ids["azure_client_id"] = self.azure.identities[agent.name].identity.client_id
            if self.gcp and agent.name in self.gcp.identities:
                ids["gcp_email"] = self.gcp.identities[agent.name].account.email
            found[agent.name] = ids
        return found

    def _inventory(self, agents: list[Agent]) -> pulumi.Output[dict[str, Any]]:
        """One Output over the few real Outputs of every agent's AWS tree and Azure ids (no leaf lifted)."""
        aws = self.aws.identities if self.aws else {}
        azure = self.azure.identities if self.azure else {}
        gcp = self.gcp.identities if self.gcp else {}
        tree = {
            agent.name: {
                "aws": aws[agent.name].inventory_tree if agent.name in aws else None,
                "azure": azure[agent.name].ids if agent.name in azure else None,
                "gcp": gcp[agent.name].ids if agent.name in gcp else None,
            }
            for agent in agents
        }

        def entries(resolved: dict[str, dict[str, Any]]) -> dict[str, Any]:
            inventory = {}
            for agent in agents:
                entry = _spec_facts(agent)
                if agent.name in aws:
                    entry["aws"] = resolved[agent.name]["aws"]
                if agent.name in azure:
                    entry["azure"] = azure[agent.name].inventory_entry(resolved[agent.name]["azure"])
                if agent.name in gcp:
                    entry["gcp"] = gcp[agent.name].inventory_entry(resolved[agent.name]["gcp"])
                inventory[agent.name] = entry
            return inventory

        return resolve_nested(tree).apply(entries)
