"""The Google Cloud side of a fleet: Workload Identity Federation pools and providers per stack, and per agent a
service account, its federated principals and its per-tool grants.

    settings = GcpSettings.from_config(config)
    gcp = GcpAgents("gcp", agents, settings)

Everything is planned and checked first (`plan.plan_fleet`): bad input raises `GcpCompileError` before a single
resource, the component included, registers. Resources (pulumi-gcp):
  gcp:iam/workloadIdentityPool:WorkloadIdentityPool            one a platform (github, k8s, spiffe)
  gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider  one an issuer, attributeCondition = exact subjects
  gcp:serviceaccount/account:Account                            one an agent
  gcp:serviceaccount/iAMMember:IAMMember                        roles/iam.workloadIdentityUser for one principal://
  gcp:projects/iAMCustomRole:IAMCustomRole                      one a tool that lists permissions
  gcp:storage/bucketIAMMember:BucketIAMMember, gcp:bigquery/datasetIamMember:DatasetIamMember,
  gcp:secretmanager/secretIamMember:SecretIamMember, gcp:pubsub/topicIAMMember:TopicIAMMember,
  gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember, gcp:serviceaccount/iAMMember:IAMMember,
  gcp:projects/iAMMember:IAMMember                              the tool's roles at its one resource
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from agentid_components import settings as kit_settings
from agentid_components.child_names import ChildNames, first_of_type, passing_depends_on
from agentid_components.gcp.plan import WORKLOAD_IDENTITY_USER, AgentPlan, FleetPlan, ToolGrant, plan_fleet
from agentid_components.gcp.inventory import agent_inventory
from agentid_components.outputs import resolve_nested
from agentid_components.spec import Agent

CONFIG_NAMESPACE = "agent-identity-kit"
TYPE_TOKEN = "agentid:gcp:AgentFleet"
AGENT_TYPE_TOKEN = "agentid:gcp:AgentIdentity"


@dataclass(frozen=True)
class GcpSettings:
    """Where the agents' Google Cloud identities live.

    project: project id holding the service accounts, custom roles and pools (config `gcpProject`, else the
        provider's `gcp:project`; required as soon as one agent has gcp tools).
    pool_prefix: prefix of the pool ids, `PREFIX-github-SUFFIX` / `-k8s-` / `-spiffe-` (config `gcpPoolPrefix`,
        default `agents`).
    name_suffix: part of every physical name: service account ids, custom role ids, pool ids (config
        `nameSuffix`; default: the stack name, see `naming`), so two stacks can share one project.
    """

    project: str | None = None
    pool_prefix: str = "agents"
    name_suffix: str | None = None

    def __post_init__(self) -> None:
        self.suffix  # noqa: B018 - a bad suffix fails here, before anything registers

    @property
    def suffix(self) -> str:
        """The name suffix in force: `name_suffix`, or the stack's (`naming.stack_suffix`)."""
        return kit_settings.name_suffix(self.name_suffix)

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None) -> "GcpSettings":
        config = config or pulumi.Config(CONFIG_NAMESPACE)
        return cls(
            project=config.get("gcpProject") or pulumi.Config("gcp").get("project"),
            pool_prefix=config.get("gcpPoolPrefix") or "agents",
            name_suffix=config.get("nameSuffix"),
        )


