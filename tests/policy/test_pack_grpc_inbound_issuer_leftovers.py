"""Issue 11 leftovers of inbound JWT validation over gRPC (AGID-GEN-003): an API Management validate-jwt trusting only
its <issuer-signing-keys>, and a Cloud Endpoints / API Gateway x-google-issuer that is a service-account e-mail."""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn
from tests.policy.test_pack_grpc_inbound_multi_tenant_issuer import (APIM_PREFIX, ENDPOINTS, GCP_API_CONFIG, api_config,
                                                                     apim_policy, swagger_google)

GEN = ("AGID-GEN-003", "AGID-GEN-008", "AGID-GEN-009")
SA = "agent-caller@acme-prod.iam.gserviceaccount.com"
X509 = f"https://www.googleapis.com/robot/v1/metadata/x509/{SA}"
JWK = f"https://www.googleapis.com/robot/v1/metadata/jwk/{SA}"


def issuer_diags(pack, type_, props) -> list[tuple[str, str, str]]:
    return [(d.policy_name, d.enforcement_level, d.message) for d in pack.analyze(type_, "t", urn(type_, "t"), props)
            if d.policy_name in GEN]


def keys_policy(keys: str, extra: str = "") -> dict:
    return apim_policy(f'<validate-jwt header-name="Authorization"><issuer-signing-keys>{keys}</issuer-signing-keys>'
                       f'<audiences><audience>api://agent</audience></audiences>{extra}</validate-jwt>', apiId="a")


@pytest.mark.parametrize("type_", ["ApiPolicy", "Policy", "ProductPolicy", "PolicyFragment"])
def test_a_literal_symmetric_key_is_a_static_credential(pack, type_):
    props = keys_policy("<key>c2VjcmV0LXNlY3JldC1zZWNyZXQ=</key>")
    found = issuer_diags(pack, APIM_PREFIX + type_, props)
    assert [(rule, level) for rule, level, _ in found] == [("AGID-GEN-003", "mandatory")], found
    assert "symmetric key written in the program" in found[0][2] and "<issuer-signing-keys> <key> #1" in found[0][2]


@pytest.mark.parametrize("key", ['<key n="0vx7agoebGc" e="AQAB" />', '<KEY certificate-id="signer" />',
                                 "<key>{{jwt-secret}}</key>"])
def test_any_other_signing_key_is_an_issuer_nobody_runs(pack, key):
    found = issuer_diags(pack, f"{APIM_PREFIX}ApiPolicy", keys_policy(key))
    assert [(rule, level) for rule, level, _ in found] == [("AGID-GEN-003", "mandatory")], found
    assert "whatever its issuer" in found[0][2] and "cannot be listed in trustedIssuers" in found[0][2]


def test_signing_keys_beside_an_issuer_still_decide_who_signs(pack):
    issuers = "<issuers><issuer>https://token.actions.githubusercontent.com</issuer></issuers>"
    found = issuer_diags(pack, f"{APIM_PREFIX}ApiPolicy", keys_policy('<key n="0vx7" e="AQAB" />', issuers))
    # GEN-008: GitHub's issuer unpinned; GEN-003: the key's holder signs whatever `iss` the token claims
    assert sorted((rule, level) for rule, level, _ in found) == [("AGID-GEN-003", "mandatory"),
                                                                  ("AGID-GEN-008", "mandatory")], found
    assert "whatever its issuer" in next(m for r, _, m in found if r == "AGID-GEN-003")


def test_look_alike_a_known_issuer_without_keys_passes(pack):
    policy = apim_policy('<validate-jwt header-name="Authorization"><openid-config '
                         'url="https://token.actions.githubusercontent.com/.well-known/openid-configuration" />'
                         '<audiences><audience>api://agent</audience></audiences><required-claims>'
                         '<claim name="repository_owner"><value>acme</value></claim></required-claims></validate-jwt>',
                         apiId="a")
    pack.configure({"all": {"trustedRepositoryOwners": ["acme"]}})
    try:
        assert [r for r, _, _ in issuer_diags(pack, f"{APIM_PREFIX}ApiPolicy", policy)] == []
    finally:
        pack.configure({})


