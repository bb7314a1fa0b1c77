"""The OAuth 2.1 hop: a bearer token for one tool, audience-bound, with only that tool's scopes, without a stored secret.

For each (agent, tool) the broker runs the client-credentials grant
(RFC 6749 §4.4, as profiled by OAuth 2.1) against the tool's authorization
server:

- the server's endpoints come from its metadata (RFC 8414
  `/.well-known/oauth-authorization-server`, then OpenID Connect Discovery
  `/.well-known/openid-configuration`), and its `issuer` must equal the one
  asked for (RFC 8414 §3.3: a mismatch means the metadata is not the issuer's);
- the client authenticates with a signed JWT (RFC 7523 §2.2,
  `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`):
  either one the broker signs with a key it holds (`PrivateKeyJWT`, OIDC's
  `private_key_jwt`) or the workload's own OIDC token (`WorkloadTokenAssertion`,
  what Entra, Okta, Auth0 and Keycloak federation accept);
- `resource` = the tool's audience (RFC 8707 §2), `scope` = the tool's scopes.

The answer is checked before any caller sees it: a JWT access token (RFC 9068)
must carry a signature from the issuer's JWKS (no `alg: none`), `iss` = the
issuer, `aud` containing the tool's audience (a server that ignores `resource`
fails here), scopes no broader than asked, and an expiry in the future. An opaque
token cannot be checked for its audience and is refused. Every refusal is a
`BrokerError` naming the hop; nothing broader is ever handed out instead.

httpx is imported on first use; joserfc (authlib's JOSE library) signs and verifies.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from agentid.runtime import redaction

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
ASSERTION_LIFETIME_SECONDS = 60  # RFC 7523 §3: short; the server rejects expired assertions
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")  # asymmetric only: never `none`, never HS*
NBF_LEEWAY_SECONDS = 60  # RFC 7519 §4.1.5 allows "some small leeway" for clock skew
_MAX_METADATA_BYTES = 256 * 1024
_MAX_TOKEN_RESPONSE_BYTES = 64 * 1024


class OAuthError(Exception):
    """One OAuth step failed; `code` is the OAuth error code or a short name of what was wrong."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OAuthTool:
    """What the broker needs to get one tool's token (from the spec's `tools[].oauth`)."""

    tool: str
    audience: str  # the resource server / MCP server URL: the RFC 8707 `resource` and the token's `aud`
    scopes: tuple[str, ...]
    provider: str = "oidc"  # oidc | entra | cognito
    issuer: str | None = None  # None: found through the resource's protected-resource metadata (RFC 9728)
    client_id: str | None = None  # default: the agent's name
    mcp: bool = False  # the audience is an MCP server: confirm the issuer through its metadata (RFC 9728)
    client_secret_ref: str | None = None  # cognito: Secrets Manager id/ARN of the client secret (read at issuance)
    # the token endpoint the tool's configuration names (Cognito: the stack output aws.oauth.token_endpoint, on the
    # user pool's domain, not the issuer's host): the one off-origin endpoint a credential may go to
    token_endpoint: str | None = None

    @classmethod
    def from_spec(cls, tool: Any) -> "OAuthTool":
        grant = tool.oauth
        return cls(
            tool=tool.name,
            audience=grant.audience,
            scopes=tuple(grant.scopes),
            provider=grant.provider,
            issuer=getattr(grant, "issuer", None),
            client_id=getattr(grant, "client_id", None),
        )


# --- client authentication (RFC 7523) -------------------------------------------------


class PrivateKeyJWT:
    """Client assertions signed with a private key the agent holds and never sends (OIDC `private_key_jwt`).

    `key` is a joserfc key (RSA, EC or OKP) or a PEM private key; the server
    knows the public half (its JWKS or registration). Claims per RFC 7523 §3:
    iss = sub = client_id, aud = the token endpoint, a 60 s exp and a fresh jti.
    """

    method = "private_key_jwt"

    def __init__(self, key: Any, algorithm: str | None = None, key_id: str | None = None):
        from joserfc import jwk

        self._key = _private_key(key) if isinstance(key, (str, bytes)) else key
        if getattr(self._key, "key_type", None) not in ("RSA", "EC", "OKP") or not self._key.is_private:
            raise ValueError("a client assertion needs an asymmetric private key (RSA, EC or Ed25519): never a shared secret")
        self.algorithm = algorithm or {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}[self._key.key_type]
        if self.algorithm not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm {self.algorithm} is not one of {', '.join(SIGNING_ALGORITHMS)}")
        self.key_id = key_id or self._key.kid

    def __repr__(self) -> str:
        return f"PrivateKeyJWT(algorithm={self.algorithm!r}, key_id={self.key_id!r})"

    def assertion(self, client_id: str, token_endpoint: str, now: float) -> str:
        from joserfc import jwt

        header = {"alg": self.algorithm, "typ": "JWT"} | ({"kid": self.key_id} if self.key_id else {})
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "iat": int(now),
            "exp": int(now) + ASSERTION_LIFETIME_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(header, claims, self._key)


