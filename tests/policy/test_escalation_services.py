"""Every AWS service whose API takes an IAM role has an escalation method or a recorded reason (AGID-AWS-020 sweep).

policy_packs/analysis/escalation_services.yaml lists, by botocore signing name, the services of the installed botocore
with an operation input naming a role that no method of escalation_methods.yaml covers: each with the reason the role
cannot run code or calls of the holder's choice (`no_method`), or as still to decide (`unclassified`). A service a
botocore upgrade adds fails here until someone decides it; a listed service that gains a method, or loses its role
inputs, fails as stale.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import botocore.session

from agentid_components import data_yaml, iam_catalog
from agentid_policy_packs.analysis import escalation_methods
from agentid_policy_packs.analysis import escalation as escalation_module

DATA = data_yaml.load(Path(escalation_module.__file__).with_name("escalation_services.yaml"))
_ROLE = re.compile(r"(RoleArn|RoleARN|ExecutionRole|ServiceRole|IamRole|RoleName$|^Role$)")


def _role_members(shape, path: str, seen: frozenset, out: list[str], depth: int = 0) -> None:
    if shape is None or depth > 6:
        return
    if shape.type_name == "structure":
        if shape.name in seen:
            return
        for name, member in shape.members.items():
            if _ROLE.search(name) and member.type_name == "string":
                out.append(path + name)
            _role_members(member, f"{path}{name}.", seen | {shape.name}, out, depth + 1)
    elif shape.type_name == "list":
        _role_members(shape.member, f"{path}[].", seen, out, depth + 1)


@lru_cache(maxsize=1)
def role_taking_services() -> dict[str, dict[str, list[str]]]:
    """signing name -> {operation: its role input paths}, over every service model of the installed botocore."""
    session = botocore.session.get_session()
    found: dict[str, dict[str, list[str]]] = {}
    for name in session.get_available_services():
        model = session.get_service_model(name)
        for operation in model.operation_names:
            shape = model.operation_model(operation).input_shape
            paths: list[str] = []
            _role_members(shape, "", frozenset(), paths)
            if paths:
                found.setdefault(model.signing_name or model.endpoint_prefix, {})[operation] = paths
    return found


def covered() -> set[str]:
    """IAM prefixes with an action some method requires (iam:PassRole aside: it names no service of its own)."""
    return {r.action.split(":", 1)[0] for m in escalation_methods() for r in m.requires if r.action != "iam:PassRole"}


def _prefix(service: str) -> str:
    return DATA["iam_prefixes"].get(service, service)


def test_the_walk_finds_role_inputs_as_the_models_name_them() -> None:  # the completeness check below can fail
    services = role_taking_services()
    assert "Role" in services["lambda"]["CreateFunction"]
    assert "ExecutionRoleArn" in services["budgets"]["CreateBudgetAction"]
    assert "configuration.executionRoleArn" in services["devicefarm"]["ScheduleRun"]
    assert "RoleArn" in services["cloudcontrolapi"]["CreateResource"]


def test_every_service_taking_a_role_has_a_method_a_reason_or_is_still_to_classify() -> None:
    decided, open_ = DATA["no_method"], DATA["unclassified"]
    assert not set(decided) & set(open_), "a service both decided and still to classify"
    methods = covered()
    undecided = sorted(s for s in role_taking_services()
                       if _prefix(s) not in methods and s not in decided and s not in open_)
    assert undecided == [], f"services taking a role with no method, no reason and not listed to classify: {undecided}"


def test_no_listed_service_is_stale() -> None:
    services, methods = role_taking_services(), covered()
    for service in (*DATA["no_method"], *DATA["unclassified"]):
        assert service in services, f"{service}: no operation of the installed botocore takes a role any more"
        assert _prefix(service) not in methods, f"{service}: a method covers it now; remove it from the list"
    for service, prefix in DATA["iam_prefixes"].items():
        assert service in services and iam_catalog.actions_of_service(prefix), (service, prefix)


def test_each_reason_and_open_question_says_something() -> None:
    for service, text in (*DATA["no_method"].items(), *DATA["unclassified"].items()):
        assert isinstance(text, str) and len(text) > 30, service
