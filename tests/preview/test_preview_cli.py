"""`agentid preview` end to end, against the one-rule trivial pack and packs that misbehave.

Each test copies the project (Pulumi.yaml + stacks/) to a temporary directory,
writes the program it needs, and runs the CLI as a user or CI does. The trivial
pack flags any resource named `forbidden` (advisory unless configured
mandatory), which is enough to drive every exit code and output format.
"""

from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from agentid_components.loader import load_inventory

from .conftest import FIXTURES, SARIF_SCHEMA, TRIVIAL_PACK, run_cli

# Agents as components with tagged children, as the real components build them; `extra` adds hand-written code.
PROGRAM = '''\
import pulumi
import pulumi_aws as aws
from agentid_components.loader import load_inventory
from agentid_components.naming import TAG_AGENT

loaded = load_inventory("agents/dev.yaml")


class Agent(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("test:index:Agent", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        aws.iam.Role(f"{{name}}-role", assume_role_policy="{{}}", tags={{TAG_AGENT: name}}, opts=child)
        aws.iam.RolePolicy(f"{{name}}-{agent_policy_suffix}", role=f"agent-{{name}}", policy="{{}}", opts=child)
        self.register_outputs({{}})


for agent in loaded.inventory.agents:
    Agent(agent.name)
{extra}
pulumi.export("agents", [agent.name for agent in loaded.inventory.agents])
'''


def write_program(project: Path, extra: str = "", agent_policy_suffix: str = "policy") -> Path:
    program = project / "stacks" / "__main__.py"
    program.write_text(PROGRAM.format(extra=textwrap.dedent(extra), agent_policy_suffix=agent_policy_suffix))
    (project / "waivers.yaml").unlink(missing_ok=True)  # the dev stack's waivers and trusted settings are not this program's
    return program


def mandatory_config(directory: Path) -> Path:
    config = directory / "trivial-mandatory.json"
    config.write_text(json.dumps({"trivial-name": "mandatory"}))
    return config


def assert_valid_sarif(document: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)


TRIVIAL = ("--policy-pack", str(TRIVIAL_PACK))
# `--timeout` for the runs that must end at it (a hanging program or pack): long enough for everything else of
# the run (a pack's start, the program's imports) on a loaded shared 2-core machine; the hang itself costs it whole.
LOADED_MACHINE_TIMEOUT = 30


def test_clean_stack_passes_and_groups_resources_by_agent(project: Path) -> None:
    write_program(project)
    run = run_cli(project, "--stack", "dev", *TRIVIAL, "--json", "out.json", "--sarif", "out.sarif", "--junit", "out.xml")
    assert run.code == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout
    result = run.json("out.json")
    assert result["verdict"] == "pass" and result["violations"] == []
    by_name = {r["name"]: r for r in result["resources"]}
    assert by_name["report-builder"]["type"] == "test:index:Agent"
    assert by_name["report-builder"]["agent"] == "report-builder"  # the component, by its tagged children
    assert by_name["report-builder-policy"]["agent"] == "report-builder"  # untagged child of the component
    assert by_name["report-builder-role"]["cloud"] == "aws"
    assert result["outputs"] == {"agents": ["support-triage", "report-builder", "deploy-reviewer", "data-ingest", "bq-analyst"]}
    assert [a["name"] for a in result["agents"]] == ["support-triage", "report-builder", "deploy-reviewer", "data-ingest", "bq-analyst"]
    assert set(result["timings"]) == {"program", "pack:trivial-pack"}
    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    assert sarif["runs"][0]["results"] == []
    assert [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]] == ["trivial-name", "trivial-stack"]
    suite = ET.parse(project / "out.xml").getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests")) == len(result["resources"]) + 1