def _private_key(pem: str | bytes) -> Any:
    """A PEM private key as a joserfc key of its own type (never guessed as a symmetric key)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from joserfc import jwk

    data = pem.encode() if isinstance(pem, str) else pem
    loaded = load_pem_private_key(data, password=None)
    kind = {rsa.RSAPrivateKey: "RSA", ec.EllipticCurvePrivateKey: "EC", ed25519.Ed25519PrivateKey: "OKP"}
    key_type = next((name for cls, name in kind.items() if isinstance(loaded, cls)), None)
    if key_type is None:
        raise ValueError(f"unsupported private key type {type(loaded).__name__}")
    return jwk.import_key(data, key_type)


@dataclass(frozen=True)
class WorkloadTokenAssertion:
    """The workload's own OIDC token (Kubernetes projected token, GitHub OIDC) as the client assertion.

    The file is re-read for every token request (the platform rotates it).
    Servers that federate workload identities (Entra federated credentials,
    Okta, Auth0, Keycloak) accept it as a jwt-bearer client assertion.
    """

    token_file: Path
    method = "workload_identity"

    def assertion(self, client_id: str, token_endpoint: str, now: float) -> str:
        from agentid_components import input_limits

        try:  # regular file, bounded: a FIFO or /dev/zero in its place must not hang the client or fill its memory
            token = input_limits.read_text(self.token_file, input_limits.TOKEN_FILE_BYTES, "workload token file").strip()
        except input_limits.InputRefused as refused:
            raise OAuthError(str(refused), "workload_token") from None
        if not token:
            raise OAuthError(f"the workload token file {self.token_file} is empty", "workload_token")
        redaction.remember(token)
        return token


class StoredClientSecret:
    """A client secret read from a secret store at each issuance, for servers that only offer secrets (Cognito).

    `read(ref)` returns the secret (default: AWS Secrets Manager `GetSecretValue`
    with the agent's own AWS identity, i.e. boto3's default chain: the role the
    secret's resource policy admits). The secret is never cached by the broker,
    never in agent code or stack outputs; it is sent as HTTP Basic client
    authentication (RFC 6749 §2.3.1, `client_secret_basic`) and redacted from logs.
    """

    method = "client_secret_basic"

    def __init__(self, read: Callable[[str], str] | None = None, endpoint_url: str | None = None, region: str | None = None):
        self._read = read
        self.endpoint_url, self.region = endpoint_url, region

    def secret(self, ref: str) -> str:
        if self._read is not None:
            value = self._read(ref)
        else:
            from agentid.runtime.broker import new_boto3_session

            try:
                client = new_boto3_session().client("secretsmanager", endpoint_url=self.endpoint_url,
                                                    region_name=self.region or _region_of(ref))
                value = client.get_secret_value(SecretId=ref).get("SecretString")
            except Exception as error:  # noqa: BLE001 - AccessDenied, not found, no credentials: one refusal
                code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
                raise OAuthError(f"cannot read the client secret {ref} from Secrets Manager with the agent's identity: {code}",
                                 "secret_store") from None
        if not isinstance(value, str) or not value:
            raise OAuthError(f"the client secret {ref} is empty or not a string", "secret_store")
        redaction.remember(value)
        return value


def _region_of(ref: str) -> str | None:
    parts = ref.split(":")
    return parts[3] if ref.startswith("arn:") and len(parts) > 3 and parts[3] else os.environ.get("AWS_REGION") or "us-east-1"


# --- the grant --------------------------------------------------------------------


@dataclass(frozen=True)
class ServerMetadata:
    issuer: str
    token_endpoint: str
    jwks_uri: str | None
    auth_methods: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class IssuedToken:
    """A checked access token (the value is never in repr)."""

    access_token: str = field(repr=False)
    token_type: str
    audience: tuple[str, ...]
    scopes: tuple[str, ...]
    server_lifetime_seconds: float  # how long the server says the token lives (expires_in, or exp - iat)
    issuer: str
    claims: Mapping[str, Any] = field(repr=False)


class OAuthClient:
    """Runs the client-credentials grant against discovered servers; thread-safe; caches metadata and JWKS.

    `get(url)` and `post(url, form)` are pluggable transports (default httpx,
    5 s timeouts, no redirects: a token endpoint that redirects is refused).
    """

    def __init__(self, timeout: float = 5.0, clock: Callable[[], float] = time.time):
        self.timeout = timeout
        self.clock = clock  # wall clock: JWT times (exp, iat) are epoch seconds
        self._http: Any = None
        self._metadata: dict[tuple[str, str | None], ServerMetadata] = {}
        self._jwks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.token_requests = 0  # token-endpoint calls made (benchmarks count them)

    # transport

    def _client(self) -> Any:
        with self._lock:
            if self._http is None:
                import httpx

                self._http = httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False)
            return self._http

    def get_json(self, url: str, what: str) -> dict[str, Any]:
        import httpx

        try:
            response = self._client().get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise OAuthError(f"{what} at {url} is unreachable: {type(error).__name__}: {error}", "unreachable") from None
        if response.status_code != 200:
            raise OAuthError(f"{what} at {url} answered HTTP {response.status_code}", "metadata_status")
        return _json_object(response.content, _MAX_METADATA_BYTES, f"{what} at {url}")

    # discovery

    def metadata(self, issuer: str, token_endpoint: str | None = None) -> ServerMetadata:
        """RFC 8414 metadata (then OIDC discovery) of `issuer`; raises OAuthError.

        Its `issuer` must equal the one asked for, character for character (RFC 8414 §3.3), and every endpoint the
        broker sends to or trusts must be the issuer's own (`endpoint_problem`): `token_endpoint` (it receives the
        client credential) and `jwks_uri` (it decides which tokens verify). `token_endpoint`: the one the tool's
        configuration names, if any (Cognito's user pool domain), which the metadata must then name exactly.
        Other endpoints (`registration_endpoint`, `revocation_endpoint`, ...) are never called, so never read.
        """
        problem = issuer_problem(issuer)
        if problem is not None:
            raise OAuthError(f"issuer {shown_url(issuer)}: {problem}", "insecure_issuer")
        if token_endpoint is not None and (problem := issuer_problem(token_endpoint)) is not None:
            raise OAuthError(f"the configured token endpoint {shown_url(token_endpoint)}: {problem}", "insecure_endpoint")
        cached = self._metadata.get((issuer, token_endpoint))
        if cached is not None:
            return cached
        errors = []
        for url in discovery_urls(issuer):
            try:
                document = self.get_json(url, "authorization server metadata")
            except OAuthError as error:
                errors.append(str(error))
                continue
            if document.get("issuer") != issuer:
                raise OAuthError(
                    f"metadata at {url} names issuer {_shown_value(document.get('issuer'))}, not {issuer!r} (RFC 8414 §3.3): "
                    "refusing it",
                    "issuer_mismatch",
                )
            named = document.get("token_endpoint")
            if not isinstance(named, str) or not _is_http_url(named):
                raise OAuthError(f"metadata at {url} has no token_endpoint URL", "no_token_endpoint")
            for field_name, value in (("token_endpoint", named), ("jwks_uri", document.get("jwks_uri"))):
                if value is None and field_name == "jwks_uri":
                    continue  # no keys: check_token refuses its tokens ("no_jwks")
                found_problem = endpoint_problem(value, issuer, token_endpoint if field_name == "token_endpoint" else None)
                if found_problem is not None:
                    raise OAuthError(f"metadata at {url} names {field_name} {_shown_value(value)}: {found_problem[1]}",
                                     found_problem[0])
            found = ServerMetadata(
                issuer=issuer,
                token_endpoint=named,
                jwks_uri=document.get("jwks_uri"),
                auth_methods=tuple(document.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)),
                raw=document,
            )
            self._metadata[(issuer, token_endpoint)] = found
            return found
        raise OAuthError(f"no authorization server metadata for {issuer}: " + "; ".join(errors), "no_metadata")

    def signing_keys(self, metadata: ServerMetadata, refresh: bool = False) -> Any:
        from joserfc import jwk

        if metadata.jwks_uri is None:
            raise OAuthError(f"issuer {metadata.issuer} publishes no jwks_uri: its tokens cannot be verified", "no_jwks")
        if refresh or metadata.jwks_uri not in self._jwks:
            document = self.get_json(metadata.jwks_uri, "JWKS")
            try:
                self._jwks[metadata.jwks_uri] = jwk.KeySet.import_key_set(document)
            except Exception as error:  # noqa: BLE001 - any malformed key set is one refusal
                raise OAuthError(f"JWKS at {metadata.jwks_uri} is not a key set: {error}", "bad_jwks") from None
        return self._jwks[metadata.jwks_uri]

    # the grant

    def client_credentials(
        self, tool: OAuthTool, issuer: str, client_id: str, signer: Any, *, resource_param: bool = True
    ) -> IssuedToken:
        """One token request and its checks; raises OAuthError (never returns an unchecked token)."""
        import httpx

        metadata = self.metadata(issuer, tool.token_endpoint)
        if signer.method == "client_secret_basic":
            if tool.client_secret_ref is None:
                raise OAuthError(f"tool '{tool.tool}' names no client secret in a secret store", "secret_store")
            form = {"grant_type": "client_credentials", "scope": " ".join(_request_scopes(tool))}
            auth: Any = (client_id, signer.secret(tool.client_secret_ref))
            return self._token_request(metadata, form, tool, auth)
        if "private_key_jwt" not in metadata.auth_methods and signer.method == "private_key_jwt":
            raise OAuthError(
                f"{issuer} does not list private_key_jwt in token_endpoint_auth_methods_supported "
                f"({', '.join(metadata.auth_methods)}): the broker will not fall back to a shared secret",
                "no_private_key_jwt",
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": signer.assertion(client_id, metadata.token_endpoint, self.clock()),
            "scope": " ".join(_request_scopes(tool)),
        }
        if resource_param:
            form["resource"] = tool.audience
        return self._token_request(metadata, form, tool, None)

    def _token_request(self, metadata: ServerMetadata, form: dict[str, str], tool: OAuthTool, auth: Any) -> IssuedToken:
        import httpx

        self.token_requests += 1
        try:
            response = self._client().post(metadata.token_endpoint, data=form, headers={"Accept": "application/json"},
                                           **({"auth": auth} if auth else {}))
        except httpx.HTTPError as error:
            raise OAuthError(f"token endpoint {metadata.token_endpoint} is unreachable: {type(error).__name__}", "unreachable") from None
        if 300 <= response.status_code < 400:
            raise OAuthError(
                f"token endpoint {metadata.token_endpoint} answered a redirect (HTTP {response.status_code} to "
                f"{shown_url(response.headers.get('location', '(no location)'))}): the broker does not follow it, a client "
                "credential goes only to the token endpoint the issuer's metadata names",
                "redirect_refused",
            )
        body = _json_object(response.content, _MAX_TOKEN_RESPONSE_BYTES, f"token endpoint {metadata.token_endpoint}", soft=True)
        if response.status_code != 200:
            code = str(body.get("error") or f"http_{response.status_code}")[:64]
            description = str(body.get("error_description") or "")[:200]
            raise OAuthError(
                f"token endpoint {metadata.token_endpoint} refused the request: HTTP {response.status_code} {code}"
                + (f": {description}" if description else ""),
                code if response.status_code < 500 else "server_error",
            )
        access_token = body.get("access_token")
        if isinstance(access_token, str):
            redaction.remember(access_token)
        return self.check_token(body, tool, metadata)

    def check_token(self, body: Mapping[str, Any], tool: OAuthTool, metadata: ServerMetadata) -> IssuedToken:
        """RFC 6749 §5.1 response fields and RFC 9068 JWT claims; see the module docstring."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise OAuthError("the token response has no access_token", "no_access_token")
        token_type = str(body.get("token_type", ""))
        if token_type.lower() != "bearer":
            raise OAuthError(f"token_type {token_type!r} is not Bearer (a DPoP or MAC token needs a proof the broker does not make)", "token_type")
        if access_token.count(".") != 2:
            raise OAuthError(
                "the access token is opaque: its audience and scopes cannot be checked, so it is refused "
                "(ask the server for JWT access tokens, RFC 9068)",
                "opaque_token",
            )
        keys = self.signing_keys(metadata)
        try:
            decoded = jwt.decode(access_token, keys, algorithms=list(SIGNING_ALGORITHMS))
        except JoseError as error:
            if "kid" in str(error).lower() or type(error).__name__ in ("InvalidKeyIdError",):
                keys = self.signing_keys(metadata, refresh=True)  # the server rotated its keys
                try:
                    decoded = jwt.decode(access_token, keys, algorithms=list(SIGNING_ALGORITHMS))
                except JoseError as again:
                    raise OAuthError(f"the access token's signature does not verify against {metadata.jwks_uri}: {again}", "bad_signature") from None
            else:
                raise OAuthError(f"the access token's signature does not verify against {metadata.jwks_uri}: {error}", "bad_signature") from None
        except (ValueError, KeyError) as error:
            raise OAuthError(f"the access token is not a well-formed JWT: {error}", "bad_signature") from None
        claims = dict(decoded.claims)
        if claims.get("iss") != metadata.issuer:
            raise OAuthError(f"the access token's iss {claims.get('iss')!r} is not the issuer {metadata.issuer!r}", "wrong_issuer")
        audience = claims.get("aud")
        audiences = (audience,) if isinstance(audience, str) else tuple(a for a in audience or () if isinstance(a, str))
        expected = _expected_audiences(tool)
        if tool.provider == "cognito" and not audiences:
            # Cognito access tokens carry no `aud`: the audience is the resource server prefix of every scope
            audiences = tuple(sorted({s.rsplit("/", 1)[0] for s in token_scopes(claims, body) if "/" in s}))
        # One audience, the tool's: a token also valid at another API (aud: [tool, other]) is wider than the grant
        # (RFC 8707 §2: the client asked for one resource, so a token for more is not what it asked for).
        if not expected & set(audiences) or len(set(audiences)) != 1:
            raise OAuthError(
                f"the access token's audience {list(audiences)} is not the tool's resource {tool.audience} "
                "(does the server support resource indicators, RFC 8707?)",
                "wrong_audience",
            )
        now = self.clock()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= now:
            raise OAuthError("the access token is already expired (or has no exp)", "expired_token")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + NBF_LEEWAY_SECONDS):
            raise OAuthError(f"the access token is not valid yet (nbf {nbf!r}, more than {NBF_LEEWAY_SECONDS} s ahead: "
                             "RFC 7519 §4.1.5)", "not_yet_valid")
        granted = token_scopes(claims, body)
        asked = set(tool.scopes)  # Entra asks with RESOURCE/.default but grants the named scopes or roles
        if tool.provider == "cognito":
            asked = set(_request_scopes(tool))
        broader = sorted(set(granted) - asked)
        if broader:
            raise OAuthError(f"the server granted scopes the tool did not ask for: {', '.join(broader)}", "broader_scopes")
        expires_in = body.get("expires_in")
        lifetime = float(exp - now)
        if isinstance(expires_in, (int, float)) and expires_in > 0:
            lifetime = min(lifetime, float(expires_in))
        return IssuedToken(
            access_token=access_token,
            token_type="Bearer",
            audience=audiences,
            scopes=tuple(granted),
            server_lifetime_seconds=lifetime,
            issuer=metadata.issuer,
            claims=claims,
        )


