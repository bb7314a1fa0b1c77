"""Which agent and which cloud each registered resource belongs to.

An agent's resources are the descendants of its component. Components carry
no tags, so the component is recognised by what is under it: every
identity-bearing resource we create carries the tag `agent` (naming.TAG_AGENT),
and a component whose tagged descendants all name one agent is that agent's.
A resource then belongs to the agent its own tag names, or else to the nearest
ancestor component that belongs to one. Fleet-level components (several agents
below) and hand-written resources belong to no agent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from agentid_components.naming import TAG_AGENT

CLOUDS = {"aws": "aws", "azure-native": "azure", "azuread": "azure", "azure": "azure", "gcp": "gcp",
          "kubernetes": "kubernetes"}
# Components whose name is the agent's: Google Cloud service accounts and IAM members carry no labels to tag.
AGENT_COMPONENTS = ("agentid:gcp:AgentIdentity",)


class _Resource(Protocol):
    urn: str
    type: str
    inputs: Mapping[str, Any]
    parent: str | None


def tagged_agent(inputs: Mapping[str, Any]) -> str | None:
    """The `agent` tag of a resource: a mapping (AWS, azure-native) or `key=value`/`key:value` strings (azuread)."""
    tags = inputs.get("tags")
    metadata = inputs.get("metadata")
    if tags is None and isinstance(metadata, Mapping):  # Kubernetes objects: the kit labels them `agent`
        tags = metadata.get("labels")
    if isinstance(tags, Mapping):
        value = tags.get(TAG_AGENT)
        return value if isinstance(value, str) and value else None
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str):
                for separator in ("=", ":"):
                    key, found, value = tag.partition(separator)
                    if found and key == TAG_AGENT and value:
                        return value
    return None


def cloud_of_type(type_token: str) -> str | None:
    return CLOUDS.get(type_token.split(":", 1)[0])


def attribute(resources: Iterable[_Resource]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(agent by URN, cloud by URN). A component's cloud is its descendants' when they share one."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    own = {r.urn: tagged_agent(r.inputs) or (getattr(r, "name", None) if r.type in AGENT_COMPONENTS else None)
           for r in resources}
    below_agents: dict[str, set[str]] = {r.urn: set() for r in resources}
    below_clouds: dict[str, set[str]] = {r.urn: set() for r in resources}
    for resource in resources:
        agent, cloud = own[resource.urn], cloud_of_type(resource.type)
        for ancestor in _ancestors(resource, by_urn):
            if agent:
                below_agents[ancestor].add(agent)
            if cloud:
                below_clouds[ancestor].add(cloud)

    def component_agent(urn: str) -> str | None:
        found = below_agents[urn]
        return next(iter(found)) if len(found) == 1 else None

    agents: dict[str, str | None] = {}
    clouds: dict[str, str | None] = {}
    for resource in resources:
        agent = own[resource.urn] or component_agent(resource.urn)
        if agent is None:
            for ancestor in _ancestors(resource, by_urn):
                agent = own[ancestor] or component_agent(ancestor)
                if agent:
                    break
        agents[resource.urn] = agent
        cloud = cloud_of_type(resource.type)
        if cloud is None and len(below_clouds[resource.urn]) == 1:
            cloud = next(iter(below_clouds[resource.urn]))
        clouds[resource.urn] = cloud
    return agents, clouds


def _ancestors(resource: _Resource, by_urn: Mapping[str, _Resource]) -> Iterable[str]:
    seen: set[str] = set()
    parent = resource.parent
    while parent and parent in by_urn and parent not in seen:
        seen.add(parent)
        yield parent
        parent = by_urn[parent].parent
