"""The judged program's process forked from the gate's warm interpreter, in the same sandbox (issue 17).

The program is started as Pulumi's language host starts it, `python -u pulumi-language-python-exec ...`, in
the sandbox of `sandbox.py`: a new interpreter that imports pulumi, gRPC, protobuf, asyncio, pydantic and
YAML (~0.2 s of CPU) which the gate's process has already imported. As `agentid/pack_fork.py` does for the
packs, `prefork()` forks the gate at the start of a run (one thread, before the project is read and before
any gRPC channel, server or thread exists); the child waits on a pipe. `PreforkedProgram.launch` hands it
what the plain start would have run: the language host's argv, environment, working directory, and the
sandbox's parameters. The child then builds the same sandbox itself, in process, and becomes the program:

* C (the forked child, the gate's child): every descriptor of the gate closed at once; fds 0-2 /dev/null
  and the run's stdout/stderr files; then, before anything else, the gate's memory that could hold a
  secret cleared: the environment block the kernel shows as /proc/self/environ and every value of the
  environment dict zeroed in place (the program's environment is the one `program._program_env` built,
  credentials withheld), the command line the kernel shows as /proc/self/cmdline overwritten with the
  program's (the gate's arguments are not the program's business); unshare(2) of new user (mapped to root),
  network, mount and pid namespaces, as `unshare --user --map-root-user --net --mount --pid --fork` does;
  it forks the namespace's init and exits with its status (the gate kills C on a timeout: the init dies
  with it, PR_SET_PDEATHSIG, as `--kill-child=SIGKILL`);
* I (PID 1 of the new pid namespace): /proc of the namespace mounted (`--mount-proc`), then the very same
  `sh` script builds the view (`sandbox.view_command`: every mount read-only and checked, fresh /tmp and
  /dev/shm, the run directory the only writable one); it forks the program and exits with its status, so
  the kernel kills whatever is left in the namespace;
* P (the program): its own user and mount namespaces (the read-only mounts locked, as the script's inner
  `unshare --user --map-user --map-group --mount`), RLIMIT_FSIZE (`ulimit -f`), the interpreter made what a
  new `python -u SCRIPT` is (`pack_fork.reset_interpreter`: streams, signal dispositions, no exit or log
  handlers, the kit's modules forgotten and imported afresh; `sys.path` asked of the interpreter itself,
  inside the sandbox, with the program's environment; `sys.argv`; the `random` and `tempfile` state drawn
  anew), then `runpy.run_path(SCRIPT, run_name="__main__")`.

What the program can still read is the rest of the gate's heap as it was at the fork: the gate's modules and
the request (paths, flags), no file of the project read yet, no verdict, no descriptor. Reading is not
forging: the verdict and the list of registrations stay in the gate's process. Freed memory of the gate is
not zeroed; before the fork the gate reads no secret (the caller's credentials live only in the environment,
cleared as above).

Used only when sound, otherwise the program is started as before: the sandbox is available, the program runs
with the gate's interpreter (no project virtualenv), the run needs no fixed hash seed (the cloaking reruns:
a forked interpreter keeps the gate's), the gate's switches (AGENTID_PREVIEW_PLAIN_SDK, AGENTID_PROGRAM_FORK=0)
are unset, and `pack_fork.fork_unavailable` finds one thread and an unconfigured pulumi runtime. Only the
first program run of a preview uses it.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from agentid import pack_fork

FORK_ENV = "AGENTID_PROGRAM_FORK"  # "0": start the program as a new interpreter

_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWUSER, _CLONE_NEWNET = 0x00020000, 0x20000000, 0x10000000, 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
_PR_SET_PDEATHSIG = 1


def fork_unavailable() -> str | None:
    """None when the program may be forked from this process now, else why not."""
    from agentid.preview import sandbox

    problem = pack_fork.fork_unavailable(FORK_ENV)
    if problem is not None:
        return problem
    if not sandbox.isolation().sandboxed:
        return "the program is not sandboxed here"
    return None


class PreforkedProgram(pack_fork.PreparedChild):
    """A child forked from the gate that waits for its program's launch (`launch`) or its end (`discard`)."""

    what = "program"

    def launch(self, *, argv: list[str], env: dict[str, str], cwd: str, view: list[str], stdout: str,
               stderr: str, file_limit: int) -> pack_fork.ForkedProcess:
        """Make the child run `argv` (`python -u SCRIPT ARGS`) in the sandbox `view` builds; the process to wait
        for and kill (killing it takes the whole pid namespace with it)."""
        self._send({"argv": argv, "env": env, "cwd": cwd, "view": view, "stdout": stdout, "stderr": stderr,
                    "file_limit": file_limit})
        return pack_fork.ForkedProcess(self.pid, None, list(argv))


def prefork() -> tuple[PreforkedProgram | None, str | None]:
    """A child ready to become the program, or None and why not (the program then starts as a new interpreter)."""
    problem = fork_unavailable()
    if problem is not None:
        return None, problem
    control_read, control_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(control_read)
    os.close(control_read)
    return PreforkedProgram(pid, control_write), None


