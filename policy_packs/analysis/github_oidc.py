"""GitHub Actions OIDC subjects that name every pull request of a repository.

A GitHub Actions token's `sub` is `repo:OWNER/REPO:<context>`; the default context is
`environment:NAME` (job with an environment), `ref:refs/heads/BRANCH` / `ref:refs/tags/TAG`,
or the bare `pull_request` for every run triggered by a pull request (GitHub docs, "About security
hardening with OpenID Connect", example subject claims:
https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims).
Any pull request - from a fork too, when the workflow uses `pull_request_target` or a maintainer
approves the run - carries that subject, so trusting it lets proposed, unreviewed code act as the
identity. A repository's customised subject template (`include_claim_keys`) renders the trigger as
`event_name:pull_request` / `event_name:pull_request_target`, and `context:pull_request`
(same page, "Customizing the subject claims").

The kit's spec requires a trust pinned to one repository and branch or environment.
"""

from __future__ import annotations

import re

_PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
# Claim keys whose value is the triggering event or the default context in a customised subject.
_EVENT_KEYS = frozenset({"event_name", "context"})
# GitHub claim keys whose value could itself be the word `pull_request` (an environment or
# branch of that name) without meaning the event.
_VALUE_KEYS = frozenset({"environment", "ref", "job_workflow_ref", "workflow_ref", "base_ref", "head_ref",
                         "actor", "workflow", "repository_owner", "repository", "job_workflow_sha"})
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def pull_request_subject(subject: str) -> bool:
    """True if the GitHub `sub` value (exact, case-insensitive) is one every pull-request run carries.

    `repo:acme/x:pull_request` and `repo:acme/x:event_name:pull_request` are; `repo:acme/x:environment:prod`,
    `repo:acme/x:ref:refs/heads/main` and an environment named `pull_request`
    (`repo:acme/x:environment:pull_request`) are not.
    """
    parts = subject.strip().lower().split(":")
    if len(parts) < 3 or parts[0] != "repo":
        return False
    rest = parts[2:]  # after `repo:OWNER/REPO`
    if rest == ["pull_request"]:
        return True
    i = 0
    while i < len(rest):
        key = rest[i]
        if key in _PULL_REQUEST_EVENTS and (i == 0 or rest[i - 1] not in _VALUE_KEYS):
            return True  # the bare context, first or after another claim's value
        if key in _EVENT_KEYS and i + 1 < len(rest) and rest[i + 1] in _PULL_REQUEST_EVENTS:
            return True
        i += 2 if key in _VALUE_KEYS or key in _EVENT_KEYS else 1
    return False


def pull_request_subjects_in(expression: str) -> list[str]:
    """The string literals of a claims-matching expression that are pull-request subjects."""
    literals = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(expression)]
    return [s for s in literals if pull_request_subject(s)]


def pull_request_message(subject: str) -> str:
    return (f"subject {subject!r} is the one every pull-request run of the repository carries (from forks too, "
            "depending on the trigger): unreviewed code could act as the identity; pin a branch "
            "(repo:OWNER/REPO:ref:refs/heads/main) or an environment (repo:OWNER/REPO:environment:prod)")
