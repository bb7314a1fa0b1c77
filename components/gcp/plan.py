"""What one stack's agents compile to on Google Cloud, as plain data: checked before anything registers.

Per stack, one Workload Identity Federation pool per platform (GitHub Actions, Kubernetes, SPIFFE) and in it
one OIDC provider per issuer, whose `attribute_condition` admits exactly the subjects the spec binds to that
issuer (CEL: `assertion.sub == '...'` or `assertion.sub in [...]`). Per agent, a service account; per trust
binding, `roles/iam.workloadIdentityUser` on that account for exactly one federated principal
(`principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT`);
per tool, its predefined roles or one custom role holding its exact permissions, bound at the tool's one
resource. Sources: https://cloud.google.com/iam/docs/workload-identity-federation,
https://cloud.google.com/iam/docs/principal-identifiers, https://cloud.google.com/iam/docs/creating-custom-roles.

Lifetimes: a federated token lives one hour and cannot be shortened; the service-account access token the
workload uses lives `token_lifetime_seconds` (600..43200 s in the credential configuration; 3600 s at most
unless the organization policy `iam.allowServiceAccountCredentialLifetimeExtension` lists the account, which
the kit never does). The kit asks for the agent's `max_credential_minutes`, raised to GCP's 10-minute floor.

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentid_components import gcp_catalog, naming
from agentid_components.settings import SettingError
from agentid_components.spec import Agent, TrustBinding

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
MAX_SUBJECT_BYTES = 127  # google.subject is at most 127 bytes (https://cloud.google.com/iam/docs/workload-identity-federation#mapping)
MIN_TOKEN_SECONDS = 600  # credential configuration's token_lifetime_seconds floor
MAX_TOKEN_SECONDS = 3600  # without the lifetime-extension organization policy
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
_POOL_ID = re.compile(r"^(?!gcp-)[a-z0-9-]{4,32}$")
PLATFORMS = {"github_actions": "github", "kubernetes": "k8s", "spiffe": "spiffe"}


class GcpCompileError(SettingError, ValueError):
    """The agents cannot be compiled onto Google Cloud as configured; every problem, one a line. A RunError:
    Pulumi (and `agentid preview`) print the message without a traceback, as for the AWS components."""


@dataclass(frozen=True)
class ProviderPlan:
    pool: str  # pool id
    provider: str  # provider id
    issuer: str
    subjects: tuple[str, ...]

    @property
    def attribute_condition(self) -> str:
        """CEL admitting exactly the bound subjects (and nothing when the token has another)."""
        if len(self.subjects) == 1:
            return f"assertion.sub == {cel_string(self.subjects[0])}"
        return "assertion.sub in [" + ", ".join(cel_string(s) for s in self.subjects) + "]"

    attribute_mapping = {"google.subject": "assertion.sub"}


@dataclass(frozen=True)
class FederatedBinding:
    kind: str  # github_actions | kubernetes | spiffe
    pool: str
    provider: str
    issuer: str
    subject: str


@dataclass(frozen=True)
class ToolGrant:
    tool: str
    resource: gcp_catalog.GcpResource
    roles: tuple[str, ...]  # predefined roles
    permissions: tuple[str, ...]  # compiled into custom role `custom_role_id`
    custom_role_id: str | None


@dataclass(frozen=True)
class AgentPlan:
    agent: Agent
    project: str
    account_id: str
    bindings: tuple[FederatedBinding, ...]
    tools: tuple[ToolGrant, ...]
    token_lifetime_seconds: int

    @property
    def email(self) -> str:
        return f"{self.account_id}@{self.project}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class FleetPlan:
    project: str
    pools: tuple[str, ...]
    providers: tuple[ProviderPlan, ...]
    agents: tuple[AgentPlan, ...] = field(default_factory=tuple)


def cel_string(value: str) -> str:
    """A CEL string literal (single-quoted; backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def issuer_and_subject(binding: TrustBinding) -> tuple[str, str]:
    if binding.github_actions:
        return GITHUB_ISSUER, binding.github_actions.subject
    if binding.kubernetes:
        return binding.kubernetes.issuer, binding.kubernetes.subject
    return binding.spiffe.jwt_issuer, binding.spiffe.spiffe_id


def token_lifetime_seconds(agent: Agent) -> int:
    return max(MIN_TOKEN_SECONDS, min(MAX_TOKEN_SECONDS, agent.max_credential_minutes * 60))


def plan_fleet(agents: list[Agent], project: str | None, pool_prefix: str = "agents", suffix: str = "") -> FleetPlan:
    """Plan every agent with GCP tools; raise `GcpCompileError` listing every problem.

    `suffix`: the stack's name suffix (see `naming`), carried by service account ids, custom role ids and pool ids
    so two stacks in one project get their own objects.
    """
    on_gcp = [agent for agent in agents if "gcp" in agent.clouds]
    problems: list[str] = []
    if on_gcp and not project:
        problems.append("agents with gcp tools need the stack's project: set config agent-identity-kit:gcpProject "
                        "(or gcp:project) to the project id that holds their service accounts")
    if project and not gcp_catalog.PROJECT_ID.match(project):
        problems.append(f"gcpProject '{project}' is not a project id (6-30 of a-z, 0-9, '-', starting with a letter)")
    for platform in PLATFORMS.values():
        pool = naming.gcp_pool_id(pool_prefix, platform, suffix)
        if not _POOL_ID.match(pool):
            problems.append(f"gcpPoolPrefix '{pool_prefix}' gives pool id '{pool}': pool ids are 4-32 of a-z, 0-9, '-' "
                            "and do not start with 'gcp-'")
            break
    subjects: dict[tuple[str, str, str], set[str]] = {}
    agent_plans = []
    for agent in on_gcp:
        bindings = []
        for binding in agent.trust:
            if not binding.usable_on("gcp"):
                continue
            issuer, subject = issuer_and_subject(binding)
            if len(subject.encode()) > MAX_SUBJECT_BYTES:
                problems.append(f"agent '{agent.name}': subject '{subject}' is {len(subject.encode())} bytes; Google "
                                f"maps it to google.subject, which holds at most {MAX_SUBJECT_BYTES}: shorten the names")
                continue
            platform = PLATFORMS[binding.kind]
            pool = naming.gcp_pool_id(pool_prefix, platform, suffix)
            provider = naming.gcp_provider_id(platform, issuer)
            subjects.setdefault((pool, provider, issuer), set()).add(subject)
            bindings.append(FederatedBinding(binding.kind, pool, provider, issuer, subject))
        tools = []
        for tool in agent.tools_on("gcp"):
            grant = tool.gcp
            tools.append(ToolGrant(
                tool=tool.name,
                resource=gcp_catalog.parse_resource(grant.resource),
                roles=tuple(grant.roles),
                permissions=tuple(grant.permissions),
                custom_role_id=naming.gcp_custom_role_id(agent.name, tool.name, suffix) if grant.permissions else None,
            ))
        agent_plans.append(AgentPlan(agent, project or "", naming.gcp_service_account_id(agent.name, suffix), tuple(bindings),
                                     tuple(tools), token_lifetime_seconds(agent)))
    if problems:
        raise GcpCompileError("\n".join(problems))
    providers = tuple(
        ProviderPlan(pool, provider, issuer, tuple(sorted(found)))
        for (pool, provider, issuer), found in sorted(subjects.items())
    )
    pools = tuple(sorted({p.pool for p in providers}))
    return FleetPlan(project or "", pools, providers, tuple(agent_plans))
