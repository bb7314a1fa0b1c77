"""Helpers for the preview tests: a throw-away copy of the project and the CLI run as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
