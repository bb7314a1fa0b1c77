"""Create in moto what the kit's AWS components create for an agent: role, trust, boundary, one inline policy a tool.

Built from the same compiler and trust builder the components use, so the
audit's "clean" verdict is checked against the kit's real output.
"""

from __future__ import annotations

import hashlib
import json

import boto3

from agentid_components import naming
from agentid_components.aws import permissions, revocation_read, trust
from agentid_components.spec import Agent
from tests.runtime.moto_process import MOTO_ACCOUNT_ID

ACCOUNT = MOTO_ACCOUNT_ID


def refs_for(agent: Agent) -> trust.TrustRefs:
    bindings = trust.aws_bindings(agent)
    return trust.TrustRefs(
        github_provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
        oidc_provider_arns={
            b.kubernetes.issuer: f"arn:aws:iam::{ACCOUNT}:oidc-provider/{trust.oidc_provider_host(b.kubernetes.issuer)}"
            for b in bindings if trust.uses_irsa(b)
        },
        account_id=ACCOUNT,
        cluster_arns={b.kubernetes.cluster: f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{b.kubernetes.cluster}" for b in bindings if trust.uses_pod_identity(b)},
        trust_anchor_arns={
            b.spiffe.spiffe_id: f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/{hashlib.sha256(b.spiffe.spiffe_id.encode()).hexdigest()[:32]}"
            for b in bindings if b.spiffe
        },
    )


def deploy_agent(url: str, agent: Agent) -> str:
    """The agent's role as the components build it; returns its ARN."""
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
    tags = {naming.TAG_AGENT: agent.name, naming.TAG_OWNER: agent.owner, naming.TAG_ENVIRONMENT: agent.environment,
            naming.TAG_REVIEW_BY: agent.review_by.isoformat(), naming.TAG_MANAGED_BY: naming.MANAGED_BY}
    role_arn = revocation_read.role_arn("aws", ACCOUNT, naming.aws_role_name(agent.name))
    document = permissions.boundary_document(agent)
    document["Statement"].append(revocation_read.read_statement(role_arn))  # as the components' boundary has it
    boundary = iam.create_policy(
        PolicyName=naming.aws_boundary_policy_name(agent.name), PolicyDocument=json.dumps(document)
    )["Policy"]["Arn"]
    role = iam.create_role(
        RoleName=naming.aws_role_name(agent.name),
        AssumeRolePolicyDocument=json.dumps(trust.trust_policy(agent, refs_for(agent))),
        MaxSessionDuration=3600,
        PermissionsBoundary=boundary,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )["Role"]
    for tool in permissions.aws_tools(agent):
        iam.put_role_policy(
            RoleName=role["RoleName"], PolicyName=naming.aws_tool_policy_name(tool.name),
            PolicyDocument=json.dumps(permissions.tool_policy_document(agent, tool)),
        )
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName=revocation_read.INLINE_POLICY_NAME,
        PolicyDocument=json.dumps(revocation_read.read_policy(role["Arn"])),
    )
    assert role["Arn"] == role_arn
    return role["Arn"]
