"""MCP authorization, both ends: the agent's client auth and the MCP server's token verifier.

Client side (the MCP authorization spec, 2025-06-18 and later):
- `discover_authorization_server` finds the server's authorization server from
  its Protected Resource Metadata (RFC 9728): an unauthenticated request is
  answered `401` with `WWW-Authenticate: Bearer resource_metadata="URL"`
  (RFC 9728 §5.1), else the well-known URL (§3.1). The metadata's `resource`
  must be the MCP server's URL (§3.3: otherwise it is another server's) and
  the tool's configured issuer must be among its `authorization_servers`: an
  MCP server cannot send the agent (and its client credential) to another one,
  and a tool without a configured issuer is refused (`no_issuer`).
- `broker_auth(broker, tool)` is an `httpx.Auth` (and `mcp_auth` the `httpx2.Auth`
  the official MCP SDK's transport takes) that asks the broker for the tool's
  token on every request (a cache hit after the first), names the MCP tool being
  called as the Cedar target (`MCP_URL#TOOL`), and on a `401` drops the token and
  retries once with a new one.

Server side: `JWTTokenVerifier` implements the MCP SDK's `TokenVerifier`
protocol: signature against the issuer's JWKS (asymmetric algorithms only),
`iss`, `aud` = this server (RFC 8707 / RFC 9068 §4), `exp`/`nbf`; and
`require_tool_scopes(name)` checks, inside a tool, the scopes that tool needs.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.parse
from typing import Any, Callable, Mapping

from agentid.runtime.oauth import SIGNING_ALGORITHMS, OAuthClient, OAuthError, OAuthTool, shown_url
from agentid.runtime.resource_binding import path_problem, tool_resources, within

_CHALLENGE_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def challenge_parameters(header: str) -> dict[str, str]:
    """Parameters of a `Bearer` challenge in a WWW-Authenticate header (RFC 6750 §3, RFC 9110 §11.6.1)."""
    match = re.search(r"(?i)\bbearer\b(.*)", header or "")
    if not match:
        return {}
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _CHALLENGE_PARAM.finditer(match.group(1))}


def well_known_metadata_url(resource: str) -> str:
    """RFC 9728 §3.1: /.well-known/oauth-protected-resource inserted between the host and the path."""
    parts = urllib.parse.urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path.rstrip('/')}"


def discover_authorization_server(client: OAuthClient, tool: OAuthTool, configured_issuer: str | None) -> str:
    """The issuer to ask for `tool`'s token, per the MCP server's protected resource metadata; raises OAuthError."""
    import httpx

    metadata_url = None
    try:
        probe = client._client().post(
            tool.audience,
            content=json.dumps({"jsonrpc": "2.0", "id": 0, "method": "ping"}),
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        )
        if probe.status_code == 401:
            metadata_url = challenge_parameters(probe.headers.get("www-authenticate", "")).get("resource_metadata")
    except httpx.HTTPError as error:
        raise OAuthError(f"MCP server {tool.audience} is unreachable: {type(error).__name__}", "unreachable") from None
    metadata_url = metadata_url or well_known_metadata_url(tool.audience)
    document = client.get_json(metadata_url, "protected resource metadata")
    resource = document.get("resource")
    if not isinstance(resource, str) or resource.rstrip("/") != tool.audience.rstrip("/"):
        raise OAuthError(
            f"protected resource metadata at {metadata_url} is for {resource!r}, not {tool.audience} (RFC 9728 §3.3): refusing it",
            "resource_mismatch",
        )
    servers = [s for s in document.get("authorization_servers") or [] if isinstance(s, str)]
    if configured_issuer is None:
        # The MCP server could name its own authorization server and receive the agent's client assertion (a
        # workload token is valid at every federation that trusts its issuer): the issuer comes from configuration.
        raise OAuthError(
            f"tool '{tool.tool}' names no issuer, and MCP server {tool.audience} lists {servers[:5]}: the broker sends the "
            "agent's client credential only to the issuer the tool's configuration names (oauth.issuer), never to one "
            "the MCP server picks", "no_issuer")
    if configured_issuer not in servers:
        raise OAuthError(
            f"MCP server {tool.audience} names authorization servers {servers[:5]}, not the spec's issuer {configured_issuer}",
            "issuer_not_listed",
        )
    return configured_issuer


# --- client auth for httpx and the MCP SDK -------------------------------------------


def request_within_audience(audience: str, url: str) -> bool:
    """Is `url` a request to the tool's resource server `audience`?

    Same scheme, host and effective port (`oauth.origin`: RFC 3986 §6.2.3, case and the scheme's default port do
    not count; a trailing dot does), no userinfo (`https://aud@evil/` is evil's), and a path equal to the
    audience's or below it at a segment boundary (`/api` covers `/api/x`, not `/api-admin`), with no dot segment,
    encoded dot, backslash, encoded slash or empty segment a server could resolve elsewhere
    (`resource_binding.path_problem`). A token is sent nowhere else: the bearer is whoever holds it (RFC 6750
    §5.2), so a redirect or a wrong base URL must not carry it away.
    """
    return within(audience, url)


def _mcp_target(audience: str, body: bytes) -> str | None:
    """`MCP_URL#TOOL` for a JSON-RPC tools/call request, the URL for other requests.

    A JSON-RPC batch (a list) is refused: Cedar would see the server, not the tools called inside it, and the
    MCP specification removed batching in its 2025-06-18 revision.
    """
    try:
        message = json.loads(body) if body else None
    except ValueError:
        return audience
    if isinstance(message, list):
        raise ValueError("a JSON-RPC batch hides each tools/call from the per-call decision; MCP (2025-06-18) has no "
                         "batches: send each request alone")
    if isinstance(message, dict) and message.get("method") == "tools/call":
        name = (message.get("params") or {}).get("name")
        if isinstance(name, str):
            return f"{audience}#{name}"
    return audience


def _flow_class(base: type) -> type:
    class BrokerAuth(base):  # type: ignore[misc, valid-type]
        """Bearer tokens from the broker for one tool, sent only to the tool's resources; a 401 drops the token and
        retries once."""

        requires_request_body = True

        def __init__(self, broker: Any, tool: str, *, agent: str | None = None, trace_id: str | None = None,
                     context: Mapping[str, Any] | None = None, resources: tuple[str, ...] | None = None,
                     mcp_audience: str | None = None, url_targets: bool = True):
            self.broker, self.tool, self.agent, self.trace_id, self.context = broker, tool, agent, trace_id, context
            self.resources, self.mcp_audience, self.url_targets = resources, mcp_audience, url_targets

        def _refusal(self, url: Any, why: str = "") -> Any:
            from agentid.runtime.broker import BrokerError

            shown = " or ".join(self.resources or ()) or "none: an AWS tool's credentials sign requests (broker.session(tool))"
            return BrokerError(f"tool '{self.tool}': refusing to send its token to {shown_url(url)}{why}: not the tool's "
                               f"resource ({shown}; scheme, host, port and path must match, no userinfo, no dot "
                               "segments)", self.agent, self.tool, code="WrongResource")

        def _check(self, url: Any) -> None:
            if not any(within(resource, str(url)) for resource in self.resources or ()):
                problem = None
                try:
                    problem = path_problem(urllib.parse.urlsplit(str(url)).path)
                except ValueError:
                    pass
                raise self._refusal(url, f" (its path holds {problem})" if problem else "")

        def _token(self, request: Any) -> tuple[Any, str]:
            from agentid.runtime.broker import BrokerError

            if self.resources is None:  # unknown agent or tool: the broker refuses it by name, with its audit record
                self.broker.credential(self.tool, agent=self.agent, trace_id=self.trace_id)
                raise self._refusal(request.url)
            self._check(request.url)
            try:
                # Cedar names an Azure or GCP tool's targets by ARM id / full resource name, not by URL: the
                # decision is then on the tool as a whole (its role and scope, or its boundary, still bound it)
                target = (_mcp_target(self.mcp_audience, request.content) if self.mcp_audience
                          else str(request.url) if self.url_targets else None)
            except ValueError as error:
                raise BrokerError(f"tool '{self.tool}': {error}", self.agent, self.tool, code="BatchRefused") from None
            token = self.broker.credential(self.tool, agent=self.agent, trace_id=self.trace_id, target=target, context=self.context)
            return token, target

        def _authorize(self, request: Any, token: Any, target: str, asynchronous: bool) -> Any:
            from agentid.runtime.telemetry import start_http_use

            request.headers["Authorization"] = f"Bearer {token.access_token}"
            _check_every_hop(request, self._check, asynchronous)
            return start_http_use(self.broker.audit.tracer, token, request, target)

        def _after(self, request: Any, response: Any) -> None:
            """A client that followed redirects with a transport that runs no `trace` hook: judge the hops taken,
            and drop the token if one left the resource (it is no longer the agent's alone)."""
            sent = request.headers.get("Authorization")
            for hop in [*getattr(response, "history", ())[1:], response] if getattr(response, "history", None) else ():
                if hop.request.headers.get("Authorization") == sent:
                    try:
                        self._check(hop.request.url)
                    except Exception:
                        self.broker.invalidate_token(self.tool, agent=self.agent)
                        raise

        def auth_flow(self, request: Any):
            from agentid.runtime.telemetry import end_http_use

            span = self._authorize(request, *self._token(request), asynchronous=False)
            response = yield request
            end_http_use(span, response)
            self._after(request, response)
            if response.status_code == 401:
                self.broker.invalidate_token(self.tool, agent=self.agent)
                span = self._authorize(request, *self._token(request), asynchronous=False)
                response = yield request
                end_http_use(span, response)
                self._after(request, response)

        async def async_auth_flow(self, request: Any):
            from agentid.runtime.telemetry import end_http_use

            await request.aread()
            # the token request blocks: keep it off the event loop
            span = self._authorize(request, *(await asyncio.to_thread(self._token, request)), asynchronous=True)
            response = yield request
            end_http_use(span, response)
            self._after(request, response)
            if response.status_code == 401:
                self.broker.invalidate_token(self.tool, agent=self.agent)
                span = self._authorize(request, *(await asyncio.to_thread(self._token, request)), asynchronous=True)
                response = yield request
                end_http_use(span, response)
                self._after(request, response)

    return BrokerAuth


def _check_every_hop(request: Any, check: Callable[[str], None], asynchronous: bool) -> None:
    """Run `check(url)` before the headers of EVERY request this one becomes, redirects included.

    httpx follows redirects inside one step of the auth flow and copies Authorization to a same-origin redirect
    (`/tickets/x` -> `/admin`), so the flow never sees that hop. The redirect request keeps this request's
    extensions, and httpcore calls the `trace` extension (httpcore docs, "Extensions: trace") with
    `http11.send_request_headers.started` / `http2.send_request_headers.started` before it writes a request's
    headers: raising there sends nothing. An existing trace callback is chained.
    """
    previous = request.extensions.get("trace")

    def judge(name: str, info: Mapping[str, Any]) -> None:
        if name.endswith("send_request_headers.started"):
            sent = info.get("request")
            if sent is not None and any(k.lower() == b"authorization" for k, _ in sent.headers):
                check(_httpcore_url(sent.url))

    if getattr(previous, "_agentid_hops", False):  # the same request again (the retry after a 401): checked already
        return
    if asynchronous:
        async def trace(name: str, info: Mapping[str, Any]) -> None:
            judge(name, info)
            if previous is not None:
                await previous(name, info)
    else:
        def trace(name: str, info: Mapping[str, Any]) -> None:  # type: ignore[misc]
            judge(name, info)
            if previous is not None:
                previous(name, info)
    trace._agentid_hops = True  # type: ignore[attr-defined]
    request.extensions = {**request.extensions, "trace": trace}


def _httpcore_url(url: Any) -> str:
    """The URL an httpcore request goes to (a forward proxy's request target is already absolute)."""
    target = url.target.decode("ascii", "replace")
    if target.startswith(("http://", "https://")):
        return target
    host = url.host.decode("ascii", "replace")
    host = f"[{host}]" if ":" in host else host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme.decode('ascii', 'replace')}://{host}{port}{target}"


def broker_auth(broker: Any, tool: str, **options: Any) -> Any:
    """An `httpx.Auth` for one bearer tool (OAuth, MCP, Azure, GCP, model provider): `httpx.Client(auth=broker_auth(
    broker, "tickets"))`. The token goes only to the tool's resources (`resource_binding.tool_resources`), checked
    on every request and every redirect hop; anything else raises BrokerError code "WrongResource"."""
    import httpx

    return _flow_class(httpx.Auth)(broker, tool, **_binding(broker, tool, options.get("agent")), **options)


def mcp_auth(broker: Any, tool: str, **options: Any) -> Any:
    """An `httpx2.Auth` for the official MCP SDK: `httpx2.AsyncClient(auth=mcp_auth(broker, "mcp-tool"))`."""
    import httpx2

    return _flow_class(httpx2.Auth)(broker, tool, **_binding(broker, tool, options.get("agent")), **options)


def _binding(broker: Any, tool: str, agent: str | None) -> dict[str, Any]:
    try:
        grants = broker._agent(agent)
    except Exception:  # noqa: BLE001 - credential() reports it, with its audit record, on first use
        return {"resources": None, "mcp_audience": None}
    oauth_tool = grants.oauth_tools.get(tool)
    return {"resources": tool_resources(grants, tool), "mcp_audience": oauth_tool.audience if oauth_tool is not None else None,
            "url_targets": tool not in grants.azure_tools and tool not in grants.gcp_tools}


# --- server side: the MCP SDK's TokenVerifier ------------------------------------------


class JWTTokenVerifier:
    """Verifies RFC 9068 JWT access tokens for one MCP server (the SDK's `TokenVerifier` protocol).

    `jwks`: a joserfc KeySet, or None to fetch the issuer's JWKS (by RFC 8414
    discovery) on first use and again when a token does not verify, at most
    once every `jwks_refresh_seconds` (unauthenticated callers must not turn
    forged tokens into requests to the issuer). The header's `typ` must be
    `at+jwt` (RFC 9068 §4: so an ID token of the same issuer is not an access
    token); `require_at_jwt=False` for issuers that do not set it (Entra ID's
    access tokens say `JWT`). `aud` must be exactly this server.
    Returns None for any token that fails a check (the SDK answers 401 with
    the resource_metadata challenge); never raises on token content.
    """

    def __init__(self, issuer: str, audience: str, *, jwks: Any = None, client: OAuthClient | None = None,
                 clock: Callable[[], float] = time.time, leeway_seconds: int = 0, require_at_jwt: bool = True,
                 jwks_refresh_seconds: float = 60.0):
        self.issuer, self.audience = issuer, audience
        self._jwks = jwks
        self._client = client or OAuthClient()
        self.clock = clock
        self.leeway = leeway_seconds
        self.require_at_jwt = require_at_jwt
        self.jwks_refresh_seconds = jwks_refresh_seconds
        self._refreshed_at: float | None = None
        self.rejections: list[str] = []  # why tokens were refused (for the server's own logs and tests); never the token

    def _keys(self, refresh: bool = False) -> Any:
        if self._jwks is None or refresh:
            metadata = self._client.metadata(self.issuer)
            self._jwks = self._client.signing_keys(metadata, refresh=refresh)
            self._refreshed_at = self.clock()
        return self._jwks

    def _may_refresh(self) -> bool:
        return self._refreshed_at is None or self.clock() - self._refreshed_at >= self.jwks_refresh_seconds

    def check(self, token: str) -> dict[str, Any] | None:
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            try:
                decoded = jwt.decode(token, self._keys(), algorithms=list(SIGNING_ALGORITHMS))
            except JoseError:
                if not self._may_refresh():
                    raise
                decoded = jwt.decode(token, self._keys(refresh=True), algorithms=list(SIGNING_ALGORITHMS))
        except (JoseError, ValueError, KeyError, TypeError, OAuthError) as error:
            self.rejections.append(f"signature: {type(error).__name__}")
            return None
        claims = dict(decoded.claims)
        now = self.clock()
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else [a for a in audience or [] if isinstance(a, str)]
        typ = str(decoded.header.get("typ") or "").lower()
        reason = None
        if self.require_at_jwt and typ not in ("at+jwt", "application/at+jwt"):
            reason = "typ"
        elif claims.get("iss") != self.issuer:
            reason = "issuer"
        elif len({a.rstrip("/") for a in audiences}) != 1 or self.audience.rstrip("/") not in {a.rstrip("/") for a in audiences}:
            reason = "audience"
        elif not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + self.leeway <= now:
            reason = "expired"
        elif isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] - self.leeway > now:
            reason = "not yet valid"
        if reason:
            self.rejections.append(reason)
            return None
        return claims

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        from agentid.runtime.oauth import token_scopes

        claims = await asyncio.to_thread(self.check, token)
        if claims is None:
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims.get("sub") or ""),
            scopes=token_scopes(claims, {}),
            expires_at=int(claims["exp"]),
            resource=self.audience,
            subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
            claims={k: v for k, v in claims.items() if k in ("iss", "aud", "jti", "iat")},
        )


def require_tool_scopes(tool_scopes: Mapping[str, list[str]], name: str) -> None:
    """Inside an MCP tool: raise the SDK's ToolError unless the caller's token has every scope `name` needs.

    Call as the tool's first line (the client sees the message as an is_error
    result); a tool missing from `tool_scopes` is refused (fail closed: a new
    tool needs its scopes declared before anyone can call it).
    """
    from mcp.server.auth.middleware.auth_context import get_access_token
    from mcp.server.mcpserver.exceptions import ToolError

    needed = tool_scopes.get(name)
    if needed is None:
        raise ToolError(f"tool '{name}' declares no scopes: refused")
    token = get_access_token()
    missing = sorted(set(needed) - set(token.scopes if token else []))
    if missing:
        raise ToolError(f"tool '{name}' needs scope(s) {', '.join(missing)} (insufficient_scope)")
