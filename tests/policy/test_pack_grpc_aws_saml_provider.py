"""AGID-GEN-003 on AWS IAM SAML providers, over gRPC (red9a #7).

An `aws.iam.SamlProvider` built from any IdP's metadata lets whoever holds that IdP's signing key assert any user
into every role trusting `saml-provider/NAME`, exactly as an OIDC provider for an unknown issuer does. The IdP is
named by its metadata's entityID: Entra's `https://sts.windows.net/TENANT/` passes for the stack's own tenant (ownTenantIds
here), another tenant's or an unknown IdP's blocks unless the gate lists the entityID in
trustedIssuers; metadata without an entityID cannot be judged.
"""

from __future__ import annotations

from agentid.mock_provider import MOCK_TENANT
from tests.policy.pack_cases import flagged_names

SAML_PROVIDER = "aws:iam/samlProvider:SamlProvider"
FOREIGN_TENANT = "9f1c2b3a-0000-4000-8000-00000000beef"


def metadata(entity_id: str, prefix: str = "md:") -> str:
    return (f'<?xml version="1.0"?><{prefix}EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'ID="_1" entityID="{entity_id}"><{prefix}IDPSSODescriptor protocolSupportEnumeration='
            f'"urn:oasis:names:tc:SAML:2.0:protocol"/></{prefix}EntityDescriptor>')


def provider(document: str) -> tuple:
    return (SAML_PROVIDER, "corp-sso", {"name": "corp-sso", "samlMetadataDocument": document})


def test_a_saml_provider_for_an_idp_nobody_vouched_for_blocks(pack) -> None:
    for document in (metadata("https://idp.evil.example.net"), metadata("http://www.okta.com/exk1abcd", prefix=""),
                     metadata(f"https://sts.windows.net/{FOREIGN_TENANT}/"), "<EntityDescriptor/>", "not xml"):
        assert flagged_names(pack, "AGID-GEN-003", provider(document), "mandatory") == ["corp-sso"], document


def test_the_stack_s_own_entra_tenant_or_a_listed_idp_passes(pack) -> None:
    idp = "https://adfs.corp.example.com/adfs/services/trust"
    pack.configure({"AGID-GEN-003": {"ownTenantIds": [MOCK_TENANT], "trustedIssuers": [idp, "http://www.okta.com/exk1abcd"]}})
    try:
        assert flagged_names(pack, "AGID-GEN-003", provider(metadata(idp))) == []
        # trustedIssuers holds https URLs only (the gate refuses others): an http entityID stays blocked, to be waived
        assert flagged_names(pack, "AGID-GEN-003", provider(metadata("http://www.okta.com/exk1abcd"))) == ["corp-sso"]
        assert flagged_names(pack, "AGID-GEN-003", provider(metadata(f"https://sts.windows.net/{MOCK_TENANT}/"))) == []
        assert flagged_names(pack, "AGID-GEN-003", provider(metadata("http://www.okta.com/exk1other"))) == ["corp-sso"]
    finally:
        pack.configure({})
