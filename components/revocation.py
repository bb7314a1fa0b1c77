"""How to cut an agent off, on each cloud: the exact steps, as data.

The inventory prints these; `agentid revoke aws` applies the first AWS step.
Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import datetime as dt

from components import naming
from components.spec import Agent


def aws_revoke_sessions_policy(issued_before: dt.datetime) -> dict:
    """An inline policy denying everything to sessions issued before `issued_before`.

    Attached to the agent's role it invalidates every live session at once
    (credentials already handed out keep their expiry but lose all
    permissions); sessions issued later are unaffected, so the trust itself
    must also be removed to keep the agent out.
    """
    timestamp = issued_before.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RevokeOlderSessions",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": timestamp}},
            }
        ],
    }


def aws_revocation_steps(agent: Agent) -> list[str]:
    role = naming.aws_role_name(agent.name)
    steps = [
        f"kill live sessions: `agentid revoke aws {agent.name} --inventory FILE` writes inline policy "
        f"'{naming.REVOKE_POLICY_NAME}' on role {role} (Deny * when aws:TokenIssueTime is before now)",
    ]
    for binding in agent.trust:
        if not binding.usable_on("aws"):
            continue
        if binding.github_actions:
            steps.append(f"remove the trust statement for {binding.github_actions.subject} from role {role}")
        elif binding.kubernetes and binding.kubernetes.cluster:
            steps.append(
                f"delete the EKS Pod Identity association {binding.kubernetes.cluster}/{binding.kubernetes.namespace}/"
                f"{binding.kubernetes.service_account}"
            )
        elif binding.kubernetes:
            steps.append(f"remove the trust statement for {binding.kubernetes.subject} from role {role}")
        elif binding.spiffe:
            steps.append(f"disable the IAM Roles Anywhere profile of {binding.spiffe.spiffe_id} (and revoke its certificate)")
    if any(tool.oauth and tool.oauth.provider == "cognito" for tool in agent.tools):
        steps.append(f"delete the Cognito app client '{naming.oauth_client_name(agent.name)}' (its tokens stop refreshing)")
    return steps


def azure_revocation_steps(agent: Agent) -> list[str]:
    identity = naming.azure_identity_name(agent.name)
    steps = [f"delete the federated identity credentials of managed identity {identity}"]
    steps += [
        f"remove the role assignment of '{naming.azure_role_name(agent.name, tool.name)}' at {tool.azure.scope}"
        for tool in agent.tools
        if tool.azure
    ]
    steps += [
        f"detach {identity} from {binding.azure_hosted.resource_id}" for binding in agent.trust if binding.azure_hosted
    ]
    if any(tool.oauth and tool.oauth.provider == "entra" for tool in agent.tools):
        steps.append(
            f"disable the service principal of Entra application '{naming.oauth_client_name(agent.name)}' "
            "(accountEnabled = false) and remove its app role assignments"
        )
    return steps


def revocation_steps(agent: Agent) -> dict[str, list[str]]:
    """Per cloud the agent lives on, the steps that cut it off, most urgent first."""
    by_cloud = {"aws": aws_revocation_steps, "azure": azure_revocation_steps}
    return {cloud: by_cloud[cloud](agent) for cloud in agent.clouds}
