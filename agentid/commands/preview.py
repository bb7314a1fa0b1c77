"""`agentid preview`: run the stack offline under mocks, judge it with the policy packs, report, fail closed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from agentid.commands.own_options import (
    OwnAccounts,
    OwnEmailDomains,
    OwnGcpDomains,
    OwnGcpProjects,
    OwnHosts,
    OwnOrganizations,
    OwnS3Buckets,
    OwnSubscriptions,
    OwnTenants,
    OwnVpcEndpoints,
    OwnVpcs,
    TrustedAzureDevOpsOrganizations,
    TrustedGitLabGroups,
    TrustedIssuers,
    TrustedRepositoryOwners,
    TrustedTerraformOrganizations,
    trusted_tenants,
)


def preview(
    stack: Annotated[str, typer.Option("--stack", "-s", metavar="NAME", help="Stack to preview (reads stacks/Pulumi.<stack>.yaml).")] = "dev",
    policy_packs: Annotated[list[str], typer.Option(
        "--policy-pack", metavar="DIR|NAME", help="Policy pack directory, or the name of a pack installed with the kit "
        "(agent_guard: a bare name is always the installed pack); repeatable. Default: the installed agent_guard.")] = [],  # noqa: B006
    policy_pack_configs: Annotated[list[Path], typer.Option(
        "--policy-pack-config", metavar="FILE", help="JSON config for the --policy-pack at the same position (pulumi's format).",
    )] = [],  # noqa: B006
    json_file: Annotated[Path | None, typer.Option("--json", metavar="FILE", help="Write the full result as JSON here.")] = None,
    sarif_file: Annotated[Path | None, typer.Option("--sarif", metavar="FILE", help="Write SARIF 2.1.0 here (GitHub code scanning).")] = None,
    junit_file: Annotated[Path | None, typer.Option("--junit", metavar="FILE", help="Write JUnit XML here.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, metavar="SECONDS", help="Seconds allowed for the program run and for "
                                           "each pack start and call.")] = 300.0,
    strict_unknowns: Annotated[bool, typer.Option(
        "--strict-unknowns", help="A mandatory policy that cannot check a value unknown at preview blocks.")] = False,
    waivers_file: Annotated[str | None, typer.Option(
        "--waivers", help="Waiver file (default: waivers.yaml at the project root, when present).")] = None,
    waivers_ref: Annotated[str | None, typer.Option(
        "--waivers-from-ref", help="Read the waivers from this git revision (CI: the base branch).")] = None,
    today: Annotated[str | None, typer.Option(
        "--today", help="Date for waiver expiry, YYYY-MM-DD (default: $AGENTID_TODAY, else today in UTC).")] = None,
    max_waiver_days: Annotated[int, typer.Option(
        "--max-waiver-days", min=1, metavar="DAYS", help="The longest a waiver may run: one whose `expires` is more "
        "than DAYS after today is refused (exit 2). The gate operator's setting.")] = 90,
    allowed_secrets_providers: Annotated[list[str], typer.Option(
        "--allow-secrets-provider", metavar="URL", help="A stack file `secretsprovider:` URL accepted as it is "
        "(repeatable); others must name an own key with no endpoint/profile overrides, else exit 2.")] = [],  # noqa: B006
    reference_projects: Annotated[list[str], typer.Option(
        "--reference-project", metavar="DIR", help="Another Pulumi project whose stacks the program references "
        "(StackReference ORG/PROJECT/STACK): that stack is previewed to answer; repeatable.")] = [],  # noqa: B006
    stack_outputs: Annotated[list[str], typer.Option(
        "--stack-outputs", metavar="NAME=FILE", help="Answer StackReference NAME with a deployed stack's outputs "
        "(pulumi stack output --json --show-secrets) instead of previewing it; repeatable.")] = [],  # noqa: B006
    backend_urls: Annotated[list[str], typer.Option(
        "--backend-url", metavar="URL", help="A state backend the project file may name (Pulumi.yaml `backend.url`, "
        "where `pulumi up` sends the access token and keeps the state): any other gets no verdict; repeatable.")] = [],  # noqa: B006
    own_accounts: OwnAccounts = [],  # noqa: B006
    own_organizations: OwnOrganizations = [],  # noqa: B006
    own_vpcs: OwnVpcs = [],  # noqa: B006
    own_vpc_endpoints: OwnVpcEndpoints = [],  # noqa: B006
    own_s3_buckets: OwnS3Buckets = [],  # noqa: B006
    own_gcp_domains: OwnGcpDomains = [],  # noqa: B006
    own_email_domains: OwnEmailDomains = [],  # noqa: B006
    own_gcp_projects: OwnGcpProjects = [],  # noqa: B006
    own_tenants: OwnTenants = [],  # noqa: B006
    own_subscriptions: OwnSubscriptions = [],  # noqa: B006
    own_hosts: OwnHosts = [],  # noqa: B006
    require_sandbox: Annotated[bool, typer.Option(
        "--require-sandbox", help="Refuse to run the program outside the sandbox (no Linux user/network/pid/mount "
                                  "namespaces here): exit 2 instead of a warning. Set it in CI.")] = False,
    trusted_issuers: TrustedIssuers = [],  # noqa: B006
    trusted_repository_owners: TrustedRepositoryOwners = [],  # noqa: B006
    trusted_gitlab_groups: TrustedGitLabGroups = [],  # noqa: B006
    trusted_terraform_organizations: TrustedTerraformOrganizations = [],  # noqa: B006
    trusted_azure_devops_organizations: TrustedAzureDevOpsOrganizations = [],  # noqa: B006
) -> None:
    """Check the whole stack offline, as a pull-request gate.

    Runs the stack's Pulumi program under mocks (no CLI, no cloud, no credentials), sends every resource through
    each policy pack over the analyzer protocol, and prints the plan, the inventory and the violations. A
    StackReference the program reads is answered with the referenced stack's own preview outputs.

    Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 no verdict (spec, config, program or pack
    error) or a usage error.
    """
    import json

    from agentid.preview.junit import to_junit
    from agentid.preview.report import console_for, progress_for, render, to_json
    from agentid.preview.runner import PreviewRequest, run_preview
    from agentid.preview.sarif import to_sarif

    request = PreviewRequest(stack=stack, pack_dirs=policy_packs, pack_config_files=[str(p) for p in policy_pack_configs],
                             timeout=timeout, strict_unknowns=strict_unknowns, waivers_file=waivers_file,
                             waivers_ref=waivers_ref, today=today, max_waiver_days=max_waiver_days,
                             allowed_secrets_providers=allowed_secrets_providers, reference_projects=reference_projects,
                             stack_outputs=stack_outputs, require_sandbox=require_sandbox, backend_urls=backend_urls,
                             own_accounts=own_accounts, trusted_issuers=trusted_issuers,
                             own_aws_ids={"ownOrganizationIds": own_organizations, "ownVpcIds": own_vpcs,
                                          "ownVpcEndpointIds": own_vpc_endpoints, "ownS3Buckets": own_s3_buckets,
                                          "ownEmailDomains": own_email_domains},
                             own_gcp_domains=own_gcp_domains, own_gcp_projects=own_gcp_projects, own_hosts=own_hosts,
                             own_tenants=own_tenants, own_subscriptions=own_subscriptions,
                             trusted_tenants=trusted_tenants(trusted_repository_owners, trusted_gitlab_groups,
                                                             trusted_terraform_organizations,
                                                             trusted_azure_devops_organizations))
    progress = progress_for(sys.stderr)
    try:
        result = run_preview(request, progress)
    finally:
        progress.close()

    render(result, console_for(sys.stdout))
    for target, content in (
        (json_file, lambda: json.dumps(to_json(result), indent=2, default=str) + "\n"),
        (sarif_file, lambda: json.dumps(to_sarif(result), indent=2) + "\n"),
        (junit_file, lambda: to_junit(result)),
    ):
        if target is not None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content(), encoding="utf-8")
            except OSError as error:
                typer.echo(f"agentid preview: cannot write {target}: {error.strerror or error}", err=True)
                raise typer.Exit(2) from None
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("preview")(preview)
