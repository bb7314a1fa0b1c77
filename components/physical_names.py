"""Two agents (or tools) of one file that would get the same cloud object.

The kit joins names with '-' (and GCP role ids with '_'), so different agent and
tool names can meet in one physical name: agent `a` with per-tool Azure
identities and tool `b` gets `id-agent-a-b`, as does agent `a-b`; GCP agent `a`
tool `g-h` and agent `a-g` tool `h` both get custom role `agentid_a_g_h`. One
deployed object would then carry two owners' grants or trust. `clashes` names
every such pair so `agentid validate` refuses the file before anything compiles.

Names are compared without the stack's name suffix: every object of a stack
carries the same suffix, so two names clash with it exactly when they clash
without it (`naming.fit` keeps a hash of the whole name when it cuts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentid_components import naming

if TYPE_CHECKING:
    from agentid_components.spec import Agent

# loc inside `agents` (agent index, then "tools", tool index, "name" or "trust", index) of what owns a name
Loc = tuple[int | str, ...]


def _owned_names(index: int, agent: "Agent") -> list[tuple[str, str, Loc, str]]:
    """(kind, physical name, loc, owner) for every cloud object this agent compiles to, by name."""
    here: Loc = (index, "name")
    who = f"agent '{agent.name}'"
    names: list[tuple[str, str, Loc, str]] = []
    clouds = agent.clouds
    if "aws" in clouds:
        names += [
            ("AWS IAM role", naming.aws_role_name(agent.name), here, who),
            ("AWS IAM boundary policy", naming.aws_boundary_policy_name(agent.name), here, who),
            ("AWS Roles Anywhere profile", naming.aws_roles_anywhere_profile_name(agent.name), here, who),
        ]
    if "azure" in clouds:
        names.append(("Azure managed identity", naming.azure_identity_name(agent.name), here, who))
    if any(tool.oauth for tool in agent.tools) or "azure" in clouds:
        names.append(("Cognito app client / Entra application", naming.oauth_client_name(agent.name), here, who))
    if "gcp" in clouds:
        names.append(("GCP service account", naming.gcp_service_account_id(agent.name), here, who))
    for tool_index, tool in enumerate(agent.tools):
        at: Loc = (index, "tools", tool_index, "name")
        owner = f"tool '{tool.name}' of agent '{agent.name}'"
        if tool.azure:
            names.append(("Azure role definition", naming.azure_role_name(agent.name, tool.name), at, owner))
            if agent.azure_identity_per_tool:
                names.append(("Azure managed identity", naming.azure_tool_identity_name(agent.name, tool.name), at, owner))
        if tool.gcp and tool.gcp.permissions:
            names.append(("GCP custom role", naming.gcp_custom_role_id(agent.name, tool.name), at, owner))
    for binding_index, binding in enumerate(agent.trust):
        if binding.kubernetes:  # one ServiceAccount per cluster (issuer), annotated with one agent's identities
            k8s = binding.kubernetes
            account = f"{k8s.issuer.rstrip('/')} {k8s.namespace}/{k8s.service_account}"
            names.append(("Kubernetes service account", account, (index, "trust", binding_index, "kubernetes"), who))
        # A SPIFFE ID is one agent's workload: trusted by two agents, one workload could act as either, and the kit
        # would register one SPIRE ClusterSPIFFEID per agent for the same ID (red6). (A GitHub subject shared by two
        # agents registers no shared object; it is allowed: one repository's workflow may run two agents.)
        if binding.spiffe:
            names.append(("SPIFFE ID", binding.spiffe.spiffe_id, (index, "trust", binding_index, "spiffe"), who))
    return names


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
}


def clashes(agents: list["Agent"]) -> list[tuple[Loc, str]]:
    """(loc of the later owner, message naming both owners) for every physical name two owners share."""
    first: dict[tuple[str, str], tuple[str, Loc]] = {}
    found: list[tuple[Loc, str]] = []
    for index, agent in enumerate(agents):
        for kind, name, loc, owner in _owned_names(index, agent):
            earlier = first.setdefault((kind, name), (owner, loc))
            if earlier[1] != loc and earlier[0] != owner:
                found.append((loc, f"{owner} and {earlier[0]} (agents[{earlier[1][0]}]) would both get {kind} "
                                   f"'{name}': {_REMEDY.get(kind, _RENAME)}"))
    return found
