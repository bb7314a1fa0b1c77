"""AGID-AZ-001 over gRPC: every way to add a credential to an Entra application or service principal blocks.

Outside review "red4" (issue 11): ApplicationCertificate and ServicePrincipalCertificate passed `agentid preview`
unjudged, while ApplicationPassword blocked; an uploaded certificate (or symmetric key) is as static as a secret.
Graph shapes from https://learn.microsoft.com/en-us/graph/api/resources/keycredential and .../passwordcredential.
Look-alikes that must pass: federated identity credentials (keyless), empty credential lists, a token-signing
certificate (Entra's own SAML signing key).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

APP_ID = "/applications/33333333-3333-3333-3333-333333333333"
SP_ID = "/servicePrincipals/44444444-4444-4444-4444-444444444444"
# a syntactically plausible PEM body; the rule never needs to parse it (no key material: public part only)
PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUexample\n-----END CERTIFICATE-----\n"


def findings(pack, type_, props):
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "cred", urn(type_, "cred"), props)
            if d.policy_name == "AGID-AZ-001"]


@pytest.mark.parametrize("type_, props, says", [
    ("azuread:index/applicationCertificate:ApplicationCertificate",
     {"applicationId": APP_ID, "type": "AsymmetricX509Cert", "value": PEM, "endDate": "2030-01-01T00:00:00Z"},
     "adds a certificate credential"),
    ("azuread:index/applicationCertificate:ApplicationCertificate",
     {"applicationId": APP_ID, "type": "Symmetric", "value": "c2VjcmV0", "encoding": "base64"},
     "adds a symmetric key (a shared secret)"),
    ("azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate",
     {"servicePrincipalId": SP_ID, "value": PEM, "endDateRelative": "8760h"}, "adds a certificate credential"),
    ("azuread:index/servicePrincipalPassword:ServicePrincipalPassword", {"servicePrincipalId": SP_ID},
     "adds a client secret"),
    ("azuread:index/applicationPassword:ApplicationPassword", {"applicationId": APP_ID}, "adds a client secret"),
    ("azuread:index/application:Application", {"displayName": "a", "password": {"displayName": "ci"}},
     "declares a credential (password)"),
    ("azuread:index/application:Application",
     {"displayName": "a", "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": "MIIB"}]},
     "declares a credential (keyCredentials)"),
    ("azuread:index/application:Application", {"displayName": "a", "passwordCredentials": [{"displayName": "s"}]},
     "declares a credential (passwordCredentials)"),
    ("azuread:index/servicePrincipal:ServicePrincipal",
     {"clientId": "00000000-0000-0000-0000-0000000000c1", "keyCredentials": [{"type": "Symmetric", "usage": "Sign"}]},
     "declares a credential (keyCredentials)"),
])
def test_every_credential_added_to_an_app_or_service_principal_blocks(pack, type_, props, says):
    [(level, message)] = findings(pack, type_, props)
    assert level == "mandatory" and says in message, message


@pytest.mark.parametrize("type_, props", [
    ("azuread:index/application:Application",
     {"displayName": "a", "passwordCredentials": [], "keyCredentials": [], "fallbackPublicClientEnabled": False}),
    ("azuread:index/servicePrincipal:ServicePrincipal",
     {"clientId": "00000000-0000-0000-0000-0000000000c1", "appRoleAssignmentRequired": True}),
    ("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
     {"applicationId": APP_ID, "displayName": "gh", "issuer": "https://token.actions.githubusercontent.com",
      "subject": "repo:acme/agent:environment:prod", "audiences": ["api://AzureADTokenExchange"]}),
    ("azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate",
     {"servicePrincipalId": SP_ID, "displayName": "CN=saml"}),
])
def test_keyless_look_alikes_pass(pack, type_, props):
    assert findings(pack, type_, props) == []


def test_a_credential_list_unknown_at_preview_is_cannot_check(pack):
    found = findings(pack, "azuread:index/application:Application", {"displayName": "a", "keyCredentials": UNKNOWN})
    assert len(found) == 1 and "cannot check until known: keyCredentials" in found[0][1]
