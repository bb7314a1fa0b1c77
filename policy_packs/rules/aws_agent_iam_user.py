"""AGID-AWS-003: agents are never IAM users (an IAM user's only programmatic credential is a static key).

An IAM user is judged to be an agent's when it carries the inventory `agent`
tag or its name says "agent"; IAM users of people are left to other controls.
"""

import re

from agentid_components.naming import TAG_AGENT

from .base import Resource, Rule, Violation, tags_of

_AGENT_NAME = re.compile(r"(^|[^a-z])agents?([^a-z]|$)", re.IGNORECASE)


def check(resource: Resource, config):
    tags = tags_of(resource.props.get("tags")) or {}
    name = resource.props.get("name")
    names = [n for n in (name, resource.name) if isinstance(n, str)]
    if tags.get(TAG_AGENT) or any(_AGENT_NAME.search(n) for n in names):
        reason = f"tagged {TAG_AGENT}={tags[TAG_AGENT]}" if tags.get(TAG_AGENT) else "named for an agent"
        yield Violation(f"IAM user {names[0] if names else resource.name} is {reason}: agents must not be IAM users, "
                        "whose only programmatic credential is a long-lived access key")


RULE = Rule(
    id="AGID-AWS-003",
    title="aws-no-agent-iam-users",
    severity="critical",
    category="static-credential",
    description="Agents are not IAM users: each agent gets an IAM role with short-lived sessions.",
    remediation="Replace the IAM user with an agent role (agentid_components.aws) trusted through OIDC, Roles Anywhere "
                "or Pod Identity.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users.html#when-to-use-iam-users",
    check=check,
    resource_types=("aws:iam/user:User",),
)
