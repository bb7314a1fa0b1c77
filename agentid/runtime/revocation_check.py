"""Has the agent been revoked? The broker reads the record `agentid revoke aws` leaves in the cloud before it hands
anything out. (For any agent, whatever its clouds, the broker also reads the revocation list `agentid revoke AGENT`
writes: revocation_list.py, checked first.)

`agentid revoke aws AGENT` writes the inline policy `agentid-revoke-sessions` on the agent's role: Deny `*` to
sessions whose `aws:TokenIssueTime` is before the cutoff. That cuts the live sessions off, but AWS still issues new
ones (the trust is untouched until someone removes it), and the broker would go on handing out its cached,
now-useless credentials, or new ones, without a word. So the policy is also the revocation record: while it is on
the role, the broker refuses every credential of that agent, on every hop (`BrokerError` code "Revoked", naming
the cutoff and the undo command), and drops what it had cached. Deleting the policy (the undo the revoke prints)
restores the agent.

The record is read with IAM `GetRolePolicy` on the agent's role by the broker's own AWS identity (its ambient
credentials), at most once per `ttl_seconds` per agent (default 30 s: a revoke takes effect at the broker within
that). When that identity is a session of the agent's role (Roles Anywhere, EKS Pod Identity: the self-broker case),
the read is allowed by the kit's components: every agent role holds inline policy `agentid-read-revocation-record`
(GetRolePolicy on its own ARN, nothing else) and its boundary the same statement
(`agentid_components.aws.revocation_read`); a named boundary (`awsPermissionsBoundaryArn`) must allow it too.

Failure mode (fail closed, explicit). A record that cannot be read is never taken as "not revoked":
  - No credentials, IAM unreachable, throttled: the agent's AWS hop is refused (BrokerError code
    "RevocationUnknown"; the refusal record's `revocation_error` holds IAM's error code), unless the failure is
    transient and the last successful reading is younger than `stale_seconds` (default 300 s; that reading stands).
    The OAuth, Azure, GCP and model hops go on: they do not depend on AWS being reachable.
  - AccessDenied, on the first read or after the record was readable: every hop of the agent is refused (code
    "RevocationUnknown") and its cached credentials dropped. That is what a revoke looks like to a broker running as
    the role: the revoke's Deny of `*` covers the broker's own session too (issued before the cutoff), GetRolePolicy
    included, until the session is renewed after the cutoff and the record itself can be read ("Revoked"). A broker
    started (or first asked) after the revoke, on a session issued before it, sees the denial on its FIRST read, so
    a first denial is no more "never revoked" than a later one (red7a 6).
IAM has no VPC endpoint: an agent in a private subnet reaches it through a proxy or NAT, or opts out
(`revocation=None`). A web-identity broker has no AWS identity before it assumes the role, so it reads no record
unless given a check explicitly (`CredentialBroker(revocation=RoleRevocationCheck(...))` with an IAM client that
may read the role). Source: IAM API reference, GetRolePolicy; the policy's shape is
`agentid_components.revocation.aws_revoke_sessions_policy`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

from agentid_components import naming

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_STALE_SECONDS = 300.0
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})  # IAM's answers to a caller it does not allow


class RevocationUnknown(Exception):
    """The record could not be read (the message names the role and the error code).

    `code`: IAM's error code (AccessDenied, Throttling, EndpointConnectionError ...); `transient`: worth retrying;
    `was_readable`: this check read the record before and is now denied it, which is what a revoke looks like to a
    broker whose own identity is a session of the role (the revoke's Deny covers that session too).
    """

    def __init__(self, message: str, transient: bool, code: str = "", was_readable: bool = False):
        super().__init__(message)
        self.transient, self.code, self.was_readable = transient, code, was_readable


@dataclass(frozen=True)
class Reading:
    cutoff: str | None  # the cutoff as written on the role; None: no revoke policy on the role
    read_at: float  # on the broker's clock


def role_name(role_arn: str) -> str:
    """arn:aws:iam::ACCOUNT:role/PATH/NAME -> NAME (GetRolePolicy takes the name, without the path)."""
    return role_arn.rsplit("/", 1)[-1]


class RoleRevocationCheck:
    """Reads and caches each agent's revocation record; thread-safe. `iam` is a boto3 IAM client or a function
    returning one (called once, on first use)."""

    def __init__(self, iam: Any = None, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 stale_seconds: float = DEFAULT_STALE_SECONDS):
        self._iam, self.ttl_seconds, self.stale_seconds = iam, ttl_seconds, stale_seconds
        self._readings: dict[str, Reading] = {}
        self._lock = threading.Lock()
        self.reads = 0  # GetRolePolicy calls made

    def cutoff(self, role_arn: str, now: float, iam_factory: Callable[[], Any]) -> str | None:
        """The revoke cutoff on the role (text as written), or None; RevocationUnknown when it cannot be told."""
        last = self._readings.get(role_arn)
        if last is not None and now - last.read_at < self.ttl_seconds:
            return last.cutoff
        try:
            reading = Reading(self._read(role_arn, iam_factory), now)
        except RevocationUnknown as unknown:
            if unknown.transient and last is not None and now - last.read_at < self.stale_seconds:
                return last.cutoff
            unknown.was_readable = last is not None and unknown.code in DENIED_CODES
            raise
        with self._lock:
            self._readings[role_arn] = reading
        return reading.cutoff

    def _read(self, role_arn: str, iam_factory: Callable[[], Any]) -> str | None:
        from agentid.revoke_aws import cutoff_text
        from agentid.runtime.retry import error_code, is_retryable

        role = role_name(role_arn)
        with self._lock:
            if self._iam is None or (callable(self._iam) and not hasattr(self._iam, "get_role_policy")):
                self._iam = (self._iam or iam_factory)()
            iam = self._iam
        self.reads += 1
        try:
            answer = iam.get_role_policy(RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME)
        except Exception as error:  # noqa: BLE001 - classified: NoSuchEntity is an answer, the rest is "unknown"
            code = error_code(error)
            if code == "NoSuchEntity":  # no revoke policy (or no such role: then STS refuses the role anyway)
                return None
            raise RevocationUnknown(
                f"cannot read the revocation record (inline policy '{naming.REVOKE_POLICY_NAME}' on role {role}): {code}",
                transient=is_retryable(error) or code in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"),
                code=code,
            ) from None
        cutoff = cutoff_text(answer.get("PolicyDocument"))
        # a policy of that name whose cutoff cannot be read is still a revoke: refuse rather than guess
        return str(cutoff) if cutoff is not None else "(unreadable cutoff)"
