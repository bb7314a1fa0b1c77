"""Cut an agent's live AWS sessions off now: the `aws:TokenIssueTime` deny on its role.

One `PutRolePolicy` writes the whole deny (from `agentid_components.revocation`), so
a revoke is applied entirely or not at all; it is read back to be sure.

"Now" is AWS's clock, not this host's: the `Date` header of IAM's answer to
`GetRole` (botocore's `ResponseMetadata.HTTPHeaders.date`, RFC 9110 section 6.6.1,
whole seconds), rounded up by one second so every session issued up to the
revoke is cut. A host clock running slow would otherwise leave recent sessions
alive while saying they were cut. Only when IAM sends no Date does the host's
clock decide, and the result says which clock was used.

Running it again moves the cutoff forward; a cutoff already on the role is
read in every form AWS accepts for date conditions (ISO 8601 with or without
`Z`, an offset or fractional seconds, a bare date, or epoch seconds as a number
or a string; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date)
and is never moved back: a later one is kept untouched.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from dataclasses import dataclass
from typing import Any

from agentid.aws_audit.clients import LiveAwsError, call
from agentid_components import naming
from agentid_components.revocation import aws_revocation_steps, aws_revoke_sessions_policy
from agentid_components.spec import Agent

_EPOCH = re.compile(r"^[+-]?\d+(\.\d+)?$")
AWS_CLOCK = "AWS's clock (the Date header of IAM's GetRole answer, plus 1 s)"
HOST_CLOCK = "this host's clock (IAM's answer carried no usable Date header)"
GIVEN_CLOCK = "the time given by the caller"


@dataclass(frozen=True)
class RevokeResult:
    agent: str
    role_name: str
    cutoff: str  # sessions issued before this UTC time are denied everything
    previous_cutoff: str | None  # the cutoff already on the role, if any, as written there
    action: str  # "wrote", "updated" or "kept"
    next_steps: list[str]
    clock: str = GIVEN_CLOCK  # which clock "now" came from

    @property
    def undo_command(self) -> str:
        return f"aws iam delete-role-policy --role-name {self.role_name} --policy-name {naming.REVOKE_POLICY_NAME}"


def revoke_sessions(iam: Any, agent: Agent, now: dt.datetime | None = None, suffix: str = "") -> RevokeResult:
    """Apply (or refresh) the revoke deny on the agent's role; LiveAwsError when the role is not there.

    `now`: the cutoff to write; None (the CLI) takes it from AWS's clock. `suffix`: the stack's name
    suffix (`naming`), part of the role's name.
    """
    if not any(tool.aws for tool in agent.tools):
        raise LiveAwsError(f"agent '{agent.name}' has no AWS tools, so no AWS role: nothing to revoke on AWS; "
                           f"`agentid revoke {agent.name} --inventory FILE --list FILE` makes every broker refuse it, "
                           "on every hop, whatever its clouds")
    role = naming.aws_role_name(agent.name, suffix)
    answer = call(iam, f"reading role {role}", iam.get_role, missing_ok=True, RoleName=role)
    if answer is None:
        raise LiveAwsError(
            f"role {role} of agent '{agent.name}' does not exist in this account (endpoint {iam.meta.endpoint_url}): "
            "nothing was changed"
            + ("" if suffix else " (a stack names its roles agent-NAME-SUFFIX, SUFFIX its stack: pass --name-suffix SUFFIX)")
        )
    clock = GIVEN_CLOCK
    if now is None:
        now, clock = aws_now(answer)
    existing = call(
        iam, f"reading inline policy {naming.REVOKE_POLICY_NAME} of role {role}", iam.get_role_policy,
        missing_ok=True, RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME,
    )
    document = aws_revoke_sessions_policy(now)
    cutoff = cutoff_text(document)
    previous_text = cutoff_text(existing["PolicyDocument"]) if existing else None
    previous = parse_cutoff(previous_text) if previous_text is not None else None
    if previous_text is not None and previous is None:
        raise LiveAwsError(
            f"role {role} already has {naming.REVOKE_POLICY_NAME} with a cutoff this tool cannot read "
            f"({json.dumps(previous_text)}): nothing was changed, so the cutoff cannot move back; check the policy by hand"
        )
    if previous is not None and previous >= parse_cutoff(cutoff):
        # never rewrite a later cutoff: re-formatting it (whole seconds) could move it back
        return RevokeResult(agent.name, role, _display(previous_text), _display(previous_text), "kept",
                            aws_revocation_steps(agent, suffix=suffix)[1:], clock)
    action = "updated" if existing else "wrote"
    call(
        iam, f"writing inline policy {naming.REVOKE_POLICY_NAME} on role {role}", iam.put_role_policy,
        RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME, PolicyDocument=json.dumps(document),
    )
    written = call(iam, "reading the revoke policy back", iam.get_role_policy, RoleName=role, PolicyName=naming.REVOKE_POLICY_NAME)
    if _as_dict(written["PolicyDocument"]) != document:
        raise LiveAwsError(f"the revoke policy read back from role {role} differs from the one written: check the role by hand")
    shown_previous = _display(previous_text) if previous_text is not None else None
    return RevokeResult(agent.name, role, cutoff, shown_previous, action, aws_revocation_steps(agent, suffix=suffix)[1:], clock)


def aws_now(answer: dict) -> tuple[dt.datetime, str]:
    """AWS's time from an IAM answer's Date header, rounded up a second; the host's when there is none."""
    header = ((answer.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("date")
    try:
        stamp = email.utils.parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        return dt.datetime.now(dt.timezone.utc), HOST_CLOCK
    return stamp.astimezone(dt.timezone.utc) + dt.timedelta(seconds=1), AWS_CLOCK


def parse_cutoff(value: Any) -> dt.datetime | None:
    """A date condition value as AWS reads it (ISO 8601 forms or epoch seconds), in UTC; None when unreadable.

    A list (any value matches a DateLessThan) counts as its latest date.
    """
    if isinstance(value, list):
        parsed = [parse_cutoff(item) for item in value]
        return None if not parsed or None in parsed else max(parsed)
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, dt.timezone.utc)
        if not isinstance(value, str):
            return None
        text = value.strip()
        if _EPOCH.match(text):
            return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
        stamp = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return stamp.replace(tzinfo=dt.timezone.utc) if stamp.tzinfo is None else stamp.astimezone(dt.timezone.utc)


def _display(value: Any) -> str:
    """A cutoff as written on the role, with its UTC time when written in another form."""
    text = value if isinstance(value, str) else json.dumps(value)
    stamp = parse_cutoff(value)
    if stamp is None or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value)):
        return text
    return f"{text} (= {stamp:%Y-%m-%dT%H:%M:%S}{stamp.microsecond and f'.{stamp.microsecond:06d}' or ''}Z)"


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
        f"  now was read from {result.clock}",
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


def cutoff_text(document: Any) -> Any:
    """The aws:TokenIssueTime value of a revoke policy as written (text, number or list), or None when not ours."""
    try:
        for statement in _as_dict(document)["Statement"]:
            for operator, keys in statement.get("Condition", {}).items():
                if operator.startswith("DateLessThan") and "aws:TokenIssueTime" in keys:
                    return keys["aws:TokenIssueTime"]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    return None
