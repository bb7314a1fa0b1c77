"""AgentFleet: a stack's agents compiled onto every cloud they use, and the inventory as an output.

The one component the stack program declares. It hands each cloud's agents to
that cloud's fleet component (`agentid_components.aws.fleet.AwsAgents`,
`agentid_components.azure.fleet.AzureAgents`) and merges their inventories with the
spec's own facts (owner, purpose, review date, lifetimes). Both clouds' agents
are checked before the fleet registers itself, so bad input registers nothing.

A stack may hold several fleets, nested in the program's own components and
with explicit providers (a second account, region or subscription): children
are named `<fleet>-aws`, `<fleet>-aws-<agent>`, ... (`child_names`), and
objects two fleets would both create are refused before anything registers
(`_claim_names`).
"""

from __future__ import annotations

import weakref
from typing import Any

import pulumi

from agentid_components import naming, physical_names
from agentid_components.aws.fleet import AwsAgents, AwsSettings
from agentid_components.child_names import ChildNames, first_of_type, passing_depends_on
from agentid_components.azure.fleet import AzureAgents, AzureSettings
from agentid_components.gcp.fleet import GcpAgents, GcpSettings
from agentid_components.workload.fleet import Workloads, WorkloadSettings
from agentid_components.loader import LoadedInventory
from agentid_components.outputs import resolve_nested
from agentid_components.spec import Agent

TYPE_TOKEN = "agentid:index:AgentFleet"


class FleetError(pulumi.RunError):
    """Two AgentFleets of one program would create the same cloud object (Pulumi prints the message, no traceback)."""


# Objects claimed by the fleets of the running program, per resource monitor (one a deployment; the mocks and the
# gate make one per run): (kind, name as deployed) -> (fleet, agent, owner).
_claims: "weakref.WeakKeyDictionary[Any, dict[tuple[str, str], tuple[str, str, str]]]" = weakref.WeakKeyDictionary()


def _claim_names(fleet: str, agents: list[Agent], aws: AwsSettings, azure: AzureSettings, gcp: GcpSettings,
                 gcp_pools: list[str]) -> None:
    """Refuse a fleet whose objects another fleet of the program already names, naming both fleets and owners.

    Several fleets may share a stack when each cloud object keeps one owner: an IAM role name is unique in its
    account whatever the region, a managed identity in its resource group, a service account and a workload
    identity pool in their project, a Cognito domain prefix in its region across all accounts. The kit cannot
    tell from a provider which account it reaches, so two fleets' names must differ: give one its own name
    suffix (AwsSettings / AzureSettings / GcpSettings `name_suffix`). An agent is known by its name (inventory,
    revocation, the broker's decisions): one agent (one name, one owner) may be deployed by several fleets, e.g.
    one per account, keeping its workload trust; two agents of one name with different owners, or two agents
    trusting one workload (it would act as both), are refused.
    """
    suffixes = {"aws": aws.suffix, "azure": azure.suffix, "gcp": gcp.suffix}
    wanted = list(physical_names.deployed_names(agents, suffixes))
    domain = _created_cognito_domain(agents, aws)
    if domain is not None:
        wanted.append(("Cognito domain", domain, "", "its Cognito user pool"))
    wanted += [("GCP workload identity pool", pool, "", "its agents' pool") for pool in gcp_pools]
    # The same name must mean the same agent: "agent" entries carry the owner where the others carry the agent.
    wanted += [("agent", agent.name, agent.owner, f"agent '{agent.name}' (owner {agent.owner})") for agent in agents]
    monitor = pulumi.runtime.settings.get_monitor()
    try:
        claimed = _claims.setdefault(monitor, {}) if monitor is not None else {}
    except TypeError:  # a monitor that cannot be weakly referenced: nothing to compare with
        claimed = {}
    for kind, name, agent, owner in wanted:
        earlier = claimed.get((kind, name))
        if earlier is None or earlier[0] == fleet or (kind in _SAME_AGENT_MAY_SHARE and earlier[1] == agent):
            continue
        if kind == "agent":
            raise FleetError(f"AgentFleet '{fleet}': {owner} and {earlier[2]} of AgentFleet '{earlier[0]}' are two "
                             "agents with one name (the inventory, revocation and the broker know an agent by its "
                             "name): rename one, or give both one owner if they are one agent")
        remedy = ("give each agent its own workload" if kind in physical_names.WORKLOAD_KINDS else
                  "set awsCognitoDomain (AwsSettings cognito_domain) on one, or reference one pool from both"
                  if kind == "Cognito domain" else
                  "give one fleet its own name suffix (AwsSettings / AzureSettings / GcpSettings name_suffix)")
        raise FleetError(f"AgentFleet '{fleet}': {owner} would get {kind} '{name}', which {earlier[2]} of AgentFleet "
                         f"'{earlier[0]}' gets too: {remedy}")
    for kind, name, agent, owner in wanted:
        claimed.setdefault((kind, name), (fleet, agent, owner))


# What one agent deployed by two fleets keeps: its workloads' trust, and its name ("agent" entries hold the owner).
_SAME_AGENT_MAY_SHARE = physical_names.WORKLOAD_KINDS | {"agent"}


def _created_cognito_domain(agents: list[Agent], aws: AwsSettings) -> str | None:
    """The Cognito domain prefix the fleet's AWS side creates a pool under (None: it creates none, or the domain is
    an Output, known only at deployment)."""
    uses_cognito = any(tool.oauth and tool.oauth.provider == "cognito" for agent in agents if "aws" in agent.clouds
                       for tool in agent.tools)
    if not uses_cognito or aws.cognito_user_pool_id is not None:
        return None
    domain = aws.cognito_domain or naming.cognito_domain_prefix(pulumi.get_project(), pulumi.get_stack())
    return domain if isinstance(domain, str) else None


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
    """Agents of the stack. Output `inventory`: agent -> spec facts + `aws` + `azure` + `gcp` entries.

    `opts` reach every child: `provider=` / `providers=` (the clouds' resources and data-source calls, e.g. the
    account id a trust policy names, go through them), `parent=`, `protect`, `aliases` (children follow through
    Pulumi's name-prefix convention), `depends_on`. Raises FleetError, before anything registers, when another
    AgentFleet of the program creates one of its objects (IAM role, managed identity, service account, Cognito
    domain, workload identity pool) or holds another agent (other owner) of one of its agents' names."""

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
        _claim_names(name, agents, aws_settings, azure_settings, gcp_settings, list(gcp_plans.pools) if gcp_plans else [])
        super().__init__(TYPE_TOKEN, name, None, passing_depends_on(opts))
        names = ChildNames(self, name, legacy=first_of_type(TYPE_TOKEN))
        self.aws = AwsAgents(names.name("aws"), on_aws, aws_settings, names.options("aws"), plans=aws_plans,
                             legacy=names.legacy) if on_aws else None
        self.azure = (AzureAgents(names.name("azure"), on_azure, azure_settings, names.options("azure"),
                                  plans=azure_plans, legacy=names.legacy)
                      if on_azure else None)
        self.gcp = GcpAgents(names.name("gcp"), on_gcp, gcp_settings, names.options("gcp"), plans=gcp_plans,
                             legacy=names.legacy) if on_gcp else None
        self.workloads = None
        if workload_plan is not None:
            self.workloads = Workloads(names.name("kubernetes"), agents, workload_settings, self._cloud_identities(agents),
                                       names.options("kubernetes"), plan=workload_plan, legacy=names.legacy)
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
