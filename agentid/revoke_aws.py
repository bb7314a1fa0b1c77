"""Cut an agent's live AWS sessions off now: the `aws:TokenIssueTime` deny on its role.

One `PutRolePolicy` writes the whole deny (from `components.revocation`), so
a revoke is applied entirely or not at all; it is read back to be sure.
Running it again moves the cutoff to the new "now" (sessions issued since the
last revoke are cut too) and says so; a cutoff already later than now is kept,
so a second run never weakens a revoke.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from agentid.aws_audit.clients import LiveAwsError, call
from components import naming
from components.revocation import aws_revocation_steps, aws_revoke_sessions_policy
from components.spec import Agent

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class RevokeResult:
    agent: str
    role_name: str
    cutoff: str  # sessions issued before this UTC time are denied everything
    previous_cutoff: str | None  # the cutoff already on the role, if any
    action: str  # "wrote", "updated" or "kept"
    next_steps: list[str]

    @property
    def undo_command(self) -> str:
        return f"aws iam delete-role-policy --role-name {self.role_name} --policy-name {naming.REVOKE_POLICY_NAME}"


def revoke_sessions(iam: Any, agent: Agent, now: dt.datetime) -> RevokeResult:
    """Apply (or refresh) the revoke deny on the agent's role; LiveAwsError when the role is not there."""
    if not any(tool.aws for tool in agent.tools):
        raise LiveAwsError(f"agent '{agent.name}' has no AWS tools, so no AWS role: nothing to revoke on AWS")
    role = naming.aws_role_name(agent.name)
    if call(iam, f"reading role {role}", iam.get_role, missing_ok=True, RoleName=role) is None:
        raise LiveAwsError(
            f"role {role} of agent '{agent.name}' does not exist in this account (endpoint {iam.meta.endpoint_url}): "
            "nothing was changed"
        )
    existing = call(
        iam, f"reading inline policy {naming.REVOKE_POLICY_NAME} of role {role}", iam.get_role_policy,
        missing_ok=True, RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME,
    )
    previous = _cutoff_of(existing["PolicyDocument"]) if existing else None
    document = aws_revoke_sessions_policy(now)
    cutoff = _cutoff_of(document)
    if previous and previous >= cutoff:  # same format, so text order is time order
        action, cutoff, document = "kept", previous, aws_revoke_sessions_policy(_parse(previous))
    else:
        action = "updated" if existing else "wrote"
    call(
        iam, f"writing inline policy {naming.REVOKE_POLICY_NAME} on role {role}", iam.put_role_policy,
        RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME, PolicyDocument=json.dumps(document),
    )
    written = call(iam, "reading the revoke policy back", iam.get_role_policy, RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME)
    if _as_dict(written["PolicyDocument"]) != document:
        raise LiveAwsError(f"the revoke policy read back from role {role} differs from the one written: check the role by hand")
    return RevokeResult(agent.name, role, cutoff, previous, action, aws_revocation_steps(agent)[1:])


def describe(result: RevokeResult) -> list[str]:
    """What was done and how to undo it, for a human."""
    verb = {
        "wrote": f"wrote inline policy '{naming.REVOKE_POLICY_NAME}' on role {result.role_name}",
        "updated": (
            f"updated inline policy '{naming.REVOKE_POLICY_NAME}' on role {result.role_name} "
            f"(it was already there: cutoff moved from {result.previous_cutoff} to {result.cutoff})"
        ),
        "kept": (
            f"kept inline policy '{naming.REVOKE_POLICY_NAME}' on role {result.role_name} "
            f"(already there with a cutoff of {result.previous_cutoff}, not earlier than now)"
        ),
    }[result.action]
    lines = [
        f"revoked the live AWS sessions of agent '{result.agent}': {verb}",
        f"  every session issued before {result.cutoff} is now denied every action; credentials already handed out stop working",
        "  new sessions are still possible: to keep the agent out, also",
    ]
    lines += [f"    - {step}" for step in result.next_steps] or ["    - remove the role's trust statements"]
    lines.append(f"undo: {result.undo_command}")
    return lines


def _as_dict(document: Any) -> dict:
    if isinstance(document, str):
        from urllib.parse import unquote

        text = document if document.lstrip().startswith("{") else unquote(document)
        return json.loads(text)
    return document


def _cutoff_of(document: Any) -> str | None:
    """The aws:TokenIssueTime of a revoke policy, or None when the document is not ours."""
    try:
        statement = _as_dict(document)["Statement"][0]
        return statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _parse(timestamp: str) -> dt.datetime:
    return dt.datetime.strptime(timestamp, _TIMESTAMP_FORMAT).replace(tzinfo=dt.timezone.utc)
