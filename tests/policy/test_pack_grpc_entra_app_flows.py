"""AGID-AZ-022 over gRPC: implicit grant and public-client flows on Entra applications block (issue 11, red4).

They were advisory, so an agent's app issuing tokens through the implicit grant (dropped by OAuth 2.1 and RFC 9700)
or to any holder of its client id (public-client fallback, mobile / desktop redirect URIs) passed the gate.
Every spelling is judged: Application, ApplicationRegistration, ApplicationFallbackPublicClient,
ApplicationRedirectUris. Look-alikes that must pass: flags explicitly false, web / SPA redirect URIs (authorization
code with PKCE), an empty public-client block.
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

APPLICATION = "azuread:index/application:Application"
REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration"
FALLBACK = "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"
REDIRECT_URIS = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
APP_ID = "/applications/00000000-0000-0000-0000-0000000000a1"


def findings(pack, type_, props):
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "app", urn(type_, "app"), props)
            if d.policy_name == "AGID-AZ-022"]


@pytest.mark.parametrize("type_, props, path", [
    (APPLICATION, {"displayName": "agent", "web": {"implicitGrant": {"accessTokenIssuanceEnabled": True}}},
     "web.implicitGrant.accessTokenIssuanceEnabled"),
    (APPLICATION, {"displayName": "agent", "web": {"implicitGrant": {"idTokenIssuanceEnabled": "true"}}},
     "web.implicitGrant.idTokenIssuanceEnabled"),
    (APPLICATION, {"displayName": "agent", "fallbackPublicClientEnabled": True}, "fallbackPublicClientEnabled"),
    (APPLICATION, {"displayName": "agent", "publicClient": {"redirectUris": ["ms-appx-web://agent"]}},
     "publicClient.redirectUris"),
    (APPLICATION, {"displayName": "agent", "oauth2AllowImplicitFlow": True}, "oauth2AllowImplicitFlow"),
    (REGISTRATION, {"displayName": "agent", "implicitAccessTokenIssuanceEnabled": True},
     "implicitAccessTokenIssuanceEnabled"),
    (REGISTRATION, {"displayName": "agent", "implicitIdTokenIssuanceEnabled": True}, "implicitIdTokenIssuanceEnabled"),
    (FALLBACK, {"applicationId": APP_ID, "enabled": True}, "enabled"),
    (REDIRECT_URIS, {"applicationId": APP_ID, "type": "PublicClient", "redirectUris": ["http://localhost"]},
     "redirectUris"),
])
def test_implicit_grant_and_public_clients_block(pack, type_, props, path):
    [(level, message)] = findings(pack, type_, props)
    assert level == "mandatory" and f"application app: {path} is" in message


@pytest.mark.parametrize("type_, props", [
    (APPLICATION, {"displayName": "agent", "fallbackPublicClientEnabled": False,
                   "web": {"implicitGrant": {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False},
                           "redirectUris": ["https://app.example.com/cb"]},
                   "singlePageApplication": {"redirectUris": ["https://spa.example.com/"]},
                   "publicClient": {"redirectUris": []}, "oauth2AllowImplicitFlow": False}),
    (APPLICATION, {"displayName": "agent"}),  # azuread's defaults are off
    (REGISTRATION, {"displayName": "agent", "implicitAccessTokenIssuanceEnabled": False}),
    (FALLBACK, {"applicationId": APP_ID, "enabled": False}),
    (REDIRECT_URIS, {"applicationId": APP_ID, "type": "Web", "redirectUris": ["https://app.example.com/cb"]}),
    (REDIRECT_URIS, {"applicationId": APP_ID, "type": "SPA", "redirectUris": ["https://spa.example.com/"]}),
])
def test_confidential_clients_and_pkce_redirects_pass(pack, type_, props):
    assert findings(pack, type_, props) == []


def test_values_unknown_at_preview_cannot_pass_silently(pack):
    found = findings(pack, REDIRECT_URIS, {"applicationId": APP_ID, "type": UNKNOWN, "redirectUris": ["x"]})
    assert len(found) == 1 and "cannot check until known: type is computed" in found[0][1]
    found = findings(pack, APPLICATION, {"displayName": "a", "publicClient": UNKNOWN})
    assert len(found) == 1 and "cannot check until known: publicClient.redirectUris" in found[0][1]
