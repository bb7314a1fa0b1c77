"""AGID-GCP-024 (stack): no IAM binding gives any role to a principal outside the organisation.

Any role: a reader's role (roles/storage.objectViewer on a bucket for group:x@evil.example, roles/bigquery.dataViewer
on a dataset for domain:evil.example) hands the data to the other organisation just as the same grant spelled as a
bucket ACL or a BigQuery access entry does, which AGID-GCP-028 blocks (issue 11: the attacker switched spellings), and
as AWS blocks any action granted to another account in a resource policy (AGID-AWS-050). A privileged role is named
so in the message; either way one finding a binding.

A role that is basic (roles/owner, editor, viewer) or holds an escalation permission (impersonating or minting
tokens of a service account, setIamPolicy, deploying code that runs as a service account: the judgement
AGID-GCP-021 makes of an entitlement's roles, `gcp_pam_entitlement.role_power`) makes its holder as strong as what
it reaches; so does a role that reads credentials (secret payloads, KMS decryption: analysis/gcp_credential_reads.yaml,
as AGID-GCP-025 reads it), even on one secret or key: the secret's holder is then outside (red13 follow-up:
roles/secretmanager.secretAccessor on a secret for user:attacker@gmail.com passed with no finding). Granted to `user:attacker@gmail.com`, `group:x@evil.example`, `domain:evil.example` (every account of
that Workspace), another project's service account or a foreign workforce / workload identity pool, it hands that
power to whoever controls the other organisation (issue 11: `roles/iam.serviceAccountTokenCreator` on the stack's
own service account for `user:attacker@gmail.com` passed every rule, as AGID-GCP-005 reads only project, folder and
organization bindings and AGID-GCP-008 only pools and domains). Inside is what the gate knows (rules/gcp_own.py:
ownGcpDomains / ownGcpProjects / ownGcpOrganizations, the stack's own service accounts and pools); with nothing
listed a user or group "cannot tell" (fail closed). The public (allUsers, domain:gmail.com, ...) is AGID-GCP-003's,
values unknown at preview and unreadable policies AGID-GCP-002's: this rule does not report them twice. A role neither
predefined nor defined in the stack is AGID-GCP-011's to name; granted to an outsider it is still an outside grant here.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable, binding_types, bindings, outside_org, public_reach

from .base import Resource, Rule, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .gcp_agent_credential_reads import _reads, credential_reads
from .gcp_own import ACCOUNT_TYPE, CONFIG, CONFIG_SCHEMA, STRICTNESS, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE, own_gcp
from .gcp_pam_entitlement import role_power


def _credential_power(role: str, custom) -> str | None:
    """Why `role` reads credentials (a permission of analysis/gcp_credential_reads.yaml), or None."""
    reads = _reads(role.strip(), custom)
    return f"it holds {reads[0]}, which returns {credential_reads()[reads[0]]}" if reads else None


def check(resources: list[Resource], config):
    types = frozenset(binding_types())
    grants = [r for r in resources if r.type in types]
    if not grants:
        return
    custom = _custom_roles(resources)
    own = own_gcp(resources, config)
    for resource in grants:
        try:
            found = bindings(dict(resource.props))
        except (NotYetKnown, Unreadable):
            continue
        for binding in found:
            outside = [f"{member} ({why})" for member in binding.members
                       if not public_reach(member) and (why := outside_org(member, own))]
            if not outside:
                continue
            power = role_power(binding.role, custom) or _credential_power(binding.role, custom)
            if power and not power.startswith("cannot check"):
                yield Violation(f"{resource.name} grants {binding.role.strip()} ({power}) to {', '.join(outside)}: a "
                                "principal outside the organisation holds a privileged role", resource.urn)
            else:
                # Any role, even a reader's: what it reads or does leaves the organisation (issue 11: the same reader
                # grant spelled as a bucket ACL or a BigQuery access entry is AGID-GCP-028's and blocks).
                yield Violation(f"{resource.name} grants {binding.role.strip()} to {', '.join(outside)}: a principal "
                                "outside the organisation holds a role on the organisation's resources", resource.urn)


RULE = Rule(
    id="AGID-GCP-024",
    title="gcp-no-foreign-members",
    severity="critical",
    category="escalation",
    description="No IAM binding grants any role (a reader's too; a basic, escalating or credential-reading role is "
                "named as privileged) to a user, group, domain, service account or pool outside the organisation.",
    remediation="Grant the role to a principal of your organisation (a group of your domain, a service account the "
                "stack defines); list your domains and projects in the base branch's waivers.yaml policyPackConfig "
                "(all: ownGcpDomains / ownGcpProjects) or with agentid preview --own-gcp-domain / --own-gcp-project.",
    url="https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains",
    check=check,
    stack=True,
    reads=(*binding_types(), *CUSTOM_ROLE_TYPES, ACCOUNT_TYPE, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE),
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
)
