"""Adapt the pure rules to pulumi_policy (CrossGuard) policies. Importing this does not start a pack.

Per rule: a ResourceValidationPolicy (or StackValidationPolicy) named by the
rule id, with its severity, remediation, URL, default enforcement level and
config schema, so `Configure` can change each rule's level and settings.
Outcomes map to the protocol: a Violation is reported at the policy's level;
Unknowns become the SDK's advisory "can't run policy during preview"
diagnostic with our "cannot check until known" message. A rule that raises
anyway (a bug) is reported as a violation, never a crash: fail closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .base import Outcome, Resource, Rule, Unknown, run_resource_rule, run_stack_rule

_LEVELS = {level.value: level for level in EnforcementLevel}
_SEVERITIES = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}


def plain(value: Any) -> Any:
    """Unwrap the SDK's unknown-checking proxies into plain dicts and lists (sentinels stay strings)."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if hasattr(value, "keys"):
        target = value["__target"] if _has_target(value) else value
        return {key: plain(item) for key, item in target.items()}
    if hasattr(value, "__len__") and hasattr(value, "__getitem__"):
        target = value["__target"] if _has_target(value) else value
        return [plain(item) for item in target]
    return value


def _has_target(value: Any) -> bool:
    try:
        value["__target"]
        return True
    except (KeyError, TypeError, IndexError):
        return False


def _report(outcomes: Iterable[Outcome], report_violation, *, stack: bool) -> None:
    unknowns: list[Unknown] = []
    for outcome in outcomes:
        if isinstance(outcome, Unknown):
            unknowns.append(outcome)
        elif stack:
            report_violation(outcome.message, outcome.urn)
        else:
            report_violation(outcome.message)
    if unknowns:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "cannot check until known: " + ", ".join(sorted({u.path for u in unknowns})) + \
            " is computed during preview"
        raise error


def _resource_validation(rule: Rule):
    types = frozenset(rule.resource_types)

    def validate(args, report_violation) -> None:
        if args.resource_type not in types:
            return
        resource = Resource(args.resource_type, args.name, args.urn, plain(args.props),
                            getattr(args.opts, "parent", None))
        try:
            outcomes = run_resource_rule(rule, resource, args.get_config())
        except Exception as error:  # noqa: BLE001 - a rule bug must block, not crash the pack
            outcomes = [_internal_error(rule, error)]
        _report(outcomes, report_violation, stack=False)

    return validate


def _stack_validation(rule: Rule):
    def validate(args, report_violation) -> None:
        resources = [
            Resource(r.resource_type, r.name, r.urn, plain(r.props), r.parent.urn if r.parent else None,
                     tuple(d.urn for d in (r.dependencies or [])))
            for r in args.resources
        ]
        try:
            outcomes = run_stack_rule(rule, resources, args.get_config())
        except Exception as error:  # noqa: BLE001
            outcomes = [_internal_error(rule, error)]
        _report(outcomes, report_violation, stack=True)

    return validate


def _internal_error(rule: Rule, error: Exception):
    from .base import Violation

    return Violation(f"{rule.id} could not judge this resource ({type(error).__name__}: {error}); failing closed")


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    common = dict(
        name=rule.id,
        description=f"{rule.description} [{rule.title}]",
        enforcement_level=_LEVELS[rule.enforcement],
        severity=_SEVERITIES[rule.severity],
        remediation_steps=rule.remediation,
        url=rule.url,
        config_schema=PolicyConfigSchema(properties=dict(rule.config_schema)) if rule.config_schema else None,
    )
    if rule.stack:
        return StackValidationPolicy(validate=_stack_validation(rule), **common)
    return ResourceValidationPolicy(validate=_resource_validation(rule), **common)


def policies(rules: Iterable[Rule]) -> list:
    return [to_policy(rule) for rule in rules]
