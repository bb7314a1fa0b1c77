"""AGID-AWS-031: OIDC web-identity trust pins an exact audience and subject.

A wildcard `sub` (or a list holding one), StringLike with `*`, IfExists or
ForAllValues operators, or no `sub` at all lets every workload the provider
issues tokens for (every repository on GitHub, every pod in a cluster) assume the role.
"""

from .base import Resource, Rule
from .trust_policy import TRUST_TYPES, judge_trust


def check(resource: Resource, config):
    yield from judge_trust(resource, ("oidc-unpinned",))


RULE = Rule(
    id="AGID-AWS-031",
    title="aws-oidc-trust-pinned",
    severity="critical",
    category="weak-trust",
    description="Web-identity (OIDC) trust requires an exact <provider>:aud and <provider>:sub with StringEquals.",
    remediation='Add "StringEquals": {"<provider>:aud": "sts.amazonaws.com", "<provider>:sub": '
                '"repo:ORG/REPO:environment:ENV"} (the exact subject of the one workload).',
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub",
    check=check,
    resource_types=TRUST_TYPES,
)
