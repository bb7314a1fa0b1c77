"""How to cut an agent off, on each cloud: the exact steps, as data.

The inventory prints these; `agentid revoke AGENT` applies the broker step, `agentid revoke aws` the first AWS step.
Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import datetime as dt
from shlex import quote

from agentid_components import naming
from agentid_components.spec import Agent


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


# Values the agent spec does not hold, named as shell variables the steps expect (set them from the stack).
USER_POOL_VARIABLE = "USER_POOL_ID"  # the stack's Cognito user pool (config awsCognitoUserPoolId, or the created pool)
RESOURCE_GROUP_VARIABLE = "RESOURCE_GROUP"  # the stack's config `azureResourceGroup`
GCP_PROJECT_VARIABLE = "GCP_PROJECT"  # the stack's config `gcpProject`
GCP_PROJECT_NUMBER_VARIABLE = "GCP_PROJECT_NUMBER"  # that project's number (principal:// identifiers use it)
GCP_POOL_PREFIX_VARIABLE = "GCP_POOL_PREFIX"  # the stack's config `gcpPoolPrefix` (default agents)


def aws_revocation_steps(agent: Agent, inventory: str = "FILE", suffix: str = "") -> list[str]:
    """The AWS steps, each a description and the command that does it (AWS CLI v2, jq; `inventory`: the agent file;
    `suffix`: the stack's name suffix, see `naming`).

    Sources: AWS CLI reference for `iam update-assume-role-policy`, `eks delete-pod-identity-association`,
    `rolesanywhere disable-profile`, `cognito-idp delete-user-pool-client`.
    """
    from agentid_components.aws.trust import statement_sid

    role = naming.aws_role_name(agent.name, suffix)
    suffix_option = f" --name-suffix {quote(suffix)}" if suffix else ""
    steps = [
        f"kill live sessions: `agentid revoke aws {quote(agent.name)} --inventory {quote(inventory)}{suffix_option}` writes inline policy "
        f"'{naming.REVOKE_POLICY_NAME}' on role {role} (Deny * when aws:TokenIssueTime is before now)",
    ]
    for binding in agent.trust:
        if not binding.usable_on("aws"):
            continue
        if binding.kubernetes and binding.kubernetes.cluster:
            cluster, namespace, account = binding.kubernetes.cluster, binding.kubernetes.namespace, binding.kubernetes.service_account
            steps.append(
                f"delete the EKS Pod Identity association {cluster}/{namespace}/{account}: "
                f"`aws eks list-pod-identity-associations --cluster-name {quote(cluster)} --namespace {quote(namespace)} "
                f"--service-account {quote(account)} --query 'associations[].associationId' --output text | "
                f"xargs -n1 aws eks delete-pod-identity-association --cluster-name {quote(cluster)} --association-id`"
            )
        elif binding.github_actions or binding.kubernetes:
            subject = (binding.github_actions or binding.kubernetes).subject
            sid = statement_sid(binding)
            steps.append(
                f"remove the trust statement for {subject} from role {role}: "
                f"`aws iam get-role --role-name {role} --query Role.AssumeRolePolicyDocument --output json | "
                f"jq 'del(.Statement[] | select(.Sid == \"{sid}\"))' > trust-{role}.json && "
                f"aws iam update-assume-role-policy --role-name {role} --policy-document file://trust-{role}.json`"
            )
        elif binding.spiffe:
            profile = naming.aws_roles_anywhere_profile_name(agent.name, suffix)
            steps.append(
                f"disable the IAM Roles Anywhere profile of {binding.spiffe.spiffe_id} (and revoke its certificate): "
                f"`aws rolesanywhere list-profiles --query \"profiles[?name=='{profile}'].profileId\" --output text | "
                f"xargs -n1 aws rolesanywhere disable-profile --profile-id`"
            )
    if any(tool.oauth and tool.oauth.provider == "cognito" for tool in agent.tools):
        client = naming.oauth_client_name(agent.name, suffix)
        steps.append(
            f"delete the Cognito app client '{client}' (its tokens stop refreshing): "
            f"`aws cognito-idp list-user-pool-clients --user-pool-id \"${USER_POOL_VARIABLE}\" "
            f"--query \"UserPoolClients[?ClientName=='{client}'].ClientId\" --output text | "
            f"xargs -n1 aws cognito-idp delete-user-pool-client --user-pool-id \"${USER_POOL_VARIABLE}\" --client-id`"
        )
    return steps


def _holder(agent: Agent, tool, group: str, suffix: str = "") -> str:
    """The principal id of the tool's own managed identity, as a shell expression."""
    own = naming.azure_tool_identity_name(agent.name, tool.name, suffix)
    return f"\"$(az identity show --name {own} --resource-group {group} --query principalId --output tsv)\""


def azure_revocation_steps(agent: Agent, suffix: str = "") -> list[str]:
    """The Azure steps, each a description and the Azure CLI command that does it ($RESOURCE_GROUP: the stack's
    `azureResourceGroup`). Sources: Azure CLI reference for `az identity federated-credential delete`,
    `az role assignment delete`, `az ad sp update`.
    """
    identity = naming.azure_identity_name(agent.name, suffix)
    group = f"\"${RESOURCE_GROUP_VARIABLE}\""
    principal = f"\"$(az identity show --name {identity} --resource-group {group} --query principalId --output tsv)\""
    steps = [
        f"delete the federated identity credentials of managed identity {identity}: "
        f"`az identity federated-credential list --identity-name {identity} --resource-group {group} --query '[].name' "
        f"--output tsv | xargs -I{{}} az identity federated-credential delete --identity-name {identity} "
        f"--resource-group {group} --name {{}} --yes`"
    ]
    if agent.azure_identity_per_tool:
        for tool in agent.tools:
            if tool.azure:
                own = naming.azure_tool_identity_name(agent.name, tool.name, suffix)
                steps.append(
                    f"delete the federated identity credentials of tool {tool.name}'s managed identity {own}: "
                    f"`az identity federated-credential list --identity-name {own} --resource-group {group} --query '[].name' "
                    f"--output tsv | xargs -I{{}} az identity federated-credential delete --identity-name {own} "
                    f"--resource-group {group} --name {{}} --yes`"
                )
    steps += [
        f"remove the role assignment of '{naming.azure_role_name(agent.name, tool.name, suffix)}' at {tool.azure.scope}: "
        f"`az role assignment delete --assignee {_holder(agent, tool, group, suffix) if agent.azure_identity_per_tool else principal} "
        f"--role {quote(naming.azure_role_name(agent.name, tool.name, suffix))} "
        f"--scope {quote(tool.azure.scope)}`"
        for tool in agent.tools
        if tool.azure
    ]
    steps += [
        f"detach {identity} from {binding.azure_hosted.resource_id}" for binding in agent.trust if binding.azure_hosted
    ]
    if any(tool.oauth and tool.oauth.provider == "entra" for tool in agent.tools):
        application = naming.oauth_client_name(agent.name, suffix)
        steps.append(
            f"disable the service principal of Entra application '{application}' "
            "(accountEnabled = false) and remove its app role assignments: "
            f"`az ad sp update --id \"$(az ad app list --display-name {quote(application)} --query '[0].appId' --output tsv)\" "
            "--set accountEnabled=false`"
        )
    return steps


def gcp_revocation_steps(agent: Agent, suffix: str = "") -> list[str]:
    """The Google Cloud steps, each with the gcloud / bq command that does it ($GCP_PROJECT, $GCP_PROJECT_NUMBER,
    $GCP_POOL_PREFIX: the stack's project, its number and pool prefix; `suffix`: the stack's name suffix, which
    the service account and pool ids carry; a pool id longer than 32 characters is cut with a hash, as the
    inventory's `gcp.pools` shows). Sources: gcloud reference for
    `iam service-accounts disable`, `iam service-accounts remove-iam-policy-binding`,
    `iam workload-identity-pools providers update-oidc --disabled`, `storage buckets remove-iam-policy-binding`.
    """
    from agentid_components.gcp.plan import PLATFORMS, WORKLOAD_IDENTITY_USER, issuer_and_subject

    project = f"\"${GCP_PROJECT_VARIABLE}\""
    account = f"{naming.gcp_service_account_id(agent.name, suffix)}@${{{GCP_PROJECT_VARIABLE}}}.iam.gserviceaccount.com"
    steps = [
        f"disable service account {account} (no new tokens; Google refuses its tokens while disabled): "
        f"`gcloud iam service-accounts disable \"{account}\" --project {project}`"
    ]
    for binding in agent.trust:
        if not binding.usable_on("gcp"):
            continue
        issuer, subject = issuer_and_subject(binding)
        platform = PLATFORMS[binding.kind]
        pool = f"${{{GCP_POOL_PREFIX_VARIABLE}}}-{platform}" + (f"-{suffix}" if suffix else "")
        principal = (f"principal://iam.googleapis.com/projects/${{{GCP_PROJECT_NUMBER_VARIABLE}}}/locations/global/"
                     f"workloadIdentityPools/{pool}/subject/{subject}")
        steps.append(
            f"remove {WORKLOAD_IDENTITY_USER} of {subject} on {account}: `gcloud iam service-accounts "
            f"remove-iam-policy-binding \"{account}\" --project {project} --role {WORKLOAD_IDENTITY_USER} "
            f"--member \"{principal}\"`"
        )
        steps.append(
            f"if no other agent uses {issuer}: disable its provider in pool {pool} (it is shared per issuer): "
            f"`gcloud iam workload-identity-pools providers update-oidc {naming.gcp_provider_id(platform, issuer)} "
            f"--workload-identity-pool \"{pool}\" --location global --project {project} --disabled`"
        )
    return steps


def broker_revocation_steps(agent: Agent, inventory: str = "FILE", suffix: str = "") -> list[str]:
    """The step that works for every agent, whatever its clouds, offline: the brokers' revocation list
    (`agentid revoke AGENT`; agentid.runtime.revocation_list)."""
    suffix_option = f" --name-suffix {quote(suffix)}" if suffix else ""
    return [
        f"refuse every credential at the brokers, on every hop: `agentid revoke {quote(agent.name)} --inventory "
        f"{quote(inventory)}{suffix_option} --list \"$AGENTID_REVOCATION_LIST\"` writes the agent into the brokers' "
        "revocation list (offline; what was already issued is cut by the cloud steps)"
    ]


def revocation_steps(agent: Agent, inventory: str = "FILE", suffix: str = "") -> dict[str, list[str]]:
    """The steps that cut the agent off, most urgent first: `broker` (every agent) then one entry per cloud the
    agent lives on; `inventory`: the agent file; `suffix`: the stack's name suffix (`naming`)."""
    by_cloud = {"aws": lambda a: aws_revocation_steps(a, inventory, suffix),
                "azure": lambda a: azure_revocation_steps(a, suffix), "gcp": lambda a: gcp_revocation_steps(a, suffix)}
    return {"broker": broker_revocation_steps(agent, inventory, suffix)} | {cloud: by_cloud[cloud](agent) for cloud in agent.clouds}