def test_advisory_violation_is_reported_but_passes(project: Path) -> None:
    write_program(project, extra='aws.iam.User("forbidden")')
    run = run_cli(project, *TRIVIAL, "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    [violation] = run.json("out.json")["violations"]
    assert (violation["policy"], violation["enforcementLevel"], violation["mandatory"]) == ("trivial-name", "advisory", False)
    assert "forbidden" in run.stdout and "1 advisory" in run.stdout


def test_mandatory_violations_fail_and_point_at_the_agent_or_the_program(project: Path) -> None:
    # One violation inside agent deploy-reviewer's component, one hand-written beside the agents.
    program = write_program(project, extra='aws.iam.User("forbidden")\n')
    text = program.read_text().replace(
        "        self.register_outputs({})",
        '        if name == "deploy-reviewer":\n'
        '            aws.iam.RolePolicy("forbidden", role="x", policy="{}", opts=child)\n'
        "        self.register_outputs({})")
    program.write_text(text)
    config = mandatory_config(project)
    run = run_cli(project, *TRIVIAL, "--policy-pack-config", str(config),
                  "--sarif", "out.sarif", "--junit", "out.xml", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert "FAIL: 2 mandatory violations (exit 1)" in run.stdout

    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    results = sorted(sarif["runs"][0]["results"], key=lambda r: r["properties"]["resourceType"])
    assert [r["ruleId"] for r in results] == ["trivial-name", "trivial-name"]
    assert all(r["level"] == "error" for r in results)
    agent_result, program_result = results  # aws:iam/rolePolicy sorts before aws:iam/user
    agent_line = load_inventory(project / "stacks" / "agents" / "dev.yaml").agent_line("deploy-reviewer")
    assert agent_result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "stacks/agents/dev.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": agent_line},
    }
    assert agent_result["properties"]["agent"] == "deploy-reviewer"
    user_line = program.read_text().splitlines().index('aws.iam.User("forbidden")') + 1
    assert program_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/__main__.py"
    assert program_result["locations"][0]["physicalLocation"]["region"]["startLine"] == user_line
    # URNs as the engine forms them (the root stack's type is not part of its children's)
    assert program_result["properties"]["urn"] == "urn:pulumi:dev::agent-identity-kit::aws:iam/user:User::forbidden"
    assert agent_result["properties"]["urn"] == ("urn:pulumi:dev::agent-identity-kit::test:index:Agent"
                                                 "$aws:iam/rolePolicy:RolePolicy::forbidden")
    for result in results:
        urn = result["properties"]["urn"]
        assert "forbidden" in result["message"]["text"] and urn in result["message"]["text"]
        assert result["locations"][0]["logicalLocations"][0] == {"name": "forbidden", "fullyQualifiedName": urn,
                                                                 "kind": "resource"}

    suites = ET.parse(project / "out.xml").getroot()
    failures = [case for case in suites.iter("testcase") if case.find("failure") is not None]
    assert sorted(case.get("classname") for case in failures) == ["deploy-reviewer", "stack"]
    assert suites.get("failures") == "2"


def test_policy_pack_config_can_be_carried_by_the_stack(project: Path) -> None:
    write_program(project, extra='aws.iam.User("forbidden")')
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  agentid:policyPackConfig:\n    trivial-pack:\n"
                          "      trivial-name: mandatory\n")
    assert run_cli(project, *TRIVIAL).code == 1


def test_an_explicit_config_file_wins_over_the_stack(project: Path) -> None:
    write_program(project, extra='aws.iam.User("forbidden")')
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  agentid:policyPackConfig:\n    trivial-pack:\n"
                          "      trivial-name: mandatory\n")
    advisory = project / "advisory.json"
    advisory.write_text('{"all": "advisory"}')
    assert run_cli(project, *TRIVIAL, "--policy-pack-config", str(advisory)).code == 0


@pytest.mark.parametrize("config, message", [
    ({"trivial-nmae": "mandatory"}, "has no policy trivial-nmae"),
    ({"trivial-name": "blocking"}, "'blocking' is not an enforcement level"),
])
def test_bad_policy_pack_config_is_a_config_error(project: Path, config: dict, message: str) -> None:
    write_program(project)
    file = project / "config.json"
    file.write_text(json.dumps(config))
    run = run_cli(project, *TRIVIAL, "--policy-pack-config", str(file))
    assert run.code == 2 and message in run.stdout


# --- fail closed: the program --------------------------------------------------------------------


def test_a_program_that_raises_fails_closed(project: Path) -> None:
    write_program(project, extra='raise RuntimeError("the fleet cannot be built")')
    run = run_cli(project, *TRIVIAL, "--sarif", "out.sarif", "--junit", "out.xml")
    assert run.code == 2
    assert "RuntimeError: the fleet cannot be built" in run.stdout and "ERROR" in run.stdout
    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and sarif["runs"][0]["results"] == []
    assert ET.parse(project / "out.xml").getroot().get("errors") == "1"


def test_a_program_that_kills_its_interpreter_fails_closed(project: Path) -> None:
    write_program(project, extra="import os\nos._exit(0)")
    run = run_cli(project, *TRIVIAL)
    assert run.code == 2 and "before the Pulumi runtime finished the stack" in run.stdout


def test_a_program_that_hangs_fails_closed_at_the_timeout(project: Path) -> None:
    write_program(project, extra="import time\ntime.sleep(600)")
    # --timeout also bounds the pack's start, and a pack that could not start is reported first: 4 s was less than
    # the trivial pack's start on a loaded 2-core machine, and the run then failed on the pack instead
    run = run_cli(project, *TRIVIAL, "--timeout", str(LOADED_MACHINE_TIMEOUT))
    assert run.code == 2 and f"did not finish within {LOADED_MACHINE_TIMEOUT} s" in run.stdout, run.stdout


def test_an_invalid_agent_file_fails_with_file_and_line(project: Path) -> None:
    agents = project / "stacks" / "agents" / "dev.yaml"
    lines = agents.read_text().splitlines()
    owner = next(i for i, line in enumerate(lines) if line.strip().startswith("owner: finance-analytics"))
    lines[owner] = lines[owner].replace("owner:", "ownr:")
    agents.write_text("\n".join(lines) + "\n")
    run = run_cli(project, "--json", "out.json", *TRIVIAL)  # the repository's own program
    assert run.code == 2, run.stdout
    assert f"stacks/agents/dev.yaml:{owner + 1}: agents[1].ownr: unknown key 'ownr'" in run.stdout
    assert run.json("out.json")["error"]["kind"] == "spec"


