"""The rule catalogue as Markdown, rendered from the registry itself.

README.md embeds it between markers and a test keeps the two equal.
Run `python -m agentid_policy_packs.rules.catalogue` to print it.
"""

from __future__ import annotations

from .registry import RULES


def _short_type(token: str) -> str:
    return f"`{token.rsplit(':', 1)[-1]}`"


MAX_LISTED_TYPES = 60  # past this (every IAM member/binding/policy type of pulumi-gcp) the count stands for the list


def _checks(rule) -> str:
    if rule.stack:
        return "stack"
    names = list(dict.fromkeys(_short_type(t) for t in rule.resource_types))
    if len(names) > MAX_LISTED_TYPES:
        return f"{len(rule.resource_types)} types (listed in docs/coverage.md)"
    return ", ".join(names)


def render() -> str:
    lines = [
        "| Id | Severity | Category | Default | Checks | What it flags | Remediation |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        checks = _checks(rule)
        lines.append(
            f"| [{rule.id}]({rule.url}) `{rule.title}` | {rule.severity} | {rule.category} | {rule.enforcement} | {checks} | "
            f"{rule.description} | {rule.remediation} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
