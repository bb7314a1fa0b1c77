"""AWS objects shared by many agents: the Cognito pool and its resource servers, Roles Anywhere trust anchors.

Built here once, for the two places that create them: an agent fleet that has
no platform stack (`aws.fleet.AwsAgents`) and the platform stack itself
(`agentid_components.platform.Platform`), so both make exactly the same objects.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from agentid_components import naming
from agentid_components.child_names import ChildNames
from agentid_components.aws.plan import trust_anchor_source  # noqa: F401 - the platform builds its anchors with it


def cognito_user_pool(domain: str, tags: dict[str, str], names: ChildNames) -> pulumi.Output[str]:
    """A user pool for machine clients only, with its hosted domain (`domain`: the prefix); returns the pool id."""
    pool = aws.cognito.UserPool(
        names.name("oauth"),
        name=naming.cognito_user_pool_name(pulumi.get_project(), pulumi.get_stack()),
        # Nobody signs up or is invited as a user: the clients authenticate as themselves.
        admin_create_user_config={"allow_admin_create_user_only": True},
        tags=tags,
        opts=names.options("oauth"),
    )
    aws.cognito.UserPoolDomain(names.name("oauth"), domain=domain, user_pool_id=pool.id, opts=names.options("oauth"))
    return pool.id


def resource_servers(servers: dict[str, tuple[str, list[str]]], user_pool_id: pulumi.Input[str],
                     children: ChildNames) -> dict[str, aws.cognito.ResourceServer]:
    """One resource server per audience (`servers`: audience -> (name, scopes), see `plan.resource_servers`)."""
    return {
        audience: aws.cognito.ResourceServer(
            children.name(f"oauth-{label}"),
            identifier=audience,  # the scopes clients ask for are AUDIENCE/SCOPE
            name=label,
            scopes=[{"scope_name": s, "scope_description": f"{s} on {audience}"[:256]} for s in names],
            user_pool_id=user_pool_id,
            opts=children.options(f"oauth-{label}"),
        )
        for audience, (label, names) in servers.items()
    }
