"""AGID-AZ-022: Entra applications issue no tokens through the implicit grant and allow no public-client flows.

The implicit grant returns tokens in the redirect URL (OAuth 2.1 and RFC 9700 section 2.1.2 drop it). A public
client has no credential: `fallbackPublicClientEnabled` (device code, resource owner password) or redirect URIs of
the public-client (mobile and desktop) platform let anyone holding the client id ask for tokens as the app.
Agents authenticate as confidential clients (certificate or federated credential), so these are mandatory for
every application the stack declares (issue 11): a native app for people needs a waiver that says so.

Every spelling that turns them on is judged: azuread `Application` (web.implicitGrant.*, fallbackPublicClientEnabled,
publicClient.redirectUris; the Graph manifest's oauth2AllowImplicitFlow and isFallbackPublicClient when a raw
resource sends them), `ApplicationRegistration` (implicit*IssuanceEnabled), `ApplicationFallbackPublicClient`
(enabled) and `ApplicationRedirectUris` of type PublicClient.
Sources: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-implicit-grant-flow,
https://learn.microsoft.com/en-us/entra/identity-platform/msal-client-applications,
https://learn.microsoft.com/en-us/graph/api/resources/publicclientapplication.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

APPLICATION = "azuread:index/application:Application"
REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration"
FALLBACK = "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"
REDIRECT_URIS = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"

IMPLICIT_ACCESS = "access tokens through the implicit grant"
IMPLICIT_ID = "ID tokens through the implicit grant"
PUBLIC_FLOWS = "tokens through public-client flows (device code, password) without a credential"
PUBLIC_REDIRECTS = "tokens to a public client (mobile / desktop redirect URIs) that holds no credential"

# type -> [(path, what a true value allows)]
FLAGS = {
    APPLICATION: [("web.implicitGrant.accessTokenIssuanceEnabled", IMPLICIT_ACCESS),
                  ("web.implicitGrant.idTokenIssuanceEnabled", IMPLICIT_ID),
                  ("fallbackPublicClientEnabled", PUBLIC_FLOWS)],
    REGISTRATION: [("implicitAccessTokenIssuanceEnabled", IMPLICIT_ACCESS),
                   ("implicitIdTokenIssuanceEnabled", IMPLICIT_ID)],
    FALLBACK: [("enabled", PUBLIC_FLOWS)],
}
# Graph application manifest names, judged when present (a raw resource may send them)
MANIFEST_FLAGS = [("oauth2AllowImplicitFlow", IMPLICIT_ACCESS), ("oauth2AllowIdTokenImplicitFlow", IMPLICIT_ID),
                  ("isFallbackPublicClient", PUBLIC_FLOWS)]


def _at(props, path: str):
    value = props
    for key in path.split("."):
        if is_unknown(value):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _on(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _flags(resource: Resource):
    manifest = [(path, allows) for path, allows in MANIFEST_FLAGS if path in resource.props] \
        if resource.type == APPLICATION else []
    for path, allows in FLAGS[resource.type] + manifest:
        value = _at(resource.props, path)
        if is_unknown(value):
            yield Unknown(path)
        elif _on(value):
            yield Violation(f"application {resource.name}: {path} is true, so it issues {allows}")


def _public_redirects(resource: Resource, path: str, uris):
    if is_unknown(uris):
        yield Unknown(path)
    elif uris:  # a non-empty list (or any other non-empty value: fail closed)
        yield Violation(f"application {resource.name}: {path} is set, so it issues {PUBLIC_REDIRECTS}")


def check(resource: Resource, config):
    if resource.type == REDIRECT_URIS:
        kind = resource.props.get("type")
        if is_unknown(kind):
            yield Unknown("type")
        elif not isinstance(kind, str) or kind.strip().lower() not in ("web", "spa"):
            yield from _public_redirects(resource, "redirectUris", resource.props.get("redirectUris"))
        return
    yield from _flags(resource)
    if resource.type == APPLICATION:
        yield from _public_redirects(resource, "publicClient.redirectUris", _at(resource.props, "publicClient.redirectUris"))


RULE = Rule(
    id="AGID-AZ-022",
    title="entra-no-implicit-or-public-client",
    severity="critical",
    category="weak-trust",
    description="Entra applications disable the implicit grant (access and ID tokens) and public-client flows "
                "(fallback public client, public-client redirect URIs).",
    remediation="Set web.implicitGrant.accessTokenIssuanceEnabled, idTokenIssuanceEnabled and "
                "fallbackPublicClientEnabled to false and declare no publicClient redirect URIs; agents use client "
                "credentials with a certificate or a federated credential, people use the authorization code flow "
                "with PKCE (web or SPA redirect URIs). A native app for people needs a waiver.",
    url="https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-implicit-grant-flow",
    check=check,
    resource_types=(APPLICATION, REGISTRATION, FALLBACK, REDIRECT_URIS),
)
