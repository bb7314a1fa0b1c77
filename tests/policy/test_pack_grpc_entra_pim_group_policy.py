"""AGID-AZ-049 over gRPC: a PIM for Groups policy that drops approval, MFA and the authentication context on
activation (red9a 21: eligible members became active members with no check), and look-alikes that keep one."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

POLICY = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"
GROUP = "44444444-4444-4444-4444-444444444444"
NONE = {"requireApproval": False, "requireMultifactorAuthentication": False, "maximumDuration": "PT8H"}
CHECKED = {"requireApproval": True, "requireMultifactorAuthentication": True, "maximumDuration": "PT8H"}


def judged(pack, activation, role="member", level=None, **extra):
    props = {"groupId": GROUP, "roleId": role, **({"activationRules": activation} if activation is not None else {}),
             **extra}
    return flagged_names(pack, "AGID-AZ-049", (POLICY, "grmp", props), level)


@pytest.mark.parametrize("role", ["member", "owner"])
def test_activation_without_approval_mfa_or_context_blocks(pack, role):
    assert judged(pack, NONE, role, "mandatory") == ["grmp"]
    assert judged(pack, {**NONE, "requireConditionalAccessContext": ""}, role, "mandatory") == ["grmp"]


@pytest.mark.parametrize("keeps", [{"requireMultifactorAuthentication": True}, {"requireApproval": True},
                                   {"requireConditionalAccessContext": "c1"}])
def test_a_policy_keeping_one_check_passes(pack, keeps):
    assert judged(pack, {**NONE, **keeps}) == []


def test_settings_not_managed_here_keep_the_groups_policy(pack):
    assert judged(pack, None) == []
    assert judged(pack, {"maximumDuration": "PT8H"}) == []
    assert judged(pack, {"requireApproval": False}) == []  # MFA setting untouched: the current policy keeps it


def test_unknown_or_malformed_activation_rules_are_not_a_pass(pack):
    assert judged(pack, {**NONE, "requireMultifactorAuthentication": UNKNOWN}) == ["grmp"]
    assert judged(pack, ["requireApproval"], level="mandatory") == ["grmp"]


# --- issue 11: long activations, and assignments with no end ------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"activationRules": {**CHECKED, "maximumDuration": "PT23H30M"}},
    {"activationRules": {**CHECKED, "maximumDuration": "P1D"}},
    {"activeAssignmentRules": {"expirationRequired": False}},  # standing membership, no activation at all
    {"eligibleAssignmentRules": {"expirationRequired": False}},  # eligibility held for good
], ids=["activation-23h30", "activation-1d", "permanent-active", "permanent-eligibility"])
def test_long_activations_and_endless_assignments_block(pack, extra):
    activation = extra.pop("activationRules", CHECKED)
    assert judged(pack, activation, level="mandatory", **extra) == ["grmp"]


@pytest.mark.parametrize("extra", [
    {"activeAssignmentRules": {"expirationRequired": True, "expireAfter": "P90D"}},
    {"eligibleAssignmentRules": {"expireAfter": "P365D"}},
    {"eligibleAssignmentRules": {"expirationRequired": True}},
], ids=["active-90d", "eligible-one-year", "eligible-must-expire"])
def test_bounded_assignments_pass(pack, extra):
    assert judged(pack, CHECKED, **extra) == []
    assert judged(pack, None, **extra) == []


def test_unknown_or_unreadable_assignment_rules_are_not_a_pass(pack):
    assert judged(pack, CHECKED, eligibleAssignmentRules={"expirationRequired": UNKNOWN}) == ["grmp"]
    assert judged(pack, {**CHECKED, "maximumDuration": UNKNOWN}) == ["grmp"]
    assert judged(pack, {**CHECKED, "maximumDuration": "1 day"}, level="mandatory") == ["grmp"]
    assert judged(pack, CHECKED, activeAssignmentRules=[{"expirationRequired": False}], level="mandatory") == ["grmp"]
