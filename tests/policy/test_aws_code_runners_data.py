"""The data of AGID-AWS-057 (policy_packs/analysis/aws_code_runners.yaml) names real inputs, and says something about
every pulumi-aws resource that takes an IAM role.

1. Every runner and starter path is an input of the installed pulumi_aws SDK, step by step (a misspelt member would
   make the rule silently read nothing there). A step inside an input the SDK types as a string is inside JSON text
   (Batch `containerProperties`), whose members are AWS's API names and are not checked here.
2. Every resource type of the installed SDK with an input naming a role (`...RoleArn`, `...Role`, `role`,
   `...RoleName`, at any depth) is either a runner or listed under `not_runners` with a reason, exactly once; and
   every listed type still has such an input. A provider upgrade adding a resource that takes a role fails here until
   someone decides whether it runs code as that role.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

import pytest
import yaml

from agentid_policy_packs.rules.aws_deploy_time_exec import RUNNERS_FILE
from agentid_policy_packs.rules.coverage import provider_tokens

_ARGS = re.compile(r"'(\w+Args)'")
_ROLE_INPUT = re.compile(r"(^role|Role|RoleArns?|roleArns?|RoleName)$")


def _data() -> dict:
    return yaml.safe_load(RUNNERS_FILE.read_text(encoding="utf-8"))


def _args_class(token: str):
    _, module, kind = token.split(":")
    package = module.split("/")[0]
    try:
        found = importlib.import_module(f"pulumi_aws.{package}")
    except ImportError:
        found = importlib.import_module(f"pulumi_aws.{package}_")  # lambda -> lambda_
    return getattr(found, f"{kind}Args", None)


def _inputs(cls) -> dict[str, property]:
    return {getattr(member.fget, "_pulumi_name", name): member
            for name, member in vars(cls).items() if isinstance(member, property)}


def _nested(cls, member: property):
    names = _ARGS.findall(str(member.fget.__annotations__.get("return")))
    if not names:
        return None
    return getattr(importlib.import_module(cls.__module__.rsplit(".", 1)[0] + "._inputs"), names[0], None)


def _missing_step(token: str, path: str) -> str | None:
    cls = _args_class(token)
    for step in path.split("."):
        if cls is None:
            return None  # inside JSON text (a string input): AWS's own member names
        name = step.removesuffix("[]")
        members = _inputs(cls)
        if name not in members:
            return f"{name} (in {cls.__name__})"
        cls = _nested(cls, members[name])
    return None


def _role_inputs(cls, prefix: str = "", depth: int = 0) -> list[str]:
    found: list[str] = []
    if cls is None or depth > 6:
        return found
    for name, member in _inputs(cls).items():
        path = f"{prefix}.{name}" if prefix else name
        nested = _nested(cls, member)
        if nested is not None:
            found += _role_inputs(nested, path, depth + 1)
        elif _ROLE_INPUT.search(name):
            found.append(path)
    return found


@lru_cache(maxsize=1)
def _sdk_role_inputs() -> dict[str, list[str]]:
    """type token -> its role input paths, for every resource of the installed pulumi_aws that has one."""
    found = {}
    for token in sorted(provider_tokens("pulumi_aws")):
        paths = _role_inputs(_args_class(token))
        if paths:
            found[token] = paths
    return found


def _paths():
    data = _data()
    for token, spec in data["runners"].items():
        for path in (*spec.get("role", ()), *spec.get("profile", ()), *spec.get("when", {})):
            yield token, path
    for token, spec in data["starters"].items():
        for path in spec.get("names", ()):
            yield token, path


@pytest.mark.parametrize(("token", "path"), sorted(set(_paths())))
def test_every_runner_and_starter_path_is_an_input_of_the_installed_sdk(token: str, path: str) -> None:
    assert _missing_step(token, path) is None, (token, path, _missing_step(token, path))


def test_a_misspelt_path_is_caught() -> None:  # the check above can fail
    assert _missing_step("aws:eks/nodeGroup:NodeGroup", "nodeRole") == "nodeRole (in NodeGroupArgs)"
    assert _missing_step("aws:batch/jobDefinition:JobDefinition", "containerProperties.jobRoleArn") is None


def test_every_sdk_resource_taking_a_role_is_a_runner_or_says_why_not() -> None:
    data = _data()
    listed = [token for category in data["not_runners"].values() for token in category["types"]]
    assert all(category["reason"].strip() for category in data["not_runners"].values())
    assert len(listed) == len(set(listed)), "a type listed twice under not_runners"
    assert not set(listed) & set(data["runners"]), "a type both judged and left out"
    sdk = _sdk_role_inputs()
    # the walk finds the inputs the brief names (the check can fail)
    assert "nodeRoleArn" in sdk["aws:eks/nodeGroup:NodeGroup"] and "role" in sdk["aws:lambda/function:Function"]
    unexplained = sorted(set(sdk) - set(data["runners"]) - set(listed))
    assert unexplained == [], f"resources taking a role that aws_code_runners.yaml does not mention: {unexplained}"
    stale = sorted(token for token in listed if token not in sdk)
    assert stale == [], f"not_runners types without a role input in the installed SDK: {stale}"
