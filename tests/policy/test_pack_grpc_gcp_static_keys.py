"""AGID-GCP-009 (HMAC keys), AGID-GCP-015 (other static credentials: API keys, ...) and AGID-GCP-010 (API key
restrictions) over gRPC: flagged cases and look-alikes.

Outside review (red4, issue 11): a GCP API key was only advisory (AGID-GCP-010), though it is a static bearer
credential like an AWS access key (AGID-AWS-001, mandatory).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

HMAC = "gcp:storage/hmacKey:HmacKey"
SQL_CERT = "gcp:sql/sslCert:SslCert"
SQL_USER_IAM = "gcp:sql/user:User"
OAUTH_SECRET = "gcp:iam/oauthClientCredential:OauthClientCredential"
SCIM_TOKEN = "gcp:iam/workforcePoolProviderScimToken:WorkforcePoolProviderScimToken"
API_KEY = "gcp:projects/apiKey:ApiKey"
SA = "agent-bq@proj-1.iam.gserviceaccount.com"
GEMINI_ONLY = {"apiTargets": [{"service": "generativelanguage.googleapis.com"}]}


# (case, type, flagged props, rule, enforcement, message fragment, look-alike props[, look-alike type])
CASES = [
    ("hmac-default-active", HMAC, {"serviceAccountEmail": SA}, "AGID-GCP-009", "mandatory",
     f"hmac-default-active of {SA} creates a static HMAC", {"serviceAccountEmail": SA, "state": "INACTIVE"}),
    ("hmac-active", HMAC, {"serviceAccountEmail": SA, "state": "ACTIVE"}, "AGID-GCP-009", "mandatory",
     "static HMAC access key", {"serviceAccountEmail": SA, "state": "INACTIVE", "project": "proj-1"}),
    ("sql-client-cert", SQL_CERT, {"instance": "db", "commonName": "agent"}, "AGID-GCP-015", "mandatory",
     "Cloud SQL client certificate with its private key",
     {"instance": "db", "name": "agent-bq@proj-1.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}, SQL_USER_IAM),
    ("oauth-client-secret", OAUTH_SECRET, {"location": "global", "oauthclient": "c", "oauthClientCredentialId": "s"},
     "AGID-GCP-015", "mandatory", "OAuth client secret", {"location": "global", "oauthClientId": "c",
                                                          "allowedGrantTypes": ["AUTHORIZATION_CODE_GRANT"]},
     "gcp:iam/oauthClient:OauthClient"),
    ("scim-token", SCIM_TOKEN, {"location": "global", "workforcePoolId": "p", "providerId": "e", "scimTenantId": "t",
                                "scimTokenId": "k"}, "AGID-GCP-015", "mandatory", "SCIM bearer token",
     {"location": "global", "workforcePoolId": "p", "providerId": "e", "scimTenantId": "t"},
     "gcp:iam/workforcePoolProviderScimTenant:WorkforcePoolProviderScimTenant"),
]


@pytest.mark.parametrize("case,type_,flagged,rule_id,level,fragment,look_alike,alike_type",
                         [c if len(c) == 8 else c + (None,) for c in CASES], ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, level, fragment, look_alike, alike_type):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(rule_id, level)], [d.message for d in diags]
    assert fragment in diags[0].message
    alike_type = alike_type or type_
    assert pack.analyze(alike_type, case, urn(alike_type, case), look_alike) == []


# An API key is a static credential (AGID-GCP-015, mandatory) however it is restricted; AGID-GCP-010 adds the
# advisory finding of a key that calls every API.
@pytest.mark.parametrize("props,expected", [
    ({"name": "k", "project": "proj-1"}, [("AGID-GCP-010", "advisory"), ("AGID-GCP-015", "mandatory")]),
    ({"name": "k", "restrictions": {"serverKeyRestrictions": {"allowedIps": ["203.0.113.7"]}, "apiTargets": []}},
     [("AGID-GCP-010", "advisory"), ("AGID-GCP-015", "mandatory")]),
    ({"name": "k", "restrictions": GEMINI_ONLY}, [("AGID-GCP-015", "mandatory")]),
    ({"name": "k", "restrictions": GEMINI_ONLY, "serviceAccountEmail": SA}, [("AGID-GCP-015", "mandatory")]),
])
def test_api_key_is_a_static_credential(pack, props, expected):
    diags = pack.analyze(API_KEY, "k", urn(API_KEY, "k"), props)
    assert sorted((d.policy_name, d.enforcement_level) for d in diags) == expected, [d.message for d in diags]
    [static] = [d.message for d in diags if d.policy_name == "AGID-GCP-015"]
    assert "[static-credential] ApiKey k creates an API key" in static
    assert (f"bound to service account {SA}" in static) == ("serviceAccountEmail" in props)


@pytest.mark.parametrize("type_,props,fragment", [
    (HMAC, {"serviceAccountEmail": SA, "state": UNKNOWN}, "cannot check until known: state"),
    (API_KEY, {"restrictions": UNKNOWN}, "cannot check until known: restrictions"),
    (API_KEY, {"restrictions": GEMINI_ONLY, "serviceAccountEmail": UNKNOWN}, "a service account known only at deployment"),
    (API_KEY, {"restrictions": {"apiTargets": [UNKNOWN]}}, "restrictions.apiTargets[0].service"),
    (API_KEY, {"restrictions": "gemini"}, "cannot check: restrictions is a str"),
    (API_KEY, {"restrictions": {"apiTargets": [{"methods": ["*"]}]}}, "apiTargets[0] names no service"),
])
def test_unknown_and_unreadable_never_pass(pack, type_, props, fragment):
    diags = pack.analyze(type_, "x", urn(type_, "x"), props)
    assert diags and any(fragment in d.message for d in diags), [d.message for d in diags]
