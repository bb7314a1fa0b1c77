"""AGID-AZ-066 end to end with StackReferences: the gate decides which referenced stacks are own, not the pull request.

An app role assignment whose resource service principal is a StackReference output of the stack the gate lists in
`ownStacks` (the base branch's waivers.yaml) is judged by the role it grants (an own API's role: AGID-AZ-054
advisory, exit 0). The same program referencing another stack of the project, one the pull request added that
exports Microsoft Graph's object id, blocks as cannot check (AGID-AZ-066, exit 1); naming the StackReference after the
listed stack while reading the other (`stack_name=`) gets no verdict (exit 2).
"""

from __future__ import annotations

import json

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CI_FLAGS = ("--strict-unknowns", "--require-sandbox", "--json", "out.json")
PLATFORM = "organization/agent-identity-kit/platform"
EVIL = "organization/agent-identity-kit/evil"
PROGRAM = '''
import pulumi_azuread as ad
config = pulumi.Config()
if config.get_bool("evil"):  # a stack the pull request added: "its API" is Graph's service principal
    pulumi.export("apiSp", "5f1e0c9a-3b7d-4c2e-9a8f-1d2e3f4a5b6c")
elif config.get("ref"):
    shared = pulumi.StackReference(config.get("ref"), stack_name=config.get("reads"))
    agent = ad.ServicePrincipal("agent-sp", client_id=ad.Application("agent-app", display_name="agent").client_id)
    ad.AppRoleAssignment("grant", app_role_id="3f0c1a52-5d4b-5e8a-9c7d-2b1e0f9a8c6d",  # in no catalogue
                         principal_object_id=agent.object_id, resource_object_id=shared.require_output("apiSp"))
else:  # the platform: its API's application and service principal
    api = ad.Application("api", display_name="api", identifier_uris=["api://tickets"])
    pulumi.export("apiSp", ad.ServicePrincipal("api-sp", client_id=api.client_id).object_id)
'''


def _setup(project, stacks: dict[str, dict[str, str]]) -> None:
    write_small(project, PROGRAM)
    for stack, config in stacks.items():
        values = {"aws:region": "eu-west-1", **{f"agent-identity-kit:{k}": v for k, v in config.items()}}
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": values}))
    (project / "waivers.yaml").write_text(json.dumps({"waivers": [], "policyPackConfig": {
        "agent-guard": {"all": {"ownStacks": [PLATFORM]}}}}))


def _run(project, stack: str):
    return run_cli(project, "--stack", stack, *GUARD, *CI_FLAGS)


def _levels(report: dict, policy: str) -> list[tuple[str, bool]]:
    return sorted((v["resourceName"], v["mandatory"]) for v in by_policy(report, policy))


def test_the_listed_platform_stacks_service_principal_is_judged_by_the_role(project) -> None:
    _setup(project, {"platform": {}, "app": {"ref": PLATFORM}})
    run = _run(project, "app")
    assert run.code == 0, run.stdout
    report = run.json("out.json")
    assert report["stackReferences"] == {PLATFORM: "preview of agent-identity-kit/platform (stacks/__main__.py)"}
    assert _levels(report, "AGID-AZ-054") == [("grant", False)]
    assert _levels(report, "AGID-AZ-066") == []


def test_a_stack_the_pull_request_chose_fails_closed(project) -> None:
    _setup(project, {"evil": {"evil": "true"}, "sneaky": {"ref": EVIL}})
    run = _run(project, "sneaky")
    assert run.code == 1, run.stdout
    report = run.json("out.json")
    assert _levels(report, "AGID-AZ-066") == [("grant", True)]
    [finding] = by_policy(report, "AGID-AZ-066")
    assert f"stack reference '{EVIL}', a stack the gate does not list as own (ownStacks)" in finding["message"]


def test_a_reference_named_after_the_listed_stack_that_reads_another_gets_no_verdict(project) -> None:
    _setup(project, {"evil": {"evil": "true"}, "sneaky": {"ref": PLATFORM, "reads": EVIL}})
    run = _run(project, "sneaky")
    assert run.code == 2, run.stdout
    said = " ".join(run.stdout.split())
    assert (f"the program reads stack '{EVIL}' through a StackReference named '{PLATFORM}': name the StackReference "
            "after the stack it reads") in said, said
