"""The Google Cloud hop: a per-tool access token of the agent's service account, downscoped for Cloud Storage.

The agent's workload holds Application Default Credentials: in the kit's setup an `external_account` credential
configuration (Workload Identity Federation: the workload's GitHub / Kubernetes / SPIFFE token exchanged at
Google's STS). From it, per tool:

1. `impersonated_credentials.Credentials`: an access token of the agent's service account (the account the
   components create, `agent-NAME@PROJECT.iam.gserviceaccount.com`) for `lifetime` seconds: the agent's
   max_credential_minutes (Google accepts up to 3,600 s without the lifetime-extension organization policy).
2. For a tool whose resource is a Cloud Storage bucket, a Credential Access Boundary narrows that token to the one
   bucket and the predefined Storage roles covering the tool's grant (`downscoped.Credentials`: the GCP
   counterpart of an AWS session policy; https://cloud.google.com/iam/docs/downscoping-short-lived-credentials).
   A boundary can only name predefined roles (`inRole:roles/storage.objectViewer`), so a tool declared with
   exact permissions is bounded by the smallest set of catalogued, non-escalating Storage roles that covers
   them. Other resources are bounded by the IAM binding at the resource alone (IAM grants the account each
   tool's roles; Credential Access Boundaries exist only for Cloud Storage).

In the broker (`CredentialBroker.credential(tool)`, kind "gcp") the token goes through the same Cedar decision,
cache, refresh ahead of expiry, lifetime cap (max_credential_minutes, at most 3,600 s), audit record and spans as
every other hop (gcp_fetch); one impersonation per agent is kept, so the workload's token is exchanged at STS once
per federated token's life, not once per tool.

google-auth does the protocol (the IAM Credentials API and the STS token exchange); `request` is a
`google.auth.transport.Request`, injectable so tests answer without a network.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any, Callable

from agentid_components import gcp_catalog, naming

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
MAX_LIFETIME_SECONDS = 3600
STORAGE_ROLES = ("roles/storage.objectViewer", "roles/storage.objectCreator", "roles/storage.objectUser")


class GcpHopError(RuntimeError):
    """The tool cannot get a Google Cloud token (no grant, no boundary covering it, a refused exchange)."""


@dataclass(frozen=True)
class GcpTool:
    tool: str
    resource: str  # full resource name (the Cedar target)
    boundary_roles: tuple[str, ...]  # predefined Storage roles of the Credential Access Boundary; () for no boundary

    @classmethod
    def from_spec(cls, tool: Any) -> "GcpTool":
        return cls.from_grant(tool.name, tool.gcp.resource, tool.gcp.roles, tool.gcp.permissions)

    @classmethod
    def from_grant(cls, tool: str, resource: str, roles: list[str] | tuple[str, ...],
                   permissions: list[str] | tuple[str, ...]) -> "GcpTool":
        """A tool's grant (the spec's `gcp`, or the inventory's `gcp.tools[TOOL]`, whose roles may include the
        tool's custom role `projects/P/roles/R`: only predefined Storage roles go into a boundary)."""
        parsed = gcp_catalog.parse_resource(resource)
        if parsed is None:
            raise GcpHopError(f"tool '{tool}': '{resource}' is not a full resource name the kit grants at")
        if parsed.kind != "bucket":
            return cls(tool, resource, ())
        return cls(tool, resource, boundary_roles([r for r in roles if r.startswith("roles/")], permissions))


