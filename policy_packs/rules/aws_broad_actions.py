"""AGID-AWS-010: no `*`, `service:*` or `service:Prefix*` actions on effectively unbounded resources."""

from agentid_policy_packs.analysis import broad_grant_findings

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: broad_grant_findings(doc), ("full-admin", "broad-action"))


RULE = Rule(
    id="AGID-AWS-010",
    title="aws-no-wildcard-actions",
    severity="critical",
    category="broad-grant",
    description="Identity policies grant no wildcard actions (*, service:*, service:Prefix*) on unbounded resources.",
    remediation="List the exact actions each tool needs and the ARNs it touches (declare them in the agent spec).",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
)
