"""The command line follows the usual conventions: --version, -h everywhere, plain usage, exit codes in help."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from agentid import cli

ROOT = Path(__file__).resolve().parents[2]


def agentid(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentid.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _command_paths(command=None, prefix=()) -> list[tuple[str, ...]]:
    command = command or cli.command()
    paths = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, prefix + (name,))
    return paths


COMMANDS = _command_paths()
LEAVES = [path for path in COMMANDS if path and not getattr(cli.command().commands.get(path[0]), "commands", None)
          or len(path) == 2]


def test_version():
    run = agentid("--version")
    assert (run.returncode, run.stdout) == (0, f"agentid {version('agent-identity-kit')}\n")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "agentid")
def test_short_help_everywhere_and_no_python_type_in_usage(path):
    short, long = agentid(*path, "-h"), agentid(*path, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout and short.stdout.startswith("Usage: agentid")
    # typer's defaults: `<str>`, `<path>`, `<list[Path]>`, `<float range>`, `{agent}` (the argument's Python name)
    assert not re.search(r"<(?:str|int|float|bool|path|list\[[^>]*\]|(?:float|int) range)>|\{[a-z_]+\}", short.stdout, re.I), short.stdout


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: " ".join(p))
def test_every_command_lists_its_exit_codes_and_that_2_is_also_a_usage_error(path):
    text = " ".join(agentid(*path, "-h").stdout.split())
    assert "Exit codes: 0" in text, text
    assert "usage error" in text, text


def test_a_usage_error_exits_2_with_one_message():
    run = agentid("validate", "--no-such-option")
    assert run.returncode == 2 and "No such option" in run.stderr and "Traceback" not in run.stderr


def test_validate_expands_directories_and_skips_pulumi_files(tmp_path):
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "one.yaml").write_text((ROOT / "stacks" / "agents" / "dev.yaml").read_text()
                                                  .replace("certs/", str(ROOT / "stacks" / "agents" / "certs") + "/"))
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "notes.txt").write_text("not an agent file\n")
    run = subprocess.run([sys.executable, "-m", "agentid.cli", "validate", "--allow-outside-files", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{tmp_path / 'nested' / 'one.yaml'}: ok (5 agents)\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    run = agentid("validate", str(empty))
    assert run.returncode == 2 and run.stderr == f"{empty}: no agent file (*.yaml, *.yml, *.json) under this directory\n"


def test_lint_and_preview_share_their_own_and_trusted_options():
    """`agentid lint` takes the gate's own-*/trusted-* settings under the same flags as `agentid preview`
    (agentid/commands/own_options.py): each flag it has, preview has too, with the same metavar, help and default."""
    commands = cli.command().commands
    options = {name: {p.opts[0]: p for p in commands[name].params if p.opts[0].startswith(("--own-", "--trusted-"))}
               for name in ("lint", "preview")}
    assert sorted(options["lint"]) == ["--own-account", "--own-gcp-project", "--own-organization", "--own-s3-bucket",
                                       "--trusted-azure-devops-organization", "--trusted-gitlab-group",
                                       "--trusted-issuer", "--trusted-repository-owner",
                                       "--trusted-terraform-organization"]
    for flag, lint_option in options["lint"].items():
        gate_option = options["preview"][flag]
        assert (lint_option.metavar, lint_option.help, lint_option.multiple, lint_option.default) == (
            gate_option.metavar, gate_option.help, gate_option.multiple, gate_option.default), flag
