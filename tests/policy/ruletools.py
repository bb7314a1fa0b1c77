"""Helpers for rule tests: build resources as the engine sends them and run one rule."""

from __future__ import annotations

import json
from typing import Any

from agentid_policy_packs.rules.base import Resource, Unknown, Violation, run_resource_rule, run_stack_rule
from agentid_policy_packs.rules.registry import RULES_BY_ID

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ACCOUNT = "123456789012"
GOOD_TAGS = {"agent": "triage", "owner": "team-sre@example.com", "review-by": "2999-01-01"}


def resource(type_: str, props: dict[str, Any], name: str = "r", deps: tuple[str, ...] = ()) -> Resource:
    return Resource(type_, name, f"urn:pulumi:dev::kit::{type_}::{name}", props, None, deps)


def outcomes(rule_id: str, type_: str, props: dict[str, Any], config: dict | None = None, name: str = "r"):
    return run_resource_rule(RULES_BY_ID[rule_id], resource(type_, props, name), config)


def violations(rule_id: str, type_: str, props: dict[str, Any], config: dict | None = None, name: str = "r") -> list[str]:
    return [o.message for o in outcomes(rule_id, type_, props, config, name) if isinstance(o, Violation)]


def unknowns(rule_id: str, type_: str, props: dict[str, Any], config: dict | None = None) -> list[str]:
    return [o.path for o in outcomes(rule_id, type_, props, config) if isinstance(o, Unknown)]


def stack_outcomes(rule_id: str, resources: list[Resource], config: dict | None = None):
    return run_stack_rule(RULES_BY_ID[rule_id], resources, config)


def policy(*statements: dict[str, Any]) -> str:
    """An IAM policy as the engine sends it: a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
