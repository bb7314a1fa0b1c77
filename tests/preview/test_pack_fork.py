"""Issue 17: a pack forked from the gate's interpreter (agentid/pack_fork.py) is the pack the engine would start.

Each case runs in a fresh interpreter (pack_fork_driver.py): only a process with one thread may fork, and a
pytest process has gRPC and pool threads from earlier tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentid import pack_fork

from .conftest import FIXTURES, copy_project, project_with_every_rule_kind

DRIVER = Path(__file__).parent / "pack_fork_driver.py"


def _driver(*args: str, env: dict[str, str] | None = None) -> dict:
    completed = subprocess.run([sys.executable, str(DRIVER), *args], capture_output=True, text=True, timeout=600,
                               env={**os.environ, **(env or {})})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_forked_pack_runs_in_the_process_the_engines_start_gives_it(tmp_path: Path) -> None:
    forked, plain = tmp_path / "forked.json", tmp_path / "plain.json"
    answers = _driver("introspect", str(FIXTURES / "introspect_pack"), str(forked), str(plain))
    assert answers["forked"]["process"] == "ForkedProcess" and answers["plain"]["process"] == "Popen"
    assert answers["forked"]["found"] == answers["plain"]["found"] == [
        ["introspect-name", "mandatory", "No 'forbidden'.\nno resource is named 'forbidden'"]]
    assert answers["forked"]["info"] == answers["plain"]["info"]
    assert answers["forked"]["reaped"] and answers["plain"]["reaped"]  # stopped and waited for like a Popen
    seen = {kind: json.loads(path.read_text()) for kind, path in (("forked", forked), ("plain", plain))}
    for view in seen.values():
        view["argv"][1] = view["orig_argv"][-2] = "ENGINE"  # each start has its own engine port
        view["env"].pop("INTROSPECT_OUT")
    # argv, sys.path, directory, environment, unbuffered stdout, /dev/null stdin, no descriptor of the gate,
    # collector settings, signal dispositions, and the pack's code (no kit or pulumi_policy module left from the gate)
    assert seen["forked"] == seen["plain"]
    assert seen["forked"]["fds"] == [0, 1, 2, 3]  # 3: the listing's own
    assert seen["forked"]["stdout_buffer"] == "FileIO" and seen["forked"]["stdin"] == "/dev/null"
    assert not any(module.startswith("agentid") for module in seen["forked"]["kit_modules"])


def test_a_prepared_pack_never_launched_is_ended_and_reaped() -> None:
    answers = _driver("discard")
    assert len(answers["pids"]) == 2 and answers["alive"] == [] and answers["children"] == []


def test_the_forked_pack_gives_the_gate_the_same_resources_and_violations(tmp_path: Path) -> None:
    root = project_with_every_rule_kind(tmp_path)
    forked = _driver("preview", str(root))
    plain = _driver("preview", str(root), env={pack_fork.FORK_ENV: "0"})
    assert forked["error"] is None and plain["error"] is None, (forked["error"], plain["error"])
    assert forked["kinds"] == ["ForkedProcess"] and plain["kinds"] == ["Popen"]
    assert {"AGID-AWS-001", "AGID-AWS-021", "AGID-INV-002"} <= {policy for policy, *_ in forked["violations"]}
    assert forked["violations"] == plain["violations"] and forked["exit"] == plain["exit"] == 1
    assert forked["resources"] == plain["resources"]
    assert forked["children"] == plain["children"] == []  # the pack (and the prepared child) reaped


def test_the_progress_bar_of_a_terminal_leaves_the_gate_one_thread_to_fork(tmp_path: Path) -> None:
    """The CLI creates its rich progress bar before the run: its refresh thread starts at the first step, after the
    packs' processes were forked (before, a preview on a terminal always started packs as new interpreters)."""
    answers = _driver("preview", str(copy_project(tmp_path)), "terminal")
    assert answers["error"] is None, answers["error"]
    assert answers["kinds"] == ["ForkedProcess"] and answers["children"] == []


@pytest.mark.parametrize("variable, value", [(pack_fork.FORK_ENV, "0"), (pack_fork.PLAIN_SDK_ENV, "1")])
def test_the_switches_start_packs_as_new_interpreters(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                      value: str) -> None:
    monkeypatch.setenv(variable, value)
    assert pack_fork.fork_unavailable() == (f"{variable}=0" if value == "0" else f"{variable} is set")
    assert pack_fork.prefork(1) == ([], pack_fork.fork_unavailable())


def test_a_process_with_threads_or_configured_mocks_does_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from pulumi.runtime import settings

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert "threads" in (pack_fork.fork_unavailable() or "")
        assert pack_fork.prefork(1)[0] == []
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(pack_fork.threading, "active_count", lambda: 1)
    monkeypatch.setattr(pack_fork.os, "listdir", lambda path: ["1"] if path == "/proc/self/task" else os.listdir(path))
    monkeypatch.setattr(settings.SETTINGS, "monitor", object(), raising=False)
    assert pack_fork.fork_unavailable() == "the pulumi runtime of this process has been configured"