def _member_binding(name: str, grant: ToolGrant, role: pulumi.Input[str], member: pulumi.Input[str],
                    opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """The IAM member resource of the grant's resource kind: the role on exactly that resource."""
    resource = grant.resource
    if resource.kind == "bucket":
        return gcp.storage.BucketIAMMember(name, bucket=resource.name, role=role, member=member, opts=opts)
    if resource.kind == "dataset":
        return gcp.bigquery.DatasetIamMember(name, project=resource.project, dataset_id=resource.name, role=role,
                                             member=member, opts=opts)
    if resource.kind == "secret":
        return gcp.secretmanager.SecretIamMember(name, project=resource.project, secret_id=resource.name, role=role,
                                                 member=member, opts=opts)
    if resource.kind == "topic":
        return gcp.pubsub.TopicIAMMember(name, project=resource.project, topic=resource.name, role=role, member=member,
                                         opts=opts)
    if resource.kind == "subscription":
        return gcp.pubsub.SubscriptionIAMMember(name, project=resource.project, subscription=resource.name, role=role,
                                                member=member, opts=opts)
    if resource.kind == "service_account":
        return gcp.serviceaccount.IAMMember(
            name, service_account_id=f"projects/{resource.project}/serviceAccounts/{resource.name}", role=role,
            member=member, opts=opts)
    return gcp.projects.IAMMember(name, project=resource.project, role=role, member=member, opts=opts)


class GcpAgentIdentity(pulumi.ComponentResource):
    """One agent on Google Cloud: its service account, who may impersonate it, and its tools' grants."""

    def __init__(self, plan: AgentPlan, pools: dict[str, gcp.iam.WorkloadIdentityPool],
                 opts: pulumi.ResourceOptions | None = None, name: str | None = None) -> None:
        """`name`: the logical name (default: the agent's); children are named `<name>-sa`, `<name>-<tool>-...`."""
        name = name or plan.agent.name
        super().__init__(AGENT_TYPE_TOKEN, name, None, opts)
        agent = plan.agent
        child = pulumi.ResourceOptions(parent=self)
        self.plan = plan
        self.account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=plan.account_id,
            project=plan.project,
            display_name=f"agent {agent.name}"[:100],
            description=f"Agent {agent.name}, owner {agent.owner}, review by {agent.review_by.isoformat()} "
                        f"(agent-identity-kit)"[:256],
            opts=child,
        )
        for binding in plan.bindings:
            member = pools[binding.pool].name.apply(
                lambda pool_name, subject=binding.subject: f"principal://iam.googleapis.com/{pool_name}/subject/{subject}")
            gcp.serviceaccount.IAMMember(
                f"{name}-wi-{binding.provider}-{_digest(binding.subject)}",
                service_account_id=self.account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=member,
                opts=child,
            )
        member = self.account.email.apply(lambda email: f"serviceAccount:{email}")
        for grant in plan.tools:
            roles: list[pulumi.Input[str]] = list(grant.roles)
            if grant.permissions:
                custom = gcp.projects.IAMCustomRole(
                    f"{name}-{grant.tool}-role",
                    project=plan.project,
                    role_id=grant.custom_role_id,
                    title=f"agent {agent.name} tool {grant.tool}"[:100],
                    description=f"Exact permissions of tool {grant.tool} of agent {agent.name} on {grant.resource.full_name}"[:256],
                    permissions=list(grant.permissions),
                    stage="GA",
                    opts=child,
                )
                roles.insert(0, custom.name)
            for index, role in enumerate(roles):
                suffix = "custom" if grant.permissions and index == 0 else str(role).rsplit("/", 1)[-1].replace(".", "-")
                _member_binding(f"{name}-{grant.tool}-{suffix}", grant, role, member, child)
        self.ids = {"email": self.account.email, "unique_id": self.account.unique_id,
                    "pools": {pool: resource.name for pool, resource in pools.items()}}
        self.register_outputs({"email": self.account.email})

    def inventory_entry(self, ids: dict[str, Any]) -> dict[str, Any]:
        return agent_inventory(self.plan, ids)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:8]


class GcpAgents(pulumi.ComponentResource):
    """The stack's pools and providers, and one `GcpAgentIdentity` per agent with gcp tools."""

    identities: dict[str, GcpAgentIdentity]

    def __init__(self, name: str, agents: list[Agent], settings: GcpSettings,
                 opts: pulumi.ResourceOptions | None = None, plans: FleetPlan | None = None,
                 legacy: bool | None = None) -> None:
        """`legacy`: give the children their names from before Pulumi's naming convention as aliases (`child_names`); default:
        only the first component of this type in the program does."""
        plan = plans if plans is not None else self.check(agents, settings)
        super().__init__(TYPE_TOKEN, name, None, passing_depends_on(opts))
        names = ChildNames(self, name, legacy=first_of_type(TYPE_TOKEN) if legacy is None else legacy)
        self.pools = {
            pool: gcp.iam.WorkloadIdentityPool(
                names.name(pool), project=plan.project, workload_identity_pool_id=pool, display_name=pool,
                description="Agent workloads (agent-identity-kit)", disabled=False, opts=names.options(pool))
            for pool in plan.pools
        }
        for provider in plan.providers:
            gcp.iam.WorkloadIdentityPoolProvider(
                names.name(f"{provider.pool}-{provider.provider}"),
                project=plan.project,
                workload_identity_pool_id=self.pools[provider.pool].workload_identity_pool_id,
                workload_identity_pool_provider_id=provider.provider,
                display_name=provider.provider,
                description=f"Tokens of {provider.issuer}"[:256],
                attribute_mapping=dict(provider.attribute_mapping),
                attribute_condition=provider.attribute_condition,
                oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=provider.issuer),
                disabled=False,
                opts=names.options(f"{provider.pool}-{provider.provider}"),
            )
        self.identities = {
            agent_plan.agent.name: GcpAgentIdentity(agent_plan, self.pools, names.options(agent_plan.agent.name),
                                                    name=names.name(agent_plan.agent.name))
            for agent_plan in plan.agents
        }
        self.register_outputs({"agents": list(self.identities)})

    @staticmethod
    def check(agents: list[Agent], settings: GcpSettings) -> FleetPlan:
        """Plan and check every agent without registering anything; raise `GcpCompileError`."""
        return plan_fleet(agents, settings.project, settings.pool_prefix, settings.suffix)

    @property
    def inventory(self) -> pulumi.Output[dict[str, dict[str, Any]]]:
        identities = self.identities
        return resolve_nested({agent: identity.ids for agent, identity in identities.items()}).apply(
            lambda ids: {agent: identities[agent].inventory_entry(ids[agent]) for agent in identities})
