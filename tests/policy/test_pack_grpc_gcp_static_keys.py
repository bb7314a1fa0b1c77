"""AGID-GCP-009 (HMAC keys) and AGID-GCP-010 (API key restrictions) over gRPC: flagged cases and look-alikes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

HMAC = "gcp:storage/hmacKey:HmacKey"
API_KEY = "gcp:projects/apiKey:ApiKey"
SA = "agent-bq@proj-1.iam.gserviceaccount.com"
GEMINI_ONLY = {"apiTargets": [{"service": "generativelanguage.googleapis.com"}]}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        yield running


# (case, type, flagged props, rule, enforcement, message fragment, look-alike props)
CASES = [
    ("hmac-default-active", HMAC, {"serviceAccountEmail": SA}, "AGID-GCP-009", "mandatory",
     f"hmac-default-active of {SA} creates a static HMAC", {"serviceAccountEmail": SA, "state": "INACTIVE"}),
    ("hmac-active", HMAC, {"serviceAccountEmail": SA, "state": "ACTIVE"}, "AGID-GCP-009", "mandatory",
     "static HMAC access key", {"serviceAccountEmail": SA, "state": "INACTIVE", "project": "proj-1"}),
    ("api-key-unrestricted", API_KEY, {"name": "k", "project": "proj-1"}, "AGID-GCP-010", "advisory",
     "has no restrictions.apiTargets", {"name": "k", "project": "proj-1", "restrictions": GEMINI_ONLY}),
    ("api-key-only-ip-restricted", API_KEY, {"name": "k", "restrictions": {
        "serverKeyRestrictions": {"allowedIps": ["203.0.113.7"]}, "apiTargets": []}}, "AGID-GCP-010", "advisory",
     "every API enabled in the project", {"name": "k", "restrictions": {
         "serverKeyRestrictions": {"allowedIps": ["203.0.113.7"]}, **GEMINI_ONLY}}),
    ("api-key-bound-to-sa", API_KEY, {"name": "k", "restrictions": GEMINI_ONLY, "serviceAccountEmail": SA},
     "AGID-GCP-010", "advisory", f"is bound to service account {SA}", {"name": "k", "restrictions": GEMINI_ONLY}),
]


@pytest.mark.parametrize("case,type_,flagged,rule_id,level,fragment,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, level, fragment, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(rule_id, level)], [d.message for d in diags]
    assert fragment in diags[0].message
    assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


def test_bound_key_is_a_static_credential_finding(pack):
    [diag] = pack.analyze(API_KEY, "b", urn(API_KEY, "b"), {"restrictions": GEMINI_ONLY, "serviceAccountEmail": SA})
    assert "[static-credential] b is bound to service account" in diag.message


@pytest.mark.parametrize("type_,props,fragment", [
    (HMAC, {"serviceAccountEmail": SA, "state": UNKNOWN}, "cannot check until known: state"),
    (API_KEY, {"restrictions": UNKNOWN}, "cannot check until known: restrictions"),
    (API_KEY, {"restrictions": {"apiTargets": [UNKNOWN]}}, "restrictions.apiTargets[0].service"),
    (API_KEY, {"restrictions": "gemini"}, "cannot check: restrictions is a str"),
    (API_KEY, {"restrictions": {"apiTargets": [{"methods": ["*"]}]}}, "apiTargets[0] names no service"),
])
def test_unknown_and_unreadable_never_pass(pack, type_, props, fragment):
    diags = pack.analyze(type_, "x", urn(type_, "x"), props)
    assert diags and any(fragment in d.message for d in diags), [d.message for d in diags]
