"""Bearer tokens per (agent, tool): the OAuth 2.1, MCP and Entra hops of the broker, cached and refreshed ahead of expiry.

A token is handed out only while more than its refresh margin is left
(`min(margin_seconds, a quarter of its life)`), counted on a monotonic clock,
and never for longer than the agent's `max_credential_minutes`: when the server
issues a longer-lived token the broker stops handing it out at the cap and
says so in the record (`lifetime_note`) — the token itself stays valid at the
server until its own `exp`, which the broker cannot shorten.

Transient server failures (5xx, unreachable) are retried with the broker's
RetryPolicy; a refusal or a token that fails a check is not: it is a
`BrokerError` naming the hop, with an audit record, and no token.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from agentid.runtime.oauth import IssuedToken, OAuthClient, OAuthError, OAuthTool, PrivateKeyJWT, WorkloadTokenAssertion

DEFAULT_TOKEN_MARGIN_SECONDS = 60
TRANSIENT_OAUTH_CODES = frozenset({"server_error", "temporarily_unavailable", "unreachable", "metadata_status"})


@dataclass(frozen=True)
class BearerToken:
    """A checked access token for one tool. `kind` is "oauth", "mcp", "azure", "llm" or "gcp".

    Use `headers()` for an HTTP call, `httpx_auth()` for an httpx client, or
    pass it where azure-core wants a `TokenCredential` (`get_token`). The
    token's value is never in repr, logs or spans.

    `resources`: the URLs the token may be sent to (resource_binding.tool_resources; set by the broker). A
    TokenCredential never sees the request's URL, so `get_token` binds only the scope (another resource's scope
    is refused); bind the host by adding `azure_policy()` to the client's pipeline. `google_credentials()` sees
    each request's URL (google-auth's before_request) and refuses one outside `resources`.
    """

    kind: str
    agent: str
    tool: str
    access_token: str = field(repr=False)
    audience: tuple[str, ...]
    scopes: tuple[str, ...]
    issuer: str
    expiration: float  # on the broker's clock (monotonic by default)
    expires_on: int  # epoch seconds at which the broker stops handing it out (azure-core's AccessToken.expires_on)
    lifetime_seconds: float
    trace_id: str
    token_id: str | None = None  # the JWT's jti: joins the record with the server's logs
    resources: tuple[str, ...] = ()  # where it may be sent (resource_binding); () = nowhere known: refused

    def seconds_left(self, now: float) -> float:
        return self.expiration - now

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def get_token(self, *scopes: str, **_options: Any) -> Any:
        """azure-core's TokenCredential protocol: an AccessToken(token, expires_on) for this tool's resource.

        Raises azure.core.exceptions.ClientAuthenticationError when a scope asked for is not this token's (a Key
        Vault client given a storage tool's token): a token is for one resource (RFC 8707; Entra `RESOURCE/.default`)."""
        from azure.core.credentials import AccessToken

        self._check_scopes(scopes)
        return AccessToken(self.access_token, self.expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        """azure-core's SupportsTokenInfo protocol (azure-core >= 1.31); scopes checked as `get_token` does."""
        from azure.core.credentials import AccessTokenInfo

        self._check_scopes(scopes)
        return AccessTokenInfo(self.access_token, self.expires_on)

    def _check_scopes(self, scopes: tuple[str, ...]) -> None:
        allowed = {*self.scopes, *self.audience, *(f"{audience.rstrip('/')}/.default" for audience in self.audience)}
        foreign = [scope for scope in scopes if scope not in allowed]
        if foreign:
            from azure.core.exceptions import ClientAuthenticationError

            raise ClientAuthenticationError(
                f"agent '{self.agent}', tool '{self.tool}': this token is for {', '.join(self.audience) or 'no resource'}"
                f", not for scope {foreign[0][:200]!r}: ask the broker for the tool that holds that resource")

    def allows(self, url: str) -> bool:
        """May this token be sent with a request to `url`? (resource_binding.within any of `resources`)."""
        from agentid.runtime.resource_binding import within

        return any(within(resource, url) for resource in self.resources)

    def azure_policy(self) -> Any:
        """An azure-core pipeline policy refusing (ClientAuthenticationError, before anything is sent) a request
        outside the tool's resources: `BlobServiceClient(URL, credential=token, per_retry_policies=[token.
        azure_policy()])`, or in a Pipeline's policies. Judged on every try, so a redirect hop is judged too."""
        from azure.core.exceptions import ClientAuthenticationError
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        token = self

        class _BoundToToolResources(SansIOHTTPPolicy):
            def on_request(self, request: Any) -> None:
                url = request.http_request.url
                if not token.allows(url):
                    raise ClientAuthenticationError(
                        f"agent '{token.agent}', tool '{token.tool}': {_shown_url(url)} is not the tool's resource "
                        f"({', '.join(token.resources) or 'none known'}): the token is not sent")

        return _BoundToToolResources()

    def google_credentials(self) -> Any:
        """For a "gcp" token: google.oauth2 Credentials holding it (pass as `credentials=` to a Google Cloud client);
        they cannot refresh themselves: ask the broker again for a new one. A request outside the tool's
        resources (another API endpoint, a look-alike host) raises google.auth.exceptions.RefreshError before the
        token is attached (google-auth calls before_request with each request's URL)."""
        import datetime as dt

        from google.auth import exceptions
        from google.oauth2.credentials import Credentials

        token = self

        class _BoundCredentials(Credentials):
            def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
                if not token.allows(url):
                    raise exceptions.RefreshError(
                        f"agent '{token.agent}', tool '{token.tool}': {_shown_url(url)} is not the tool's resource "
                        f"({', '.join(token.resources) or 'none known'}): the token is not sent")
                super().before_request(request, method, url, headers)

        expiry = dt.datetime.fromtimestamp(self.expires_on, dt.timezone.utc).replace(tzinfo=None)  # google-auth: naive UTC
        return _BoundCredentials(token=self.access_token, expiry=expiry)


def _shown_url(url: Any) -> str:
    """A request URL for an error: scheme, host and path only (a query may carry a SAS or other secret)."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(str(url))
        return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"[:300]
    except ValueError:
        return "an unparsable URL"


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: BearerToken | None = None


class BearerHop:
    """Issues, caches and refreshes bearer tokens; the broker owns one and calls `token()`."""

    def __init__(
        self,
        signer: PrivateKeyJWT | WorkloadTokenAssertion | None,
        *,
        client: OAuthClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        margin_seconds: float = DEFAULT_TOKEN_MARGIN_SECONDS,
        retry: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        uniform: Callable[[float, float], float] | None = None,
        resource_discovery: Callable[[OAuthTool], tuple[str, str]] | None = None,
        secret_store: Any = None,
    ):
        from agentid.runtime.retry import RetryPolicy

        self.signer = signer
        self.client = client or OAuthClient(clock=wall_clock)
        self.clock, self.wall_clock = clock, wall_clock
        self.margin_seconds = margin_seconds
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        import random

        self.uniform = uniform or random.uniform
        self.resource_discovery = resource_discovery
        self.secret_store = secret_store  # oauth.StoredClientSecret for Cognito tools
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._guard = threading.Lock()

    def _entry(self, key: tuple[str, str]) -> _Entry:
        with self._guard:
            return self._entries.setdefault(key, _Entry())

    def cached(self, agent: str, tool: str) -> BearerToken | None:
        entry = self._entries.get((agent, tool))
        token = entry.token if entry is not None else None
        if token is not None and token.seconds_left(self.clock()) > self._margin(token):
            return token
        return None

    def invalidate(self, agent: str, tool: str) -> None:
        """Forget a token (e.g. after the server answered 401 for it); the next call gets a new one."""
        entry = self._entries.get((agent, tool))
        if entry is not None:
            entry.token = None

    def _margin(self, token: BearerToken) -> float:
        return min(self.margin_seconds, token.lifetime_seconds / 4)

    def token(
        self, agent: str, tool: str, cap_seconds: int, trace_id: str, record: dict[str, Any], kind: str,
        fetch: Callable[[dict[str, Any]], "IssuedToken"], resources: tuple[str, ...] = (),
    ) -> BearerToken:
        """A cached token with more than its margin left, or a new one from `fetch` (one fetch per key at a time)."""
        cached = self.cached(agent, tool)
        if cached is not None:
            record["cache"] = "hit"
            return cached
        entry = self._entry((agent, tool))
        with entry.lock:
            cached = self.cached(agent, tool)
            if cached is not None:
                record["cache"] = "hit"
                return cached
            record["cache"] = "miss"
            entry.token = replace(self._bearer(agent, tool, cap_seconds, trace_id, record, kind, fetch(record)),
                                  resources=resources)
            return entry.token

    def oauth_fetch(self, agent: str, tool: OAuthTool) -> Callable[[dict[str, Any]], "IssuedToken"]:
        """The client-credentials grant for `tool`, with discovery and bounded retries of transient failures."""

        def fetch(record: dict[str, Any]) -> IssuedToken:
            signer = self.secret_store if tool.provider == "cognito" else self.signer
            if tool.provider == "cognito" and (tool.issuer is None or tool.client_secret_ref is None):
                raise OAuthError(
                    "a cognito tool needs the user pool's issuer, the agent's client id and the Secrets Manager id of its "
                    "client secret (OAuthTool issuer=, client_id=, client_secret_ref=)",
                    "secret_store",
                )
            if tool.provider == "cognito" and signer is None:
                raise OAuthError("a cognito tool needs the broker's secret store (Cognito offers client secrets only)", "secret_store")
            if signer is None:
                raise OAuthError(
                    "no client assertion available: give the broker a PrivateKeyJWT key or a workload token file "
                    "(AGENTID_OAUTH_TOKEN_FILE); it never uses a stored client secret for oidc tools",
                    "no_signer",
                )
            issuer = tool.issuer
            if issuer is None:  # never one a resource server names: it could name its own and receive the assertion
                raise OAuthError(
                    f"tool '{tool.tool}' names no issuer: the broker sends the agent's client credential only to the issuer "
                    "the tool's configuration names (oauth.issuer; Cognito and Entra tools take theirs from the stack "
                    "outputs: AgentGrants.from_stack_outputs; an Entra tool from its tenant: AgentGrants.from_spec("
                    "azure_tenant=, azure_client_id=), agentid credential --azure-tenant --azure-client-id)", "no_issuer")
            if tool.mcp:  # the MCP server must list the configured issuer (RFC 9728 protected resource metadata)
                if self.resource_discovery is None:
                    raise OAuthError(f"tool '{tool.tool}' is an MCP tool and the broker has no resource discovery", "no_issuer")
                issuer = self.resource_discovery(tool, issuer)
                record["discovered_via"] = "protected-resource-metadata"
            record.update(issuer=issuer, audience=tool.audience, scopes=" ".join(tool.scopes), client_auth=signer.method)
            return self.retrying(record, lambda: self.client.client_credentials(
                tool, issuer, tool.client_id or agent, signer, resource_param=tool.provider not in ("entra", "cognito")))

        return fetch

    def retrying(self, record: dict[str, Any], call: Callable[[], "IssuedToken"]) -> "IssuedToken":
        for attempt in range(1, self.retry.max_attempts + 1):
            record["attempts"] = attempt
            try:
                return call()
            except OAuthError as error:
                if error.code in TRANSIENT_OAUTH_CODES and attempt < self.retry.max_attempts:
                    self.sleep(self.retry.delay(attempt, self.uniform))
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _bearer(self, agent: str, tool: str, cap_seconds: int, trace_id: str, record: dict[str, Any], kind: str,
                issued: "IssuedToken") -> BearerToken:
        now, wall = self.clock(), self.wall_clock()
        lifetime = min(issued.server_lifetime_seconds, float(cap_seconds))
        if issued.server_lifetime_seconds > cap_seconds + 1:
            record["lifetime_note"] = (
                f"the server's token lives {issued.server_lifetime_seconds:.0f} s, above max_credential_minutes "
                f"({cap_seconds} s): the broker hands it out for {cap_seconds} s only"
            )
        jti = issued.claims.get("jti") if isinstance(issued.claims.get("jti"), str) else None
        record.update(
            lifetime_seconds=round(lifetime, 3),
            server_lifetime_seconds=round(issued.server_lifetime_seconds, 3),
            token_id=jti,
            granted_scopes=" ".join(issued.scopes),
            token_audience=" ".join(issued.audience),
        )
        return BearerToken(
            kind=kind,
            agent=agent,
            tool=tool,
            access_token=issued.access_token,
            audience=issued.audience,
            scopes=issued.scopes,
            issuer=issued.issuer,
            expiration=now + lifetime,
            expires_on=int(wall + lifetime),
            lifetime_seconds=lifetime,
            trace_id=trace_id,
            token_id=jti,
        )
