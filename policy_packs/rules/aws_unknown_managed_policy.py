"""AGID-AWS-014: an attached AWS managed policy must be one whose document the pack knows.

AGID-AWS-013 judges AWS managed policies by their documents from a snapshot
(`agentid_policy_packs.analysis.managed_policies`, refreshed by
`scripts/refresh_aws_managed_policies.py`). An `arn:<partition>:iam::aws:policy/...` that
is not in the snapshot (a policy newer than the snapshot, or a misspelt name that will fail
to attach) cannot be checked: it is reported, never passed in silence.

Likewise an identity policy that lets its holder create roles or users (iam:CreateRole/CreateUser)
pinned to a permissions boundary whose document is not known here (`boundary-unjudged`,
analysis/aws_boundaries.py): the created principals may do what that boundary allows. A known
boundary is judged by its document instead (AGID-AWS-012 when it allows admin, nothing when not).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.managed_policies import is_aws_managed_arn, managed_policy_document, snapshot_source

from agentid_policy_packs.analysis import broad_grant_findings

from .aws_managed_policy_attachments import FIELDS, attached_arns
from .base import Resource, Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies


def check(resource: Resource, config):
    if resource.type in IDENTITY_POLICY_TYPES:
        yield from judge_identity_policies(resource, lambda doc, _: broad_grant_findings(doc), ("boundary-unjudged",))
    if resource.type not in FIELDS:
        return
    for arn in attached_arns(resource):
        if isinstance(arn, Unknown):
            yield arn
        elif is_aws_managed_arn(arn) and managed_policy_document(arn) is None:
            yield Violation(f"{resource.name} attaches {arn}, which is not an AWS managed policy in the snapshot "
                            f"({snapshot_source()}): cannot check what it grants")


RULE = Rule(
    id="AGID-AWS-014",
    title="aws-managed-policy-known",
    severity="high",
    # mandatory: a grant whose content the pack cannot see may be anything (an administrator role, a
    # policy or permission set of `*`), so it fails closed as the GCP and Kubernetes twins do (AGID-GCP-011,
    # AGID-K8S-006); a reviewed outside grant passes with a waiver that names it
    enforcement="mandatory",
    category="unparseable",
    description="Every attached AWS managed policy, and every permissions boundary that delegated role or user "
                "creation is pinned to, is one whose document is known, so that it can be judged.",
    remediation="Check the policy name (IAM console, `aws iam get-policy`); if it is new, refresh the snapshot "
                "with scripts/refresh_aws_managed_policies.py.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
    check=check,
    resource_types=tuple(dict.fromkeys((*FIELDS, *IDENTITY_POLICY_TYPES))),
)
