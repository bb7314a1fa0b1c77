"""AGID-AWS-011: no Allow with NotAction (it grants everything else, including actions AWS adds later)."""

from agentid_policy_packs.analysis import broad_grant_findings

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: broad_grant_findings(doc), ("not-action-allow",))


RULE = Rule(
    id="AGID-AWS-011",
    title="aws-no-notaction-allow",
    severity="critical",
    category="broad-grant",
    description="Identity policies never combine Effect Allow with NotAction.",
    remediation="Replace NotAction with the explicit list of allowed actions; use NotAction only with Deny.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
)
