"""AGID-GCP-004 over gRPC: attribute conditions that only look pinned.

Before this fix these passed `agentid preview`: a CEL `//` comment hiding a quote so the gate's splitter
read `|| true` as part of a string (CEL reads `(sub == P && true) || true`), and google.subject compared
to a literal while the provider maps it from assertion.iss or a constant (every token matches).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
P = "'repo:acme/x:environment:prod'"


def provider(condition, mapping=None, oidc=True):
    props = {"workloadIdentityPoolId": "agents-github", "workloadIdentityPoolProviderId": "gh",
             "attributeCondition": condition}
    if mapping is not None:
        props["attributeMapping"] = mapping
    if oidc:
        props["oidc"] = {"issuerUri": "https://token.actions.githubusercontent.com"}
    return props


def mandatory(pack, props) -> list[str]:
    diags = pack.analyze(PROVIDER, "gh", urn(PROVIDER, "gh"), props)
    return [d.message for d in diags if d.policy_name == "AGID-GCP-004" and d.enforcement_level == "mandatory"]


SUB = {"google.subject": "assertion.sub"}


@pytest.mark.parametrize("props", [
    provider(f"assertion.sub == {P} && true // '\n|| true // '", SUB),
    provider(f"assertion.sub == {P} // '\n|| true", SUB),
    provider("google.subject == 'https://token.actions.githubusercontent.com'", {"google.subject": "assertion.iss"}),
    provider("google.subject == 'x'", {"google.subject": "'x'"}),
    provider(f"google.subject == {P}", {"google.subject": "assertion.repository_owner"}),
    provider(f"google.subject == {P}", None, oidc=False),  # AWS/SAML default mapping is not assertion.sub
    provider(f"assertion.sub == '''repo:acme/x'''", SUB),
    # red9b finding 6: CEL's conditional binds loosest: `c ? true : (false && pin)` admits every token with c
    provider(f"assertion.repository_owner != '' ? true : false && assertion.sub == {P}", SUB),
    provider(f"assertion.sub == {P} && assertion.aud != '' ? true : assertion.ref == 'main'", SUB),
])
def test_conditions_that_only_look_pinned_block(pack, props):
    [message] = mandatory(pack, props)
    assert "does not pin the subject" in message


@pytest.mark.parametrize("props", [
    provider(f"assertion.sub == {P} // the one prod environment\n&& assertion.aud != ''", SUB),
    provider("assertion.sub == 'repo:acme/x:ref:refs/heads/a//b'", SUB),
    provider(f"google.subject == {P}", SUB),
    provider(f"google.subject == {P}", {"google.subject": " assertion.sub "}),
    provider(f"google.subject == {P}", None),  # OIDC default mapping: google.subject=assertion.sub
    provider(f"assertion.sub == {P} && (assertion.ref == 'main' ? true : false)", SUB),  # a conditional inside one term
])
def test_real_pins_pass(pack, props):
    assert mandatory(pack, props) == []


def test_unknown_mapping_is_not_a_pass(pack):
    diags = pack.analyze(PROVIDER, "gh", urn(PROVIDER, "gh"), provider(f"google.subject == {P}", UNKNOWN))
    assert [d.policy_name for d in diags] == ["AGID-GCP-004"] and "cannot check until known" in diags[0].message


# Workforce pool providers (red4, issue 11): trusting an IdP with no attributeCondition, or one that pins no
# subject, passed; the attribute-condition judgement is the workload provider's.
WORKFORCE = "gcp:iam/workforcePoolProvider:WorkforcePoolProvider"
ENTRA = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"


def workforce(condition=None, **extra):
    props = {"location": "global", "workforcePoolId": "partners", "providerId": "entra",
             "attributeMapping": {"google.subject": "assertion.sub", "google.groups": "assertion.groups"},
             "oidc": {"issuerUri": ENTRA, "clientId": "api://gcp"}, **extra}
    if condition is not None:
        props["attributeCondition"] = condition
    return props


@pytest.mark.parametrize("condition,fragment", [
    (None, "workforce pool provider wf has no attributeCondition"),
    ("'admins' in assertion.groups", "does not pin the subject"),
    ("assertion.sub.startsWith('u-')", "does not pin the subject"),
    ("assertion.sub == 'u-123' || true", "does not pin the subject"),
])
def test_workforce_provider_without_a_pinned_subject_blocks(pack, condition, fragment):
    diags = [d for d in pack.analyze(WORKFORCE, "wf", urn(WORKFORCE, "wf"), workforce(condition))
             if d.policy_name == "AGID-GCP-004"]
    assert [d.enforcement_level for d in diags] == ["mandatory"] and fragment in diags[0].message


@pytest.mark.parametrize("condition", ["assertion.sub == 'u-123'",
                                       "assertion.sub in ['u-123', 'u-456'] && 'admins' in assertion.groups"])
def test_workforce_provider_pinned_to_subjects_passes(pack, condition):
    assert [d for d in pack.analyze(WORKFORCE, "wf", urn(WORKFORCE, "wf"), workforce(condition))
            if d.policy_name == "AGID-GCP-004"] == []


def test_workforce_condition_known_only_at_deployment_waits(pack):
    [diag] = [d for d in pack.analyze(WORKFORCE, "wf", urn(WORKFORCE, "wf"), workforce(UNKNOWN))
              if d.policy_name == "AGID-GCP-004"]
    assert diag.enforcement_level == "advisory" and "attributeCondition" in diag.message


def test_workforce_provider_trusting_an_unknown_issuer_blocks(pack):
    """AGID-GEN-003 (issuer trust) reads workforce providers too: whoever serves an unknown issuer's keys signs
    the pinned subject."""
    pinned = "assertion.sub == 'u-123'"
    evil = workforce(pinned, oidc={"issuerUri": "https://evil.example.net", "clientId": "c"})
    [diag] = pack.analyze(WORKFORCE, "wf", urn(WORKFORCE, "wf"), evil)
    assert (diag.policy_name, diag.enforcement_level) == ("AGID-GEN-003", "mandatory")
    assert "https://evil.example.net" in diag.message
    assert pack.analyze(WORKFORCE, "wf", urn(WORKFORCE, "wf"), workforce(pinned)) == []
