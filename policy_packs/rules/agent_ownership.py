"""AGID-INV-002 (stack): every agent identity in the stack belongs to an agent with one owner.

Groups the identity-bearing resources by their `agent` tag: an identity with
no agent, an agent whose identities name no owner, or an agent whose
identities disagree about the owner is a violation (reported on the identity).
Cognito app clients cannot carry tags: one belongs to agent A when it is named
`naming.oauth_client_name(A, SUFFIX)` and A's tagged identities name an owner, SUFFIX being the
stack's name suffix as A's tagged role or managed identity shows it (`agent-A-SUFFIX`,
`id-agent-A-SUFFIX`), or none.
"""

from collections import defaultdict

from agentid_components.naming import TAG_AGENT, TAG_OWNER, aws_role_name, azure_identity_name, oauth_client_name
from agentid_policy_packs.analysis.values import unknown_path

from .base import Rule, Unknown, Violation, tags_of
from .inventory_tags import is_agent_identity

OAUTH_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def check(resources, config):
    by_agent = defaultdict(list)
    clients = []
    for resource in resources:
        if resource.type == OAUTH_CLIENT:
            clients.append(resource)
            continue
        if not is_agent_identity(resource):
            continue
        raw = resource.props.get("tags")
        if unknown_path(raw) is not None:
            yield Unknown(f"{resource.name}.tags", resource.urn)
            continue
        tags = tags_of(raw) or {}
        agent = str(tags.get(TAG_AGENT, "")).strip()
        if not agent:
            yield Violation(f"{resource.type.rsplit(':', 1)[1]} {resource.name} belongs to no agent "
                            f"(no {TAG_AGENT} tag): an identity nobody answers for", resource.urn)
            continue
        by_agent[agent].append((resource, str(tags.get(TAG_OWNER, "")).strip()))
    for agent, members in sorted(by_agent.items()):
        owners = sorted({owner for _, owner in members if owner})
        if not owners:
            for resource, _ in members:
                yield Violation(f"{resource.name} belongs to agent {agent}, which has no owner", resource.urn)
        elif len(owners) > 1:
            for resource, owner in members:
                yield Violation(f"{resource.name} belongs to agent {agent}, whose identities name different owners "
                                f"({', '.join(owners)}); this one says {owner or 'none'}", resource.urn)
    yield from _clients(clients, by_agent)


def _suffixes(agent, members):
    """The name suffixes A's tagged identities carry (exactly as `naming` builds them), and none."""
    found = {""}
    for resource, _ in members:
        for name, prefix, build in ((resource.props.get("name"), f"agent-{agent}-", aws_role_name),
                                    (resource.props.get("resourceName"), f"id-agent-{agent}-", azure_identity_name)):
            if isinstance(name, str) and name.startswith(prefix) and build(agent, name[len(prefix):]) == name:
                found.add(name[len(prefix):])
    return found


def _clients(clients, by_agent):
    owned = {
        oauth_client_name(agent, suffix): agent
        for agent, members in by_agent.items()
        if any(o for _, o in members)
        for suffix in _suffixes(agent, members)
    }
    for client in clients:
        name = client.props.get("name")
        if unknown_path(name) is not None:
            yield Unknown(f"{client.name}.name", client.urn)
        elif not isinstance(name, str) or name not in owned:
            yield Violation(f"OAuth client {name if isinstance(name, str) else client.name} belongs to no agent with "
                            "an owner in this stack (clients are named agent-<agent>-<stack suffix>)", client.urn)


RULE = Rule(
    id="AGID-INV-002",
    title="agent-identity-ownership",
    severity="high",
    category="inventory",
    description="Every agent identity in the stack belongs to an agent that has exactly one owner.",
    remediation="Declare every identity through the agent spec, where each agent names its owner.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html",
    check=check,
    stack=True,
)
