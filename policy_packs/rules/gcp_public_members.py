"""AGID-GCP-003: no allUsers / allAuthenticatedUsers. allUsers is anyone on the internet; allAuthenticatedUsers is
anyone with any Google account, inside or outside the organization. Their other spellings count the same
(red7a): principalSet://goog/public:all (IAM v2's everyone) and domain:gmail.com / domain:googlemail.com (every
Gmail account). Which members are the public: analysis/gcp_iam.public_reach."""

from agentid_policy_packs.analysis.gcp_iam import Binding, binding_types, public_reach

from .base import Resource, Rule, Violation
from .gcp_bindings import each_binding


def check(resource: Resource, config):
    for outcome in each_binding(resource):
        if not isinstance(outcome, Binding):
            yield outcome
            continue
        for member in outcome.members:
            if who := public_reach(member):
                yield Violation(f"{resource.name} grants {outcome.role} to {member}: {who}")


RULE = Rule(
    id="AGID-GCP-003",
    title="gcp-no-public-members",
    severity="critical",
    category="public-access",
    description="No IAM binding names allUsers, allAuthenticatedUsers or their other spellings (principalSet://goog/public:all, domain:gmail.com).",
    remediation="Name the principals (serviceAccount:, group:, principal://...) that need the role; serve public "
                "content through a CDN or signed URLs instead.",
    url="https://cloud.google.com/iam/docs/principal-identifiers#allusers",
    check=check,
    resource_types=binding_types(),
)
