"""The per-tool credential broker: for each tool call, credentials narrowed to that tool, for minutes.

    broker = CredentialBroker(AgentGrants.from_stack_outputs(outputs, "report-builder"))
    s3 = broker.session("read-sales-exports").client("s3")

`credential(tool, target=, context=)` is the one entry point for every hop: it
evaluates the per-call Cedar decision (authorization.py), then returns this
module's STS credentials for an AWS tool or a BearerToken (bearer.py: OAuth 2.1,
MCP, Entra) for the others. The rest of this docstring is the AWS hop.

For each (agent, tool) the broker calls STS once: `AssumeRole` (from ambient
credentials, e.g. a Roles Anywhere session) or `AssumeRoleWithWebIdentity`
(from a token file, e.g. an EKS or GitHub OIDC token) on the agent's role,
with the tool's session policy, so the session can do only what that tool
declares, whatever else the role allows. Credentials are cached and reused
until fewer than `refresh_margin_seconds` of their life remain; a caller never
receives credentials closer to expiry than that. In the `refresh_ahead_seconds`
before the margin, one caller renews them while the others keep the old ones. Throttling and 5xx answers
are retried with full-jitter backoff, a bounded number of times. Each
issuance (success or failure) writes one audit record.

Thread-safe: one lock per (agent, tool), so 50 threads asking for the same
tool at once cause one STS call and 49 cache hits; different tools never wait
on each other. No Pulumi import: this runs inside agent code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from agentid.runtime import redaction
from agentid.runtime.audit_log import AuditLog, current_trace_id
from agentid.runtime.grants import STS_MIN_SESSION_SECONDS, AgentGrants
from agentid.runtime.retry import RetryPolicy, error_code, is_retryable
from agentid.runtime.resource_binding import tool_resources

if TYPE_CHECKING:
    from agentid.runtime.bearer import BearerHop, BearerToken

DEFAULT_REFRESH_MARGIN_SECONDS = 300
DEFAULT_REFRESH_AHEAD_SECONDS = 60
SESSION_TAG_AGENT = "agent"  # same key as the role's inventory tag (agentid_components.naming.TAG_AGENT)
SESSION_TAG_TOOL = "tool"
SESSION_TAG_TRACE = "trace-id"
# Characters valid in both a RoleSessionName ([\w+=,.@-]) and a session tag value.
_TRACE_ID = re.compile(r"^[A-Za-z0-9_+=.@-]{1,128}$")
_SESSION_NAME_MAX = 64
_SESSION_TOOL_MAX = 31


class BrokerError(Exception):
    """Credentials for a tool could not be issued; the message names the agent, the tool and the reason."""

    def __init__(self, message: str, agent: str | None = None, tool: str | None = None, code: str | None = None):
        super().__init__(message)
        self.agent, self.tool, self.code = agent, tool, code


# --- base identities ------------------------------------------------------------------


@dataclass(frozen=True)
class WebIdentityToken:
    """An OIDC token in a file (EKS IRSA, a GitHub Actions token written to disk).

    The file is read again for every issuance: the platform rotates it.
    AssumeRoleWithWebIdentity accepts no `Tags` and no `SourceIdentity`
    parameter (AWS takes both only from the token's claims), so with this base
    identity the tool and trace id travel in the role session name (the role
    name carries the agent) and in the audit record instead.
    """

    token_file: Path
    method = "AssumeRoleWithWebIdentity"

    def read(self) -> str:
        from agentid_components import input_limits

        try:  # regular file, bounded: a FIFO or /dev/zero in its place must not hang the broker or fill its memory
            token = input_limits.read_text(self.token_file, input_limits.TOKEN_FILE_BYTES, "web identity token file").strip()
        except input_limits.InputRefused as refused:
            raise BrokerError(str(refused)) from None
        if not token:
            raise BrokerError(f"the web identity token file {self.token_file} is empty")
        redaction.remember(token)
        return token


@dataclass(frozen=True)
class AmbientCredentials:
    """Whatever credentials boto3 finds (a Roles Anywhere credential process, an instance profile, env vars)."""

    session: Any = None  # a boto3.Session; None means boto3's default chain
    method = "AssumeRole"


def base_identity_from_environment() -> WebIdentityToken | AmbientCredentials:
    """AWS_WEB_IDENTITY_TOKEN_FILE set (EKS IRSA, our GitHub recipe) -> web identity; otherwise ambient credentials."""
    token_file = os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
    return WebIdentityToken(Path(token_file)) if token_file else AmbientCredentials()


# --- what the broker hands out -------------------------------------------------------


@dataclass(frozen=True)
class ToolCredentials:
    """Short-lived credentials of one tool; `session` is a boto3 Session built from them (create clients from it)."""

    kind = "aws"  # what credential() returned (BearerToken has "oauth", "mcp" or "azure")

    agent: str
    tool: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: float  # when the credentials expire, on the broker's clock (time.monotonic() by default, not epoch)
    trace_id: str  # the trace that caused this issuance (cache hits from other traces share it)
    assumed_role_arn: str
    region: str
    _session: list = field(default_factory=list, repr=False, compare=False)  # the boto3 Session, built on first use
    _tracer: Any = field(default=None, repr=False, compare=False)  # spans for each use (agentid.runtime.telemetry)
    expiration_utc: str | None = None  # STS's Expiration, ISO 8601 UTC (for display and credential_process output)
    _session_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def seconds_left(self, now: float) -> float:
        return self.expiration - now

    @property
    def session(self) -> Any:
        """One boto3 Session per issuance, built on first use (building one costs ~20 ms) and shared by every caller."""
        with self._session_lock:
            if not self._session:
                session = new_boto3_session(
                    aws_access_key_id=self.access_key_id,
                    aws_secret_access_key=self.secret_access_key,
                    aws_session_token=self.session_token,
                    region_name=self.region,
                )
                from agentid.runtime.telemetry import instrument_boto3_session

                instrument_boto3_session(session, self, self._tracer)
                self._session.append(session)
            return self._session[0]


@dataclass
class BrokerStats:
    sts_calls: int = 0  # STS requests sent, retries included
    issued: int = 0  # credentials issued (one per successful issuance)
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    refusals: int = 0  # requests refused before any issuance (each with an audit record)


class CredentialBroker:
    """Per-tool, short-lived credentials for one or more agents; see the module docstring."""

    def __init__(
        self,
        agents: AgentGrants | Iterable[AgentGrants],
        base: WebIdentityToken | AmbientCredentials | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        refresh_margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        refresh_ahead_seconds: float = DEFAULT_REFRESH_AHEAD_SECONDS,
        retry: RetryPolicy = RetryPolicy(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        uniform: Callable[[float, float], float] = random.uniform,
        audit: AuditLog | None = None,
        max_pool_connections: int = 64,
        oauth_signer: Any = None,
        oauth_client: Any = None,
        authorizer: Any = None,
        token_margin_seconds: float = 60.0,
        azure_credential: Any = None,
        secret_store: Any = None,
        gcp_credentials: Any = None,
        gcp_request: Any = None,
        revocation: Any = "auto",
        iam_endpoint_url: str | None = None,
        revocation_list: Any = "auto",
    ):
        grants = [agents] if isinstance(agents, AgentGrants) else list(agents)
        self._grants = {g.agent: g for g in grants}
        if not self._grants:
            raise BrokerError("the broker needs at least one agent's grants")
        shortest = min(g.duration_seconds for g in grants if g.session_policies) if any(g.session_policies for g in grants) else float("inf")
        if not 0 <= refresh_margin_seconds < shortest:
            raise BrokerError(
                f"refresh margin {refresh_margin_seconds} s must be at least 0 and shorter than the shortest session "
                f"({shortest} s), or no credential could ever be handed out"
            )
        self.base = base or base_identity_from_environment()
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.endpoint_url = endpoint_url  # None: boto3 honours AWS_ENDPOINT_URL(_STS) itself
        self.refresh_margin_seconds = refresh_margin_seconds
        self.refresh_ahead_seconds = max(0.0, refresh_ahead_seconds)
        self.retry = retry
        # Expiry is counted down on `clock` (monotonic: a host clock set back cannot revive expired
        # credentials); `wall_clock` is read only when STS's answer lacks a Date header.
        self.clock, self.wall_clock, self.sleep, self.uniform = clock, wall_clock, sleep, uniform
        redaction.install()  # before the first STS call: botocore at DEBUG logs request and response bodies
        self.audit = audit or AuditLog()
        self.stats = BrokerStats()
        self._max_pool_connections = max_pool_connections
        self._cache: dict[tuple[str, str], ToolCredentials] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._failures: dict[tuple[str, str], tuple[int, BrokerError]] = {}  # failed issuances so far, the last error
        self._locks_guard = threading.Lock()
        self._stats_lock = threading.Lock()
        self._client: Any = None
        self._client_lock = threading.Lock()
        # OAuth / MCP / Entra hops: a PrivateKeyJWT or WorkloadTokenAssertion (default: AGENTID_OAUTH_TOKEN_FILE)
        self.oauth_signer = oauth_signer
        self._oauth_client = oauth_client
        self._bearer: Any = None
        self.token_margin_seconds = token_margin_seconds
        self.authorizer = authorizer  # an agentid.runtime.authorization.Authorizer, or None (no per-call decision)
        self.azure_credential = azure_credential  # a TokenCredential, or client id -> TokenCredential (per-tool identities)
        self._azure_credentials: dict[str | None, Any] = {}
        self.secret_store = secret_store  # oauth.StoredClientSecret for Cognito tools (default: Secrets Manager)
        # GCP hop: the workload's google.auth credentials (default: Application Default Credentials, resolved on the
        # first GCP call) and the google.auth transport (default: google.auth.transport.requests.Request)
        self._gcp_source, self.gcp_request = gcp_credentials, gcp_request
        self._gcp_impersonations: dict[tuple[str, int], tuple[Any, threading.Lock]] = {}
        # Revocation record (revocation_check.py): "auto" reads it with the ambient credentials; None opts out
        if revocation == "auto":
            from agentid.runtime.revocation_check import RoleRevocationCheck

            revocation = RoleRevocationCheck() if isinstance(self.base, AmbientCredentials) else None
        self.revocation = revocation
        # The revocation list (revocation_list.py): every agent, every hop. "auto": AGENTID_REVOCATION_LIST, if set
        from agentid.runtime import revocation_list as revocations

        if revocation_list == "auto":
            revocation_list = revocations.from_environment()
        elif isinstance(revocation_list, (str, Path)):
            revocation_list = revocations.RevocationList(revocation_list)
        self.revocation_list = revocation_list
        # IAM for that read: an emulator's URL serves every service; an AWS STS URL is not IAM's
        self.iam_endpoint_url = iam_endpoint_url or (endpoint_url if endpoint_url and "amazonaws.com" not in endpoint_url else None)

    # --- one entry point for every hop ------------------------------------------------

    def credential(
        self,
        tool: str,
        *,
        agent: str | None = None,
        trace_id: str | None = None,
        target: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> "ToolCredentials | BearerToken":
        """The credential kind `tool` needs, after a per-call authorization decision.

        AWS tool -> ToolCredentials (an STS session narrowed by the tool's
        session policy); OAuth tool -> BearerToken (kind "oauth", or "mcp" for an
        MCP server, audience = the tool's resource, only its scopes); Entra tool ->
        BearerToken of kind "azure" (an azure-core TokenCredential); GCP tool ->
        BearerToken of kind "gcp" (the agent's service-account token, downscoped to
        the tool's bucket for Cloud Storage; `.google_credentials()`). `target` is
        what the call touches (ARN, URL, `MCP_URL#TOOL`); `context` adds Cedar
        context keys (e.g. on_behalf_of). With an `authorizer`, a deny raises
        BrokerError (code "Denied") and nothing is issued. Every refusal and
        issuance writes one audit record.
        """
        kind = "unknown"
        try:
            grants = self._agent(agent)
            kind = self._kind(grants, tool)
            if trace_id is not None:
                self._check_trace_id(trace_id, grants.agent, tool)
        except BrokerError as refused:
            self.refuse(refused, agent=agent, tool=tool, trace_id=trace_id, kind=kind)
            raise
        trace = trace_id or current_trace_id()
        if kind != "aws":  # credentials() checks the AWS hop itself
            self._check_revocation(grants, tool, trace, kind)
        decision = self._authorize(grants, tool, kind, trace, target, context)
        if kind == "aws":
            issued = self.credentials(tool, agent=grants.agent, trace_id=trace)
            return issued
        return self._bearer_token(grants, tool, kind, trace, decision)

    def _kind(self, grants: AgentGrants, tool: Any) -> str:
        if isinstance(tool, str) and tool in grants.session_policies:
            return "aws"
        if isinstance(tool, str) and tool in grants.azure_tools:
            return "azure"
        if isinstance(tool, str) and tool in grants.llm_tools:
            return "llm"
        if isinstance(tool, str) and tool in grants.gcp_tools:
            return "gcp"
        oauth_tool = grants.oauth_tools.get(tool) if isinstance(tool, str) else None
        if oauth_tool is not None:
            return "azure" if oauth_tool.provider == "entra" else "mcp" if oauth_tool.mcp else "oauth"
        others = [name for name, g in self._grants.items() if name != grants.agent and isinstance(tool, str) and tool in g.tools]
        hint = f"; '{tool}' is a tool of {', '.join(others)}, not of this agent" if others else ""
        raise BrokerError(
            f"agent '{grants.agent}' has no tool {_shown(tool)} (its tools: {', '.join(grants.tools)}){hint}",
            grants.agent,
            _clip(tool),
            "UnknownTool",
        )

    def _authorize(self, grants: AgentGrants, tool: str, kind: str, trace: str, target: str | None, context: Mapping[str, Any] | None) -> str:
        if self.authorizer is None:
            return "not-evaluated"
        from agentid.runtime.authorization import ContextError, call_context

        if target is not None and (not isinstance(target, str) or len(target) > 2048):
            error = BrokerError(f"agent '{grants.agent}', tool '{tool}': target {_shown(target)} must be a string of at most 2048 characters", grants.agent, tool, "BadTarget")
            self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind)
            raise error
        try:
            cedar_context = call_context(trace, context, self.wall_clock())
        except ContextError as bad:
            error = BrokerError(f"agent '{grants.agent}', tool '{tool}': {bad}", grants.agent, tool, "BadContext")
            self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind)
            raise error from None
        decision = self.authorizer.decide(grants.agent, tool, target, cedar_context)
        if decision.allowed:
            return "allow"
        why = ("forbidden by " + ", ".join(decision.reasons)) if decision.reasons else "no policy permits it"
        if decision.errors:
            why += f" (evaluation errors: {'; '.join(decision.errors)[:300]})"
        error = BrokerError(
            f"agent '{grants.agent}', tool '{tool}', hop {kind}: Cedar denied the call on {_shown(target) if target else 'the tool'}: {why}",
            grants.agent,
            tool,
            "Denied",
        )
        self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind, decision="deny", target=_clip(target) if target else None,
                    policies=",".join(decision.reasons) or None)
        raise error

    def _check_revocation(self, grants: AgentGrants, tool: str, trace: str | None, kind: str) -> None:
        """Refuse every credential of an agent whose role carries the revoke record (revocation_check.py).

        When the record cannot be read (fail closed, code "RevocationUnknown", the IAM error in the refusal record's
        `revocation_error`): the AWS hop is refused. A read IAM DENIES (AccessDenied) refuses every hop too, first
        read or not: that is how a revoke looks to a broker running as the role itself (the revoke's Deny of `*`
        covers its own session, issued before the cutoff), and a broker that cannot tell whether it is revoked must
        not hand out anything. Only a record IAM could not be asked for (no AWS credentials, unreachable, throttled)
        lets the OAuth, Azure, GCP and model hops go on: they do not depend on AWS being reachable.
        """
        self._check_revocation_list(grants, tool, trace, kind)
        if self.revocation is None or not grants.role_arn:
            return
        from agentid.runtime.revocation_check import DENIED_CODES, RevocationUnknown, role_name

        role = role_name(grants.role_arn)
        try:
            cutoff = self.revocation.cutoff(grants.role_arn, self.clock(), self._iam_client)
        except RevocationUnknown as unknown:
            denied = unknown.code in DENIED_CODES
            if kind != "aws" and not denied:
                return
            if denied:  # after a revoke the role's own pre-cutoff sessions get exactly this answer: treat as revoked
                self._forget_agent(grants)
            grant = (f"let its identity iam:GetRolePolicy on role {role} (the kit's roles hold inline policy "
                     "'agentid-read-revocation-record' and the same statement in their boundary), or opt out with "
                     "CredentialBroker(revocation=None)")
            if unknown.was_readable:
                why = ("it was readable before, so this broker's own session may be the one the revoke cut off "
                       "(its Deny covers every session of the role issued before the cutoff)")
            elif denied:
                why = ("IAM denies the read, which is how a revoke answers the role's own sessions issued before its "
                       f"cutoff, so every hop is refused until the record can be read; if the broker does not run as the "
                       f"role, {grant}")
            else:
                why = grant
            error = BrokerError(
                f"agent '{grants.agent}', tool '{tool}', hop {kind}: {unknown}; the broker refuses rather than hand out "
                f"credentials it cannot tell are revoked ({why})", grants.agent, tool, "RevocationUnknown")
            self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind, revocation_error=unknown.code or None)
            raise error from None
        if cutoff is None:
            return
        from agentid_components import naming

        self._forget_agent(grants)  # the cached sessions are denied everything now: never hand them out again
        error = BrokerError(
            f"agent '{grants.agent}' is revoked: role {role} carries inline policy '{naming.REVOKE_POLICY_NAME}' "
            f"(written by `agentid revoke aws`; sessions issued before {cutoff} are denied everything), so the broker "
            f"issues no credential for tool '{tool}' or any other until it is removed "
            f"(aws iam delete-role-policy --role-name {role} --policy-name {naming.REVOKE_POLICY_NAME})",
            grants.agent, tool, "Revoked")
        self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind, revoked_before=str(cutoff))
        raise error

    def _check_revocation_list(self, grants: AgentGrants, tool: str, trace: str | None, kind: str) -> None:
        """Refuse every credential of an agent the revocation list names (revocation_list.py), whatever its clouds,
        and every credential of every agent while a configured list cannot be read."""
        if self.revocation_list is None:
            return
        from agentid.runtime.revocation_list import RevocationListUnreadable
        from agentid_components.text_safety import visible

        try:
            entry = self.revocation_list.entry(grants.agent)
        except RevocationListUnreadable as unreadable:
            self._forget_agent(grants)
            error = BrokerError(
                f"agent '{grants.agent}', tool '{tool}', hop {kind}: {visible(str(unreadable))}; the broker refuses every "
                "credential rather than hand out one it cannot tell is revoked (write the list with `agentid revoke`, "
                "or start the broker without one)", grants.agent, tool, "RevocationUnknown")
            self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind, revocation_error="list-unreadable")
            raise error from None
        if entry is None:
            return
        self._forget_agent(grants)
        path = self.revocation_list.path
        reason = f"; reason: {visible(entry.reason)[:200]}" if entry.reason else ""
        error = BrokerError(
            f"agent '{grants.agent}' is revoked: the revocation list {path} names it (since {visible(entry.revoked_at)[:40]}"
            f"{reason}), so the broker issues no credential for tool '{tool}' or any other, on any hop, until it is "
            f"removed (agentid revoke undo {grants.agent} --list {path})", grants.agent, tool, "Revoked")
        self.refuse(error, agent=grants.agent, tool=tool, trace_id=trace, kind=kind, revoked_at=visible(entry.revoked_at)[:40],
                    revocation_list=str(path))
        raise error

    def _forget_agent(self, grants: AgentGrants) -> None:
        """Drop every credential cached for the agent, on every hop."""
        self.invalidate(grants.agent)
        if self._bearer is not None:
            for name in grants.tools:
                self._bearer.invalidate(grants.agent, name)

    def _iam_client(self) -> Any:
        """IAM with the broker's ambient identity (for the revocation record), botocore's standard retries."""
        from botocore.config import Config

        session = self.base.session if isinstance(self.base, AmbientCredentials) and self.base.session else new_boto3_session()
        return session.client("iam", region_name=self.region, endpoint_url=self.iam_endpoint_url,
                              config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10))

    def _bearer_token(self, grants: AgentGrants, tool: str, kind: str, trace: str, decision: str) -> "BearerToken":
        from agentid.runtime.oauth import OAuthError

        hop = self._bearer_hop()
        if tool in grants.azure_tools:
            from agentid.runtime.azure_hop import azure_fetch

            try:
                credential = self._azure_credential_for(grants.azure_tools[tool])
            except OAuthError as error:  # no identity that holds this tool's role: refused, never another identity's token
                refused = BrokerError(f"agent '{grants.agent}', tool '{tool}', hop {kind}: {error}", grants.agent, tool, error.code)
                self.refuse(refused, agent=grants.agent, tool=tool, trace_id=trace, kind=kind)
                raise refused from None
            fetch = azure_fetch(credential, grants.azure_tools[tool], self.wall_clock, hop)
        elif tool in grants.gcp_tools:
            from agentid.runtime.gcp_hop import MAX_LIFETIME_SECONDS, gcp_fetch

            if grants.gcp_service_account is None:
                refused = BrokerError(f"agent '{grants.agent}', tool '{tool}', hop gcp: the agent's service account is not "
                                      "known (AgentGrants.from_spec(..., gcp_project=), agentid credential --gcp-project, or the stack "
                                      "outputs' gcp entry)",
                                      grants.agent, tool, "NoServiceAccount")
                self.refuse(refused, agent=grants.agent, tool=tool, trace_id=trace, kind=kind)
                raise refused
            email, lifetime = grants.gcp_service_account, min(grants.lifetime_cap_seconds, MAX_LIFETIME_SECONDS)
            fetch = gcp_fetch(lambda: self._gcp_impersonation(email, lifetime), self.gcp_request, grants.gcp_tools[tool],
                              email, lifetime, self.wall_clock, hop)
        elif tool in grants.llm_tools:
            from agentid.runtime.model_hop import model_fetch

            fetch = model_fetch(hop.client, hop.signer, grants.llm_tools[tool], hop)
        else:
            fetch = hop.oauth_fetch(grants.agent, grants.oauth_tools[tool])
        cached = hop.cached(grants.agent, tool)
        if cached is not None:
            self._count(cache_hits=1)
            return cached
        with self.audit.issuance(agent=grants.agent, tool=tool, kind=kind, hop=kind, trace_id=trace, decision=decision) as record:
            try:
                token = hop.token(grants.agent, tool, grants.lifetime_cap_seconds, trace, record, kind, fetch,
                                  resources=tool_resources(grants, tool) or ())
            except OAuthError as error:
                self._count(failures=1)
                record["error_code"] = error.code
                raise BrokerError(f"agent '{grants.agent}', tool '{tool}', hop {kind}: {error}", grants.agent, tool, error.code) from None
            if record.get("cache") == "hit":
                self._count(cache_hits=1)
            else:
                self._count(issued=1)
            record["expires_on"] = token.expires_on
            return token

    def _bearer_hop(self) -> "BearerHop":
        with self._client_lock:
            if self._bearer is None:
                from agentid.runtime.bearer import BearerHop
                from agentid.runtime.mcp_auth import discover_authorization_server
                from agentid.runtime.oauth import OAuthClient, StoredClientSecret, environment_signer

                client = self._oauth_client or OAuthClient(clock=self.wall_clock)
                self._bearer = BearerHop(
                    self.oauth_signer or environment_signer(),
                    client=client,
                    clock=self.clock,
                    wall_clock=self.wall_clock,
                    margin_seconds=self.token_margin_seconds,
                    retry=self.retry,
                    sleep=self.sleep,
                    uniform=self.uniform,
                    resource_discovery=lambda tool, issuer: discover_authorization_server(client, tool, issuer),
                    secret_store=self.secret_store or StoredClientSecret(read=self._read_client_secret),
                )
            return self._bearer

    def _read_client_secret(self, ref: str) -> str:
        """A Cognito client secret, read with the agent's own role narrowed to GetSecretValue on that one secret.

        The components store the secret in Secrets Manager with a resource policy
        that admits only the agent's role (agentid_components.aws.client_secret);
        here the broker assumes that role from its base identity with a session
        policy allowing nothing but reading `ref`, reads it, and drops the
        session. One audit record (kind "client-secret") names the secret's ARN
        and the assumed-role ARN that read it, never the value.
        """
        from agentid.runtime.oauth import OAuthError
        from agentid_components.aws import client_secret

        owners = [(g, name) for g in self._grants.values() for name, t in g.oauth_tools.items() if t.client_secret_ref == ref]
        if not owners or owners[0][0].role_arn is None:
            raise OAuthError(f"no agent of this broker has a role that may read the client secret {ref} (the inventory's "
                             "aws.role_arn of a Cognito agent)", "secret_store")
        grants, tool = owners[0]
        trace = current_trace_id()
        policy = json.dumps(client_secret.read_policy(ref), separators=(",", ":"))
        request: dict[str, Any] = {
            "RoleArn": grants.role_arn,
            "RoleSessionName": session_name(grants.agent, tool, trace),
            "Policy": policy,
            "DurationSeconds": STS_MIN_SESSION_SECONDS,  # used for one call, then dropped
        }
        if isinstance(self.base, AmbientCredentials):
            request["SourceIdentity"] = source_identity(grants.agent)
            request["Tags"] = [{"Key": SESSION_TAG_AGENT, "Value": grants.agent}, {"Key": SESSION_TAG_TOOL, "Value": tool},
                               {"Key": SESSION_TAG_TRACE, "Value": trace}]
        with self.audit.issuance(agent=grants.agent, tool=tool, kind="client-secret", trace_id=trace, secret_arn=ref,
                                 role_arn=grants.role_arn, method=self.base.method,
                                 policy_sha256=hashlib.sha256(policy.encode()).hexdigest()) as record:
            try:
                response = self._call_sts(request, record, grants.agent, tool)
            except BrokerError as error:
                raise OAuthError(f"cannot read the client secret {ref} with the agent's role: {error}", "secret_store") from None
            credentials = response["Credentials"]
            redaction.remember(credentials["SecretAccessKey"], credentials["SessionToken"])
            record.update(read_as=response["AssumedRoleUser"]["Arn"], access_key_id=credentials["AccessKeyId"])
            try:
                session = new_boto3_session(aws_access_key_id=credentials["AccessKeyId"],
                                            aws_secret_access_key=credentials["SecretAccessKey"],
                                            aws_session_token=credentials["SessionToken"])
                client = session.client("secretsmanager", endpoint_url=self.endpoint_url, region_name=_region_of_arn(ref) or self.region)
                value = client.get_secret_value(SecretId=ref).get("SecretString")
            except Exception as error:  # noqa: BLE001 - AccessDenied, not found, unreachable: one refusal naming the store
                code = error_code(error)
                record["error_code"] = code
                raise OAuthError(f"cannot read the client secret {ref} from Secrets Manager with the agent's role: {code}",
                                 "secret_store") from None
        if not isinstance(value, str) or not value:
            raise OAuthError(f"the client secret {ref} is empty or not a string", "secret_store")
        redaction.remember(value)
        return value

    def _azure_credential_for(self, tool: Any) -> Any:
        """The identity that holds `tool`'s role: the tool's own (azure_identity_per_tool) or the agent's.

        `azure_credential` may be one azure-core TokenCredential (the agent's identity) or a function of a client
        id (None: the agent's) returning one; by default azure-identity from the environment. A tool with its own
        identity never gets a token from the agent-wide credential: that identity does not hold the tool's role.
        """
        from agentid.runtime.oauth import OAuthError

        given = self.azure_credential
        with self._client_lock:
            if tool.client_id in self._azure_credentials:
                return self._azure_credentials[tool.client_id]
            if given is not None and hasattr(given, "get_token"):
                if tool.client_id is not None:
                    raise OAuthError(
                        f"tool '{tool.tool}' has its own managed identity (client id {tool.client_id}): pass azure_credential "
                        "as a function of the client id, not the agent's one credential", "azure_identity")
                credential = given
            elif given is not None:
                credential = given(tool.client_id)
            else:
                from agentid.runtime.azure_hop import environment_credential

                credential = environment_credential(tool.client_id)
            self._azure_credentials[tool.client_id] = credential
            return credential

    def _gcp_impersonation(self, email: str, lifetime_seconds: int) -> tuple[Any, threading.Lock]:
        """The agent's impersonated credentials (one per account and lifetime, from the workload's credentials:
        default Application Default Credentials, the external-account configuration) and their refresh lock."""
        with self._client_lock:
            key = (email, lifetime_seconds)
            if key not in self._gcp_impersonations:
                from agentid.runtime.gcp_hop import checked_source, default_source, impersonation

                if self._gcp_source is None:
                    self._gcp_source = default_source()
                source = checked_source(self._gcp_source)  # where it would send the workload's token: Google only
                self._gcp_impersonations[key] = (impersonation(source, email, lifetime_seconds), threading.Lock())
            return self._gcp_impersonations[key]

    def invalidate_token(self, tool: str, *, agent: str | None = None) -> None:
        """Forget a bearer token the resource server rejected (401); the next credential() gets a new one."""
        if self._bearer is not None:
            self._bearer.invalidate(self._agent(agent).agent, tool)

    # --- public API ---------------------------------------------------------------

    def session(self, tool: str, *, agent: str | None = None, trace_id: str | None = None) -> Any:
        """A boto3 Session whose credentials can do only what `tool` declares, valid for at least the margin."""
        return self.credentials(tool, agent=agent, trace_id=trace_id).session

    def credentials(self, tool: str, *, agent: str | None = None, trace_id: str | None = None) -> ToolCredentials:
        """The tool's narrowed STS credentials, from the cache or issued now.

        Raises BrokerError (and writes a refusal record) for an unknown agent,
        a tool that is not one of the agent's AWS tools, or a malformed trace id.
        """
        try:
            grants = self._agent(agent)
            if tool not in grants.session_policies:
                known = ", ".join(sorted(grants.session_policies))
                raise BrokerError(
                    f"agent '{grants.agent}' has no AWS tool {_shown(tool)} (its AWS tools: {known})", grants.agent, _clip(tool), "UnknownTool"
                )
            if trace_id is not None:
                self._check_trace_id(trace_id, grants.agent, tool)  # a caller's bad input is never shared with others
        except BrokerError as refused:
            self.refuse(refused, agent=agent, tool=tool, trace_id=trace_id, kind="aws")
            raise
        self._check_revocation(grants, tool, trace_id, "aws")
        key = (grants.agent, tool)
        cached = self._cache.get(key)
        left = cached.seconds_left(self.clock()) if cached is not None else float("-inf")
        if left >= self.refresh_margin_seconds + self.refresh_ahead_seconds:
            self._count(cache_hits=1)
            return cached
        if left >= self.refresh_margin_seconds:
            return self._refresh_ahead(key, grants, tool, trace_id, cached)
        failures_seen = self._failures.get(key, (0, None))[0]
        with self._lock_for(key):
            current = self._fresh(key)  # another thread may have issued while we waited
            if current is not None:
                self._count(cache_hits=1)
                return current
            failures, error = self._failures.get(key, (0, None))
            if failures > failures_seen:
                # The issuance we waited for failed (after its own retries): share its error rather
                # than have every waiter retry in turn, which would multiply an outage by the threads.
                raise BrokerError(f"{error} (shared with concurrent callers)", grants.agent, tool, error.code)
            return self._issue_holding_lock(key, grants, tool, trace_id)

    def _refresh_ahead(
        self, key: tuple[str, str], grants: AgentGrants, tool: str, trace_id: str | None, cached: ToolCredentials
    ) -> ToolCredentials:
        """Credentials near the margin: one caller renews them while the others keep the still-valid ones.

        Without this, every caller arriving after the margin would queue behind
        the renewal; here nobody waits but the one caller that renews, and if
        the renewal fails the cached credentials (still above the margin) serve.
        """
        lock = self._lock_for(key)
        if not lock.acquire(blocking=False):
            self._count(cache_hits=1)
            return cached
        try:
            current = self._fresh(key)
            if current is not cached:  # renewed, or past the margin, since we looked
                return current or self._issue_holding_lock(key, grants, tool, trace_id)
            try:
                return self._issue_holding_lock(key, grants, tool, trace_id)
            except BrokerError:
                self._count(cache_hits=1)
                return cached  # the failure is in the audit log; the cached credentials are still good
        finally:
            lock.release()

    def _issue_holding_lock(self, key: tuple[str, str], grants: AgentGrants, tool: str, trace_id: str | None) -> ToolCredentials:
        """Issue and cache; a failure is recorded so the callers queued on the lock share it."""
        count = self._failures.get(key, (0, None))[0]
        try:
            issued = self._issue(grants, tool, trace_id or current_trace_id())
        except BrokerError as failure:
            self._failures[key] = (count + 1, failure)
            raise
        self._cache[key] = issued
        return issued

    def invalidate(self, agent: str | None = None, tool: str | None = None) -> None:
        """Forget cached credentials (all, one agent's, or one tool's), e.g. after an AccessDenied from a revoke."""
        for key in list(self._cache):
            if (agent is None or key[0] == agent) and (tool is None or key[1] == tool):
                self._cache.pop(key, None)

    # --- cache ----------------------------------------------------------------------

    def _fresh(self, key: tuple[str, str]) -> ToolCredentials | None:
        cached = self._cache.get(key)
        if cached is not None and cached.seconds_left(self.clock()) >= self.refresh_margin_seconds:
            return cached
        return None

    def _lock_for(self, key: tuple[str, str]) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _agent(self, agent: str | None) -> AgentGrants:
        if agent is None:
            if len(self._grants) == 1:
                return next(iter(self._grants.values()))
            raise BrokerError(
                f"this broker serves {len(self._grants)} agents: name the agent ({', '.join(sorted(self._grants))})", code="NoAgent"
            )
        try:
            return self._grants[agent]
        except (KeyError, TypeError):
            raise BrokerError(
                f"this broker has no grants for agent {_shown(agent)} (it serves {', '.join(sorted(self._grants))})", _clip(agent), code="UnknownAgent"
            ) from None

    @staticmethod
    def _check_trace_id(trace_id: str, agent: str, tool: str) -> None:
        if not isinstance(trace_id, str) or not _TRACE_ID.match(trace_id):
            raise BrokerError(
                f"trace id {_shown(trace_id)} must be 1-128 letters, digits or _+=.@- (it becomes a session tag and part of the session name)",
                agent,
                tool,
                "BadTraceId",
            )

    def refuse(self, error: BrokerError, *, agent: Any, tool: Any, trace_id: Any, kind: str, **fields: Any) -> None:
        """Write the audit record of a refused request (nothing was issued); caller-supplied values are shortened and quoted."""
        self._count(refusals=1)
        self.audit.refusal(
            agent=error.agent or (_clip(agent) if agent is not None else None),
            tool=_clip(tool),
            trace_id=_clip(trace_id) if trace_id is not None else None,
            kind=kind,
            error=str(error),
            error_code=error.code,
            **fields,
        )

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    # --- issuance -------------------------------------------------------------------

    def _issue(self, grants: AgentGrants, tool: str, trace_id: str) -> ToolCredentials:
        policy = json.dumps(grants.session_policies[tool], separators=(",", ":"), sort_keys=True)
        request: dict[str, Any] = {
            "RoleArn": grants.role_arn,
            "RoleSessionName": session_name(grants.agent, tool, trace_id),
            "Policy": policy,
            "DurationSeconds": grants.duration_seconds,
        }
        audit_fields: dict[str, Any] = {
            "agent": grants.agent,
            "tool": tool,
            "trace_id": trace_id,
            "role_arn": grants.role_arn,
            "method": self.base.method,
            "session_name": request["RoleSessionName"],
            "duration_seconds": grants.duration_seconds,
            "policy_sha256": hashlib.sha256(policy.encode()).hexdigest(),
        }
        if grants.max_credential_seconds and grants.max_credential_seconds < grants.duration_seconds:
            audit_fields["lifetime_note"] = (
                f"max_credential_minutes asks for {grants.max_credential_seconds} s; STS's floor is "
                f"{grants.duration_seconds} s, so the session lives that long"
            )
        if isinstance(self.base, AmbientCredentials):
            request["SourceIdentity"] = source_identity(grants.agent)
            request["Tags"] = [
                {"Key": SESSION_TAG_AGENT, "Value": grants.agent},
                {"Key": SESSION_TAG_TOOL, "Value": tool},
                {"Key": SESSION_TAG_TRACE, "Value": trace_id},
            ]
            audit_fields["source_identity"] = request["SourceIdentity"]
            audit_fields["session_tags"] = ",".join(f"{t['Key']}={t['Value']}" for t in request["Tags"])
        with self.audit.issuance(**audit_fields) as record:
            response = self._call_sts(request, record, grants.agent, tool)
            credentials = response["Credentials"]
            expiration = _as_datetime(credentials["Expiration"])
            now = self.clock()
            # STS's own times, never longer than asked for (a server claiming more is not believed)
            lifetime = min(_lifetime_seconds(expiration, response, self.wall_clock()), float(grants.duration_seconds))
            expires_at = now + lifetime
            redaction.remember(credentials["SecretAccessKey"], credentials["SessionToken"])
            record.update(
                access_key_id=credentials["AccessKeyId"],
                assumed_role_arn=response["AssumedRoleUser"]["Arn"],
                expiration=expiration.astimezone(dt.timezone.utc).isoformat(),
            )
            left = expires_at - now
            if left < self.refresh_margin_seconds:
                self._count(failures=1)
                raise BrokerError(
                    f"agent '{grants.agent}', tool '{tool}': STS issued credentials with {left:.0f} s left, less than the "
                    f"{self.refresh_margin_seconds} s margin: check the host clock and DurationSeconds",
                    grants.agent,
                    tool,
                    "ShortLived",
                )
            self._count(issued=1)
            return ToolCredentials(
                agent=grants.agent,
                tool=tool,
                access_key_id=credentials["AccessKeyId"],
                secret_access_key=credentials["SecretAccessKey"],
                session_token=credentials["SessionToken"],
                expiration=expires_at,
                trace_id=trace_id,
                assumed_role_arn=response["AssumedRoleUser"]["Arn"],
                region=self.region,
                _tracer=self.audit.tracer,
                expiration_utc=expiration.astimezone(dt.timezone.utc).isoformat(),
            )

    def _call_sts(self, request: dict[str, Any], record: dict[str, Any], agent: str, tool: str) -> dict[str, Any]:
        client = self._sts_client()
        for attempt in range(1, self.retry.max_attempts + 1):
            record["attempts"] = attempt
            self._count(sts_calls=1)
            try:
                if isinstance(self.base, WebIdentityToken):
                    return client.assume_role_with_web_identity(WebIdentityToken=self.base.read(), **request)
                return client.assume_role(**request)
            except BrokerError:
                self._count(failures=1)
                raise
            except Exception as error:  # noqa: BLE001 - classified below; never leaks a raw botocore traceback
                code = error_code(error)
                if attempt < self.retry.max_attempts and is_retryable(error):
                    self._count(retries=1)
                    self.sleep(self.retry.delay(attempt, self.uniform))
                    continue
                self._count(failures=1)
                record["error_code"] = code
                reason = "gave up after retries" if is_retryable(error) else "refused"
                hint = ""
                if code == "AccessDenied" and isinstance(self.base, AmbientCredentials):
                    hint = (
                        " (when the ambient credentials are a session of this same role, e.g. Roles Anywhere or EKS Pod "
                        "Identity, its trust policy must allow the role itself sts:AssumeRole, sts:TagSession and "
                        "sts:SetSourceIdentity)"
                    )
                raise BrokerError(
                    f"agent '{agent}', tool '{tool}': STS {self.base.method} on {request['RoleArn']} {reason} "
                    f"(attempt {attempt}/{self.retry.max_attempts}): {code}: {error}{hint}",
                    agent,
                    tool,
                    code,
                ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _sts_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                from botocore.config import Config

                # Our own retry loop owns retries (bounded, jittered, counted): botocore's is switched off.
                config = Config(
                    retries={"total_max_attempts": 1},
                    connect_timeout=5,
                    read_timeout=10,
                    max_pool_connections=self._max_pool_connections,
                )
                session = self.base.session if isinstance(self.base, AmbientCredentials) and self.base.session else new_boto3_session()
                self._client = session.client("sts", region_name=self.region, endpoint_url=self.endpoint_url, config=config)
            return self._client


class _SearchPaths(list):
    """A model search path that ignores repeated appends: boto3 appends its data directory for every Session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_shared_loader: Any = None
_shared_loader_lock = threading.Lock()


def new_boto3_session(**kwargs: Any) -> Any:
    """A boto3 Session on a process-wide model loader.

    A fresh boto3 Session re-reads botocore's JSON models, so its first client
    costs ~330 ms; on a shared loader (whose cache makes repeated loads free) it
    costs ~20 ms. Each issuance gets its own Session, so this matters per tool.
    """
    import boto3
    import botocore.session
    from botocore.loaders import Loader

    global _shared_loader
    with _shared_loader_lock:
        if _shared_loader is None:
            extra = [os.path.expanduser(p) for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
            _shared_loader = Loader(extra_search_paths=_SearchPaths(extra))
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader)
    return boto3.Session(botocore_session=core, **kwargs)


def session_name(agent: str, tool: str, trace_id: str) -> str:
    """`TOOL.TRACE`, at most 64 characters (STS's limit): CloudTrail shows it in every call the credentials make.

    The role name already names the agent (`agent-NAME`), so the assumed-role
    ARN reads arn:aws:sts::ACCOUNT:assumed-role/agent-NAME/TOOL.TRACE. A part
    too long for its share (31 characters for the tool, 32 for the trace id)
    is cut and ends in `-` plus 8 hex digits of a SHA-256 of the whole
    (agent, tool) or trace id, so two long tool names never share a session
    name however alike their first characters are.
    """
    tool_part = _fit(tool, _SESSION_TOOL_MAX, f"{agent}/{tool}")
    trace_part = _fit(trace_id, _SESSION_NAME_MAX - _SESSION_TOOL_MAX - 1, trace_id)
    return f"{tool_part}.{trace_part}"


def _fit(value: str, limit: int, identity: str) -> str:
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{value[: limit - 9]}-{digest}"


def _shown(value: Any, limit: int = 80) -> str:
    """A caller-supplied value for a message: quoted and escaped by repr (no control characters), at most `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _clip(value: Any, limit: int = 128) -> str:
    """A caller-supplied value for an audit record (the JSON encoder escapes it): text, at most `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def source_identity(agent: str) -> str:
    """The agent's name (SourceIdentity needs 2-64 characters; a one-letter agent name gets the role prefix)."""
    return agent if len(agent) >= 2 else f"agent-{agent}"


def _region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _lifetime_seconds(expiration: dt.datetime, response: dict[str, Any], wall_now: float) -> float:
    """How long the credentials live, measured on STS's own clock (Expiration minus the answer's Date).

    Counting that lifetime down on the local clock keeps the refresh margin
    true even when the host clock is skewed. The Date header has one-second
    resolution, so one second is taken off to stay on the safe side. Without
    a Date header, the absolute Expiration is compared with the local clock.
    """
    from email.utils import parsedate_to_datetime

    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        issued = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        issued = None
    if issued is None:
        return expiration.timestamp() - wall_now
    return (expiration - issued).total_seconds() - 1
