"""The judged program's process forked from the gate's warm interpreter, in the same sandbox (issue 17).

The program is started as Pulumi's language host starts it, `python pulumi-language-python-exec ...`, in
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
  /dev/shm, the run directory the only writable one); it forks the program's parent as the plain start's
  (`_language_host_process`: named pulumi-language-python, a pid in the thousands), which forks the program, and
  exits with its status, so the kernel kills whatever is left in the namespace;
* P (the program): its own user and mount namespaces (the read-only mounts locked, as the script's inner
  `unshare --user --map-user --map-group --mount`), RLIMIT_FSIZE (`ulimit -f`), the interpreter made what a
  new `python SCRIPT` is (`pack_fork.reset_interpreter`, `_plain_streams`: streams buffered as a plain start's,
  signal dispositions, no exit or log handlers; `sys.path` and the start-up modules asked of the interpreter
  itself, inside the sandbox, with the program's environment; every module neither a new interpreter nor Pulumi's
  exec script has at the program's first line forgotten (`forget_gate_modules`: the gate's own, its gRPC server,
  its CLI libraries), imported afresh if the program wants one; `sys.argv`/`sys.orig_argv`, the process name
  (/proc/self/comm) of `python`, the thread-name counters; the `random` and `tempfile` state drawn anew), then
  `runpy.run_path(SCRIPT, run_name="__main__")`. What a program can still tell is listed in docs/preview.md
  ("Cloaking tells").

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
import functools
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
_PR_SET_PDEATHSIG, _PR_SET_NAME, _PR_SET_MM, _PR_SET_MM_MAP = 1, 15, 35, 14


def fork_unavailable() -> str | None:
    """None when the program may be forked from this process now, else why not."""
    from agentid.preview import sandbox

    problem = pack_fork.fork_unavailable(FORK_ENV)
    if problem is not None:
        return problem
    if not sandbox.isolation().sandboxed:
        return "the program is not sandboxed here"
    options = sys.orig_argv[1:2]
    if options and options[0].startswith("-") and options[0] not in ("-m", "-c"):
        # the forked program would keep these flags (sys.flags): Pulumi starts it as `python SCRIPT`, with none
        return f"the gate's interpreter runs with option {options[0]}, which the program's own start would not have"
    return host_modules()[1]


class PreforkedProgram(pack_fork.PreparedChild):
    """A child forked from the gate that waits for its program's launch (`launch`) or its end (`discard`)."""

    what = "program"

    def launch(self, *, argv: list[str], env: dict[str, str], cwd: str, view: list[str], stdout: str,
               stderr: str, file_limit: int) -> pack_fork.ForkedProcess:
        """Make the child run `argv` (`python SCRIPT ARGS`) in the sandbox `view` builds; the process to wait
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
    host = _language_host_process(launch)
    if host is not None:
        return host
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


def _language_host_process(launch: dict[str, Any]) -> int | None:
    """In I: the program's parent as the plain start's (sandbox._SETUP_RUN): a pid in the thousands (ns_last_pid),
    named as pulumi-language-python (/proc/PPID/comm) with its command line (the engine's address), waiting for the
    program and exiting with its status. Returns that status in I; None in the host process, which goes on to fork
    the program."""
    from agentid.preview import sandbox

    try:
        start = sandbox.PID_FLOOR + int.from_bytes(os.urandom(2), "big") % sandbox.PID_RANGE
        Path("/proc/sys/kernel/ns_last_pid").write_text(str(start))
    except OSError:
        pass  # a small pid: a tell, not a failure
    host = os.fork()
    if host != 0:
        return _wait(host)
    script = launch["argv"][1]
    engine = launch["argv"][launch["argv"].index("--engine") + 1] if "--engine" in launch["argv"] else ""
    _process_name(sandbox.LANGUAGE_HOST)
    named = os.path.join(os.path.dirname(script), sandbox.LANGUAGE_HOST)
    try:  # the same neighbour of the exec script as the plain start's (sandbox._SETUP_RUN links unshare there)
        import shutil

        os.symlink(shutil.which("unshare") or sys.executable, named)
    except OSError:
        pass
    _command_line_and_environment([named, engine], {})
    return None


def _program(launch: dict[str, Any], uid: int, gid: int) -> None:
    """P: the program's own user and mount namespaces (mounts locked), the file-size limit, a new interpreter's
    state, then the language host script as `python SCRIPT ARGS` runs it."""
    import resource
    import runpy

    _unshare(_CLONE_NEWUSER | _CLONE_NEWNS)
    _map_ids(uid, 0, gid, 0)
    limit = int(launch["file_limit"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    env, cwd, argv = launch["env"], launch["cwd"], launch["argv"]
    os.chdir(cwd)
    os.environ.update(env)
    before = set(sys.modules)
    pack_fork.reset_interpreter(env)
    path, started_with, codecs = _new_interpreter(cwd, env)
    _plain_streams(env, codecs)
    _process_name(argv[0])
    _command_line_and_environment(argv, env)
    script = argv[1]  # python SCRIPT ARGS (pulumi-language-python: no interpreter option)
    sys.path[:] = [os.path.dirname(os.path.abspath(script)), *path[1:]]
    forget_gate_modules(started_with)
    import importlib

    for name in sorted((before & host_modules()[0]) - set(sys.modules)):  # the packs' reset drops pulumi.policy
        importlib.import_module(name)
    sys.argv[:] = [script, *argv[2:]]
    sys.orig_argv = list(argv)
    if "random" in sys.modules:
        sys.modules["random"].seed()  # a new interpreter's generator, not a copy of the gate's
    if "tempfile" in sys.modules:
        tempfile = sys.modules["tempfile"]
        tempfile.tempdir, tempfile._name_sequence = None, None
    _fresh_counters()
    import gc

    gc.enable()
    gc.set_threshold(*pack_fork._GC_DEFAULT_THRESHOLDS)
    gc.freeze()
    _below_the_script_nothing(script)
    runpy.run_path(script, run_name="__main__")


# --- what a new `python SCRIPT` shows that the forked gate would not (cloaking tells, issue 11) ---------------------

HOST_MODULES = Path(__file__).with_name("host_modules.json")
# Top-level packages the gate imported before the fork because the program imports them itself (issue 17: the
# program's own pulumi_aws, the kit's components): no tell, kept. Empty: every module of the gate outside what a
# plain start of Pulumi's exec script has at the program's first line is forgotten (and imported afresh if needed).
KEPT_FOR_THE_PROGRAM: set[str] = set()


@functools.cache
def host_modules() -> tuple[frozenset[str], str | None]:
    """The modules Pulumi's exec script (and the SDK it imports) adds to a new interpreter's by the time the program's
    first line runs (host_modules.json, measured with Pulumi's own script), and why they cannot be used here (None:
    they can): they were measured for one Python minor version and one pulumi SDK version."""
    try:
        data = json.loads(HOST_MODULES.read_text())
        import pulumi

        measured = (data["python"], data["pulumi"])
        version = getattr(getattr(pulumi, "_version", None), "_VERSION", "?")
        running = (f"{sys.version_info[0]}.{sys.version_info[1]}", version)
        if measured != running:
            return frozenset(), (f"the modules a program's host imports were measured for Python {measured[0]} and "
                                 f"pulumi {measured[1]}, not {running[0]} / {running[1]} "
                                 "(agentid/preview/host_modules.json)")
        return frozenset(data["modules"]), None
    except (OSError, ValueError, KeyError, ImportError) as error:
        return frozenset(), f"agentid/preview/host_modules.json cannot be read ({error})"


def forget_gate_modules(started_with: set[str], kept: set[str] | None = None) -> list[str]:
    """Forget every module a plain start of the program would not have at its first line: not one a new interpreter
    imports at start-up (`started_with`), nor one Pulumi's exec script and the SDK import (`host_modules`), nor one of
    the packages in `kept` (default KEPT_FOR_THE_PROGRAM). A forgotten submodule of a kept package is also removed as
    its parent's attribute (`grpc._server` after `import grpc`). The gate's own modules (agentid.*, the packs' SDK,
    its gRPC server, its CLI and report libraries) are then no longer in `sys.modules`; a program importing one gets
    a fresh copy, as it would. Returns the names forgotten."""
    modules, _problem = host_modules()
    kept = KEPT_FOR_THE_PROGRAM if kept is None else kept
    keep = started_with | modules | {"__main__"}
    # The standard library stays: a fresh interpreter may import any of it on first use, and forgetting a submodule
    # the gate had loaded (`collections.abc`) left code that reaches it as its package's attribute failing in a
    # consumer's project (AttributeError: module 'collections' has no attribute 'abc'); it is no gate's tell
    forgotten = sorted(name for name in sys.modules if name not in keep and name.partition(".")[0] not in kept
                       and name.partition(".")[0] not in sys.stdlib_module_names)
    gone = set(forgotten)
    for name in forgotten:
        module = sys.modules.pop(name, None)
        parent, _, child = name.rpartition(".")
        if parent and parent not in gone and getattr(sys.modules.get(parent), child, None) is module:
            try:
                delattr(sys.modules[parent], child)
            except AttributeError:
                pass
    return forgotten


def _new_interpreter(cwd: str, env: dict[str, str]) -> tuple[list[str], set[str], list[list[str]]]:
    """`sys.path` (after its first entry), the modules and the standard streams' encoding and errors of a new `python`
    started in `cwd` with `env`, asked of the interpreter itself, in the sandbox (one start, which the import path
    needed anyway)."""
    import subprocess

    completed = subprocess.run([sys.executable, "-c", "import sys; m = sorted(sys.modules); import json; "
                                "print(json.dumps([sys.path[1:], m, [[s.encoding, s.errors] for s in "
                                "(sys.stdin, sys.stdout, sys.stderr)]]))"], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    path, modules, streams = json.loads(completed.stdout)
    return [os.path.abspath(cwd), *path], set(modules), streams


def _plain_streams(env: dict[str, str], codecs: list[list[str]]) -> None:
    """The standard streams as a new `python SCRIPT` opens them on fds 0-2 (Python/pylifecycle.c create_stdio), with
    `codecs` its encoding and errors of each: named `<stdin>`/`<stdout>`/`<stderr>`, buffered (stdin always),
    stderr and terminals line-buffered; with PYTHONUNBUFFERED, stdout and stderr raw and every one write-through."""
    import io

    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    streams = []
    for fd, mode, name in ((0, "rb", "<stdin>"), (1, "wb", "<stdout>"), (2, "wb", "<stderr>")):
        raw = io.FileIO(fd, mode, closefd=False)
        raw.name = name
        buffered = raw if unbuffered and fd else (io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw))
        encoding, errors = codecs[fd]
        text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                                line_buffering=not unbuffered and (fd == 2 or raw.isatty()), write_through=unbuffered)
        text.mode = mode[0]
        streams.append(text)
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


def _process_name(python: str) -> None:
    """/proc/self/comm (and /proc/self/status Name) as exec(2) of `python` sets it: its file name, 15 bytes; the fork
    keeps the gate's (`agentid` when started by its console script)."""
    _libc().prctl(_PR_SET_NAME, os.fsencode(os.path.basename(python))[:15], 0, 0, 0)


class _MemoryMap(ctypes.Structure):
    """struct prctl_mm_map (linux/prctl.h), for prctl(PR_SET_MM, PR_SET_MM_MAP)."""

    _fields_ = [*((name, ctypes.c_uint64) for name in ("start_code", "end_code", "start_data", "end_data", "start_brk",
                                                        "brk", "start_stack", "arg_start", "arg_end", "env_start",
                                                        "env_end", "auxv")),
                ("auxv_size", ctypes.c_uint32), ("exe_fd", ctypes.c_uint32)]


_SHOWN: list[Any] = []  # the buffers /proc/self/cmdline and /proc/self/environ show: alive as long as the process


def _command_line_and_environment(argv: list[str], env: dict[str, str]) -> bool:
    """/proc/self/cmdline and /proc/self/environ as exec(2) of `argv` with `env` shows them: whole (the gate's
    argument area, overwritten in C, holds only as many bytes as the gate's own command line) and not the zeroed
    environment block. prctl(PR_SET_MM, PR_SET_MM_MAP) points the kernel at new buffers (no privilege needed; the
    kernel's CONFIG_CHECKPOINT_RESTORE); False, leaving the truncated line, where the kernel refuses it."""
    libc = _libc()
    stat = Path("/proc/self/stat").read_text()
    fields = stat[stat.rfind(")") + 2:].split()

    def field(number: int) -> int:  # proc(5) numbering: field 3 (state) is fields[0]
        return int(fields[number - 3])

    arguments = b"".join(os.fsencode(a) + b"\0" for a in argv)
    environment = b"".join(os.fsencode(k) + b"=" + os.fsencode(v) + b"\0" for k, v in env.items())
    shown = [ctypes.create_string_buffer(arguments, len(arguments)),
             ctypes.create_string_buffer(environment, len(environment) or 1)]
    libc.sbrk.restype = ctypes.c_void_p
    start_args, start_env = ctypes.addressof(shown[0]), ctypes.addressof(shown[1])
    layout = _MemoryMap(field(26), field(27), field(45), field(46), field(47), libc.sbrk(0) or field(47), field(28),
                        start_args, start_args + len(arguments), start_env, start_env + len(environment), 0, 0,
                        0xFFFFFFFF)
    if libc.prctl(_PR_SET_MM, _PR_SET_MM_MAP, ctypes.byref(layout), ctypes.sizeof(layout), 0) != 0:
        return False
    _SHOWN.append(shown)
    return True


def _below_the_script_nothing(script: str) -> None:
    """Make the script's module frame the bottom of the stack, as in a process that runs `python SCRIPT`: the fork
    keeps the gate's frames under it (the CLI, runner.py, program_fork.py: `traceback.extract_stack()`,
    `inspect.stack()` and `frame.f_back` name them). A one-shot trace hook catches the script's frame as it starts and
    `_cut_below` unlinks what lies under it."""

    def tracer(frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code.co_name == "<module>" and frame.f_code.co_filename == script:
            sys.settrace(None)
            _cut_below(frame)

    sys.settrace(tracer)


def _cut_below(frame: Any) -> bool:
    """Unlink the frames under the running `frame` (its `f_back` becomes None): CPython 3.11's frame layout
    (Include/internal/pycore_frame.h: `_PyInterpreterFrame.previous`), only where every field read checks out and the
    frame is an entry frame (exec() from C: returning or raising out of it never follows `previous`). False, and
    nothing changed, anywhere else (another Python: the gate's frames stay visible, docs/preview.md)."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11) or frame.f_back is None:
        return frame.f_back is None

    def pointer(address: int) -> int:
        return ctypes.c_void_p.from_address(address).value or 0

    running, back_code = id(frame), id(frame.f_back.f_code)
    interpreter_frame = pointer(running + 24)  # PyFrameObject: ob_refcnt, ob_type, f_back, f_frame
    if pointer(running + 16) or not interpreter_frame:  # f_back is cached only once the frame no longer runs
        return False
    # _PyInterpreterFrame: f_func, f_globals, f_builtins, f_locals, f_code (32), frame_obj (40), previous (48),
    # prev_instr (56), stacktop (64, int), is_entry (68, bool)
    previous = pointer(interpreter_frame + 48)
    if (pointer(interpreter_frame + 40) != running or pointer(interpreter_frame + 32) != id(frame.f_code)
            or not previous or pointer(previous + 32) != back_code
            or ctypes.c_uint8.from_address(interpreter_frame + 68).value != 1):
        return False
    ctypes.c_void_p.from_address(interpreter_frame + 48).value = None
    return frame.f_back is None


def _fresh_counters() -> None:
    """The name counters a new interpreter starts at 1 (threads `Thread-1`, executors `ThreadPoolExecutor-0_0`),
    not the gate's next numbers."""
    import itertools
    import threading

    threading._counter = itertools.count(1).__next__
    thread = sys.modules.get("concurrent.futures.thread")
    if thread is not None:
        thread.ThreadPoolExecutor._counter = itertools.count().__next__
