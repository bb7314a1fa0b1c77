"""AGID-GCP-002: no basic roles. roles/owner, roles/editor and roles/viewer hold thousands of permissions across
every service (Google: "do not grant basic roles in production")."""

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import Binding, binding_types

from .base import Resource, Rule, Violation
from .gcp_bindings import each_binding


def check(resource: Resource, config):
    for outcome in each_binding(resource):
        if not isinstance(outcome, Binding):
            yield outcome
        elif gcp_catalog.is_basic_role(outcome.role.strip()):
            yield Violation(f"{resource.name} grants basic role {outcome.role} to {', '.join(outcome.members) or 'nobody yet'}: "
                            "it holds nearly every permission of every service")


RULE = Rule(
    id="AGID-GCP-002",
    title="gcp-no-basic-roles",
    severity="critical",
    category="admin",
    description="No IAM binding grants a basic role (roles/owner, roles/editor, roles/viewer).",
    remediation="Grant a predefined role of the one service the workload uses, or a custom role with its exact "
                "permissions, on the one resource it touches.",
    url="https://cloud.google.com/iam/docs/roles-overview#basic",
    check=check,
    resource_types=binding_types(),
)
