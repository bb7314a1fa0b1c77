"""AGID-AWS-061 over gRPC (red9a #8): a CodeBuild webhook building anyone's pull request runs it with the role.

Flagged: PULL_REQUEST_* events without an ACTOR_ACCOUNT_ID filter (also an excluded or match-everything actor
pattern, an EVENT filter excluding only pushes), no filter groups at all, comment approval DISABLED or open to
GITHUB_READ. Look-alikes: an actor filter, comment approval for fork pull requests, push-only builds, merged-only.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names

WEBHOOK = "aws:codebuild/webhook:Webhook"
PR_EVENTS = {"type": "EVENT", "pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED"}


def webhook(*groups, policy=None) -> tuple:
    props = {"projectName": "ci", "filterGroups": [{"filters": list(group)} for group in groups]}
    if policy is not None:
        props["pullRequestBuildPolicy"] = policy
    return (WEBHOOK, "ci-hook", props)


@pytest.mark.parametrize("resource", [
    webhook([PR_EVENTS]),
    webhook([PR_EVENTS, {"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1234567)$", "excludeMatchedPattern": True}]),
    webhook([PR_EVENTS, {"type": "ACTOR_ACCOUNT_ID", "pattern": ".*"}]),
    webhook([{"type": "EVENT", "pattern": "PUSH", "excludeMatchedPattern": True}]),
    webhook([{"type": "EVENT", "pattern": "PUSH"}], [{"type": "EVENT", "pattern": "PULL_REQUEST_UPDATED"}]),
    (WEBHOOK, "ci-hook", {"projectName": "ci"}),  # no filter groups: every push and pull request
    webhook([PR_EVENTS], policy={"requiresCommentApproval": "DISABLED"}),
    webhook([PR_EVENTS], policy={"requiresCommentApproval": "ALL_PULL_REQUESTS", "approverRoles": ["GITHUB_READ"]}),
    webhook(["not a filter"]),
])
def test_pull_requests_from_any_account_are_a_mandatory_violation(pack, resource) -> None:
    assert flagged_names(pack, "AGID-AWS-061", resource, "mandatory") == ["ci-hook"]


@pytest.mark.parametrize("resource", [
    webhook([PR_EVENTS, {"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1234567|7654321)$"}]),
    webhook([PR_EVENTS], policy={"requiresCommentApproval": "FORK_PULL_REQUESTS"}),
    webhook([PR_EVENTS], policy={"requiresCommentApproval": "ALL_PULL_REQUESTS",
                                 "approverRoles": ["GITHUB_MAINTAIN", "GITHUB_ADMIN"]}),
    webhook([{"type": "EVENT", "pattern": "PUSH"}, {"type": "HEAD_REF", "pattern": "^refs/heads/main$"}]),
    webhook([{"type": "EVENT", "pattern": "PULL_REQUEST_MERGED"}]),
])
def test_gated_or_trusted_events_pass(pack, resource) -> None:
    assert flagged_names(pack, "AGID-AWS-061", resource) == []
