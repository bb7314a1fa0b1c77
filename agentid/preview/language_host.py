"""The gate's `pulumi-language-python-exec`: runs the judged program as Pulumi's Python language host does.

Pulumi's language host starts `python -u pulumi-language-python-exec --monitor ADDR --engine ADDR
--project P --stack S --pwd DIR --dry_run true --parallel N ... PROGRAM`, with the stack's config in
`PULUMI_CONFIG` (JSON, keys `project:key`); the script configures the SDK and runs PROGRAM with
`runpy.run_path` inside `run_in_stack` (pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec).
The gate copies this file into the program's run directory under that name and starts it the same
way, so the program sees what it would see under the engine: no `agentid` module imported (this
file imports none: it is run by path, never as `agentid.preview.language_host`), no gate arguments,
no gate environment variables.

What differs from Pulumi's script, for the gate: the garbage collector is off (the program keeps
almost all it allocates; issue 17), the SDK costs `sdk_speedups.py` removes are removed and registrations
are answered here and sent to the gate in batches (that file and the two it loads are copied next to this
one and loaded under neutral names), the stack's agent file as the gate validated it is handed to the kit's
loader before the program runs (`_take_validated_spec`: it imports `agentid_components`, which the program
imports anyway, only when the program would find that same package), and when the program fails this script
writes why to `result.json` beside itself (spec problems, config errors, a traceback's tail) for the
gate to show. That note can only turn a run into a failure: the gate's verdict rests on what the
monitor recorded and on the program having finished through the SDK.

The end of the run, as Pulumi's runs it (facts from pulumi 3.272's sources): the SDK's `run_pulumi_func`
(pulumi/runtime/stack.py) runs the program's body, awaits `wait_for_rpcs` (every outstanding RPC and
Output) and then sends `SignalAndWaitForShutdown`; Pulumi's exec script then ends with `sys.exit`, so the
interpreter's normal shutdown joins the non-daemon threads and runs the atexit hooks while the engine still
serves the monitor. The engine ends its source of registrations at that signal (pulumi/pulumi
pkg/resource/deploy/source_eval.go, `resmon.SignalAndWaitForShutdown`: `finChan <- nil`, "no more events");
a registration after it is never read (it waits until the monitor is cancelled). Here the gate's monitor
refuses a registration after the signal, and this script runs the atexit hooks (and sends what the batching
monitor still holds) before its `os._exit`, so such a registration reaches the gate and gets no verdict
instead of vanishing with the process.
"""

import argparse
import gc
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = os.path.join(HERE, "result.json")
SPEEDUPS = os.path.join(HERE, "sdk_speedups.py")


def main() -> None:
    parser = argparse.ArgumentParser(description="Execute a Pulumi Python program")
    for option in ("--project", "--stack", "--parallel", "--dry_run", "--pwd", "--monitor", "--engine", "--tracing",
                   "--organization", "--root_directory"):
        parser.add_argument(option)
    parser.add_argument("PROGRAM")
    parser.add_argument("ARGS", nargs="*")
    args = parser.parse_args()
    gc.freeze()  # the imports so far stay out of every collection
    gc.disable()  # the program keeps almost all it allocates until the end: collections only cost (issue 17)
    import asyncio
    import logging

    import pulumi
    import pulumi.runtime

    speedups = _speedups()
    monitor, warnings = args.monitor, []
    if speedups is not None:  # registrations answered here and sent in batches, when the SDK allows it
        monitor, problem = speedups.batching_monitor(args.monitor, args.project, args.stack)
        if problem:
            warnings.append(f"agentid preview: not batching registrations ({problem}); the run is correct but slower")
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    pulumi.runtime.configure(pulumi.runtime.Settings(
        monitor=monitor, engine=args.engine, project=args.project, stack=args.stack,
        parallel=int(args.parallel or 0) or None, dry_run=args.dry_run == "true",
        organization=args.organization or "organization", root_directory=args.root_directory))
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd:
        os.chdir(args.pwd)
    # As Pulumi's script: run_path(PROGRAM) relative to --pwd puts a program folder first on sys.path while the
    # program's body runs (a program file: nothing), and nothing else adds the project to the path.
    program = args.PROGRAM
    _take_validated_spec(program)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # as Pulumi's script: unobserved futures are expected
    settle = _Settle(loop)
    status = 0
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: _run(program, speedups, warnings, settle)))
    except BaseException as error:  # noqa: BLE001 - everything the program raises is a failed preview
        status = _write(_failure(error))
    if status == 0:
        status = _after_the_program(monitor, settle)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # no interpreter teardown: everything the gate needs is already in its own process


