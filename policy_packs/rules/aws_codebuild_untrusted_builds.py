"""AGID-AWS-061: a CodeBuild webhook does not run strangers' pull requests with the project's role.

A CodeBuild build runs the source's buildspec with the project's service role credentials (and, with privilegedMode,
Docker on the host). A webhook that builds PULL_REQUEST_CREATED / _UPDATED / _REOPENED events runs the code of whoever
opened the pull request: for a public GitHub, GitHub Enterprise, Bitbucket or GitLab repository, anyone (a fork's pull
request), who then holds the role's credentials. red9a #8: such a webhook with a role reading prod secrets passed.
The build is gated when every filter group that builds those events also has an ACTOR_ACCOUNT_ID filter (not excluded,
a pattern that does not match every account), or when the webhook requires a comment approval for pull requests
(pullRequestBuildPolicy.requiresCommentApproval ALL_PULL_REQUESTS / FORK_PULL_REQUESTS, approvers among the
repository's writers: approverRoles without GITHUB_READ / GITHUB_TRIAGE). A webhook without filter groups builds every
push and pull request. Whether the repository is public cannot be seen from the stack, so every repository is judged.
Sources: https://docs.aws.amazon.com/codebuild/latest/userguide/github-webhook.html,
https://docs.aws.amazon.com/codebuild/latest/userguide/pull-request-build-policy.html,
https://docs.aws.amazon.com/codebuild/latest/userguide/webhooks.html ("we strongly recommend ... ACTOR_ACCOUNT_ID").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

WEBHOOK = "aws:codebuild/webhook:Webhook"
UNTRUSTED_EVENTS = frozenset({"PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_REOPENED"})
GATING_APPROVAL = frozenset({"ALL_PULL_REQUESTS", "FORK_PULL_REQUESTS"})
OPEN_APPROVER_ROLES = frozenset({"GITHUB_READ", "GITHUB_TRIAGE"})  # anyone may read a public repository


def _approval_gates(resource: Resource) -> bool | None:
    policy = resource.props.get("pullRequestBuildPolicy")
    if policy is None:
        return False
    if is_unknown(policy) or not isinstance(policy, Mapping) or is_unknown(policy.get("requiresCommentApproval")):
        return None
    roles = policy.get("approverRoles")
    if is_unknown(roles):
        return None
    open_roles = OPEN_APPROVER_ROLES & {str(role).upper() for role in (roles if isinstance(roles, list) else [])}
    return str(policy.get("requiresCommentApproval")).upper() in GATING_APPROVAL and not open_roles


def _events(filter_: Mapping) -> frozenset[str]:
    named = {part.strip().upper() for part in str(filter_.get("pattern", "")).split(",")}
    return UNTRUSTED_EVENTS - named if filter_.get("excludeMatchedPattern") is True else UNTRUSTED_EVENTS & named


def _actor_pinned(filter_: Mapping) -> bool:
    if filter_.get("excludeMatchedPattern") is True:
        return False  # every actor but a few
    pattern = filter_.get("pattern")
    try:
        return isinstance(pattern, str) and re.search(pattern, "") is None
    except re.error:
        return False


def _untrusted_groups(groups) -> list[str] | None:
    """Labels of the filter groups that build a pull request from any actor; None when the groups cannot be read."""
    found = []
    for index, group in enumerate(groups):
        filters = group.get("filters") if isinstance(group, Mapping) else None
        if is_unknown(filters) or not isinstance(filters, list):
            return None
        if any(is_unknown(f) or not isinstance(f, Mapping) or is_unknown(f.get("pattern")) for f in filters):
            return None
        events = {event for f in filters if str(f.get("type")).upper() == "EVENT" for event in _events(f)}
        pinned = any(str(f.get("type")).upper() == "ACTOR_ACCOUNT_ID" and _actor_pinned(f) for f in filters)
        if events and not pinned:
            found.append(f"filterGroups[{index}] ({', '.join(sorted(events))})")
    return found


def check(resource: Resource, config):
    gated = _approval_gates(resource)
    if gated is None:
        yield Unknown("pullRequestBuildPolicy")
        return
    if gated:
        return
    groups = resource.props.get("filterGroups")
    if is_unknown(groups):
        yield Unknown("filterGroups")
        return
    untrusted = ["no filter groups (every push and pull request)"] if not groups else \
        _untrusted_groups(groups if isinstance(groups, list) else [groups])
    if untrusted is None:
        yield Violation(f"CodeBuild webhook {resource.name}: its filter groups cannot be read, so whether it builds "
                        "strangers' pull requests cannot be judged")
    elif untrusted:
        yield Violation(f"CodeBuild webhook {resource.name} builds pull requests from any account "
                        f"({'; '.join(untrusted)}) with no ACTOR_ACCOUNT_ID filter or comment approval: whoever opens "
                        f"one (anyone, for a public repository) runs code with project "
                        f"{resource.props.get('projectName', '?')}'s service role credentials")


RULE = Rule(
    id="AGID-AWS-061",
    title="aws-codebuild-no-untrusted-pull-requests",
    severity="critical",
    category="weak-trust",
    description="CodeBuild webhooks build pull requests only from listed actors (ACTOR_ACCOUNT_ID) or after a "
                "maintainer's comment approval, never a stranger's code with the project's role.",
    remediation="Add an ACTOR_ACCOUNT_ID filter to every filter group that builds PULL_REQUEST_* events, or set "
                "pullRequestBuildPolicy {requiresCommentApproval: ALL_PULL_REQUESTS} with maintainer approver roles.",
    url="https://docs.aws.amazon.com/codebuild/latest/userguide/pull-request-build-policy.html",
    check=check,
    resource_types=(WEBHOOK,),
)
