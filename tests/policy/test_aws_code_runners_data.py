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

import re
from functools import lru_cache

import pytest
import yaml

from agentid_policy_packs.rules.aws_deploy_time_exec import RUNNERS_FILE
from agentid_policy_packs.rules.coverage import provider_tokens
from tests.policy.aws_sdk_inputs import args_class, matching_inputs, missing_step

_ROLE_INPUT = re.compile(r"(^role|Role|RoleArns?|roleArns?|RoleName)$")


def _data() -> dict:
    return yaml.safe_load(RUNNERS_FILE.read_text(encoding="utf-8"))


def _role_inputs(cls) -> list[str]:
    return matching_inputs(cls, lambda name: bool(_ROLE_INPUT.search(name)))


@lru_cache(maxsize=1)
def _sdk_role_inputs() -> dict[str, list[str]]:
    """type token -> its role input paths, for every resource of the installed pulumi_aws that has one."""
    found = {}
    for token in sorted(provider_tokens("pulumi_aws")):
        paths = _role_inputs(args_class(token))
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
    for token, entries in data["inherits"].items():  # issue 11: inputs naming an object whose identity is run as
        for entry in entries:
            prefix = f"{entry['each']}." if "each" in entry else ""  # `paths` and `when` are inside each item
            for path in (*(prefix + p for p in (*entry["paths"], *entry.get("when", {}))), *entry.get("unless", ())):
                yield token, path
            for kind in entry["kinds"]:
                yield kind, None


def test_every_inherited_object_kind_is_a_runner_or_carries_its_identity_on() -> None:
    """An object a resource inherits its identity from is judged where the stack defines it: a runner, or a carrier
    that itself inherits (a Lambda alias runs its function)."""
    data = _data()
    for token, entries in data["inherits"].items():
        for entry in entries:
            assert entry["what"] and entry["object"] and entry["source"].startswith("https://docs.aws.amazon.com/"), token
            for kind in entry["kinds"]:
                assert kind in data["runners"] or kind in data["inherits"], (token, kind)
    for task in data["state_machine_tasks"]:  # Step Functions task states: the objects they run are runners
        assert task["what"] and task["object"] and task["source"].startswith("https://docs.aws.amazon.com/"), task
        assert all(kind in data["runners"] or kind in data["inherits"] for kind in task["kinds"]), task


@pytest.mark.parametrize(("token", "path"), sorted(set(_paths()), key=lambda pair: (pair[0], pair[1] or "")))
def test_every_runner_and_starter_path_is_an_input_of_the_installed_sdk(token: str, path: str | None) -> None:
    if path is None:  # a type an inherits entry names: a resource of the installed SDK
        assert token in provider_tokens("pulumi_aws"), token
        return
    assert missing_step(token, path) is None, (token, path, missing_step(token, path))


def test_a_misspelt_path_is_caught() -> None:  # the check above can fail
    assert missing_step("aws:eks/nodeGroup:NodeGroup", "nodeRole") == "nodeRole (in NodeGroupArgs)"
    assert missing_step("aws:batch/jobDefinition:JobDefinition", "containerProperties.jobRoleArn") is None


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