def discovery_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata lives: RFC 8414 §3.1 (well-known inserted before the path), then OIDC Discovery §4."""
    parts = urllib.parse.urlsplit(issuer)
    path = parts.path.rstrip("/")
    base = f"{parts.scheme}://{parts.netloc}"
    return [f"{base}/.well-known/oauth-authorization-server{path}", f"{base}{path}/.well-known/openid-configuration"]


def token_scopes(claims: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """Every scope a token carries: RFC 9068 `scope` (space-separated), Entra `scp` and `roles`, all of them
    together (a resource server honours each: a `roles: [Admin]` beside `scope: read` is Admin); the token
    response's `scope` only when the token names none. In first-seen order, without repeats."""
    found: list[str] = []
    for value in (claims.get("scope"), claims.get("scp"), claims.get("roles")):
        found.extend(_scope_values(value))
    return list(dict.fromkeys(found or _scope_values(body.get("scope"))))


def _scope_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _request_scopes(tool: OAuthTool) -> list[str]:
    if tool.provider == "entra":  # Entra v2 names the resource through the scope: RESOURCE/.default
        return [f"{tool.audience.rstrip('/')}/.default"]
    if tool.provider == "cognito":  # Cognito names scopes RESOURCE-SERVER-IDENTIFIER/SCOPE
        return [f"{tool.audience}/{scope}" for scope in tool.scopes]
    return list(tool.scopes)


