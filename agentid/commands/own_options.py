"""The gate's own-* and trusted-* options, defined once for `agentid preview` and `agentid lint`.

Each names one pack-wide setting (ownAccountIds, trustedRepositoryOwners, ...) that both commands check the same
way (agentid.preview.runner's checked_* helpers), so a flag means one thing and says it in one help text wherever
it stands. `agentid preview` takes them all; `agentid lint` takes those a raw policy document can be judged by.
Nothing here imports more than typer: `agentid --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

_GATE = "The gate's setting: the stack file cannot add to it."

OwnAccounts = Annotated[list[str], typer.Option(
    "--own-account", metavar="ID", help="An AWS account id of yours (repeatable): every rule that tells own from "
    "foreign accounts (ownAccountIds) counts it as own, so a grant sending data to a resource in it is not foreign "
    "egress (AGID-AWS-052/072/073). Without one, a literal account is \"cannot tell whether it is yours\": a "
    "finding. " + _GATE)]
OwnOrganizations = Annotated[list[str], typer.Option(
    "--own-organization", metavar="O-ID", help="An AWS Organizations id of yours, o-... (repeatable): an "
    "aws:PrincipalOrgID / PrincipalOrgPaths / SourceOrgID / ResourceOrgID pin or a Lambda permission's "
    "principalOrgId counts as confining a grant only to a listed one (ownOrganizationIds, "
    "AGID-AWS-030/032/034/052/072). " + _GATE)]
OwnVpcs = Annotated[list[str], typer.Option(
    "--own-vpc", metavar="VPC-ID", help="A VPC id of yours, vpc-... (repeatable): an aws:SourceVpc pin counts "
    "only for a listed one (ownVpcIds, AGID-AWS-030).")]
OwnVpcEndpoints = Annotated[list[str], typer.Option(
    "--own-vpc-endpoint", metavar="VPCE-ID", help="A VPC endpoint id of yours, vpce-... (repeatable): an "
    "aws:SourceVpce pin counts only for a listed one (ownVpcEndpointIds, AGID-AWS-030).")]
OwnS3Buckets = Annotated[list[str], typer.Option(
    "--own-s3-bucket", metavar="BUCKET", help="An S3 bucket of yours outside the stack, by name (repeatable): a "
    "bucket ARN names no account, so a policy writing into it (AGID-AWS-073) or an input delivering to it "
    "(AGID-AWS-064) counts as own only for a bucket the stack creates or one listed here (ownS3Buckets). " + _GATE)]
OwnGcpDomains = Annotated[list[str], typer.Option(
    "--own-gcp-domain", metavar="DOMAIN", help="A Google Workspace / Cloud Identity domain of your organisation "
    "(repeatable): its users and groups count as own (ownGcpDomains, AGID-GCP-021). " + _GATE)]
OwnEmailDomains = Annotated[list[str], typer.Option(
    "--own-email-domain", metavar="DOMAIN", help="A mail domain of your organisation (repeatable; a subdomain "
    "counts too): an AWS Organizations member account the stack creates may have its root mailbox there "
    "(ownEmailDomains, AGID-AWS-075). " + _GATE)]
OwnGcpProjects = Annotated[list[str], typer.Option(
    "--own-gcp-project", metavar="PROJECT", help="A Google Cloud project id or number of your organisation "
    "(repeatable): its service accounts and pools count as own (AGID-GCP-021) and a trusted GKE cluster issuer in "
    "it is own (ownGcpProjects, AGID-GEN-009). " + _GATE)]
OwnTenants = Annotated[list[str], typer.Option(
    "--own-tenant", metavar="TENANT", help="An Entra tenant id of your organisation (repeatable): its principals "
    "and issuers count as own, and a provider may sign in to it (ownTenantIds, AGID-GEN-003, AGID-AZ-045, "
    "AGID-PRV-004). The gate's setting: the stack file's tenantId never makes a tenant own.")]
OwnSubscriptions = Annotated[list[str], typer.Option(
    "--own-subscription", metavar="SUBSCRIPTION", help="An Azure subscription id of your organisation (repeatable): "
    "an azure-native provider may deploy into it and data may be sent to it (ownSubscriptionIds, AGID-AZ-060, "
    "AGID-AZ-067). The gate's setting: the stack file's subscriptionId never makes a subscription own.")]
OwnHosts = Annotated[list[str], typer.Option(
    "--own-host", metavar="HOST", help="A host name of your organisation's own HTTP endpoints (repeatable): a "
    "Pub/Sub push subscription or Eventarc trigger sending to it counts as own (ownHosts, AGID-GCP-033). " + _GATE)]
TrustedIssuers = Annotated[list[str], typer.Option(
    "--trusted-issuer", metavar="URL", help="An OIDC issuer you run (an EKS cluster's, a SPIRE OIDC discovery "
    "provider, a self-managed cluster) that a trust policy's oidc-provider/HOST, federated credentials and WIF "
    "providers may trust (trustedIssuers, AGID-GEN-003/006/009/010); repeatable. The gate's setting: the judged "
    "stack cannot add one.")]
TrustedRepositoryOwners = Annotated[list[str], typer.Option(
    "--trusted-repository-owner", metavar="OWNER", help="A GitHub organization or user (login, or numeric "
    "repository_owner_id) of yours (repeatable): a trust policy or federated credential pinning a subject of its "
    "repositories passes (trustedRepositoryOwners, AGID-GEN-006). Without one, a pinned GitHub subject is "
    "\"cannot tell whether the owner is yours\": a finding. The gate's setting: the stack file cannot add one.")]
TrustedGitLabGroups = Annotated[list[str], typer.Option(
    "--trusted-gitlab-group", metavar="GROUP", help="A GitLab.com top-level group of yours "
    "(trustedGitLabGroups, AGID-GEN-006); repeatable.")]
TrustedTerraformOrganizations = Annotated[list[str], typer.Option(
    "--trusted-terraform-organization", metavar="ORG", help="An HCP Terraform organization of yours "
    "(trustedTerraformOrganizations, AGID-GEN-006); repeatable.")]
TrustedAzureDevOpsOrganizations = Annotated[list[str], typer.Option(
    "--trusted-azure-devops-organization", metavar="ORG", help="An Azure DevOps organization of yours "
    "(trustedAzureDevOpsOrganizations, AGID-GEN-006); repeatable.")]


def trusted_tenants(repository_owners: list[str], gitlab_groups: list[str], terraform_organizations: list[str],
                    azure_devops_organizations: list[str]) -> dict[str, list[str]]:
    """The four --trusted-<platform> lists by the pack-wide setting each fills."""
    return {"trustedRepositoryOwners": repository_owners, "trustedGitLabGroups": gitlab_groups,
            "trustedTerraformOrganizations": terraform_organizations,
            "trustedAzureDevOpsOrganizations": azure_devops_organizations}
