"""AWS IAM policy documents, parsed strictly into statements we can reason about.

Accepts what IAM accepts: a JSON string or an object; `Statement` as one
object or a list; `Action`/`NotAction`, `Resource`/`NotResource`,
`Principal`/`NotPrincipal` as one string or a list; `Condition` as
operator -> key -> value(s). Anything IAM would reject, or that we could not
judge, raises `PolicyParseError`: callers treat an unparseable policy as a
finding (fail closed), never as "nothing to see".

Action names compare case-insensitively (as IAM does); resource ARNs and
condition values compare as written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

from agentid_components import input_limits

from . import aws_conditions
from .values import as_list, is_unknown

# Which parts a statement must have depends on where the document is attached.
IDENTITY = "identity"  # attached to a role, user or group: Resource, no Principal
TRUST = "trust"  # a role's assume-role policy: Principal, no Resource
RESOURCE = "resource"  # a key, bucket or queue policy: Principal and Resource
KINDS = (IDENTITY, TRUST, RESOURCE)

_VERSIONS = ("2012-10-17", "2008-10-17")
_ACTION = re.compile(r"^(\*|[a-zA-Z0-9*?-]+:[a-zA-Z0-9*?_-]+)$")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                   "Condition"}
_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}


class PolicyParseError(ValueError):
    """The document is not a policy IAM would accept (or not one we can judge)."""


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, e.g. "StringEquals", "ForAnyValue:StringLike", "StringEqualsIfExists"
    key: str  # lower-cased condition key, e.g. "iam:passedtoservice"
    values: tuple[str, ...]  # as strings; booleans as "true"/"false"

    @property
    def base_operator(self) -> str:
        """The operator without set qualifier or IfExists: "StringLike"."""
        return self.operator.split(":")[-1].removesuffix("IfExists")

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    @property
    def is_negative(self) -> bool:
        return self.base_operator.startswith(("StringNot", "ArnNot", "NumericNotEquals")) or self.base_operator == "Null"

    def verdict(self, today: date | None = None, present: tuple[str, ...] = ()) -> str:
        """ALWAYS, NEVER, OPEN, RESTRICTS or UNKNOWN: see aws_conditions."""
        return aws_conditions.verdict(self.operator, self.key, self.values, today or aws_conditions.today_utc(), present)


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]  # patterns from Action or NotAction, as written (matched case-insensitively)
    not_action: bool
    resources: tuple[str, ...]  # patterns from Resource or NotResource; () in trust policies
    not_resource: bool
    principals: dict[str, tuple[str, ...]] | None  # kind -> values; {"*": ("*",)} for Principal "*"
    not_principal: bool
    conditions: tuple[Condition, ...]

    @property
    def label(self) -> str:
        return f"Statement[{self.index}]" + (f" ({self.sid})" if self.sid else "")

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    @cached_property
    def _action_matchers(self) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        """Literal action names (lower-cased) and compiled wildcard patterns, built once per statement."""
        literal = frozenset(p.lower() for p in self.actions if "*" not in p and "?" not in p)
        wildcards = tuple(action_pattern_regex(p) for p in self.actions if "*" in p or "?" in p)
        return literal, wildcards

    def verdict(self, today: date | None = None, present: tuple[str, ...] = ()) -> str:
        """What the Condition block does, taken together (aws_conditions): ALWAYS when it has none."""
        today = today or aws_conditions.today_utc()
        return aws_conditions.statement_verdict(c.verdict(today, present) for c in self.conditions)

    def unconditional(self, today: date | None = None) -> bool:
        """No condition, or only conditions that provably always hold (so a Deny surely applies)."""
        return not self.conditions or self.verdict(today) == aws_conditions.ALWAYS

    def inert(self, today: date | None = None) -> bool:
        """A condition that can never hold again (DateLessThan aws:CurrentTime in the past): the statement is dead."""
        return bool(self.conditions) and self.verdict(today) == aws_conditions.NEVER

    def matches_action(self, action: str) -> bool:
        """Does this statement apply to `action` ("iam:PassRole"), honouring NotAction?"""
        literal, wildcards = self._action_matchers
        lowered = action.lower()
        hit = lowered in literal or any(regex.match(lowered) for regex in wildcards)
        return hit != self.not_action


@dataclass(frozen=True)
class PolicyDocument:
    kind: str
    version: str
    statements: tuple[Statement, ...]


@lru_cache(maxsize=4096)
def action_pattern_regex(pattern: str) -> re.Pattern[str]:
    """IAM action wildcards: `*` any run of characters, `?` one character; case-insensitive."""
    return re.compile("^" + re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def parse_policy(document: Any, kind: str = IDENTITY) -> PolicyDocument:
    """Parse a policy given as a JSON string or an already-decoded object.

    JSON strings (how the engine sends policy inputs) are parsed once and
    remembered: several rules judge the same document.
    """
    if isinstance(document, str):
        return _parse_text(document, kind)
    return _parse(document, kind)


@lru_cache(maxsize=512)
def _parse_text(text: str, kind: str) -> PolicyDocument:
    return _parse(text, kind)


def _parse(document: Any, kind: str) -> PolicyDocument:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if is_unknown(document):
        raise PolicyParseError("the policy is not known yet")
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8", errors="replace")
    if isinstance(document, str):
        try:
            document = input_limits.strict_json(document)  # a name twice could read one way here, another in AWS
        except (ValueError, RecursionError) as error:
            raise PolicyParseError(f"not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise PolicyParseError(f"a policy must be a JSON object, not {type(document).__name__}")
    version = document.get("Version", "2008-10-17")
    if version not in _VERSIONS:
        raise PolicyParseError(f"Version must be 2012-10-17, not {version!r}")
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyParseError("Statement must be an object or a non-empty list of objects")
    statements = tuple(_parse_statement(index, raw, kind) for index, raw in enumerate(raw_statements))
    return PolicyDocument(kind, version, statements)


def _parse_statement(index: int, raw: Any, kind: str) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, dict):
        raise PolicyParseError(f"{where} must be an object")
    unknown_keys = set(raw) - _STATEMENT_KEYS
    if unknown_keys:
        raise PolicyParseError(f"{where} has unknown keys {sorted(unknown_keys)}")
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyParseError(f"{where}: Sid must be a string")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyParseError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    actions, not_action = _one_of(raw, "Action", "NotAction", where, required=True)
    for action in actions:
        if not _ACTION.match(action):
            raise PolicyParseError(f"{where}: {action!r} is not an action (service:Name)")
    resources, not_resource = _one_of(raw, "Resource", "NotResource", where, required=kind != TRUST)
    if kind == TRUST and resources:
        raise PolicyParseError(f"{where}: a trust policy has no Resource")
    principals, not_principal = _principals(raw, where, required=kind != IDENTITY)
    if kind == IDENTITY and principals is not None:
        raise PolicyParseError(f"{where}: an identity policy has no Principal")
    return Statement(
        index=index, sid=sid, effect=effect,
        actions=tuple(actions), not_action=not_action,
        resources=tuple(resources), not_resource=not_resource,
        principals=principals, not_principal=not_principal,
        conditions=_conditions(raw.get("Condition"), where),
    )


def _strings(value: Any, what: str) -> list[str]:
    items = as_list(value)
    if not items or not all(isinstance(item, str) and item for item in items):
        raise PolicyParseError(f"{what} must be a non-empty string or list of non-empty strings")
    return items


def _one_of(raw: dict, key: str, negated_key: str, where: str, *, required: bool) -> tuple[list[str], bool]:
    if key in raw and negated_key in raw:
        raise PolicyParseError(f"{where} has both {key} and {negated_key}")
    if key in raw:
        return _strings(raw[key], f"{where}.{key}"), False
    if negated_key in raw:
        return _strings(raw[negated_key], f"{where}.{negated_key}"), True
    if required:
        raise PolicyParseError(f"{where} needs {key} or {negated_key}")
    return [], False


def _principals(raw: dict, where: str, *, required: bool) -> tuple[dict[str, tuple[str, ...]] | None, bool]:
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyParseError(f"{where} has both Principal and NotPrincipal")
    key = "Principal" if "Principal" in raw else "NotPrincipal" if "NotPrincipal" in raw else None
    if key is None:
        if required:
            raise PolicyParseError(f"{where} needs a Principal")
        return None, False
    value = raw[key]
    if value == "*":
        return {"*": ("*",)}, key == "NotPrincipal"
    if not isinstance(value, dict) or not value:
        raise PolicyParseError(f"{where}.{key} must be \"*\" or an object such as {{\"AWS\": ...}}")
    principals: dict[str, tuple[str, ...]] = {}
    for principal_kind, values in value.items():
        if principal_kind not in _PRINCIPAL_KINDS:
            raise PolicyParseError(f"{where}.{key} has unknown principal type {principal_kind!r}")
        principals[principal_kind] = tuple(_strings(values, f"{where}.{key}.{principal_kind}"))
        for value in principals[principal_kind]:
            if ("*" in value or "?" in value) and not (principal_kind == "AWS" and value == "*"):
                # IAM refuses the document ("Invalid principal in policy"): it must not pass as if it were narrow
                raise PolicyParseError(
                    f"{where}.{key}.{principal_kind}: {value!r} has a wildcard inside a principal, which IAM rejects; "
                    "use Principal \"*\" with an aws:PrincipalOrgID or aws:PrincipalArn (ArnLike) condition instead")
    return principals, key == "NotPrincipal"


def _condition_value(value: Any, what: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # never through float: a 401-digit integer would overflow it
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PolicyParseError(f"{what} values must be finite numbers, not {value}")
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value
    raise PolicyParseError(f"{what} values must be strings, numbers or booleans")


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyParseError(f"{where}.Condition must be an object")
    conditions = []
    for operator, block in raw.items():
        if not isinstance(operator, str) or not operator or not isinstance(block, dict) or not block:
            raise PolicyParseError(f"{where}.Condition.{operator} must map condition keys to values")
        for key, values in block.items():
            what = f"{where}.Condition.{operator}.{key}"
            items = as_list(values)
            if not isinstance(key, str) or not key or not items:
                raise PolicyParseError(f"{what} needs a key and at least one value")
            conditions.append(Condition(operator, key.lower(), tuple(_condition_value(v, what) for v in items)))
    return tuple(conditions)
