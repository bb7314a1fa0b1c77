"""Issue 17: the judged program's process forked from the gate (agentid/preview/program_fork.py) runs in the same
sandbox, sees what the plain start shows it, and registers the same stack.

Each preview runs in a fresh interpreter (program_fork_driver.py): only a process with one thread may fork. The
gate's environment and command line carry a secret; the program must find it nowhere it can look.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from agentid.preview import program_fork, sandbox

from .conftest import copy_project

DRIVER = Path(__file__).parent / "program_fork_driver.py"
pytestmark = pytest.mark.skipif(sandbox.probe() is not None, reason=f"no sandbox here: {sandbox.probe()}")

# Appended to the example program: what the program can see of its process, as a stack output.
INTROSPECT = '''
import json as _json, os as _os, resource as _resource, signal as _signal, sys as _sys
import pulumi as _pulumi

def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        return f"unreadable: {type(error).__name__}".encode()

def _writable(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        return True
    except OSError:
        return False

def _fd_kind(fd):
    try:
        target = _os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "gone"  # the listing's own
    target = target.split(":[")[0] if ":[" in target else target
    return _os.path.basename(target) if target.startswith("/tmp/pulumi-") else target  # the run's own stdout/stderr

_secret = bytes(a ^ b for a, b in zip(bytes.fromhex(_os.environ["MASKED"]), bytes.fromhex(_os.environ["MASK"])))
_places = {"environ": _read("/proc/self/environ"), "cmdline": _read("/proc/self/cmdline"),
           "parent cmdline": _read(f"/proc/{_os.getppid()}/cmdline"), "init cmdline": _read("/proc/1/cmdline"),
           "init environ": _read("/proc/1/environ"),
           "environ dict": repr(_os.environ).encode() + repr(getattr(_os, "environb", b"")).encode()}
_pulumi.export("view", _json.dumps({
    "secret seen": sorted(k for k, v in _places.items() if _secret in v),
    # the gate's command line (the environment holds the gate's placeholders for credentials, "agentid-preview-...")
    "gate seen": sorted(k for k, v in _places.items() if b"program_fork_driver" in v or b"--token=" in v),
    "fds": sorted(_fd_kind(fd) for fd in _os.listdir("/proc/self/fd")),
    "argv": _sys.argv, "path": _sys.path, "cwd": _os.getcwd(), "ids": [_os.getuid(), _os.getgid()],
    "uid_map": _read("/proc/self/uid_map").decode().split(), "ppid": _os.getppid(),
    "fsize": _resource.getrlimit(_resource.RLIMIT_FSIZE),
    "writable": [_writable(p) for p in (_os.path.join(_os.getcwd(), "written"), "/tmp/written")],
    "net": sorted(line.split(":")[0].strip() for line in _read("/proc/net/dev").decode().splitlines()[2:]),
    "kit modules": sorted(m for m in _sys.modules if m == "agentid" or m.startswith("agentid.")),
    "signals": {n: str(_signal.getsignal(n)) for n in (1, 2, 3, 13, 15, 25)},
    "env": sorted(k for k in _os.environ if k not in ("MASK", "MASKED")),
}, sort_keys=True))
'''


def _driver(*args: str, env: dict[str, str] | None = None) -> dict:
    completed = subprocess.run([sys.executable, str(DRIVER), *args], capture_output=True, text=True, timeout=600,
                               env={**os.environ, **(env or {})}, cwd=DRIVER.parent)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_forked_program_sees_the_plain_starts_process_and_registers_the_same_stack(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    program = root / "stacks" / "__main__.py"
    program.write_text(program.read_text() + textwrap.dedent(INTROSPECT))
    secret = f"gate-secret-{uuid.uuid4().hex}".encode()
    mask = os.urandom(len(secret))
    # the caller's credential in the gate's environment (withheld from the program) and in the gate's arguments
    env = {"AWS_SECRET_ACCESS_KEY": secret.decode(), "MASK": mask.hex(),
           "MASKED": bytes(a ^ b for a, b in zip(secret, mask)).hex()}
    forked = _driver("preview", str(root), f"--token={secret.decode()}", env=env)
    plain = _driver("preview", str(root), f"--token={secret.decode()}", env={**env, program_fork.FORK_ENV: "0"})
    assert forked["error"] is None and plain["error"] is None, (forked["error"], plain["error"])
    assert forked["launched"] == ["ForkedProcess"] and plain["launched"] == []
    views = {kind: json.loads(re.sub(r"/tmp/pulumi-[^/]+/", "/tmp/pulumi-RUN/", run["outputs"].pop("view")))
             for kind, run in (("forked", forked), ("plain", plain))}  # each run has its own run directory
    for view in views.values():  # the parent's pid is drawn anew in each run (Pulumi's host's is not 1 either)
        view["ppid"] = view["ppid"] >= sandbox.PID_FLOOR
    assert views["forked"]["secret seen"] == views["plain"]["secret seen"] == [], views
    assert views["forked"]["gate seen"] == views["plain"]["gate seen"] == []
    assert views["forked"]["kit modules"] == views["plain"]["kit modules"]  # what the program imported itself
    # the checkout writable as at `pulumi up` (red19 r19-6), into a throwaway layer: nothing reached the real one
    assert views["forked"]["writable"] == [True, True] and views["forked"]["net"] == ["lo"]
    assert not (root / "stacks" / "written").exists()
    # the program's own descriptors only (its gRPC channel, event loop): nothing of the gate's
    assert views["forked"]["fds"] == views["plain"]["fds"]
    assert views["forked"] == views["plain"]
    # the same registrations (URNs, types, parents, dependencies, inputs, source positions) and the same verdict
    assert forked["resources"] == plain["resources"] and len(forked["resources"]) > 50
    assert forked["violations"] == plain["violations"] and forked["exit"] == plain["exit"]
    assert forked["outputs"] == plain["outputs"] and forked["warnings"] == plain["warnings"]
    assert forked["children"] == plain["children"] == []


def test_a_prepared_program_never_launched_is_ended_and_reaped() -> None:
    answers = _driver("discard")
    assert answers == {"alive": False, "children": []}


@pytest.mark.parametrize("variable, value", [(program_fork.FORK_ENV, "0"), (sandbox.SANDBOX_ENV, "off"),
                                             ("AGENTID_PREVIEW_PLAIN_SDK", "1")])
def test_the_switches_start_the_program_as_a_new_interpreter(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                             value: str) -> None:
    monkeypatch.setenv(variable, value)
    assert program_fork.prefork() == (None, program_fork.fork_unavailable())
    assert program_fork.fork_unavailable() is not None


def test_the_cli_forks_the_program(tmp_path: Path) -> None:
    """`agentid preview` as CI runs it forks the program (the namespace's init is then the forked interpreter, not the
    plain start's `sh`): nothing the CLI starts before the run (its progress output, a thread) stops it silently."""
    root = copy_project(tmp_path)
    program = root / "stacks" / "__main__.py"
    program.write_text(program.read_text() + textwrap.dedent('''
        import pulumi as _pulumi
        with open("/proc/1/cmdline", "rb") as _handle:
            _pulumi.export("init", _handle.read().split(b"\\0")[0].decode())
    '''))
    inits = []
    for switch in ("1", "0"):
        subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev", "--json", "out.json"],
                       cwd=root, capture_output=True, text=True, timeout=600,
                       env={**os.environ, program_fork.FORK_ENV: switch})
        inits.append(json.loads((root / "out.json").read_text())["outputs"]["init"])
    assert inits == [sys.executable, "sh"]
