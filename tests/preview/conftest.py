"""Helpers for the preview tests: a throw-away copy of the project and the CLI run as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TRIVIAL_PACK = REPO / "policy_packs" / "trivial_pack"
AGENT_GUARD = REPO / "policy_packs" / "agent_guard"
SARIF_SCHEMA = Path(__file__).parent / "sarif-schema-2.1.0-rtm.5.json"


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    directory: Path

    def json(self, name: str) -> dict:
        return json.loads((self.directory / name).read_text())


def copy_project(target: Path) -> Path:
    """Pulumi.yaml, stacks/ and the gate's waivers.yaml of the repository in `target`; the program imports the
    repository's packages."""
    shutil.copy(REPO / "Pulumi.yaml", target / "Pulumi.yaml")
    shutil.copy(REPO / "waivers.yaml", target / "waivers.yaml")  # the dev stack's waivers and trusted settings
    shutil.copytree(REPO / "stacks", target / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    return target


# Resources that exercise every kind of rule the equivalence tests compare (the pack fork, the SDK speed-ups): a
# resource rule (the access key), stack rules (AGID-AWS-021 across two policies of one role, AGID-INV-002 for an
# identity no agent owns) and the rules' data (escalation methods).
EVERY_RULE_KIND = textwrap.dedent("""
    import json as _json
    import pulumi_aws as _aws
    import pulumi_azure_native as _azure
    _aws.iam.AccessKey('ci-key', user='ci')
    _role = _aws.iam.Role('ops', name='ops', assume_role_policy=_json.dumps({'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))
    def _allow(actions):
        return _json.dumps({'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Allow', 'Action': actions, 'Resource': '*'}]})
    _aws.iam.RolePolicy('ops-pass', role='ops', policy=_allow('iam:PassRole'))
    _aws.iam.RolePolicy('ops-lambda', role='ops', policy=_allow(['lambda:CreateFunction', 'lambda:InvokeFunction']))
    _azure.managedidentity.UserAssignedIdentity('orphan', resource_group_name='rg', location='westeurope')
    """)


def project_with_every_rule_kind(target: Path) -> Path:
    """`copy_project` with `EVERY_RULE_KIND` appended to the dev stack's program."""
    root = copy_project(target)
    program = root / "stacks" / "__main__.py"
    program.write_text(program.read_text() + EVERY_RULE_KIND)
    return root


# A hang guard longer than the gate's own --timeout (300 s): a preview of the dev stack took 29 s of wall time for
# 3.7 s of CPU at load 14, so 120 s came within reach on a busier machine; the gate reports its own timeouts.
def run_cli(directory: Path, *args: str, timeout: float = 600) -> CliRun:
    completed = subprocess.run(
        [sys.executable, "-m", "agentid.cli", "preview", *args],
        cwd=directory, capture_output=True, text=True, timeout=timeout,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr, directory)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)