def test_an_unknown_stack_is_a_config_error(project: Path) -> None:
    run = run_cli(project, "--stack", "prod", *TRIVIAL)
    assert run.code == 2 and "no stack 'prod'" in run.stdout


def test_a_directory_that_is_not_a_pack_is_a_config_error(project: Path) -> None:
    run = run_cli(project, "--policy-pack", str(project / "stacks"))
    assert run.code == 2 and "is not a policy pack directory" in run.stdout


# --- fail closed: the pack -----------------------------------------------------------------------


def test_a_pack_that_crashes_fails_closed(project: Path) -> None:
    write_program(project)
    run = run_cli(project, "--policy-pack", str(FIXTURES / "crashing_pack"), "--sarif", "out.sarif")
    assert run.code == 2, run.stdout
    # Seen during a call ("crashed ... (exit code 3)") or, when the crash came first, before it ("has exited").
    assert re.search(r"policy pack crashing_pack (crashed( during Analyze)? \(exit code 3\)|has exited \(code 3\))",
                     run.stdout), run.stdout
    assert run.json("out.sarif")["runs"][0]["results"] == []


def test_a_pack_that_hangs_fails_closed_at_the_timeout(project: Path) -> None:
    write_program(project)
    # --timeout also bounds the program's run, which must end first: a loaded machine took more than 10 s for it
    run = run_cli(project, "--policy-pack", str(FIXTURES / "hanging_pack"), "--timeout", str(LOADED_MACHINE_TIMEOUT))
    assert run.code == 2 and f"did not answer Analyze within {LOADED_MACHINE_TIMEOUT} s" in run.stdout, run.stdout


def test_a_pack_that_answers_nonsense_fails_closed(project: Path) -> None:
    write_program(project)
    run = run_cli(project, "--policy-pack", str(FIXTURES / "nonsense_pack"))
    assert run.code == 2 and "'undeclared', a policy it does not declare" in run.stdout


def test_one_failing_pack_voids_the_verdict_of_the_others(project: Path) -> None:
    write_program(project)
    run = run_cli(project, *TRIVIAL, "--policy-pack", str(FIXTURES / "crashing_pack"), "--json", "out.json")
    assert run.code == 2
    assert run.json("out.json")["policyPacks"] == []


def test_gcp_agents_without_a_project_are_one_config_line_not_a_traceback(project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text("".join(line for line in stack_file.read_text().splitlines(keepends=True)
                                  if "gcpProject" not in line))
    run = run_cli(project, "--stack", "dev")
    assert run.code == 2, run.stdout
    assert ("error (config): agents with gcp tools need the stack's project: set config "
            "agent-identity-kit:gcpProject") in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_one_workload_trusted_by_two_agents_across_binding_kinds_stops_the_gate(project: Path) -> None:
    """red7a item 12, end to end: the dev stack's agent file gains agent 'one' trusting Kubernetes service account
    agents/shared and agent 'two' trusting spiffe://dev.example.org/ns/agents/sa/shared (whose ClusterSPIFFEID
    gives the same pods two's SVID): the gate passed it; now it stops at the agent file (exit 2, kind spec)."""
    import yaml

    agents = project / "stacks" / "agents" / "dev.yaml"
    document = yaml.safe_load(agents.read_text())
    base = {"owner": "o", "purpose": "p", "environment": "dev", "review_by": "2031-06-30"}
    document["agents"] += [
        {"name": "one", **base, "tools": [{"name": "t", "aws": {"actions": ["s3:GetObject"],
                                                                "resources": ["arn:aws:s3:::one-bucket/*"]}}],
         "trust": [{"kubernetes": {"issuer": "https://container.googleapis.com/v1/projects/example-analytics-dev/"
                                             "locations/europe-west1/clusters/agents",
                                   "namespace": "agents", "service_account": "shared"}}]},
        {"name": "two", **base, "tools": [{"name": "t", "gcp": {
            "permissions": ["storage.objects.create"],
            "resource": "//storage.googleapis.com/projects/_/buckets/example-payments"}}],
         "trust": [{"spiffe": {"trust_domain": "dev.example.org", "path": "/ns/agents/sa/shared",
                               "jwt_issuer": "https://oidc.dev.example.org"}}]},
    ]
    agents.write_text(yaml.safe_dump(document, sort_keys=False))
    run = run_cli(project, "--json", "out.json", *TRIVIAL)
    assert run.code == 2, run.stdout
    shown = " ".join(run.stdout.split())  # the report wraps long lines
    assert (f"agents[{len(document['agents']) - 1}].trust[0].spiffe: agent 'two' trusts SPIFFE ID "
            "'spiffe://dev.example.org/ns/agents/sa/shared' and agent 'one' "
            f"(agents[{len(document['agents']) - 2}]) trusts Kubernetes service account agents/shared") in shown
    assert run.json("out.json")["error"]["kind"] == "spec"
