"""AGID-AWS-031: federated trust pins the exact workload: OIDC audience and subject, or certificate subject.

A wildcard `sub` (or a list holding one), StringLike with `*`, IfExists or
ForAllValues operators, or no `sub` at all lets every workload the provider
issues tokens for (every repository on GitHub, every pod in a cluster) assume the role.
IAM Roles Anywhere trust is the same with certificates: without an exact
`aws:PrincipalTag/x509SAN/URI` (the SPIFFE ID) or `x509Subject/CN` condition, every
certificate the trust anchor's CA signs (every workload of the trust domain) is let in; and a subject pinned
without the anchor (an exact `aws:SourceArn`) is one any CA of the account signs: CreateSession takes any trust
anchor, and a holder of rolesanywhere:CreateTrustAnchor registers its own (issue 11; the action is AGID-AWS-020's).
SAML federation is the same with assertions: without an exact `SAML:aud` (the AWS sign-in endpoint the
assertion is addressed to) an assertion the identity provider issued for another recipient is let in
(IAM user guide, "Configure SAML assertions for the authentication response").
"""

from .base import Resource, Rule
from .trust_policy import TRUST_TYPES, judge_trust


def check(resource: Resource, config):
    yield from judge_trust(resource, ("oidc-unpinned", "saml-unpinned", "certificate-unpinned"))


RULE = Rule(
    id="AGID-AWS-031",
    title="aws-oidc-trust-pinned",
    severity="critical",
    category="weak-trust",
    description="Web-identity (OIDC) trust requires an exact <provider>:aud and <provider>:sub with StringEquals; "
                "SAML trust an exact SAML:aud; IAM Roles Anywhere trust an exact certificate SAN URI (SPIFFE ID) or subject "
                "and its trust anchor's exact aws:SourceArn.",
    remediation='Add "StringEquals": {"<provider>:aud": "sts.amazonaws.com", "<provider>:sub": '
                '"repo:ORG/REPO:environment:ENV"} (the exact subject of the one workload); for Roles Anywhere '
                '"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://TRUST-DOMAIN/PATH"} and the anchor\'s aws:SourceArn; for SAML "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}.',
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub",
    check=check,
    resource_types=TRUST_TYPES,
)
