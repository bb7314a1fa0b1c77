"""Shared by the rules that judge identity policies: parse each document once, skip unparseable ones.

(Unparseable documents are AGID-POL-001's; unknown ones become "cannot check until known".)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from agentid_policy_packs.analysis import Finding, PolicyDocument, PolicyParseError, parse_policy

from .base import Outcome, Resource, Unknown, Violation
from .documents import Document, identity_policies


def judge_identity_policies(resource: Resource, judge: Callable[[PolicyDocument, str], list[Finding]],
                            codes: tuple[str, ...] | None = None) -> Iterator[Outcome]:
    """Run `judge` on every identity policy of the resource; report findings whose code is in `codes`."""
    for document in identity_policies(resource):
        if not isinstance(document, Document):
            yield Unknown(document.path)
            continue
        try:
            parsed = parse_policy(document.value)
        except (PolicyParseError, RecursionError):
            continue
        for finding in judge(parsed, document.label):
            if codes is None or finding.code in codes:
                yield Violation(f"{document.label} {finding}", category=finding.category or None)
