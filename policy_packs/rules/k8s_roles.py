"""Shared by the Kubernetes RBAC rules: read a Role's or ClusterRole's rules once, failing closed.

A role whose rules are not known at preview is "cannot check until known"; rules the pack cannot
read (not the list of PolicyRule objects rbac.authorization.k8s.io/v1 defines) are a violation that
names the resource; each rule is then judged by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, PolicyRule, Unreadable, role_rules

from .base import Outcome, Resource, Unknown, Violation


def judge_role_rules(resource: Resource, judge: Callable[[PolicyRule], Iterable[str]]) -> Iterator[Outcome]:
    """Each message `judge(rule)` yields, as a violation `<resource> rules[<index>] <message>`."""
    try:
        rules = role_rules(dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}")
        return
    for index, rule in enumerate(rules):
        for message in judge(rule):
            yield Violation(f"{resource.name} rules[{index}] {message}")