def boundary_roles(roles: list[str] | tuple[str, ...], permissions: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The predefined Storage roles a Credential Access Boundary names for a bucket tool: its roles as declared,
    plus the fewest of STORAGE_ROLES whose permissions cover its exact permissions; raise GcpHopError if none do."""
    chosen = tuple(roles)
    if not permissions:
        return chosen
    for size in range(1, len(STORAGE_ROLES) + 1):
        for combination in itertools.combinations(STORAGE_ROLES, size):
            infos = [gcp_catalog.role_info(role) for role in combination]
            if all(any(info.grants(p) for info in infos) for p in permissions):
                return tuple(dict.fromkeys(chosen + combination))
    raise GcpHopError(f"no predefined Cloud Storage role covers {', '.join(permissions)}: a Credential Access "
                      "Boundary can only name predefined roles")


def service_account_email(agent: str, project: str, name_suffix: str = "") -> str:
    """The agent's service account as the kit names it in a stack whose name suffix is `name_suffix`
    (the inventory's `gcp.service_account` holds the same address)."""
    return f"{naming.gcp_service_account_id(agent, name_suffix)}@{project}.iam.gserviceaccount.com"


class GcpHop:
    """Per-tool Google access tokens for one agent. `source`: the workload's google.auth credentials
    (default: `google.auth.default()`, the external-account configuration)."""

    def __init__(self, agent: str, project: str, tools: dict[str, GcpTool], lifetime_seconds: int,
                 source: Any = None, request: Any = None, name_suffix: str = ""):
        if not 1 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
            raise GcpHopError(f"lifetime {lifetime_seconds} s is outside 1..{MAX_LIFETIME_SECONDS} s")
        self.agent, self.tools, self.lifetime_seconds = agent, tools, lifetime_seconds
        self.email = service_account_email(agent, project, name_suffix)
        self._source, self._request = source, request

    def credentials(self, tool: str) -> Any:
        """google.auth credentials for `tool` (not yet refreshed): impersonated, then downscoped for a bucket."""
        if tool not in self.tools:
            raise GcpHopError(f"agent '{self.agent}' has no gcp tool '{tool}' (it has: {', '.join(sorted(self.tools))})")
        return tool_credentials(self._source or default_source(), self.email, self.tools[tool], self.lifetime_seconds)

    def token(self, tool: str) -> tuple[str, Any]:
        """(access token, expiry) for `tool`; raise GcpHopError when Google refuses."""
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        credentials = self.credentials(tool)
        try:
            credentials.refresh(self._request or Request())
        except exceptions.GoogleAuthError as error:
            raise GcpHopError(f"agent '{self.agent}', tool '{tool}': Google refused the token: {str(error)[:200]}") from None
        return credentials.token, credentials.expiry


def default_source() -> Any:
    """The workload's Application Default Credentials (the external-account configuration), cloud-platform scope."""
    import google.auth

    source, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    return source


GOOGLE_UNIVERSE = "googleapis.com"  # google-auth's default universe domain: sts., iamcredentials. are built on it
# Where google-auth credentials send what they hold (google-auth 2.x attribute names): an external account's
# token_url gets the workload's OIDC token (RFC 8693 token exchange) and its service_account_impersonation_url the
# federated token; an authorized user's token_uri gets its refresh token and client secret, a service account
# key's token_uri its signed assertion.
_SOURCE_ENDPOINTS = (("_token_url", "token_url"), ("_token_uri", "token_uri"),
                     ("_service_account_impersonation_url", "service_account_impersonation_url"))


def source_endpoint_problem(source: Any) -> str | None:
    """Why the workload's Google credentials would send a credential somewhere other than Google, or None.

    Every endpoint they name must be https on googleapis.com or a subdomain (regional and Private Service Connect
    STS endpoints are), or a loopback test double; the universe domain (the base of the impersonation and
    downscoping endpoints) must be googleapis.com. The configuration file is the workload's, but google-auth 2.x no
    longer checks these URLs, and a broker holding the workload's token checks before it sends it.
    """
    from agentid.runtime.oauth import is_loopback_host, issuer_problem, origin, shown_url

    # the attribute, not the property: Compute Engine credentials fetch the property from the metadata server
    universe = getattr(source, "_universe_domain", None) or getattr(source, "universe_domain", GOOGLE_UNIVERSE)
    if isinstance(universe, str) and universe != GOOGLE_UNIVERSE:
        return (f"its universe domain is {universe!r}: the broker sends Google credentials only to {GOOGLE_UNIVERSE} "
                "(its STS and IAM Credentials endpoints are built on the universe domain)")
    for attribute, name in _SOURCE_ENDPOINTS:
        url = getattr(source, attribute, None)
        if not isinstance(url, str) or not url:
            continue
        found = origin(url)
        host = found[1] if found else ""
        google = host == GOOGLE_UNIVERSE or host.endswith("." + GOOGLE_UNIVERSE)
        if issuer_problem(url) is not None or not (google or is_loopback_host(host)):
            return (f"its {name} is {shown_url(url)}: not https on {GOOGLE_UNIVERSE} (or a loopback test double), so "
                    "the credential it would send there is not sent")
    return None


def checked_source(source: Any) -> Any:
    """`source` when `source_endpoint_problem` finds nothing; OAuthError (code "foreign_endpoint") otherwise."""
    from agentid.runtime.oauth import OAuthError

    problem = source_endpoint_problem(source)
    if problem is not None:
        raise OAuthError(f"the workload's Google credentials ({type(source).__name__}): {problem}", "foreign_endpoint")
    return source


def tool_credentials(source: Any, email: str, tool: GcpTool, lifetime_seconds: int) -> Any:
    """The service account's token for `lifetime_seconds` (impersonated from `source`), downscoped to the tool's
    bucket and boundary roles when it has some."""
    return _chain(impersonation(source, email, lifetime_seconds), tool)[-1]


def impersonation(source: Any, email: str, lifetime_seconds: int) -> Any:
    """google-auth's impersonated credentials of `email` from `source`. Keep one per (account, lifetime) and refresh
    it for each token: it works on its own scoped copy of the source, which keeps its federated token between
    refreshes (a new one per token would exchange the workload's token at STS every time)."""
    from google.auth import impersonated_credentials

    return impersonated_credentials.Credentials(
        source_credentials=source, target_principal=email, target_scopes=[CLOUD_PLATFORM], lifetime=lifetime_seconds)


def _chain(impersonated: Any, tool: GcpTool) -> list[Any]:
    """[impersonated] or [impersonated, downscoped from it to the tool's bucket]."""
    from google.auth import downscoped

    chain = [impersonated]
    if tool.boundary_roles:
        rule = downscoped.AccessBoundaryRule(
            available_resource=tool.resource, available_permissions=[f"inRole:{role}" for role in tool.boundary_roles])
        chain.append(downscoped.Credentials(
            source_credentials=impersonated, credential_access_boundary=downscoped.CredentialAccessBoundary(rules=[rule])))
    return chain


def gcp_fetch(impersonated: Callable[[], tuple[Any, threading.Lock]], request: Any, tool: GcpTool, email: str,
              lifetime_seconds: int, wall_clock: Callable[[], float], hop: Any) -> Callable[[dict[str, Any]], Any]:
    """The broker's fetch for one GCP tool (agentid.runtime.bearer): an IssuedToken, or OAuthError naming the step.

    `impersonated()` returns the agent's shared `impersonation(...)` credentials and the lock that serializes their
    refreshes (one token at a time per account: google-auth credentials are not thread-safe); `request` is the
    google.auth transport. Transient failures (unreachable, a 5xx or 429 from Google) are retried with the broker's
    RetryPolicy; a refusal is not. The token is opaque (no audience to check): its audience is the tool's resource
    as asked, its expiry Google's, and a downscoped token never counts as living longer than the service-account
    token it was cut from.
    """
    import datetime as dt

    from agentid.runtime.oauth import IssuedToken, OAuthError

    def fetch(record: dict[str, Any]) -> IssuedToken:
        record.update(service_account=email, resource=tool.resource, requested_lifetime_seconds=lifetime_seconds,
                      access_boundary=",".join(f"inRole:{r}" for r in tool.boundary_roles) or None)

        def call() -> IssuedToken:
            from google.auth import exceptions
            from google.auth.transport.requests import Request

            try:
                credentials, lock = impersonated()
                chain = _chain(credentials, tool)
                with lock:
                    chain[-1].refresh(request or Request())  # a downscoped token refreshes the impersonation first
                    token, expiries = chain[-1].token, [c.expiry for c in chain]
            except exceptions.DefaultCredentialsError as error:
                raise OAuthError(f"no Google credentials for the workload: {str(error).splitlines()[0][:200]}", "gcp_identity") from None
            except exceptions.TransportError as error:
                raise OAuthError(f"Google's token endpoints are unreachable: {str(error)[:200]}", "unreachable") from None
            except exceptions.GoogleAuthError as error:
                code = "server_error" if _transient(error) else "gcp_refused"
                raise OAuthError(f"Google refused the token for {email}: {str(error)[:200]}", code) from None
            from agentid.runtime import redaction

            if not token or any(e is None for e in expiries):
                raise OAuthError("Google answered without a token or its expiry", "gcp_refused")
            redaction.remember(token)
            expiry = min(expiries).replace(tzinfo=dt.timezone.utc)  # google-auth keeps naive UTC datetimes
            lifetime = expiry.timestamp() - wall_clock()
            if lifetime <= 0:
                raise OAuthError("Google's token is already expired", "expired_token")
            return IssuedToken(access_token=token, token_type="Bearer", audience=(tool.resource,),
                               scopes=tuple(f"inRole:{r}" for r in tool.boundary_roles) or (CLOUD_PLATFORM,),
                               server_lifetime_seconds=lifetime, issuer="https://sts.googleapis.com" if tool.boundary_roles
                               else "https://iamcredentials.googleapis.com", claims={})

        return hop.retrying(record, call)

    return fetch


def _transient(error: Exception) -> bool:
    """A failure worth retrying: google-auth says so, or the answer is Google's JSON error (AIP-193) with a 5xx or
    429 code (google-auth's IAM Credentials call raises RefreshError(message, body) without classifying it)."""
    import json

    if getattr(error, "retryable", False):
        return True
    for arg in getattr(error, "args", ()):
        try:
            body = json.loads(arg) if isinstance(arg, (str, bytes)) else None
        except ValueError:
            continue
        code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
        if isinstance(code, int) and (code >= 500 or code == 429):
            return True
    return False
