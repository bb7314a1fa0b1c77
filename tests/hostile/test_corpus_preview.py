"""The hostile corpus through `agentid preview`: terminal, JSON, SARIF and JUnit, in bounded time and memory.

The pull request controls the program (resource names and types), the agent
file and the stack file. Each run is a real process (killed and failed past
its time limit, peak memory measured); every output must parse in its format,
the terminal must show user text as text, and a run that cannot judge the
stack must still write its reports and exit 2.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.hostile.corpus import HOSTILE_STRINGS, agent_files, run_bounded, valid_agent
from tests.hostile.test_corpus_cli import assert_terminal_safe
from tests.preview.conftest import AGENT_GUARD, SARIF_SCHEMA, copy_project

# CPU seconds of the program under mocks and the agent_guard pack (about 2.2 s at worst): load does not stretch them
PREVIEW_CPU_SECONDS = 30.0
PREVIEW_KILL_AFTER = 300.0  # wall seconds, a hang guard: a shared 2-core machine stretches wall time many times
PREVIEW_MB = 400.0
REPORTS = ("--json", "out.json", "--sarif", "out.sarif", "--junit", "out.xml", "--policy-pack", str(AGENT_GUARD))

HOSTILE_PROGRAM = '''\
import pulumi
import pulumi_aws as aws

NAMES = {names!r}


class Thing(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("hostile:index:Thing", name, None, None)
        self.register_outputs({{}})


for index, text in enumerate(NAMES):
    parent = Thing(f"c{{index}}-{{text}}")
    child = pulumi.ResourceOptions(parent=parent)
    user = aws.iam.User(f"u{{index}}-{{text}}", opts=child)
    aws.iam.AccessKey(f"k{{index}}-{{text}}", user=user.name, opts=child)  # a static key: a mandatory violation
pulumi.export(NAMES[0], NAMES[1])
'''


def preview(project: Path, case: str, *args: str):
    return run_bounded(["preview", *REPORTS, *args], project, PREVIEW_KILL_AFTER, f"preview {case}")


def assert_reports_well_formed(project: Path, run, case: str) -> dict:
    assert run.cpu_seconds < PREVIEW_CPU_SECONDS and run.max_rss_mb < PREVIEW_MB, (case, run.cpu_seconds, run.max_rss_mb)
    assert_terminal_safe(run.stdout)
    assert_terminal_safe(run.stderr)
    sarif = json.loads((project / "out.sarif").read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    ET.parse(project / "out.xml")  # well-formed XML 1.0
    return json.loads((project / "out.json").read_text(encoding="utf-8"))


def test_a_program_with_hostile_resource_names_is_judged_and_reported_safely(tmp_path):
    project = copy_project(tmp_path)
    names = [text for text in HOSTILE_STRINGS if len(text) < 200]
    (project / "stacks" / "__main__.py").write_text(HOSTILE_PROGRAM.format(names=names))
    run = preview(project, "hostile names")
    assert run.code == 1, run.stdout[-2000:]  # the access keys fail the gate: hostile names do not hide them
    document = assert_reports_well_formed(project, run, "hostile names")
    judged = {r["resourceName"] for r in document["violations"] if r["resourceType"] == "aws:iam/accessKey:AccessKey"}
    assert {f"k{index}-{text}" for index, text in enumerate(names)} <= judged
    assert "k0-[link=https://evil.example]approved[/link]" in run.stdout  # markup shown, not applied
    assert "\\x1b[31mred" in run.stdout  # escapes shown as text
    junit = ET.parse(project / "out.xml").getroot()
    assert any("k11-\\x1b[31mred" in (case.get("name") or "") for case in junit.iter("testcase"))


def test_an_agent_file_full_of_markup_and_formulas_passes_through_every_report(tmp_path):
    project = copy_project(tmp_path)
    agents = project / "stacks" / "agents" / "dev.yaml"
    agents.write_text(json.dumps({"agents": [valid_agent()]}))
    run = preview(project, "markup agent file")
    assert run.code in (0, 1), run.stdout[-2000:]
    document = assert_reports_well_formed(project, run, "markup agent file")
    assert document["agents"][0]["owner"] == "[/x]@example.com"
    assert "[/x]@example.com" in run.stdout  # the owner that used to crash Rich before any report was written


@pytest.mark.parametrize("case", ["billion-laughs", "deep-flow", "long-string", "fifo", "dev-zero", "owner-bidi"])
def test_a_hostile_agent_file_fails_closed_with_every_report_written(tmp_path, case):
    project = copy_project(tmp_path)
    hostile = agent_files(tmp_path / "corpus")[case]
    agents = project / "stacks" / "agents" / "dev.yaml"
    agents.unlink()
    if case == "fifo":
        os.mkfifo(agents)
    else:
        agents.symlink_to(hostile)  # a pull request can commit a symlink to a device as easily as a file
    run = preview(project, f"agent file {case}")
    assert run.code == 2, run.stdout[-2000:]
    document = assert_reports_well_formed(project, run, f"agent file {case}")
    assert document["verdict"] == "error"


def test_an_alias_bomb_in_the_stack_file_is_a_config_error(tmp_path):
    project = copy_project(tmp_path)
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text("config:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n" for i in range(8)))
    run = preview(project, "stack file bomb")
    assert run.code == 2
    document = assert_reports_well_formed(project, run, "stack file bomb")
    assert document["error"]["kind"] == "config"
    assert "aliases expand to over 100,000 values" in document["error"]["message"]
