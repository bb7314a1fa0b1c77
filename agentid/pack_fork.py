"""A policy pack started from an interpreter that has already imported pulumi, gRPC and protobuf (issue 17).

The engine starts a Python pack as `python -u -m pulumi.policy <engine-address> <pack-dir>`: a new
interpreter that imports `pulumi` (and with it gRPC, protobuf, asyncio, OpenTelemetry, the automation
API), `pulumi_policy` and the pack before it prints its port, ~0.3 s of CPU that the gate's own process
has already spent on the very same modules. `prefork()` forks the gate's process at the start of a run,
before the gate has read the judged project or started any gRPC channel or server, while it is a single
thread; the child waits on a pipe. `PreforkedPack.launch` hands it the command line, environment and
working directory the engine's start would have used; the child then becomes that process: stdin
/dev/null, stdout the pipe the port is read from, stderr the pack's log file, every other descriptor of
the gate closed, the environment, working directory, `sys.argv` and `sys.path` of
`python -u -m pulumi.policy ADDR DIR` (the path asked of the interpreter itself), unbuffered standard
streams, default signal dispositions, the collector on with default thresholds, no exit handlers or
log handlers of the gate, and every module of the kit and of `pulumi_policy` forgotten, so the pack's
code (its `__main__`, the rules, their data) is imported afresh from the installed files exactly as the
engine's start imports it. Only modules the gate imported from the interpreter's library (pulumi,
grpc, protobuf, ...) are shared, as they were when the fork happened. Then it runs
`runpy.run_module("pulumi.policy", run_name="__main__")`, as `-m` does. What `ps` shows (`/proc/PID/cmdline`)
stays the gate's command line: nothing unprivileged rewrites it. The pack is the gate's own child,
stopped and reaped as before (`ForkedProcess` has the `subprocess.Popen` methods the client uses).

Used only when that is sound, otherwise the pack is started as the engine starts it: on Linux, in a
process with one thread (`/proc/self/task`: no gRPC or other thread whose locks a fork could copy
held), whose pulumi runtime was never configured (no monitor, engine or config: a test process that
ran mocks), unless AGENTID_PREVIEW_PLAIN_SDK=1 (the gate's switch for all its speed-ups) or
AGENTID_PACK_FORK=0. The judged program never sees any of this: it runs in its own sandbox, started
afterwards, and the prepared children are closed to it (their pipes are not inheritable).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

# Signals this process inherited as ignored (nohup's SIGHUP, a background shell's SIGINT): exec keeps an ignored
# disposition, so a pack the engine starts with Popen inherits them ignored, and Python leaves SIGINT ignored too.
# Read when the gate imports this module, before it installs handlers of its own.
_INHERITED_IGNORED = frozenset(int(number) for number in signal.valid_signals()
                               if signal.getsignal(number) == signal.SIG_IGN)
from typing import Any

FORK_ENV = "AGENTID_PACK_FORK"  # "0": start every pack as a new interpreter
PLAIN_SDK_ENV = "AGENTID_PREVIEW_PLAIN_SDK"  # agentid.preview.sdk_speedups.PLAIN_SDK_ENV (not imported: no cycle)
# Modules the pack must import afresh: the kit's (rules, data loaders, the pack's __main__) and the policy SDK.
_FRESH_PACKAGES = ("agentid", "agentid_components", "agentid_policy_packs", "pulumi_policy")
_GC_DEFAULT_THRESHOLDS = (700, 10, 10)  # CPython's


def fork_unavailable(switch: str = FORK_ENV) -> str | None:
    """None when a pack (or, with `switch` agentid.preview.program_fork.FORK_ENV, the program) may be forked from
    this process now, else why not."""
    if os.environ.get(switch, "") == "0":
        return f"{switch}=0"
    if os.environ.get(PLAIN_SDK_ENV, "") not in ("", "0"):
        return f"{PLAIN_SDK_ENV} is set"
    if not hasattr(os, "fork") or not Path("/proc/self/task").is_dir():
        return "no fork or /proc here"
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError as error:
        return f"cannot count this process's threads ({error})"
    if threads != 1 or threading.active_count() != 1:
        return f"the gate's process runs {threads} threads"
    if "pulumi.runtime" in sys.modules:
        from pulumi.runtime import config, settings

        if (settings.SETTINGS.monitor is not None or settings.SETTINGS.engine is not None or config.CONFIG.get()
                or settings.SETTINGS.project != "project"):
            return "the pulumi runtime of this process has been configured"
    return None


class PreparedChild:
    """A child forked from the gate that waits on a control pipe for one launch request (`_send`) or for its end
    (`discard`): the packs' and the program's (agentid.preview.program_fork) share this handshake."""

    what = "child"

    def __init__(self, pid: int, control: int) -> None:
        self.pid = pid
        self._control = control  # write end: the launch request, then closed
        self._used = False
        self._lock = threading.Lock()  # a session closing while its child starts: launch or discard, once

    def _send(self, request: dict[str, Any]) -> None:
        """Hand the child its launch request, once; the child is reaped when it is gone (the caller reports)."""
        with self._lock:
            if self._used:
                raise OSError(f"the prepared {self.what} process was discarded or launched already")
            self._used = True
        try:
            _write_all(self._control, json.dumps(request).encode())
        except OSError:  # the child is gone: reap it, the caller reports the error
            os.waitpid(self.pid, 0)
            raise
        finally:
            os.close(self._control)

    def discard(self) -> None:
        """End a child that was never launched (it reads end of file and exits) and reap it."""
        with self._lock:
            if self._used:
                return
            self._used = True
        os.close(self._control)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._discarded()

    def _discarded(self) -> None:
        """What else a discarded child leaves to close."""


class PreforkedPack(PreparedChild):
    """A child forked from the gate that waits for its pack's command line (`launch`) or its end (`discard`)."""

    what = "pack"

    def __init__(self, pid: int, control: int, stdout: Any, stderr_file: Any) -> None:
        super().__init__(pid, control)
        self.stdout = stdout  # read end of the child's stdout
        self.stderr_file = stderr_file  # the child's stderr (a temporary file)

    def launch(self, args: Sequence[str], *, cwd: str | Path, env: Mapping[str, str]) -> ForkedProcess:
        """Make the child `python -u -m pulumi.policy *args` (cwd, env); the process to talk to and stop."""
        self._send({"args": list(args), "cwd": str(cwd), "env": dict(env)})
        return ForkedProcess(self.pid, self.stdout, [sys.executable, "-u", "-m", "pulumi.policy", *args])

    def _discarded(self) -> None:
        self.stdout.close()
        self.stderr_file.close()


