"""AGID-GEN-003 on SAML IdPs (an IAM SAML provider, a Cognito SAML identity provider), over gRPC (red9a #7).

An `aws.iam.SamlProvider` built from any IdP's metadata lets whoever holds a key matching the metadata's signing
certificate assert any user into every role trusting `saml-provider/NAME`. The entityID is an identifier, not a URL:
Okta's `http://www.okta.com/exk...`, Auth0's `urn:TENANT.auth0.com` or an AD FS `http://HOST/adfs/services/trust`
are as good as an https one once the gate lists them (`trustedSamlEntityIds`), optionally pinning the signing
certificate's SHA-256. What the metadata must carry to be judged at all: an entityID and a sound signing certificate.
"""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_TENANT
from tests.policy.pack_cases import flagged_names
from tests.policy.saml_fixtures import certificate, metadata, sha256
from tests.policy.test_pack_grpc import urn

SAML_PROVIDER = "aws:iam/samlProvider:SamlProvider"
COGNITO_IDP = "aws:cognito/identityProvider:IdentityProvider"
FOREIGN_TENANT = "9f1c2b3a-0000-4000-8000-00000000beef"
RULE = "AGID-GEN-003"
OKTA = "http://www.okta.com/exk1abcdEFGH23456789"
ADFS = "http://adfs.corp.example.com/adfs/services/trust"


def provider(document: str) -> tuple:
    return (SAML_PROVIDER, "corp-sso", {"name": "corp-sso", "samlMetadataDocument": document})


def cognito(details: dict, kind: str = "SAML") -> tuple:
    return (COGNITO_IDP, "corp-idp", {"userPoolId": "eu-west-1_abc", "providerName": "corp", "providerType": kind,
                                      "providerDetails": details})


def flagged(pack, resource) -> list[str]:
    return flagged_names(pack, RULE, resource, "mandatory")


def message(pack, resource) -> str:
    """The rule's one message on `resource` ((type, name, props)), judged by Analyze."""
    type_, name, props = resource
    found = [d.message for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == RULE]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def vouched(pack):
    """The gate lists an Okta app (pinned to its certificate), an AD FS host and an Auth0 tenant, unpinned."""
    pack.configure({RULE: {"ownTenantIds": [MOCK_TENANT], "trustedSamlEntityIds": [
        f"{OKTA} sha256:{sha256(certificate('rsa2048', 'okta'))}", ADFS, "urn:acme.auth0.com", "JumpCloud"]}})
    yield
    pack.configure({})


def test_a_saml_provider_for_an_idp_nobody_vouched_for_blocks(pack) -> None:
    cert = certificate()
    for document in (metadata("https://idp.evil.example.net", cert), metadata(OKTA, cert, prefix=""),
                     metadata(f"https://sts.windows.net/{FOREIGN_TENANT}/", cert), "<EntityDescriptor/>", "not xml"):
        assert flagged(pack, provider(document)) == ["corp-sso"], document


def test_the_finding_names_a_well_known_idp_and_its_tenant(pack) -> None:
    assert "the Okta IdP (app exk1abcdEFGH23456789), which the gate does not list" in message(
        pack, provider(metadata(OKTA, certificate())))
    assert "the Google Workspace IdP (tenant C01abc2de)" in message(
        pack, provider(metadata("https://accounts.google.com/o/saml2?idpid=C01abc2de", certificate())))


def test_non_https_entity_ids_the_gate_lists_pass(pack, vouched) -> None:
    assert flagged(pack, provider(metadata(OKTA, certificate("rsa2048", "okta")))) == []
    assert flagged(pack, provider(metadata(ADFS, certificate(), use=None))) == []  # a KeyDescriptor for both uses
    assert flagged(pack, provider(metadata("urn:acme.auth0.com", certificate("p256")))) == []
    assert flagged(pack, provider(metadata(f"https://sts.windows.net/{MOCK_TENANT}/", certificate()))) == []
    # another Okta app, another Auth0 tenant: not listed
    assert flagged(pack, provider(metadata("http://www.okta.com/exk9zzzzZZZZ99999999", certificate()))) == ["corp-sso"]
    assert flagged(pack, provider(metadata("urn:evil.auth0.com", certificate()))) == ["corp-sso"]


def test_the_rest_of_the_trust_must_be_bounded_too(pack, vouched) -> None:
    # the listed Okta app with a certificate other than the pinned one: the PR swapped the key
    found = message(pack, provider(metadata(OKTA, certificate("rsa2048", "attacker"))))
    assert f"with signing certificate SHA-256 {sha256(certificate('rsa2048', 'attacker'))}, which is not one the gate " \
           "pinned" in found
    # a second, unpinned signing certificate next to the pinned one
    assert flagged(pack, provider(metadata(OKTA, certificate("rsa2048", "okta"), certificate()))) == ["corp-sso"]
    # no signing certificate (an encryption key only), a weak key, a certificate that does not parse
    assert "carries no signing certificate" in message(pack, provider(metadata(ADFS, certificate(), use="encryption")))
    assert "holds a weak key (RSA 1024)" in message(pack, provider(metadata(ADFS, certificate("rsa1024"))))
    assert "is not a DER X.509 certificate" in message(pack, provider(metadata(ADFS, "AAAA")))
    # JumpCloud gives every customer the entityID `JumpCloud`: listed without a pin, it binds nothing
    assert "the entityID JumpCloud gives every customer" in message(pack, provider(metadata("JumpCloud", certificate())))


def test_cognito_saml_and_oidc_identity_providers(pack, vouched) -> None:
    assert flagged(pack, cognito({"MetadataFile": metadata(ADFS, certificate())})) == []
    assert flagged(pack, cognito({"MetadataFile": metadata("https://idp.evil.example.net", certificate())})) == ["corp-idp"]
    # metadata Cognito fetches: whoever serves the URL chooses the certificate
    own = (f"https://login.microsoftonline.com/{MOCK_TENANT}/federationmetadata/2007-06/federationmetadata.xml"
           "?appid=0b7c3f5e-1111-4222-8333-944455556666")
    assert flagged(pack, cognito({"MetadataURL": own})) == []
    assert flagged(pack, cognito({"MetadataURL": "https://idp.evil.example.net/metadata.xml"})) == ["corp-idp"]
    assert flagged(pack, cognito({"MetadataURL": own.replace(MOCK_TENANT, FOREIGN_TENANT)})) == ["corp-idp"]
    # an OIDC identity provider is judged by its issuer; a social provider signs with the platform's keys
    assert flagged(pack, cognito({"oidc_issuer": "https://accounts.google.com", "client_id": "x"}, "OIDC")) == []
    assert flagged(pack, cognito({"oidc_issuer": "https://evil.example.net", "client_id": "x"}, "OIDC")) == ["corp-idp"]
    assert flagged(pack, cognito({"client_id": "x", "authorize_scopes": "email"}, "Google")) == []
