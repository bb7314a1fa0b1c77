"""Every rule setting declares which way is stricter, and the comparison the gate makes with it (issue 11)."""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules import strictness
from agentid_policy_packs.rules.base import Rule
from agentid_policy_packs.rules.crossguard import to_policy
from agentid_policy_packs.rules.registry import RULES_BY_ID


def test_every_rule_property_declares_its_strict_direction_and_publishes_it() -> None:
    configured = {rule.id: rule for rule in RULES_BY_ID.values() if rule.config}
    assert {"AGID-AWS-004", "AGID-LIFE-001"} <= set(configured)  # the lifetime caps are among them
    for rule in configured.values():
        assert set(rule.config_strictness) == set(rule.config), rule.id
        published = to_policy(rule).config_schema.properties
        for key, kind in rule.config_strictness.items():
            assert published[key][strictness.KEYWORD] == kind, (rule.id, key)
    own = [r for r in RULES_BY_ID.values() if "ownAccountIds" in r.config]
    assert len(own) >= 2 and all(r.config_strictness["ownAccountIds"] == "subset" for r in own)


def rule(**config_fields) -> Rule:
    return Rule(id="AGID-TEST-001", title="t", severity="high", category="lifetime", description="d",
                remediation="r", url="https://example.com", check=lambda resource, settings: [], **config_fields)


@pytest.mark.parametrize("fields, message", [
    ({"config": {"maxLifetimeMinutes": 60}}, "maxLifetimeMinutes declares no strictness"),
    ({"config": {"maxLifetimeMinutes": 60}, "config_strictness": {"maxLifetimeMinutes": "subset"}}, "does not fit"),
    ({"config": {"ids": []}, "config_strictness": {"ids": "lower"}}, "does not fit"),
    ({"config": {"strict": True}, "config_strictness": {"strict": "lower"}}, "does not fit"),
    ({"config": {}, "config_strictness": {"ghost": "lower"}}, "'ghost', which is not a config property"),
])
def test_a_rule_without_a_fitting_declaration_cannot_be_built(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule(**fields)


@pytest.mark.parametrize("kind, value, baseline, stricter", [
    ("lower", 30, 60, True), ("lower", 60, 60, True), ("lower", 61, 60, False), ("lower", "30", 60, False),
    ("higher", 90, 60, True), ("higher", 59.5, 60, False), ("lower", True, 60, False),
    ("subset", [], ["111122223333"], True), ("subset", ["111122223333"], ["111122223333"], True),
    ("subset", ["111122223333", "999999999999"], ["111122223333"], False), ("subset", [{"a": 1}], [], False),
    ("superset", ["owner", "purpose"], ["owner"], True), ("superset", [], ["owner"], False),
    (True, True, False, True), (True, False, True, False), (False, False, True, True),
    (None, 30, 60, False), (None, 60, 60, True),  # no direction published: only the baseline itself
])
def test_at_least_as_strict(kind, value, baseline, stricter: bool) -> None:
    assert strictness.at_least_as_strict(kind, value, baseline) is stricter