def prefork(count: int) -> tuple[list[PreforkedPack], str | None]:
    """`count` children ready to become packs, or none and why not (then start packs as the engine does)."""
    problem = fork_unavailable()
    if problem is not None or count <= 0:
        return [], problem
    import tempfile

    prepared: list[PreforkedPack] = []
    for _ in range(count):
        control_read, control_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_file = tempfile.TemporaryFile()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(control_read, stdout_write, stderr_file.fileno())
        os.close(control_read)
        os.close(stdout_write)
        prepared.append(PreforkedPack(pid, control_write, os.fdopen(stdout_read, "rb", buffering=0), stderr_file))
    return prepared, None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(control: int, stdout: int, stderr: int) -> None:
    """Wait for the launch request, become `python -u -m pulumi.policy ARGS` and run it; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gate's Ctrl-C ends it through end of file, not midway
        kept = {control, stdout, stderr}
        for entry in os.listdir("/proc/self/fd"):  # the gate's descriptors are not the pack's (close_fds)
            fd = int(entry)
            if fd > 2 and fd not in kept:
                try:
                    os.close(fd)
                except OSError:
                    pass
        request = _read_all(control)
        os.close(control)
        if not request:  # discarded: the gate ended or needs no pack
            os._exit(0)
        launch = json.loads(request)
        _become_the_pack(launch["args"], launch["cwd"], launch["env"], stdout, stderr)
        import runpy

        runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the pack's stderr, as the interpreter would
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()  # the pack's own exit handlers (the gate's were cleared)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _become_the_pack(args: list[str], cwd: str, env: dict[str, str], stdout: int, stderr: int) -> None:
    import gc

    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in {devnull, stdout, stderr} - {0, 1, 2}:
        os.close(fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    reset_interpreter(env)
    sys.path[:] = _interpreter_path(cwd, env)
    sys.argv[:] = ["-m", *args]  # runpy puts the module's file first, as `-m` does
    sys.orig_argv = [sys.executable, "-u", "-m", "pulumi.policy", *args]  # (sys.flags.unbuffered stays the gate's)
    gc.enable()
    gc.set_threshold(*_GC_DEFAULT_THRESHOLDS)
    gc.freeze()  # what the gate had imported stays shared with it, out of the collector's way


def reset_interpreter(env: dict[str, str]) -> None:
    """What a new `python -u` interpreter has that the forked gate's lacks, on fds 0-2 already in place: unbuffered
    standard streams, default signal dispositions (inherited ignores kept), no exit or log handlers of the gate, no
    module of the kit or of pulumi_policy (imported afresh from the installed files)."""
    import atexit
    import io
    # `-u`: unbuffered binary layer under the text streams (pulumi_policy writes the port to sys.stdout.buffer)
    import locale

    encoding = env.get("PYTHONIOENCODING", "").partition(":")[0] or locale.getpreferredencoding(False)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding, write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace",
                                  write_through=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    for number in range(1, signal.NSIG):  # as a new interpreter starts: defaults (inherited ignores kept), SIGINT
        try:                               # raising unless inherited ignored, SIGPIPE/XFSZ ignored
            signal.signal(number, signal.SIG_IGN if number in _INHERITED_IGNORED else signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    if signal.SIGINT not in _INHERITED_IGNORED:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    atexit._clear()
    if "faulthandler" in sys.modules:
        import faulthandler

        faulthandler.disable()
        if env.get("PYTHONFAULTHANDLER"):
            faulthandler.enable()
    if "logging" in sys.modules:
        import logging

        logging.root.handlers.clear()
        logging.root.setLevel(logging.WARNING)
    for name in list(sys.modules):
        if _imported_afresh(name):
            del sys.modules[name]
    if "pulumi" in sys.modules and hasattr(sys.modules["pulumi"], "policy"):
        delattr(sys.modules["pulumi"], "policy")


def _imported_afresh(name: str) -> bool:
    """Whether the pack imports module `name` itself (the kit's and the policy SDK's: `_FRESH_PACKAGES`)."""
    return name.partition(".")[0] in _FRESH_PACKAGES or name == "pulumi.policy" or name.startswith("pulumi.policy.")


def _interpreter_path(cwd: str, env: dict[str, str]) -> list[str]:
    """`sys.path` of `python -m ...` started in `cwd` with `env`: the interpreter's own answer, the directory first."""
    completed = subprocess.run([sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
                               cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    return [os.path.abspath(cwd), *json.loads(completed.stdout)]


class ForkedProcess:
    """The forked pack, with the `subprocess.Popen` methods the analyzer client uses (it is this process's child)."""

    def __init__(self, pid: int, stdout: Any, args: list[str]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.args = args
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:
                    self.returncode = self.returncode if self.returncode is not None else -1
                    return self.returncode
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.05)
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
