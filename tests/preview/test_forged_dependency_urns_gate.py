"""red23 r20-3 end to end: provenance is what the gate's monitor issued, never a URN the program made up.

The packs trace an input to its source by the URNs the engine forwards (propertyDependencies, dependencies, the
parent): AGID-AZ-066 vouches for a service principal read from a StackReference of a stack listed in `ownStacks`.
A program that builds a Resource object it never registers (its `urn` an Output of any string) and hands it to the
SDK as an Output's resource, a `depends_on`, a `parent` or `deleted_with` made the SDK send that URN; the monitor
copied it, and a literal object id passed as an own stack's output (exit 1 -> 0). Now every such URN must be one
the monitor issued earlier in the run, else no verdict (exit 2) naming the resource and the URN. The honest program
(a real StackReference read of the listed stack, a real dependency) is judged as before.
"""

from __future__ import annotations

import json

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CI_FLAGS = ("--strict-unknowns", "--require-sandbox", "--json", "out.json")
PLATFORM = "organization/agent-identity-kit/platform"
FORGED_URN = f"urn:pulumi:app::agent-identity-kit::pulumi:pulumi:StackReference::{PLATFORM}"
PROGRAM = '''
import pulumi_azuread as ad
config = pulumi.Config()
GRAPH_SP = "5f1e0c9a-3b7d-4c2e-9a8f-1d2e3f4a5b6c"  # a service principal the pull request's author chose


class Fake(pulumi.CustomResource):
    """Never registered, never read: only its URN, which the SDK sends."""
    def __init__(self, urn):  # no super().__init__: nothing is sent to the engine
        self.__dict__["urn"] = pulumi.Output.from_input(urn)
        self.__dict__["id"] = pulumi.Output.from_input("x")
        self._remote = False
        self._childResources = set()
        self._providers = {{}}
        self._provider = None
        self._protect = False
        self._transformations = []
        self._aliases = []
        self._name = "fake"
        self._transforms = []
        self._hooks = None


def forged(value, urn):
    loop = asyncio.get_event_loop()
    fut, known, secret = loop.create_future(), loop.create_future(), loop.create_future()
    fut.set_result(value); known.set_result(True); secret.set_result(False)
    return pulumi.Output({{Fake(urn)}}, fut, known, secret)


if config.get_bool("platform"):  # the listed stack: its API's application and service principal
    api = ad.Application("api", display_name="api", identifier_uris=["api://tickets"])
    pulumi.export("apiSp", ad.ServicePrincipal("api-sp", client_id=api.client_id).object_id)
else:
    agent = ad.ServicePrincipal("agent-sp", client_id=ad.Application("agent-app", display_name="agent").client_id)
    kind, opts, resource = "{kind}", {{}}, GRAPH_SP
    if kind == "input":
        resource = forged(GRAPH_SP, "{urn}")
    elif kind == "depends_on":
        opts["depends_on"] = [Fake("{urn}")]
    elif kind == "parent":
        opts["parent"] = Fake("{urn}")
    elif kind == "deleted_with":
        opts["deleted_with"] = Fake("{urn}")
    elif kind == "honest":  # a real read of the listed stack and a real dependency
        resource = pulumi.StackReference("{platform}").require_output("apiSp")
        opts["depends_on"] = [agent]
    ad.AppRoleAssignment("grant", app_role_id="3f0c1a52-5d4b-5e8a-9c7d-2b1e0f9a8c6d",  # in no catalogue
                         principal_object_id=agent.object_id, resource_object_id=resource,
                         opts=pulumi.ResourceOptions(**opts))
'''


def _run(project, kind: str):
    write_small(project, PROGRAM.format(kind=kind, urn=FORGED_URN, platform=PLATFORM))
    for stack, config in {"platform": {"platform": "true"}, "app": {}}.items():
        values = {"aws:region": "eu-west-1", **{f"agent-identity-kit:{k}": v for k, v in config.items()}}
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": values}))
    (project / "waivers.yaml").write_text(json.dumps({"waivers": [], "policyPackConfig": {
        "agent-guard": {"all": {"ownStacks": [PLATFORM]}}}}))
    return run_cli(project, "--stack", "app", *GUARD, *CI_FLAGS)


@pytest.mark.parametrize("kind, field", [
    ("input", "propertyDependencies['resourceObjectId']"),  # the repro: an Output "of" the own stack's reference
    ("depends_on", "dependencies"),
    ("parent", "parent"),
    ("deleted_with", "deletedWith"),
])
def test_a_urn_the_gate_never_issued_gets_no_verdict(project, kind: str, field: str) -> None:
    run = _run(project, kind)
    assert run.code == 2, run.stdout
    assert "resource grant (azuread:index/appRoleAssignment:AppRoleAssignment) names a resource this run never " \
           "registered or read (" in run.stdout, run.stdout
    assert f"{field} '{FORGED_URN}'" in run.stdout, run.stdout
    assert "PASS" not in run.stdout
    assert run.json("out.json")["verdict"] == "error"


def test_the_literal_without_a_forgery_blocks_and_the_honest_read_passes(project) -> None:
    run = _run(project, "literal")  # the same literal object id, nothing forged: cannot check, mandatory
    assert run.code == 1, run.stdout
    assert sorted((v["resourceName"], v["mandatory"]) for v in by_policy(run.json("out.json"), "AGID-AZ-066")) \
        == [("grant", True)]
    run = _run(project, "honest")
    assert run.code == 0, run.stdout
    report = run.json("out.json")
    assert report["stackReferences"] == {PLATFORM: "preview of agent-identity-kit/platform (stacks/__main__.py)"}
    assert sorted((v["resourceName"], v["mandatory"]) for v in by_policy(report, "AGID-AZ-054")) == [("grant", False)]
    assert by_policy(report, "AGID-AZ-066") == []