def _expected_audiences(tool: OAuthTool) -> set[str]:
    # RFC 8707 compares the resource as a URI; a trailing slash is the one spelling servers vary on
    return {tool.audience, tool.audience.rstrip("/"), tool.audience.rstrip("/") + "/"}


def _is_http_url(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


# --- whose endpoint is it? ----------------------------------------------------------

DEFAULT_PORTS = {"https": 443, "http": 80}


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: traffic that never leaves the machine (RFC 6761 §6.3, RFC 5735)."""
    import ipaddress

    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, effective port) of an http(s) URL (RFC 6454 §4; case and the scheme's default port do not
    count, a trailing dot does); None when it is not an http(s) URL with a host, or carries userinfo."""
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname, port


def issuer_problem(url: str) -> str | None:
    """Why the broker will not talk to `url` at all, or None: https, or http only to a loopback address (a test
    double or an emulator on this machine); no userinfo (https://issuer@evil is evil's)."""
    found = origin(url) if isinstance(url, str) else None
    if found is None:
        return "not an http(s) URL with a host and without userinfo"
    scheme, host, _ = found
    if scheme != "https" and not is_loopback_host(host):
        return ("cleartext http: anyone on the path reads and changes what crosses it; only https, or http to a "
                "loopback address, is used")
    return None


def endpoint_problem(url: Any, issuer: str, configured: str | None = None) -> tuple[str, str] | None:
    """(code, why) when an endpoint an issuer's metadata names is not the issuer's own, else None.

    The issuer's own: https (`issuer_problem`) and on the issuer's origin (same scheme, host and effective port),
    or exactly `configured`, the endpoint the tool's configuration names. Metadata is bound to its issuer by the
    issuer field alone (RFC 8414 §3.3); a host it names is not thereby the issuer's, and a client credential or a
    key set from elsewhere belongs to whoever runs that host (RFC 9700 §4.4, mix-up; §4.15, endpoints).
    """
    if not isinstance(url, str) or not _is_http_url(url):
        return "bad_endpoint", "not an http(s) URL"
    problem = issuer_problem(url)
    if problem is not None:
        return "insecure_endpoint", problem
    if configured is not None:
        if url == configured:
            return None
        return ("foreign_endpoint", f"not the token endpoint the tool's configuration names ({shown_url(configured)}): "
                "the broker sends the client credential nowhere else")
    if origin(url) != origin(issuer):
        return ("foreign_endpoint", f"not on the issuer's origin {shown_url(issuer)} (same scheme, host and port): the "
                "broker sends a client credential only to, and trusts keys only from, the issuer's own host (a tool whose "
                "server really uses another host names that token endpoint in its configuration, as Cognito's does)")
    return None


def shown_url(url: Any) -> str:
    """A URL as an error may show it: no userinfo (it may be a password), no query or fragment, at most 200 characters."""
    try:
        parts = urllib.parse.urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(malformed URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"[:200]


def _shown_value(value: Any) -> str:
    return repr(shown_url(value)) if isinstance(value, str) and "://" in value else repr(value)[:200]


def _json_object(content: bytes, limit: int, what: str, soft: bool = False) -> dict[str, Any]:
    if len(content) > limit:
        raise OAuthError(f"{what} answered {len(content)} bytes, more than the {limit} accepted", "too_large")
    try:
        document = json.loads(content)
    except ValueError:
        if soft:
            return {}
        raise OAuthError(f"{what} did not answer JSON", "not_json") from None
    if not isinstance(document, dict):
        if soft:
            return {}
        raise OAuthError(f"{what} did not answer a JSON object", "not_json")
    return document


def environment_signer() -> WorkloadTokenAssertion | None:
    """The workload token named by AGENTID_OAUTH_TOKEN_FILE (or AZURE_FEDERATED_TOKEN_FILE), if any."""
    for name in ("AGENTID_OAUTH_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"):
        if os.environ.get(name):
            return WorkloadTokenAssertion(Path(os.environ[name]))
    return None
