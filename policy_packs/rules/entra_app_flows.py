"""AGID-AZ-022: Entra applications issue no tokens through the implicit grant and allow no public-client flows.

The implicit grant returns tokens in the redirect URL (OAuth 2.1 and RFC 9700 drop it); public-client flows
(`fallbackPublicClientEnabled`: device code, resource owner password) let anyone holding the client id ask for
tokens without a credential. Agents authenticate as confidential clients (certificate or federated credential).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

APPLICATION = "azuread:index/application:Application"
REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration"
FALLBACK = "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"

# type -> [(path, what a true value allows)]
FLAGS = {
    APPLICATION: [("web.implicitGrant.accessTokenIssuanceEnabled", "access tokens through the implicit grant"),
                  ("web.implicitGrant.idTokenIssuanceEnabled", "ID tokens through the implicit grant"),
                  ("fallbackPublicClientEnabled", "public-client flows (device code, password) without a credential")],
    REGISTRATION: [("implicitAccessTokenIssuanceEnabled", "access tokens through the implicit grant"),
                   ("implicitIdTokenIssuanceEnabled", "ID tokens through the implicit grant")],
    FALLBACK: [("enabled", "public-client flows (device code, password) without a credential")],
}


def _at(props, path: str):
    value = props
    for key in path.split("."):
        if is_unknown(value):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def check(resource: Resource, config):
    for path, allows in FLAGS[resource.type]:
        value = _at(resource.props, path)
        if is_unknown(value):
            yield Unknown(path)
        elif value is True or (isinstance(value, str) and value.lower() == "true"):
            yield Violation(f"application {resource.name}: {path} is true, so it issues {allows}")


RULE = Rule(
    id="AGID-AZ-022",
    title="entra-no-implicit-or-public-client",
    severity="high",
    category="weak-trust",
    description="Entra applications disable the implicit grant (access and ID tokens) and public-client fallback.",
    remediation="Set web.implicitGrant.accessTokenIssuanceEnabled, idTokenIssuanceEnabled and "
                "fallbackPublicClientEnabled to false; agents use client credentials with a certificate or a "
                "federated credential, people use the authorization code flow with PKCE.",
    url="https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-implicit-grant-flow",
    check=check,
    resource_types=(APPLICATION, REGISTRATION, FALLBACK),
)