def _child(control: int) -> None:
    code = 121  # sandbox.SETUP_FAILED: nothing of the program ran
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gate's Ctrl-C ends it through end of file or a kill
        _close_descriptors_but({control})
        request = pack_fork._read_all(control)
        os.close(control)
        if not request:  # discarded
            os._exit(0)
        launch = json.loads(request)
        os.setsid()  # as the plain start's start_new_session: a terminal's Ctrl-C is the gate's to handle
        _standard_streams(launch["stdout"], launch["stderr"])
        _clear_gate_memory(launch["argv"])
        code = _namespaces(launch)
    except BaseException:  # noqa: BLE001 - reported on the program's stderr; the gate fails the run
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def _close_descriptors_but(kept: set[int]) -> None:
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in kept:
            try:
                os.close(fd)
            except OSError:
                pass


def _standard_streams(stdout: str, stderr: str) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    out = os.open(stdout, os.O_WRONLY | os.O_APPEND)
    err = os.open(stderr, os.O_WRONLY | os.O_APPEND)
    for fd, target in ((devnull, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)


def _clear_gate_memory(argv: list[str]) -> None:
    """Zero what of the gate's memory may hold the caller's secrets, and show the program's command line."""
    import posix

    offset = bytes.__basicsize__ - 1  # where a bytes object's characters start (after its header)
    for value in list(posix.environ.values()):
        if isinstance(value, bytes) and len(value) > 1:  # (shorter ones are shared singletons, and hold no secret)
            ctypes.memset(id(value) + offset, 0, len(value))
    os.environ.clear()  # also unsets them in the C environment (unsetenv): no pointer into the block is left
    stat = Path("/proc/self/stat").read_text()
    fields = stat[stat.rfind(")") + 2:].split()
    arg_start, arg_end, env_start, env_end = (int(fields[i]) for i in (45, 46, 47, 48))
    if env_end > env_start:
        ctypes.memset(env_start, 0, env_end - env_start)
    if arg_end > arg_start:
        shown = b"\0".join(os.fsencode(a) for a in argv)[:arg_end - arg_start - 1]
        ctypes.memset(arg_start, 0, arg_end - arg_start)
        ctypes.memmove(arg_start, shown, len(shown))


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> None:
    if _libc().unshare(flags) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"unshare: {os.strerror(number)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int) -> None:
    def c(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    if _libc().mount(c(source), c(target), c(kind), ctypes.c_ulong(flags), None) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"mount {target}: {os.strerror(number)}")


def _map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{inside_uid} {outside_uid} 1")
    Path("/proc/self/gid_map").write_text(f"{inside_gid} {outside_gid} 1")


def _exit_code(status: int) -> int:
    """A waited-for child's status as `sh` reports it (128 + the signal that killed it)."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _wait(pid: int) -> int:
    while True:
        try:
            return _exit_code(os.waitpid(pid, 0)[1])
        except InterruptedError:
            continue


def _namespaces(launch: dict[str, Any]) -> int:
    """C: new user (root), network, mount and pid namespaces; fork their init; its exit status."""
    uid, gid = os.getuid(), os.getgid()
    _unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS | _CLONE_NEWPID)
    _map_ids(0, uid, 0, gid)
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    init = os.fork()
    if init == 0:
        code = 121
        try:
            code = _init(launch, uid, gid)
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    return _wait(init)


def _init(launch: dict[str, Any], uid: int, gid: int) -> int:
    """I, PID 1: the namespace's /proc, the view (sandbox's own script), then the program; its exit status."""
    import subprocess

    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _mount("none", "/proc", None, _MS_REC | _MS_PRIVATE)
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NOEXEC | _MS_NODEV)
    built = subprocess.call(launch["view"], stdin=subprocess.DEVNULL)
    if built != 0:
        return built
    program = os.fork()
    if program == 0:
        code = 1
        try:
            _program(launch, uid, gid)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 - as the interpreter reports an uncaught exception
            import traceback

            traceback.print_exc()
        finally:
            try:
                import atexit

                atexit._run_exitfuncs()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    return _wait(program)


def _program(launch: dict[str, Any], uid: int, gid: int) -> None:
    """P: the program's own user and mount namespaces (mounts locked), the file-size limit, a new interpreter's
    state, then the language host script as `python -u SCRIPT ARGS` runs it."""
    import resource
    import runpy

    _unshare(_CLONE_NEWUSER | _CLONE_NEWNS)
    _map_ids(uid, 0, gid, 0)
    limit = int(launch["file_limit"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    env, cwd, argv = launch["env"], launch["cwd"], launch["argv"]
    os.chdir(cwd)
    os.environ.update(env)
    pack_fork.reset_interpreter(env)
    script = argv[2]  # python -u SCRIPT ARGS
    path = pack_fork._interpreter_path(cwd, env)[1:]
    sys.path[:] = [os.path.dirname(os.path.abspath(script)), *path]
    sys.argv[:] = [script, *argv[3:]]
    sys.orig_argv = list(argv)
    if "random" in sys.modules:
        sys.modules["random"].seed()  # a new interpreter's generator, not a copy of the gate's
    if "tempfile" in sys.modules:
        tempfile = sys.modules["tempfile"]
        tempfile.tempdir, tempfile._name_sequence = None, None
    import gc

    gc.enable()
    gc.set_threshold(*pack_fork._GC_DEFAULT_THRESHOLDS)
    gc.freeze()
    runpy.run_path(script, run_name="__main__")
