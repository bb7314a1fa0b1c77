"""AGID-AWS-031 over gRPC: IAM Roles Anywhere trust must pin the certificate's subject or SAN.

Before this fix a role trusting `rolesanywhere.amazonaws.com` with no condition, or only with the trust
anchor's `aws:SourceArn`, passed `agentid preview`: every certificate the anchor's CA signs (every SPIFFE ID of
the trust domain) could assume it. Source: IAM Roles Anywhere user guide, "Trust model"
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html): sessions carry the
certificate's fields as principal tags aws:PrincipalTag/x509Subject/*, x509Issuer/*, x509SAN/*.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.test_pack_grpc import urn

ROLE = "aws:iam/role:Role"
ANCHOR = "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/4f1b2c3d-0000-4000-8000-000000000001"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def messages(pack, condition, service="rolesanywhere.amazonaws.com", action=ACTIONS) -> list[str]:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    props = {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    diags = pack.analyze(ROLE, "agent", urn(ROLE, "agent"), props)
    return [d.message for d in diags if d.policy_name == "AGID-AWS-031" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("condition, scope", [
    (None, "any certificate of any trust anchor in the account"),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR}}, f"any certificate the CA of trust anchor {ANCHOR} signs"),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR},  # the issuer is the CA itself: every certificate has it
      "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "Example Agents CA"}}, "any certificate the CA of"),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR},
      "StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/*"}}, "any certificate the CA of"),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR},
      "StringEqualsIfExists": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/a"}}, "any certificate"),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR},
      "StringNotEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/b"}}, "any certificate"),
])
def test_unpinned_certificate_trust_is_mandatory(pack, condition, scope):
    [message] = messages(pack, condition)
    assert "trusts IAM Roles Anywhere without an exact aws:PrincipalTag/x509SAN/URI" in message and scope in message


def test_action_wildcards_and_service_case_are_the_same_trust(pack):
    assert messages(pack, {"ArnEquals": {"aws:SourceArn": ANCHOR}}, action="sts:*")
    assert messages(pack, None, service="RolesAnywhere.amazonaws.com", action="sts:Assume*")


@pytest.mark.parametrize("condition", [
    # what the kit's components write: the agent's exact SPIFFE ID and its trust domain's anchor
    {"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/a"},
     "ArnEquals": {"aws:SourceArn": ANCHOR}},
    {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "agent-a"}, "ArnEquals": {"aws:SourceArn": ANCHOR}},
    {"StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/a"},  # StringLike without a wildcard
     "ArnLike": {"aws:SourceArn": ANCHOR}},
])
def test_a_pinned_certificate_passes(pack, condition):
    assert messages(pack, condition) == []


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/a"}},
    {"StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://dev.example.org/agent/a"}},
    {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "agent-a"},
     "ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/*"}},
    {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "agent-a"}, "ArnEqualsIfExists": {"aws:SourceArn": ANCHOR}},
])
def test_a_pinned_subject_of_any_trust_anchor_is_mandatory(pack, condition):
    """issue 11 (awsesc3): CreateSession takes any trust anchor of the account, so a subject pinned without the anchor
    is one a CA registered later (rolesanywhere:CreateTrustAnchor, AGID-AWS-020) signs too."""
    [message] = messages(pack, condition)
    assert "for a pinned certificate subject but not one trust anchor (no exact aws:SourceArn)" in message


def test_other_service_principals_are_not_this_rule(pack):
    assert messages(pack, None, service="lambda.amazonaws.com", action="sts:AssumeRole") == []
