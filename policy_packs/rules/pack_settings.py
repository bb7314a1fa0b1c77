"""Pack-wide settings: one value given once, fanned out to every rule whose config takes it.

`ownAccountIds`, the stack's own AWS account ids, read by every rule that tells an own account from a foreign one
(AGID-AWS-032, -033, -042, -044, -047 ... -050, -052); `ownOrganizationIds`, `ownVpcIds`, `ownVpcEndpointIds`,
the AWS Organizations, VPCs and VPC endpoints an aws:PrincipalOrgID / PrincipalOrgPaths / SourceOrgID / SourceVpc /
SourceVpce pin (or a Lambda permission's principalOrgId, an organization / OU share) may confine a grant to
(AGID-AWS-030, -032, -033, -034, -041, -047, -048, -052, -062, -072); `ownS3Buckets`, the organisation's S3 buckets
outside the stack by name (a bucket ARN names no account: rules/aws_buckets.py, AGID-AWS-064, -073); and `ownGcpDomains`, `ownGcpProjects`, `ownGcpOrganizations`,
the Google Cloud domains, projects (ids or numbers) and organizations (numbers) whose principals are the
organisation's (rules/gcp_own.py: AGID-GCP-021); `ownHosts`, the host names of the organisation's own HTTP
endpoints a Pub/Sub push subscription or an Eventarc trigger may send to (AGID-GCP-033; `agentid preview --own-host
H`); `ownEmailDomains`, the organisation's mail domains (an Organizations member account's root mailbox, AGID-AWS-075;
`--own-email-domain D`); `ownTenantIds`, the organisation's Entra tenant ids (AGID-GEN-003, -008, -010, AGID-AZ-045,
AGID-PRV-004; `--own-tenant T`: never the stack file's tenantId, which a pull request may change, red19 r19-2);
`ownSubscriptionIds`, the organisation's Azure subscription ids (AGID-AZ-060, AGID-AZ-067; `--own-subscription S`: never
the stack file's subscriptionId for AGID-AZ-067, red19 r19-5); and `trustedIssuers`, the OIDC issuers the organisation runs
(AGID-GEN-003, -006, -009, -010: one list, as `--trusted-issuer` fills all of them); `ownStacks`, the Pulumi
stacks (ORG/PROJECT/STACK) whose StackReference outputs are the organisation's own, and `ownServicePrincipalIds`,
its own API service principals' object ids (AGID-AZ-054, -066: an app role on one is judged by what it grants;
trusted config only, no flag). Each can be given
  - to `agentid preview` as `--own-account ID`, `--own-organization O`, `--own-vpc V`, `--own-vpc-endpoint E`, `--own-s3-bucket B`, `--own-gcp-domain D`, `--own-gcp-project P`, `--own-host H`, `--own-email-domain D` (repeatable), which
    the gate puts in the trusted `all` entry;
  - once, pack-wide, under the `all` entry of the config `agentid preview` reads (waivers.yaml's policyPackConfig,
    --policy-pack-config): `{"all": {"ownAccountIds": ["111122223333"]}}`. The gate resolves it into every rule's
    entry (agentid.preview.pack_config.reconcile) and records that per-rule config in its JSON report
    (`policyPacks[].config`), which is the file to hand `pulumi preview --policy-pack-config` (the shipped
    workflow does). Given to Pulumi directly, an `all` entry must carry an `enforcementLevel` (the engine
    refuses an entry without a valid level, "invalid enforcement level") and that level then applies to every
    policy; the pack honours the entry's ownAccountIds when the engine sends it (crossguard.read_pack_wide_settings);
  - under each rule, as before (`{"AGID-AWS-032": {"ownAccountIds": [...]}}`).
A rule judges with the union of its own list and the pack-wide one: each is the gate's (or the deployer's)
statement of which accounts are the stack's, so neither hides the other. Under `agentid preview` each list
is held to its trusted floor separately (a pull request may shorten a list, never lengthen it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ALL = "all"  # the policy-pack config entry that applies to every policy (Pulumi's name)
# settings a rule may take from `all`; the trusted* lists are the own tenants of multi-tenant OIDC platforms
# (analysis/oidc_issuers.yaml `tenants`, AGID-GEN-006)
PACK_WIDE = ("ownAccountIds", "ownOrganizationIds", "ownVpcIds", "ownVpcEndpointIds", "ownS3Buckets", "ownGcpDomains", "ownGcpProjects", "ownGcpOrganizations", "ownHosts", "ownEmailDomains", "ownTenantIds", "ownSubscriptionIds", "trustedRepositoryOwners",
             "trustedGitLabGroups", "trustedTerraformOrganizations", "trustedAzureDevOpsOrganizations",
             "trustedIssuers", "ownStacks", "ownServicePrincipalIds")


def pack_wide(entry: Any) -> dict[str, list[str]]:
    """The pack-wide settings of an `all` entry (its well-typed lists only: anything else is not a setting)."""
    if not isinstance(entry, Mapping):
        return {}
    return {key: [str(v) for v in entry[key]] for key in PACK_WIDE
            if isinstance(entry.get(key), list) and all(isinstance(v, str) for v in entry[key])}


def fanned_out(takes: Iterable[str], own: Mapping[str, Any], wide: Mapping[str, list[str]]) -> dict[str, Any]:
    """`own` (a rule's config) with each pack-wide list of `wide` the rule `takes` joined to its own, in order."""
    merged = dict(own)
    for key in PACK_WIDE:
        if key in takes and wide.get(key):
            mine = merged.get(key) if isinstance(merged.get(key), list) else []
            merged[key] = list(dict.fromkeys([*mine, *wide[key]]))
    return merged
