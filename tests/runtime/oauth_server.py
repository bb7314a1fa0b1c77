"""A real OAuth 2.1 authorization server on loopback, for the broker's tests and benchmark.

Client credentials only (RFC 6749 §4.4), clients authenticate with a signed
JWT (RFC 7523 §2.2, OIDC `private_key_jwt`) verified by authlib's server
component `JWTBearerClientAssertion` (signature against the client's registered
public key, iss = sub = client_id, aud = this server, exp, single-use jti);
`resource` (RFC 8707) picks the audience, scopes are limited to what the client
is registered for on that resource, and access tokens are RFC 9068 JWTs
(`typ: at+jwt`) signed with the server's own key, published at `jwks_uri`
with RFC 8414 and OIDC discovery metadata. An Entra-style request (no `resource`,
`scope=RESOURCE/.default`) gets `aud` = RESOURCE and the registered scopes in
`roles`, as Entra's v2 endpoint answers for an application.

`misbehave` makes it answer like a broken or hostile server, per audience:
"wrong_audience", "expired", "unsigned" (alg none), "foreign_key" (signed by a
key not in its JWKS), "ignore_resource" (no RFC 8707: aud = the issuer),
"broader_scopes", "extra_roles"/"extra_scp" (wider grants in the other scope claims), "two_audiences",
"not_yet_valid" (nbf an hour ahead), "opaque", "error" (HTTP 500); `fault_rate` fails that share of
token requests with 503 (seeded).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwk, jwt

from tests.runtime.loopback import LoopbackServer


@dataclass
class Client:
    client_id: str
    public_key: Any  # joserfc key: the public half of the agent's signing key
    resources: dict[str, list[str]]  # audience -> scopes this client may get on it
    secret: str | None = None  # a Cognito-style client: client_secret_basic, tokens without `aud`
    federation: tuple[str, str, Any] | None = None  # (workload issuer, subject, its public key): federated assertions

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == PrivateKeyJwtAssertion.CLIENT_AUTH_METHOD and endpoint == "token"


class PrivateKeyJwtAssertion(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: "AuthorizationServer"):
        super().__init__(validate_jti=True, leeway=5)
        self.server = server

    def get_audiences(self) -> list[str]:
        return [self.server.token_endpoint, self.server.issuer]

    def validate_jti(self, claims: dict, jti: str) -> bool:
        with self.server.lock:
            key = (claims["sub"], jti)
            if key in self.server.seen_jti:
                return False
            self.server.seen_jti.add(key)
            return True

    def resolve_client_public_key(self, client: Client) -> Any:
        return client.public_key


class _Form:
    def __init__(self, form: dict[str, str]):
        self.form = form
        self.client = None


@dataclass
class AuthorizationServer:
    token_lifetime: int = 300
    clients: dict[str, Client] = field(default_factory=dict)
    misbehave: dict[str, str] = field(default_factory=dict)  # audience -> mode
    fault_rate: float = 0.0
    seed: int = 7
    token_requests: int = 0
    issued: list[dict] = field(default_factory=list)  # claims of every token issued
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen_jti: set = field(default_factory=set)
    api_audience: str | None = None  # when set, GET /api/tickets is a resource server for that audience
    api_calls: list[str] = field(default_factory=list)  # client_id of each accepted API call
    # App Service managed-identity endpoint (GET /msi/token, header X-IDENTITY-HEADER), as azure-identity calls it
    msi_header: str | None = None
    msi_identity: str = "agent-identity-client-id"
    msi_resources: dict[str, list[str]] = field(default_factory=dict)  # resource -> roles in its tokens
    metadata_overrides: dict[str, Any] = field(default_factory=dict)  # fields its RFC 8414 metadata answers instead
    token_redirect: str | None = None  # when set, POST /token answers 307 to this URL

    def __post_init__(self) -> None:
        self.key = jwk.ECKey.generate_key("P-256", auto_kid=True)
        self.foreign_key = jwk.ECKey.generate_key("P-256", auto_kid=True)
        self.random = random.Random(self.seed)
        self._http = LoopbackServer()  # listening now: the issuer URL below is its own port, nobody else's
        self.port = self._http.port
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.token_endpoint = f"{self.issuer}/token"
        self.client_auth = PrivateKeyJwtAssertion(self)

    def register(self, client_id: str, public_key: Any, resources: dict[str, list[str]], secret: str | None = None,
                 federation: tuple[str, str, Any] | None = None) -> None:
        self.clients[client_id] = Client(client_id, public_key, resources, secret, federation)

    # --- HTTP ---------------------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": f"{self.issuer}/jwks",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
            "response_types_supported": ["token"],
        } | self.metadata_overrides

    def token(self, form: dict[str, str], authorization: str | None = None) -> tuple[int, dict]:
        with self.lock:
            self.token_requests += 1
            faulty = self.fault_rate and self.random.random() < self.fault_rate
        if faulty:
            return 503, {"error": "temporarily_unavailable"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if authorization and authorization.lower().startswith("basic "):
            return self._cognito_token(form, authorization)
        try:
            client = self._federated_client(form) or self.client_auth(self.clients.get, _Form(form))
        except InvalidClientError as error:
            return 401, {"error": "invalid_client", "error_description": error.description}
        if client is None:
            return 401, {"error": "invalid_client", "error_description": "a private_key_jwt client assertion is required"}
        scopes = form.get("scope", "").split()
        resource = form.get("resource")
        entra_style = resource is None and len(scopes) == 1 and scopes[0].endswith("/.default")
        if entra_style:
            resource = scopes[0][: -len("/.default")]
        if resource is None:
            return 400, {"error": "invalid_target", "error_description": "resource is required"}
        allowed = client.resources.get(resource)
        if allowed is None:
            return 400, {"error": "invalid_target", "error_description": f"client may not get tokens for {resource}"}
        granted = list(allowed) if entra_style else [s for s in scopes if s in allowed]
        if not entra_style and set(scopes) - set(allowed):
            return 400, {"error": "invalid_scope", "error_description": "scope not registered for this resource"}
        mode = self.misbehave.get(resource, "")
        if mode == "error":
            return 500, {"error": "server_error"}
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": client.client_id,
            "client_id": client.client_id,
            "aud": resource,
            "iat": now,
            "exp": now + self.token_lifetime,
            "jti": uuid.uuid4().hex,
        }
        if entra_style:
            claims["roles"] = granted
        else:
            claims["scope"] = " ".join(granted)
        if mode == "wrong_audience":
            claims["aud"] = "https://someone-else.example.org/api"
        elif mode == "ignore_resource":
            claims["aud"] = self.issuer
        elif mode == "expired":
            claims["iat"], claims["exp"] = now - 600, now - 300
        elif mode == "broader_scopes":
            claims["scope"] = " ".join(granted + ["admin"])
        elif mode == "extra_roles":  # red6: the asked scope, and an app role beside it
            claims["roles"] = ["Payments.Admin"]
        elif mode == "extra_scp":
            claims["scp"] = "tickets.write admin"
        elif mode == "two_audiences":  # valid at the tool and at another API
            claims["aud"] = [resource, "https://payments.example.org/api"]
        elif mode == "not_yet_valid":
            claims["nbf"] = now + 3600
        header = {"alg": "ES256", "typ": "at+jwt", "kid": self.key.kid}
        if mode == "unsigned":
            import base64

            def b64(data: dict) -> str:
                return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

            access_token = f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{b64(claims)}."
        elif mode == "foreign_key":
            access_token = jwt.encode(dict(header, kid=self.foreign_key.kid), claims, self.foreign_key)
        elif mode == "opaque":
            access_token = uuid.uuid4().hex * 2
        else:
            access_token = jwt.encode(header, claims, self.key)
        with self.lock:
            self.issued.append(claims)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": claims["exp"] - now}
        if not entra_style:
            body["scope"] = claims["scope"]
        return 200, body

    def _federated_client(self, form: dict[str, str]) -> Client | None:
        """A workload's own OIDC token as the client assertion (Entra/Okta-style federation): iss and sub are the
        workload's, aud is this server; it must match a federation registered for the named client_id."""
        client = self.clients.get(form.get("client_id", ""))
        if client is None or client.federation is None or not form.get("client_assertion"):
            return None
        issuer, subject, key = client.federation
        try:
            claims = jwt.decode(form["client_assertion"], key, algorithms=["ES256", "RS256"]).claims
        except Exception as error:  # noqa: BLE001 - any undecodable assertion is invalid_client
            raise InvalidClientError(description=f"federated assertion: {type(error).__name__}") from None
        if claims.get("iss") != issuer or claims.get("sub") != subject:
            raise InvalidClientError(description="federated assertion: issuer or subject not trusted for this client")
        audience = claims.get("aud")
        if self.issuer not in ([audience] if isinstance(audience, str) else audience or []):
            raise InvalidClientError(description="federated assertion: audience is not this server")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            raise InvalidClientError(description="federated assertion: expired")
        return client

    def _cognito_token(self, form: dict[str, str], authorization: str) -> tuple[int, dict]:
        """As Cognito answers client_secret_basic: scopes RESOURCE-SERVER/SCOPE, no `aud`, `client_id` and `token_use`."""
        import base64

        client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        client = self.clients.get(urllib.parse.unquote(client_id))
        if client is None or client.secret is None or client.secret != urllib.parse.unquote(secret):
            return 401, {"error": "invalid_client"}
        scopes = form.get("scope", "").split()
        allowed = {f"{resource}/{scope}" for resource, names in client.resources.items() for scope in names}
        if not scopes or set(scopes) - allowed:
            return 400, {"error": "invalid_scope"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": client.client_id, "client_id": client.client_id, "token_use": "access",
                  "scope": " ".join(scopes), "iat": now, "exp": now + self.token_lifetime, "jti": uuid.uuid4().hex}
        with self.lock:
            self.issued.append(claims)
        token = jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}

    def managed_identity_token(self, header: str | None, query: dict[str, str]) -> tuple[int, dict]:
        """The App Service managed identity protocol (api-version 2019-08-01): resource in, token + expires_on out."""
        with self.lock:
            self.token_requests += 1
        if header != self.msi_header:
            return 401, {"error": "invalid_request", "error_description": "X-IDENTITY-HEADER"}
        resource = query.get("resource", "").removesuffix("/.default")
        if resource not in self.msi_resources:
            return 400, {"error": "invalid_resource", "error_description": f"no role for {resource}"}
        now = int(time.time())
        identity = query.get("client_id") or self.msi_identity  # a user-assigned identity is asked for by client_id
        claims = {"iss": self.issuer, "sub": identity, "appid": identity, "aud": resource,
                  "roles": self.msi_resources[resource], "iat": now, "exp": now + self.token_lifetime, "jti": uuid.uuid4().hex}
        if self.misbehave.get(resource) == "wrong_audience":
            claims["aud"] = "https://management.azure.com"
        with self.lock:
            self.issued.append(claims)
        token = jwt.encode({"alg": "ES256", "typ": "JWT", "kid": self.key.kid}, claims, self.key)
        if self.misbehave.get(resource) == "opaque":
            token = uuid.uuid4().hex * 2
        return 200, {"access_token": token, "expires_on": str(claims["exp"]), "resource": resource, "token_type": "Bearer",
                     "client_id": identity}

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    def __enter__(self) -> "AuthorizationServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                # any path under the well-known names: a look-up for another issuer on this host gets this one's
                # metadata, as a misconfigured multi-tenant server would answer
                if path.startswith("/.well-known/oauth-authorization-server") or path.endswith("/.well-known/openid-configuration"):
                    self._send(200, server.metadata())
                elif path == "/jwks":
                    self._send(200, server.jwks())
                elif path == "/api/tickets" and server.api_audience:
                    self._api()
                elif path == "/msi/token" and server.msi_header:
                    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                    self._send(*server.managed_identity_token(self.headers.get("X-IDENTITY-HEADER"), query))
                else:
                    self._send(404, {"error": "not_found"})

            def _api(self) -> None:
                from agentid.runtime.mcp_auth import JWTTokenVerifier

                verifier = JWTTokenVerifier(server.issuer, server.api_audience, jwks=jwk.KeySet([server.key]))
                header = self.headers.get("Authorization", "")
                claims = verifier.check(header[7:]) if header.lower().startswith("bearer ") else None
                if claims is None or "tickets.read" not in str(claims.get("scope", "")).split():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                server.api_calls.append(claims["client_id"])
                self._send(200, {"tickets": [101, 102]})

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 65536)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if urllib.parse.urlsplit(self.path).path != "/token":
                    self._send(404, {"error": "not_found"})
                    return
                if server.token_redirect:
                    self.send_response(307)
                    self.send_header("Location", server.token_redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(*server.token(form, self.headers.get("Authorization")))

        self._http.start(Handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.stop()


class RecordingServer:
    """A server on another loopback address (127.0.0.2 by default: another host to the broker) that records every
    request it gets (method, path, headers, body) and either answers 404 or relays it to `forward_to` (an origin),
    returning that answer: the host an attacker's metadata names, or a token endpoint legitimately on another host.
    As an HTTP proxy (absolute-form request targets) it records the same way."""

    def __init__(self, host: str = "127.0.0.2", forward_to: str | None = None):
        self.host, self.forward_to = host, forward_to
        self._http = LoopbackServer(host)
        self.port = self._http.port
        self.url = f"http://{host}:{self.port}"
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

    def __enter__(self) -> "RecordingServer":
        import http.client

        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 65536)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers), body))
                status, answer, kind = 404, b'{"error": "not_found"}', "application/json"
                if recorder.forward_to:
                    target = urllib.parse.urlsplit(recorder.forward_to)
                    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    reply = connection.getresponse()
                    status, answer, kind = reply.status, reply.read(), reply.getheader("Content-Type", "application/json")
                    connection.close()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_CONNECT = _handle

        self._http.start(Handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.stop()