def _after_the_program(monitor, settle: "_Settle") -> int:
    """What Pulumi's exec script does after the program while the engine still listens, as the interpreter's
    exit does it: wait for the threads (and here, processes and interval timers too) still running, run the
    atexit hooks (the program's, and its libraries'); then send the registrations the batching monitor still
    holds. Whatever registers here reaches the gate, which refuses it (after the shutdown signal) or, when the
    program never signalled, still gives no verdict: it is never dropped unseen. Work still running after
    SETTLE_SECONDS (the SDK's signal was sent without `_Settle.wait`, e.g. the program replaced it) fails the
    run: the exit status (1), which no file the program can touch overrides. Returns the exit status."""
    import atexit
    import time

    deadline = time.monotonic() + SETTLE_SECONDS
    while (left := settle.running(loop=False)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        return _write({"status": "program_error", "traceback": "", "error": settle.still_running(left)})
    atexit._run_exitfuncs()  # the interpreter's own shutdown step; exceptions are printed, as at exit
    flush = getattr(monitor, "flush", None)
    if flush is not None:
        try:
            flush()
        except Exception:  # noqa: BLE001 - a refusal is already recorded by the gate, which fails the run
            pass
    return 0


def _take_validated_spec(program: str) -> None:
    """Hand the agent file the gate validated (`agentid.preview.program.hand_over_spec`) to the kit's loader, so
    the program's `load_inventory` does not validate it again: only when the program would import the very
    `agentid_components` the gate validated with. Anything unexpected, and the program validates the file itself."""
    import importlib.util
    import pickle

    path = os.path.join(HERE, HANDED_OVER_SPEC)
    try:
        with open(path, "rb") as handle:
            payload = pickle.load(handle)  # noqa: S301 - written by the gate before this process started
        found = _find_as_the_program_would("agentid_components", program)
        locations = list(found.submodule_search_locations or []) if found is not None else []
        if [os.path.realpath(location) for location in locations] != [payload["kit"]]:
            return
        from agentid_components import loader

        loader.hand_over(pickle.loads(payload["spec"]))  # noqa: S301 - as above
    except Exception:  # noqa: BLE001 - no file (no agent file, a plain run) or another kit: validate as before
        return


HANDED_OVER_SPEC = "validated_spec.pickle"  # agentid.preview.program.HANDED_OVER_SPEC


def _find_as_the_program_would(name: str, program: str):
    """Where the program's `import NAME` will find it: with a program folder first on sys.path, as run_path puts
    it there while the body runs (the folder is taken off again here: nothing else adds it at start-up)."""
    import importlib.util

    folder = os.path.abspath(program) if os.path.isdir(program) else None
    if folder is not None:
        sys.path.insert(0, folder)
    try:
        return importlib.util.find_spec(name)
    finally:
        if folder is not None:
            sys.path.remove(folder)
            sys.path_importer_cache.pop(folder, None)


def _run(program: str, speedups, warnings: list, settle: "_Settle") -> None:
    import runpy

    import pulumi

    if speedups is not None:
        problem = speedups.lazy_provider_imports()
        if problem:
            warnings.append(f"agentid preview: importing provider packages whole ({problem}); the run is correct "
                            "but slower")
    for warning in [*warnings, *(speedups.apply() if speedups is not None else [])]:
        pulumi.log.warn(warning)  # reaches the gate through the Engine service, shown with the verdict
    _watch_secret_reads()
    settle.install()  # what runs from here on is the program's
    runpy.run_path(program, run_name="__main__")


# The gate reads these warnings back (runner.secret_reads, runner.unknown_applies); keep the texts in step with
# SECRET_READ_PREFIX and UNKNOWN_APPLY_PREFIX there, and SECRET_PLACEHOLDER with stack_config's.
SECRET_READ_PREFIX = "agentid preview: secure config read as plain text: "
UNKNOWN_APPLY_PREFIX = "agentid preview: apply callback not run on a value unknown at preview: "
SECRET_PLACEHOLDER = "[secret: not decrypted by agentid preview]"
PULUMI_CONFIG_VARIABLES = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")


def _watch_secret_reads() -> None:
    """Tell the gate when the program gets the value of a `secure:` stack value, by whatever way it is handed over.

    Offline the gate cannot decrypt it: the program gets a placeholder, and a branch on the real value (an admin key
    only when it says "legacy") would never be judged. The accounting is where the value is handed over, not in one
    SDK getter:
    * the SDK's config store (pulumi.runtime.config.CONFIG): every read of a secret key's value (Config.get,
      get_object, pulumi.runtime.get_config, the store's dict itself) except through the SDK's secret getters
      (get_secret/require_secret..., which call Config._get without `use`, pulumi/config.py) that give an Output;
    * the process environment the value came in (PULUMI_CONFIG, and PULUMI_CONFIG_SECRET_KEYS): os.environ /
      os.environb reads by anything but the SDK's own fallback in get_config, and opening /proc/*/environ (an
      audit hook, PEP 578, which the program cannot remove);
    * an apply callback of the program handed a value that holds the placeholder (`require_secret(k).apply(fn)`):
      what fn does with the real value is not judged. Passing the Output to a resource input is no read.
    Only when the stack has secret keys (the apply watch always: see `_watch_applies`)."""
    import contextvars
    import re

    import pulumi
    import pulumi.config
    import pulumi.runtime.config as runtime_config

    secret_keys = frozenset(runtime_config._SECRET_KEYS.get())
    warn, reported = pulumi.log.warn, set()  # taken now: the program replacing pulumi.log.warn silences nothing

    def report(note: str) -> None:
        if note not in reported:
            reported.add(note)
            warn(f"{SECRET_READ_PREFIX}{note}")

    if secret_keys:
        _watch_config_store(runtime_config, pulumi.config, secret_keys, report, contextvars)
        _watch_environment(runtime_config, report)
        environ_file = re.compile(r"/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/environ")

        def audit(event: str, args: tuple) -> None:
            if event == "open" and args and isinstance(args[0], (str, bytes)):
                path = os.fsdecode(args[0])
                if environ_file.fullmatch(os.path.normpath(path)):
                    report(f"PULUMI_CONFIG ({path})")

        sys.addaudithook(audit)
    _watch_applies(pulumi, report if secret_keys else None)


def _watch_config_store(runtime_config, config_module, secret_keys: frozenset, report, contextvars) -> None:
    """Replace the SDK's config dict by one that reports reads of secret keys' values (see _watch_secret_reads)."""
    getter = contextvars.ContextVar("agentid_config_getter", default=None)  # the SDK getter reading, if any
    original_get = config_module.Config._get

    def _get(self, key, use=None, instead_of=None):
        token = getter.set("secret" if use is None else getattr(instead_of, "__name__", "get"))
        try:
            return original_get(self, key, use, instead_of)
        finally:
            getter.reset(token)

    class WatchedConfig(dict):
        def _seen(self, key, how=None):
            if key in secret_keys and getter.get() != "secret":
                report(f"{key} ({how or getter.get() or 'pulumi.runtime.config'})")

        def __getitem__(self, key):
            self._seen(key)
            return dict.__getitem__(self, key)

        def get(self, key, default=None):
            self._seen(key)
            return dict.get(self, key, default)

        def __iter__(self):  # not dict's: dict(store) / {**store} then read values through __getitem__
            return iter(list(dict.keys(self)))

        def values(self):
            for key in dict.keys(self):
                self._seen(key, "the config store's values")
            return dict.values(self)

        def items(self):
            self.values()
            return dict.items(self)

        def copy(self):
            return dict(self)

        def pop(self, key, *default):
            self._seen(key)
            return dict.pop(self, key, *default)

        def popitem(self):
            self.values()
            return dict.popitem(self)

    runtime_config.CONFIG.set(WatchedConfig(runtime_config.CONFIG.get()))
    config_module.Config._get = _get


def _watch_environment(runtime_config, report) -> None:
    """os.environ and os.environ that report reads of PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, except the SDK's
    own `get_config` fallback (it reads only a key the store lacks: never a secret one)."""
    sdk_config_file = os.path.normcase(os.path.abspath(runtime_config.__file__))
    plumbing = {os.path.normcase(os.path.abspath(module.__file__)) for module in (os, sys.modules["_collections_abc"])}

    def from_sdk_fallback() -> bool:
        frame = sys._getframe(2)
        while frame is not None and os.path.normcase(os.path.abspath(frame.f_code.co_filename)) in plumbing:
            frame = frame.f_back
        if frame is None or os.path.normcase(os.path.abspath(frame.f_code.co_filename)) != sdk_config_file:
            return False
        if frame.f_code.co_name == "get_config_env":
            frame = frame.f_back
        return (frame is not None and frame.f_code.co_name == "get_config"
                and os.path.normcase(os.path.abspath(frame.f_code.co_filename)) == sdk_config_file)

    def watched(environ, names):
        class WatchedEnviron(type(environ)):
            def __getitem__(self, key):
                value = super().__getitem__(key)
                if key in names and not from_sdk_fallback():
                    report(f"{os.fsdecode(key)} (the environment)")
                return value

            def __contains__(self, key):  # a presence test reads no value
                try:
                    return self.encodekey(key) in self._data
                except TypeError:
                    return False

        return WatchedEnviron(environ._data, environ.encodekey, environ.decodekey, environ.encodevalue,
                              environ.decodevalue)

    os.environ = watched(os.environ, PULUMI_CONFIG_VARIABLES)
    if hasattr(os, "environb"):
        os.environb = watched(os.environb, tuple(os.fsencode(name) for name in PULUMI_CONFIG_VARIABLES))


def _holds_placeholder(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return SECRET_PLACEHOLDER in value
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(_holds_placeholder(item, depth + 1) for item in (*value.keys(), *value.values()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_placeholder(item, depth + 1) for item in value)
    return False


def _watch_applies(pulumi, report_secret) -> None:
    """Wrap Output.apply for the program's own calls (the caller's code is not the SDK's, a provider SDK's, the
    kit's or this gate's): a callback handed a value holding the secret placeholder is a secret read (when
    `report_secret`); a callback the SDK never runs because its value is unknown at preview (the mocks do not know
    every output: pulumi/output.py returns an unknown result without calling it) is reported when its Output
    settles, as work the gate cannot judge: at `pulumi up` it runs, and what it registers or invokes is unseen."""
    warn = pulumi.log.warn
    reported: set = set()
    original_apply = pulumi.Output.apply
    trusted = _trusted_code_folders(pulumi)

    def apply(self, func, run_with_unknowns=False):
        caller = sys._getframe(1)
        where = os.path.abspath(caller.f_code.co_filename)
        if any(where.startswith(folder) for folder in trusted):
            return original_apply(self, func, run_with_unknowns)
        spot = f"{os.path.basename(where)}:{caller.f_lineno}"
        ran = []

        def callback(value):
            ran.append(True)
            if report_secret is not None and _holds_placeholder(value):
                report_secret(f"a secret value handed to an apply callback ({spot})")
            return func(value)

        result = original_apply(self, callback, run_with_unknowns)

        def settled(future) -> None:
            if ran or future.cancelled() or future.exception() is not None or spot in reported:
                return
            if not future.result().is_known:
                reported.add(spot)
                warn(f"{UNKNOWN_APPLY_PREFIX}{spot}")

        result._data.add_done_callback(settled)
        return result

    apply.__doc__ = original_apply.__doc__
    pulumi.Output.apply = apply


def _trusted_code_folders(pulumi) -> tuple:
    """The folders of code that is not the program's: the Pulumi SDK, the provider SDKs installed beside it
    (pulumi_*), this gate's scripts (this folder) and the kit's components."""
    import importlib.util

    site = os.path.dirname(os.path.abspath(pulumi.__path__[0]))
    folders = [os.path.join(site, "pulumi") + os.sep, HERE + os.sep]
    try:
        folders += [os.path.join(site, name) + os.sep for name in os.listdir(site) if name.startswith("pulumi_")]
    except OSError:
        pass
    kit = importlib.util.find_spec("agentid_components")
    folders += [os.path.abspath(location) + os.sep for location in (kit.submodule_search_locations or [])] if kit else []
    return tuple(folders)


# How long what the program left running when its body returned may take to end before the shutdown signal.
SETTLE_SECONDS = 10.0


class StillRunning(Exception):
    """The program's body returned while some of its work still ran, and it did not end in SETTLE_SECONDS."""


class _Settle:
    """Before the SDK's shutdown signal, wait for what the program left running; no verdict if it does not end.

    At `pulumi up`, `wait_for_rpcs` lasts as long as the deployment (each RegisterResource answers once the
    resource exists), so a thread, a forked process, an asyncio task or timer, or an interval-timer signal
    handler the program left running can still register before the signal, and the engine creates what it
    registers. The gate's mocks answer at once: the signal came milliseconds after the body and the host's
    `os._exit` took such work away unseen. The SDK's `_wait_for_shutdown` (pulumi/runtime/stack.py) is wrapped
    so that, first, everything the program started ends (what it registers meanwhile is recorded and judged),
    then outstanding RPCs are awaited again; what is still running after SETTLE_SECONDS is named and the run
    gets no verdict. Daemon threads count too: only the interpreter's exit, after the signal, stops them.
    The SDK's own blocking calls run on the loop's default executor, which this class supplies to tell its
    workers from the program's threads."""

    def __init__(self, loop) -> None:
        import concurrent.futures
        import threading

        self.loop = loop
        self.workers: set = set()  # the default executor's threads: the SDK's calls run there
        self.busy = 0  # calls submitted to it and not done
        self._lock = threading.Lock()
        self.before: set = set()
        settle = self

        class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
            def submit(self, fn, /, *args, **kwargs):
                future = super().submit(fn, *args, **kwargs)
                with settle._lock:
                    settle.busy += 1
                future.add_done_callback(settle._done)
                return future

        loop.set_default_executor(CountingExecutor(thread_name_prefix="asyncio",
                                                   initializer=lambda: self.workers.add(threading.current_thread())))

    def _done(self, _future) -> None:
        with self._lock:
            self.busy -= 1

    def install(self) -> None:
        import threading

        from pulumi.runtime import stack

        self.before = set(threading.enumerate())
        _adopt_orphans()
        signal_shutdown = getattr(stack, "_wait_for_shutdown", None)
        if signal_shutdown is None or not hasattr(stack, "wait_for_rpcs"):
            return  # an SDK without the shutdown signal: the gate gives no verdict without it anyway

        async def settled_then_signal() -> None:
            await self.wait()
            await stack.wait_for_rpcs()
            await signal_shutdown()

        stack._wait_for_shutdown = settled_then_signal

    async def wait(self) -> None:
        import asyncio
        import time

        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            left = self.running()
            if not left:
                return
            if time.monotonic() >= deadline:
                raise StillRunning(self.still_running(left))
            await asyncio.sleep(0.05)  # the loop runs the program's callbacks and signal handlers meanwhile

    @staticmethod
    def still_running(left: list[str]) -> str:
        return (f"the program's body returned while {'; '.join(left[:5])} still ran after {SETTLE_SECONDS:g} s: at "
                "`pulumi up` it could register resources while the engine deploys, unseen by the gate; join "
                "threads, wait for processes and tasks, cancel timers before the program returns")

    def running(self, loop: bool = True) -> list[str]:
        """What the program left running, each named: threads, busy executor calls, processes, interval timers,
        and with `loop`, the event loop's pending tasks and scheduled callbacks."""
        import asyncio
        import signal
        import threading

        left = [_thread_name(thread) for thread in threading.enumerate()
                if thread.is_alive() and thread not in self.before and thread not in self.workers]
        with self._lock:
            if self.busy > 0:
                left.append(f"{self.busy} call(s) run with loop.run_in_executor")
        if loop:
            current = asyncio.current_task(self.loop)
            left += [f"asyncio task {task.get_name()} ({task.get_coro()!r:.80})"
                     for task in asyncio.all_tasks(self.loop) if task is not current and not task.done()]
            timers = [handle for handle in getattr(self.loop, "_scheduled", ()) if not handle.cancelled()]
            left += [f"a callback scheduled on the event loop ({handle!r:.100})" for handle in timers]
        for which, name in ((signal.ITIMER_REAL, "ITIMER_REAL"), (signal.ITIMER_VIRTUAL, "ITIMER_VIRTUAL"),
                            (signal.ITIMER_PROF, "ITIMER_PROF")):
            if signal.getitimer(which)[0] > 0:
                left.append(f"an interval timer ({name}: signal.alarm/setitimer)")
        left += [f"process {pid} ({command})" for pid, command in _child_processes()]
        return left


def _thread_name(thread) -> str:
    target = getattr(thread, "_target", None)  # where the thread's code is, when it has a plain target
    code = getattr(target, "__code__", None)
    where = f" running {code.co_filename}:{code.co_firstlineno}" if code is not None else ""
    return f"{'daemon ' if thread.daemon else ''}thread {thread.name!r}{where}"


def _adopt_orphans() -> None:
    """Make this process the child subreaper of what the program starts (prctl(2) PR_SET_CHILD_SUBREAPER), so a
    process that detaches itself (double fork, setsid) is reparented here, not to the sandbox's init, and
    `_child_processes` still finds it. Without prctl (not Linux) the parent chain alone is followed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER (linux/prctl.h)
    except (OSError, AttributeError):
        pass


def _child_processes() -> list[tuple[int, str]]:
    """Processes this one started (directly or not) that still run: every live process of /proc whose parent
    chain leads here. Zombies (exited, not yet waited for) have ended."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue  # it ended meanwhile
        command, _, rest = stat[stat.find("(") + 1:].rpartition(")")
        fields = rest.split()
        if len(fields) < 2 or fields[0] in ("Z", "X"):
            continue
        parents[int(entry)] = int(fields[1])
        commands[int(entry)] = command
    me = os.getpid()
    found = []
    for pid in parents:
        ancestor, hops = parents.get(pid), 0
        while ancestor not in (None, 0, me) and hops < 64:
            ancestor, hops = parents.get(ancestor), hops + 1
        if ancestor == me and pid != me:
            found.append((pid, commands[pid]))
    return sorted(found)


def _speedups():
    """sdk_speedups.py from beside this file, under a name that is not the kit's (nothing in sys.modules); None
    when the gate did not install it (the plain path)."""
    if not os.path.exists(SPEEDUPS):
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location("pulumi_language_python_speedups", SPEEDUPS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure(error: BaseException) -> dict:
    """Why the program failed, as the gate shows it. The kit's own error types are recognised by name, from
    the modules the program itself imported (this script imports none of them)."""
    kinds = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__}
    if "agentid_components.loader.SpecLoadError" in kinds:
        return {"status": "spec_error", "errors": [
            {"file": e.file, "line": e.line, "path": e.path, "message": e.message} for e in error.errors]}
    if type(error).__name__ == "StillRunning":
        return {"status": "program_error", "error": str(error), "traceback": ""}
    if kinds & {"pulumi.errors.RunError", "agentid_components.aws.permissions.PolicyCompileError",
                "agentid_components.azure.plan.AzureCompileError"}:
        # `pulumi.RunError` is Pulumi's "report without a stack trace"; the compilers refuse config or specs.
        return {"status": "config_error", "error": str(error)}
    return {"status": "program_error", "error": f"{type(error).__name__}: {error}",
            "traceback": "".join(traceback.format_exception(error)[-12:])}


def _write(result: dict) -> int:
    with open(RESULT, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(result, default=str))
    return 1


if __name__ == "__main__":
    main()
