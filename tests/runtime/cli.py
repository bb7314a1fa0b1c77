"""Run `agentid ...` in this process (a subprocess costs seconds of imports per call); same exit code and streams."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from agentid import cli

ROOT = Path(__file__).resolve().parents[2]
_registered = False


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def agentid(*args: str) -> Run:
    global _registered
    if not _registered:
        cli._register_commands()
        _registered = True
    result = CliRunner().invoke(cli.app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a bug: fail the test with it
    return Run(result.exit_code, result.stdout, result.stderr)


def agentid_process(*args: str) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "agentid.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