def _scheme(issuer: str, jwks: str | None) -> str:
    import yaml

    document = yaml.safe_load(swagger_google(issuer))
    if jwks is not None:
        document["securityDefinitions"]["caller"]["x-google-jwks_uri"] = jwks
    return yaml.safe_dump(document)


@pytest.fixture
def own_project(pack):
    pack.configure({"all": {"ownGcpProjects": ["acme-prod", "123456789012"]}})
    yield
    pack.configure({})


def endpoints(issuer, jwks):
    return {"serviceName": "a.endpoints.acme-prod.cloud.goog", "openapiConfig": _scheme(issuer, jwks)}


@pytest.mark.parametrize("type_,props", [
    (ENDPOINTS, lambda i, j: endpoints(i, j)),
    (GCP_API_CONFIG, lambda i, j: api_config(_scheme(i, j))),
])
def test_an_own_service_account_with_googles_keys_passes(pack, own_project, type_, props):
    for jwks in (X509, JWK, X509.replace("@", "%40")):
        assert issuer_diags(pack, type_, props(SA, jwks)) == []
    assert issuer_diags(pack, type_, props("123456789012-compute@developer.gserviceaccount.com",
                                           "https://www.googleapis.com/robot/v1/metadata/x509/"
                                           "123456789012-compute@developer.gserviceaccount.com")) == []


@pytest.mark.parametrize("issuer,jwks,why", [
    (SA, "https://keys.attacker.example/jwks.json", "whoever serves that URL"),
    (SA, "https://www.googleapis.com/robot/v1/metadata/x509/other@acme-prod.iam.gserviceaccount.com", "not Google's"),
    (SA, None, "names no x-google-jwks_uri"),
    ("agent@attacker-proj.iam.gserviceaccount.com",
     "https://www.googleapis.com/robot/v1/metadata/x509/agent@attacker-proj.iam.gserviceaccount.com",
     "project attacker-proj is not one the gate lists"),
    ("not-an-account@example.com", None, "neither an issuer URL nor a Google service account"),
])
def test_a_foreign_account_or_keys_elsewhere_block(pack, own_project, issuer, jwks, why):
    found = issuer_diags(pack, ENDPOINTS, endpoints(issuer, jwks))
    assert [(rule, level) for rule, level, _ in found] == [("AGID-GEN-003", "mandatory")], found
    assert why in found[0][2]


def test_with_no_own_project_listed_it_cannot_tell(pack):
    found = issuer_diags(pack, ENDPOINTS, endpoints(SA, X509))
    assert [(rule, level) for rule, level, _ in found] == [("AGID-GEN-003", "mandatory")], found
    assert "the gate lists no own projects (ownGcpProjects)" in found[0][2]


@pytest.mark.parametrize("issuer,jwks", [
    ("https://accounts.google.com", "https://keys.attacker.example/certs"),
    ("https://securetoken.google.com/acme-prod", "https://www.googleapis.com/oauth2/v3/certs.attacker.example"),
    ("https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com.attacker.example/jwks"),
])
def test_a_platform_issuer_with_keys_served_elsewhere_blocks(pack, issuer, jwks):
    found = issuer_diags(pack, ENDPOINTS, endpoints(issuer, jwks))
    assert ("AGID-GEN-003", "mandatory") in [(rule, level) for rule, level, _ in found], found
    assert any("whoever serves that URL signs tokens claiming the issuer" in m for _, _, m in found)


@pytest.mark.parametrize("issuer,jwks", [
    ("https://accounts.google.com", "https://www.googleapis.com/oauth2/v3/certs"),
    ("https://securetoken.google.com/acme-prod",
     "https://www.googleapis.com/service_accounts/v1/metadata/x509/securetoken@system.gserviceaccount.com"),
])
def test_look_alike_a_platform_issuers_own_keys_pass(pack, issuer, jwks):
    found = issuer_diags(pack, ENDPOINTS, endpoints(issuer, jwks))
    assert not any("x-google-jwks_uri" in m for _, _, m in found), found
