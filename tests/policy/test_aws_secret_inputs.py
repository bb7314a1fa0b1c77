"""The table of AWS inputs that hold a credential (policy_packs/analysis/aws_secret_inputs.yaml) names real inputs.

Every path must be an input of the installed pulumi_aws SDK, step by step (a misspelt member would make AGID-AWS-007
silently read nothing there): each camelCase step is a property of the resource's (or nested input's) Args class.
"""

from __future__ import annotations

import importlib
import re

import pytest

from agentid_policy_packs.analysis import aws_secret_inputs

_ARGS = re.compile(r"'(\w+Args)'")


def _args_class(token: str):
    _, module, kind = token.split(":")
    return getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), f"{kind}Args")


def _inputs(cls) -> dict[str, property]:
    return {getattr(member.fget, "_pulumi_name", name): member
            for name, member in vars(cls).items() if isinstance(member, property)}


def _missing_step(token: str, path: str) -> str | None:
    cls = _args_class(token)
    for step in path.split("."):
        if step in ("*", "**"):
            return None  # map members: any name
        name = step.removesuffix("[]")
        members = _inputs(cls)
        if name not in members:
            return f"{name} (in {cls.__name__})"
        nested = _ARGS.findall(str(members[name].fget.__annotations__.get("return")))
        if nested:
            cls = getattr(importlib.import_module(cls.__module__.rsplit(".", 1)[0] + "._inputs"), nested[0])
    return None


@pytest.mark.parametrize("token", sorted(aws_secret_inputs.table()))
def test_every_path_is_an_input_of_the_installed_sdk(token: str) -> None:
    entry = aws_secret_inputs.table()[token]
    assert entry["secret"] or entry["scan"], token
    for path in (*entry["secret"], *entry["scan"]):
        assert _missing_step(token, path) is None, (token, path, _missing_step(token, path))


def test_a_misspelt_path_is_caught() -> None:  # the check above can fail
    assert _missing_step("aws:mq/broker:Broker", "users[].passwd") == "passwd (in BrokerUserArgs)"


def test_values_are_found_with_their_concrete_path_and_key() -> None:
    found = list(aws_secret_inputs.found("aws:mq/broker:Broker", {"users": [{"username": "a", "password": "p1"},
                                                                            {"username": "b"}]}))
    assert [(f.path, f.key, f.by_type, f.value) for f in found] == [("users[0].password", "password", True, "p1")]
    assert [(f.path, f.shape) for f in aws_secret_inputs.found("aws:mq/broker:Broker", {"users": {"a": 1}})] == [
        ("users", "not a list")]
    glue = aws_secret_inputs.found("aws:glue/connection:Connection", {"connectionProperties": {"USERNAME": "app"}})
    assert [(f.path, f.key, f.by_type) for f in glue] == [("connectionProperties.USERNAME", "USERNAME", False)]
