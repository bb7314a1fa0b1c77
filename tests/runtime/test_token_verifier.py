"""The MCP resource server's JWTTokenVerifier (red6 finding 4), with keys generated here and no network.

RFC 9068 §4: an access token's header says `typ: at+jwt` (an ID token of the same issuer must not pass as an
access token), `aud` names this resource server, and a resource server must not let unauthenticated callers
turn forged tokens into requests to the issuer.
"""

from __future__ import annotations

import time

from joserfc import jwk, jwt

from agentid.runtime.mcp_auth import JWTTokenVerifier

ISSUER, SERVER = "https://as.example.org", "https://mcp.example.org/mcp"


class CountingClient:
    """Stands in for OAuthClient: answers metadata and JWKS from memory and counts the JWKS fetches."""

    def __init__(self, keys):
        self.keys, self.fetches = keys, 0

    def metadata(self, issuer):
        return object()

    def signing_keys(self, metadata, refresh=False):
        self.fetches += 1
        return self.keys


def token(key, typ="at+jwt", **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": SERVER, "sub": "agent", "iat": now, "exp": now + 300, **claims}
    header = {"alg": "ES256", "kid": key.kid} | ({"typ": typ} if typ else {})
    return jwt.encode(header, body, key)


def verifier(key, **options):
    client = CountingClient(jwk.KeySet([jwk.ECKey.import_key(key.as_dict(private=False))]))
    return JWTTokenVerifier(ISSUER, SERVER, client=client, **options), client


def test_an_access_token_passes_and_id_tokens_or_two_audiences_do_not():
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    check, _ = verifier(key)
    assert check.check(token(key))["sub"] == "agent"
    assert check.check(token(key, typ="JWT")) is None  # an ID token of the same issuer
    assert check.check(token(key, typ=None)) is None
    assert check.check(token(key, aud=[SERVER, "https://payments.example.org/api"])) is None
    assert check.rejections == ["typ", "typ", "audience"]
    assert check.check(token(key, typ="application/at+jwt")) is not None


def test_an_issuer_without_at_jwt_is_accepted_only_when_asked():
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    check, _ = verifier(key, require_at_jwt=False)  # Entra ID's access tokens say typ JWT
    assert check.check(token(key, typ="JWT")) is not None
    assert check.check(token(key, typ="JWT", aud="https://other.example.org")) is None


def test_forged_tokens_fetch_the_issuers_keys_at_most_once_a_minute():
    key, forger = (jwk.ECKey.generate_key("P-256", auto_kid=True) for _ in range(2))
    now = [1000.0]
    check, client = verifier(key, clock=lambda: now[0])
    assert check.check(token(key)) is not None and client.fetches == 1  # first use fetches the keys
    for _ in range(200):
        assert check.check(token(forger)) is None
    assert client.fetches == 1  # red6: 200 forged tokens made 200 JWKS requests
    now[0] += 61  # a minute on, a token that does not verify may mean rotated keys: one fetch
    assert check.check(token(forger)) is None and client.fetches == 2
    assert check.check(token(forger)) is None and client.fetches == 2
