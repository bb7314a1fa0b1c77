"""Two agents (or tools) of one file that would get the same cloud object, or trust the same workload.

The kit joins names with '-' (and GCP role ids with '_'), so different agent and
tool names can meet in one physical name: agent `a` with per-tool Azure
identities and tool `b` gets `id-agent-a-b`, as does agent `a-b`; GCP agent `a`
tool `g-h` and agent `a-g` tool `h` both get custom role `agentid_a_g_h`. One
deployed object would then carry two owners' grants or trust. `clashes` names
every such pair so `agentid validate` refuses the file before anything compiles. The same holds for what
proves an agent's identity: one Kubernetes service account, SPIFFE ID or GitHub Actions subject trusted by two
agents (whatever kinds of binding name it) lets one workload act as both.

Names are compared without the stack's name suffix: every object of a stack
carries the same suffix, so two names clash with it exactly when they clash
without it (`naming.fit` keeps a hash of the whole name when it cuts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from agentid_components import naming

if TYPE_CHECKING:
    from agentid_components.spec import Agent, GitHubActionsTrust, TrustBinding

# loc inside `agents` (agent index, then "tools", tool index, "name" or "trust", index) of what owns a name
Loc = tuple[int | str, ...]


def _owned_names(index: int, agent: "Agent", suffixes: "Mapping[str, str] | None" = None) -> list[tuple[str, str, Loc, str]]:
    """(kind, physical name, loc, owner) for every cloud object this agent compiles to, by name.

    `suffixes`: cloud ("aws", "azure", "gcp") -> the name suffix its objects get; None: one file's names, compared
    without the suffix (every object of a stack gets the same one), display names included."""
    aws, azure, gcp = ((suffixes or {}).get(cloud, "") for cloud in ("aws", "azure", "gcp"))
    here: Loc = (index, "name")
    who = f"agent '{agent.name}'"
    names: list[tuple[str, str, Loc, str]] = []
    clouds = agent.clouds
    if "aws" in clouds:
        names += [
            ("AWS IAM role", naming.aws_role_name(agent.name, aws), here, who),
            ("AWS IAM boundary policy", naming.aws_boundary_policy_name(agent.name, aws), here, who),
            ("AWS Roles Anywhere profile", naming.aws_roles_anywhere_profile_name(agent.name, aws), here, who),
        ]
    if "azure" in clouds:
        names.append(("Azure managed identity", naming.azure_identity_name(agent.name, azure), here, who))
    # Display names, which neither Cognito nor Entra keeps unique: compared within one file only (no `suffixes`).
    if suffixes is None and (any(tool.oauth for tool in agent.tools) or "azure" in clouds):
        names.append(("Cognito app client / Entra application", naming.oauth_client_name(agent.name), here, who))
    if "gcp" in clouds:
        names.append(("GCP service account", naming.gcp_service_account_id(agent.name, gcp), here, who))
    for tool_index, tool in enumerate(agent.tools):
        at: Loc = (index, "tools", tool_index, "name")
        owner = f"tool '{tool.name}' of agent '{agent.name}'"
        if tool.azure:
            names.append(("Azure role definition", naming.azure_role_name(agent.name, tool.name, azure), at, owner))
            if agent.azure_identity_per_tool:
                names.append(("Azure managed identity", naming.azure_tool_identity_name(agent.name, tool.name, azure), at, owner))
        if tool.gcp and tool.gcp.permissions:
            names.append(("GCP custom role", naming.gcp_custom_role_id(agent.name, tool.name, gcp), at, owner))
    for binding_index, binding in enumerate(agent.trust):
        if binding.kubernetes:  # one ServiceAccount per cluster (issuer), annotated with one agent's identities
            k8s = binding.kubernetes
            account = f"{k8s.issuer.rstrip('/')} {k8s.namespace}/{k8s.service_account}"
            names.append(("Kubernetes service account", account, (index, "trust", binding_index, "kubernetes"), who))
        # A SPIFFE ID is one agent's workload: trusted by two agents, one workload could act as either, and the kit
        # would register one SPIRE ClusterSPIFFEID per agent for the same ID (red6).
        if binding.spiffe:
            names.append(("SPIFFE ID", binding.spiffe.spiffe_id, (index, "trust", binding_index, "spiffe"), who))
        # A GitHub OIDC subject names one workflow context (repo:OWNER/REPO:environment:ENV or ...:ref:refs/heads/B):
        # trusted by two agents, every job in that context could act as both, as with a shared service account.
        # GitHub compares repository and environment names case-insensitively, branches exactly.
        if binding.github_actions:
            names.append(("GitHub Actions subject", _github_subject(binding.github_actions),
                          (index, "trust", binding_index, "github_actions"), who))
    return names


def _github_subject(github: "GitHubActionsTrust") -> str:
    """The subject as GitHub would send it for any spelling of the names it compares without case."""
    if github.environment:
        return f"repo:{github.repository.lower()}:environment:{github.environment.lower()}"
    return f"repo:{github.repository.lower()}:ref:refs/heads/{github.branch}"


def _pods(binding: "TrustBinding") -> tuple[str, str] | None:
    """(namespace, service account) whose pods hold this binding's identity: a kubernetes binding's account, or
    the account SPIRE's Kubernetes convention gives a SPIFFE ID /ns/NAMESPACE/sa/SERVICE_ACCOUNT."""
    if binding.kubernetes:
        return binding.kubernetes.namespace, binding.kubernetes.service_account
    if binding.spiffe:
        return binding.spiffe.kubernetes_service_account
    return None


