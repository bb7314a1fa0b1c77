"""AGID-GCP-005: no impersonation or escalation permissions on unbounded targets.

A role holding iam.serviceAccounts.actAs / getAccessToken / getOpenIdToken / signBlob / signJwt /
implicitDelegation, iam.serviceAccountKeys.create, iam.roles.create / update or a setIamPolicy, bound at the
project, folder or organization, reaches every service account (or every resource) below it: the holder can
become any of them or grant itself anything. Bound on one named service account or resource, the target is
bounded (and is judged by who the member is elsewhere). Which roles hold these permissions is data
(components/data/gcp_iam.yaml); basic roles are AGID-GCP-002's.
"""

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import Binding, binding_types, level_of

from .base import Resource, Rule, Violation
from .gcp_bindings import each_binding


def check(resource: Resource, config):
    level = level_of(resource.type)
    if level == "resource":
        return
    for outcome in each_binding(resource):
        if not isinstance(outcome, Binding):
            yield outcome
            continue
        role = outcome.role.strip()
        info = gcp_catalog.role_info(role)
        if info is None or info.basic:
            continue
        escalations = gcp_catalog.role_escalations(info)
        if escalations:
            permission, reason = escalations[0]
            yield Violation(f"{resource.name} grants {role} at {level} level to {', '.join(outcome.members)}: it holds "
                            f"{permission}, which {reason}, on every target in the {level}")


RULE = Rule(
    id="AGID-GCP-005",
    title="gcp-no-unbounded-impersonation",
    severity="critical",
    category="escalation",
    description="Roles that impersonate service accounts, mint their tokens or keys, edit roles or set IAM policies "
                "are not bound at project, folder or organization level.",
    remediation="Bind roles/iam.serviceAccountUser or roles/iam.serviceAccountTokenCreator on the one service account "
                "the workload must use (gcp.serviceaccount.IAMMember), and keep IAM administration with people.",
    url="https://cloud.google.com/iam/docs/service-account-permissions",
    check=check,
    resource_types=binding_types(),
)