def _shared_workloads(agents: list["Agent"]) -> list[tuple[Loc, str]]:
    """One service account's pods trusted by two agents through two kinds of binding (red7a item 12): agent one
    trusts Kubernetes service account agents/shared, agent two SPIFFE ID spiffe://TD/ns/agents/sa/shared, and
    the kit writes both the ServiceAccount (one's identity) and a ClusterSPIFFEID giving the same pods two's SVID.
    Compared without the cluster: a SPIFFE trust domain does not say which clusters attest into it, so the ID
    reaches that service account's pods in any of them. (Same kind twice is the name clash above.)"""
    first: dict[tuple[str, str], dict[str, tuple[str, Loc, str]]] = {}
    found: list[tuple[Loc, str]] = []
    for index, agent in enumerate(agents):
        who = f"agent '{agent.name}'"
        for binding_index, binding in enumerate(agent.trust):
            pods = _pods(binding)
            if pods is None:
                continue
            kind = binding.kind
            loc: Loc = (index, "trust", binding_index, kind)
            what = (f"Kubernetes service account {pods[0]}/{pods[1]}" if binding.kubernetes
                    else f"SPIFFE ID '{binding.spiffe.spiffe_id}'")
            seen = first.setdefault(pods, {})
            other = next(((owner, at, named) for other_kind, (owner, at, named) in seen.items()
                          if other_kind != kind and owner != who), None)
            if other:
                found.append((loc, f"{who} trusts {what} and {other[0]} (agents[{other[1][0]}]) trusts {other[2]}: "
                                   f"both are the pods of service account {pods[0]}/{pods[1]} (SPIRE's "
                                   "/ns/NAMESPACE/sa/SERVICE_ACCOUNT convention), so one workload would act as both "
                                   "agents: give each agent its own service account"))
            seen.setdefault(kind, (who, loc, what))
    return found


# Each kind's length limit (naming.py holds the sources), for the note `agentid validate` prints when a name is cut.
LIMITS = {
    "AWS IAM role": ("AWS", naming.AWS_ROLE_NAME_MAX),
    "AWS IAM boundary policy": ("AWS", naming.AWS_POLICY_NAME_MAX),
    "AWS Roles Anywhere profile": ("AWS", naming.ROLES_ANYWHERE_NAME_MAX),
    "Azure managed identity": ("Azure", naming.AZURE_IDENTITY_NAME_MAX),
    "Azure role definition": ("Azure", naming.AZURE_ROLE_NAME_MAX),
    "Cognito app client / Entra application": ("Entra", naming.ENTRA_DISPLAY_NAME_MAX),
    "GCP service account": ("Google Cloud", naming.GCP_SERVICE_ACCOUNT_ID_MAX),
    "GCP custom role": ("Google Cloud", naming.GCP_CUSTOM_ROLE_ID_MAX),
}


def cut_names(agents: list["Agent"]) -> list[tuple[Loc, str]]:
    """(loc, note) for every physical name longer than its cloud allows, which the kit cuts to the limit with a
    hash of the whole name: still unique, no longer readable in the cloud's console. Names are judged without the
    stack's name suffix (unknown here), which makes every name longer still."""
    notes: list[tuple[Loc, str]] = []
    for index, agent in enumerate(agents):
        for kind, name, loc, owner in _owned_names(index, agent):
            cloud, limit = LIMITS.get(kind, ("", 0))
            if limit and naming.was_cut(name, limit):
                notes.append((loc, f"{owner}: its {kind} name is longer than the {limit} characters {cloud} allows, "
                                   f"so the kit cuts it to '{name}' (a hash keeps it unique); a shorter name stays "
                                   "readable (the stack's name suffix is added too)"))
    return notes


_RENAME = "rename one of them so every cloud object has one owner"
_REMEDY = {
    "SPIFFE ID": "one workload would act as both agents: give each agent its own workload (its own SPIFFE path)",
    "GitHub Actions subject": "every job of that workflow context would act as both agents: give each agent its "
                              "own GitHub environment (or branch)",
}


def clashes(agents: list["Agent"]) -> list[tuple[Loc, str]]:
    """(loc of the later owner, message naming both owners) for every physical name or workload two owners share."""
    first: dict[tuple[str, str], tuple[str, Loc]] = {}
    found: list[tuple[Loc, str]] = []
    for index, agent in enumerate(agents):
        for kind, name, loc, owner in _owned_names(index, agent):
            earlier = first.setdefault((kind, name), (owner, loc))
            if earlier[1] != loc and earlier[0] != owner:
                found.append((loc, f"{owner} and {earlier[0]} (agents[{earlier[1][0]}]) would both get {kind} "
                                   f"'{name}': {_REMEDY.get(kind, _RENAME)}"))
    return found + _shared_workloads(agents)


# What proves an agent's identity rather than names a cloud object: one agent in two fleets (e.g. two accounts) may be
# trusted by the same workload; two different agents may not (`clashes` refuses it within one file).
WORKLOAD_KINDS = frozenset({"Kubernetes service account", "SPIFFE ID", "GitHub Actions subject"})


def deployed_names(agents: list["Agent"], suffixes: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(kind, name as deployed, agent, owner) of every object of `agents` that one account, subscription or project
    holds once, with each cloud's name suffix (`suffixes`: "aws" / "azure" / "gcp" -> suffix), and every workload
    that proves an agent's identity (`WORKLOAD_KINDS`). Two fleets of one program compare these (`AgentFleet`)."""
    return [(kind, name, agent.name, owner)
            for index, agent in enumerate(agents)
            for kind, name, _loc, owner in _owned_names(index, agent, suffixes)]
