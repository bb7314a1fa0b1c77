"""The gate's `pulumi-language-python-exec`: runs the judged program as Pulumi's Python language host does.

Pulumi's language host starts `python pulumi-language-python-exec --monitor ADDR --engine ADDR
--project P --stack S --pwd DIR --dry_run true --parallel N ... PROGRAM`, with the stack's config in
`PULUMI_CONFIG` (JSON, keys `project:key`); the script configures the SDK and runs PROGRAM with
`runpy.run_path` inside `run_in_stack` (pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec).
The gate copies this file into the program's run directory's `bin/` under that name (its helpers one folder up) and starts it the same
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

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the run directory: this script is in its bin/
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
    _ROOT[0] = os.path.abspath(args.root_directory or args.pwd or os.getcwd())
    _take_validated_spec(program)
    _move_clock_and_seed_chance()  # after the SDK's imports, before the program's: only the program's reads move
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # as Pulumi's script: unobserved futures are expected
    settle = _Settle(loop, int(args.parallel or 0) or None)
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


CLOCK_SETTINGS = os.path.join(HERE, "clock.json")  # program.CLOCK_SETTINGS: written by the gate for this run


def _move_clock_and_seed_chance() -> None:
    """The gate's clock-shifted run (cloaking.py, issue 11.3): the wall clock reads `shift` seconds ahead and chance
    draws from `seed`, as the gate asked in clock.json (removed once read: the program never sees it).

    Moved: time.time/time_ns/localtime/gmtime/ctime/asctime/strftime, clock_gettime(_ns) of CLOCK_REALTIME, and
    datetime.datetime/datetime.date now/utcnow/today (subclasses put in the datetime module). Never the monotonic
    clocks (time.monotonic, perf_counter) that asyncio, threading and the SDK's waits use; gRPC's deadlines
    (time.time() + timeout) only move later. Seeded: random's global generator, os.urandom/getrandom (so uuid4,
    secrets and SystemRandom), and uuid1 (drawn, not from the clock and the MAC); the gate also sets PYTHONHASHSEED
    for these runs (program.HASH_SEED), so a set of strings iterates in the same order in each."""
    try:
        with open(CLOCK_SETTINGS, encoding="utf-8") as handle:
            settings = json.load(handle)
        os.remove(CLOCK_SETTINGS)
    except FileNotFoundError:
        return
    import datetime
    import time

    shift = float(settings.get("shift") or 0)
    seed = settings.get("seed")
    if seed is not None:
        os.environ.pop("PYTHONHASHSEED", None)  # the gate's, read at start-up: every run hashes strings alike
        import random
        import uuid

        draws = random.Random(seed)

        def urandom(size):
            return draws.randbytes(size)

        os.urandom = urandom
        random._urandom = urandom  # SystemRandom, hence secrets
        if hasattr(os, "getrandom"):
            os.getrandom = lambda size, flags=0: draws.randbytes(size)
        random.seed(seed)
        uuid.uuid1 = lambda node=None, clock_seq=None: uuid.UUID(int=draws.getrandbits(128), version=1)
    if not shift:
        return
    real_time, real_time_ns, nanoseconds = time.time, time.time_ns, int(shift * 1_000_000_000)
    real_localtime, real_gmtime, real_ctime = time.localtime, time.gmtime, time.ctime
    real_asctime, real_strftime = time.asctime, time.strftime
    real_gettime, real_gettime_ns = time.clock_gettime, time.clock_gettime_ns
    wall = {getattr(time, name) for name in ("CLOCK_REALTIME", "CLOCK_REALTIME_COARSE", "CLOCK_TAI") if hasattr(time, name)}

    def now() -> float:
        return real_time() + shift

    time.time = now
    time.time_ns = lambda: real_time_ns() + nanoseconds
    time.localtime = lambda secs=None: real_localtime(now() if secs is None else secs)
    time.gmtime = lambda secs=None: real_gmtime(now() if secs is None else secs)
    time.ctime = lambda secs=None: real_ctime(now() if secs is None else secs)
    time.asctime = lambda t=None: real_asctime(time.localtime() if t is None else t)
    time.strftime = lambda fmt, t=None: real_strftime(fmt, time.localtime() if t is None else t)
    time.clock_gettime = lambda clock: real_gettime(clock) + (shift if clock in wall else 0)
    time.clock_gettime_ns = lambda clock: real_gettime_ns(clock) + (nanoseconds if clock in wall else 0)

    real_date, real_datetime = datetime.date, datetime.datetime

    class Original(type):
        """isinstance/issubclass answer for the original class: a date a library built before (or in C, as
        pydantic does) is still a `datetime.date` to the program."""

        def __instancecheck__(cls, instance):
            return isinstance(instance, real_datetime if cls.__name__ == "datetime" else real_date)

        def __subclasscheck__(cls, subclass):
            return issubclass(subclass, real_datetime if cls.__name__ == "datetime" else real_date)

    class ShiftedDatetime(datetime.datetime, metaclass=Original):
        @classmethod
        def now(cls, tz=None):
            return cls.fromtimestamp(now(), tz)

        @classmethod
        def utcnow(cls):
            return cls.utcfromtimestamp(now())

        @classmethod
        def today(cls):
            return cls.fromtimestamp(now())

    class ShiftedDate(datetime.date, metaclass=Original):
        @classmethod
        def today(cls):
            return cls.fromtimestamp(now())

    for shifted, name in ((ShiftedDatetime, "datetime"), (ShiftedDate, "date")):
        shifted.__name__ = shifted.__qualname__ = name
        shifted.__module__ = "datetime"
        setattr(datetime, name, shifted)


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
    _watch_out_of_band(_ROOT[0])
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
    plumbing.add(os.path.normcase(os.path.abspath(__file__)))  # the out-of-band watch's wrapper (_watch_out_of_band)

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


# The gate's out-of-band watch (AGID-GATE-002, agentid/preview/out_of_band.py): the run directory's settings file
# (out_of_band.SETTINGS_FILE, written by the gate) and the project root the host was started for.
AUDIT_SETTINGS = "audit.json"
_ROOT = [""]


def _watch_out_of_band(root: str) -> None:
    """Report to the gate, and refuse, every way the program leaves the engine's channel (see out_of_band.py).

    An audit hook (PEP 578: no Python code can remove it) sees every network connection and name lookup (the gate's
    monitor socket excepted), process start, foreign-function call (ctypes), open of a credential file (resolved
    here, symlink by symlink, with the os functions taken now), and tampering with this watch; a wrapper of
    os.environ / os.environb sees reads of credential variables (their values were withheld by the gate). Each is
    written at once as one line on the gate's unix socket, connected now, before the program runs, and only then
    refused (PermissionError). The hook and its helpers keep everything they use in their default arguments
    (immutable: ints, strings, tuples, frozensets, builtin functions); replacing a default or a code object of this
    file's functions is itself an audited event that is reported and refused. Monkeypatching a module (os, json,
    socket, sys.modules) changes nothing they use. A channel the program closed or replaced by another file
    (os.close, dup2) is seen before the next record is written (the socket's inode): the process ends at once with
    status 3, so the run has no verdict. What this cannot see (native code loaded some other way) is in
    docs/preview.md."""
    import _socket
    import dis
    import types

    with open(os.path.join(HERE, AUDIT_SETTINGS), encoding="utf-8") as handle:
        settings = json.load(handle)
    channel = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    channel.connect(settings["socket"])
    fd = channel.detach()
    os.set_inheritable(fd, False)  # a started process is refused anyway; a forked one keeps it (and the hook)
    status = os.fstat(fd)
    identity = (status.st_dev, status.st_ino)
    root = root.rstrip("/") + "/"
    allowed_unix = frozenset(p for p in (settings["monitor"], settings["socket"]) if p)
    credential_paths = tuple(settings["credential_paths"])
    credential_names = frozenset(settings["credential_variables"])
    location_names = frozenset(settings["credential_location_variables"])
    endpoints = tuple(sorted(settings["endpoints"].items()))
    own_code = os.path.abspath(__file__)
    library_marks = ("/site-packages/", "/dist-packages/", "/lib/python3")

    def to_hex(text, _str=str):
        return _str(text).encode("utf-8", "replace").hex()

    def where(_getframe=sys._getframe, _root=root, _marks=library_marks, _here=HERE + os.sep):
        """`file:line` of the innermost frame in the judged project (not a library installed in it)."""
        frame = _getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(_root) and not name.startswith(_here) and not any(m in name for m in _marks):
                return name[len(_root):] + ":" + str(frame.f_lineno)
            frame = frame.f_back
        return ""

    def send(kind, what, place, _fd=fd, _identity=identity, _write=os.write, _fstat=os.fstat, _exit=os._exit,
             _hex=to_hex):
        line = ("R " + _hex(kind) + " " + _hex(what) + " " + _hex(place) + "\n").encode("ascii")
        try:
            status = _fstat(_fd)
            if (status.st_dev, status.st_ino) != _identity:
                raise OSError("replaced")
            while line:
                line = line[_write(_fd, line):]
        except BaseException:
            try:
                _write(2, b"agentid preview: the program closed or replaced the gate's audit channel: no verdict\n")
            finally:
                _exit(3)

    def resolve(path, _getcwd=os.getcwd, _lstat=os.lstat, _readlink=os.readlink):
        """The path with every symlink resolved as far as it exists (os.path.realpath, with functions taken now)."""
        if not path.startswith("/"):
            path = _getcwd() + "/" + path
        parts, out, hops = [p for p in path.split("/") if p and p != "."], [], 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if out:
                    out.pop()
                continue
            out.append(part)
            try:
                mode = _lstat("/" + "/".join(out)).st_mode
            except OSError:
                continue
            if mode & 0o170000 == 0o120000 and hops < 40:
                hops += 1
                target = _readlink("/" + "/".join(out))
                out.pop()
                if target.startswith("/"):
                    out = []
                parts = [p for p in target.split("/") if p and p != "."] + parts
        return "/" + "/".join(out)

    def credential_file(raw, _paths=credential_paths, _resolve=resolve, _fsdecode=os.fsdecode, _getpid=os.getpid,
                        _isinstance=isinstance, _str=str, _bytes=bytes, _int=int, unnamed_file=False):
        """What the opened path is, when it is a credential file, a directory above one, or another process's
        environment; None for anything else. `unnamed_file`: the open makes a new unnamed file in the directory
        (O_TMPFILE, open(2)), as tempfile.TemporaryFile does: the descriptor is the new file, so a directory above a
        credential file is not read."""
        if _isinstance(raw, _int) or raw is None:
            return None
        try:
            text = _fsdecode(raw)
            path = _resolve(text)
        except BaseException:
            return None
        for credential in _paths:
            if path == credential or path.startswith(credential + "/"):
                return "opens the credential file " + text + ("" if path == text else " (" + path + ")")
            if credential.startswith(path + "/") and path not in ("/", "/var", "/run", "/proc") and path.count("/") > 1 \
                    and not unnamed_file:
                return "opens " + text + ", a directory holding the credential file " + credential
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "proc" and parts[-1] in ("environ", "mem"):  # /proc/self/environ too
            return ("opens a process's " + ("environment" if parts[-1] == "environ" else "memory") + " " + text
                    + ", every credential variable's value")
        return None

    def endpoint_note(host, _endpoints=endpoints, _str=str):
        host = _str(host).strip("[]").lower()
        for name, note in _endpoints:
            if host == name:
                return " (" + note + ")"
        return ""

    def describe(event, args, _allowed=allowed_unix, _note=endpoint_note, _str=str, _repr=repr, _len=len,
                 _isinstance=isinstance, _tuple=tuple, _list=list, _bytes=bytes, _fsdecode=os.fsdecode,
                 _credential_file=credential_file, _own=own_code, _int=int, _tmpfile=getattr(os, "O_TMPFILE", -1),
                 _type=type, _function=types.FunctionType,
                 _root=root, _marks=library_marks):
        """(kind, what) for an event the gate reports; None for the rest."""
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
            address = args[1] if _len(args) > 1 else None
            if address is None:
                return None
            if _isinstance(address, (_str, _bytes)):
                path = _fsdecode(address)
                if path in _allowed:
                    return None
                return ("network", {"socket.connect": "connects to", "socket.bind": "binds"}.get(event, "sends to")
                        + " the unix socket " + _repr(path))
            if _isinstance(address, _tuple) and _len(address) >= 2:
                if event == "socket.bind" and _str(address[0]) in ("127.0.0.1", "::1", "localhost"):
                    return None  # a loopback socket (urllib3's IPv6 probe binds ::1 port 0 at import) reaches no one
                verb = {"socket.connect": "connects to", "socket.bind": "binds a socket on"}.get(event, "sends to")
                return ("network", verb + " " + _str(address[0]) + " port " + _str(address[1]) + _note(address[0]))
            return ("network", "uses a socket (" + event + " " + _repr(address)[:200] + ")")
        if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
            host = args[0] if args else None
            host = _fsdecode(host) if _isinstance(host, _bytes) else host
            return ("network", "looks up the host " + _repr(host) + _note(host))
        if event == "socket.getnameinfo":
            return ("network", "looks up the name of " + _repr(args[0])[:200])
        if event == "urllib.Request":
            return ("network", "sends an HTTP request to " + _str(args[0])[:300] + _note(_str(args[0]).split("/")[2]
                                                                                      if "//" in _str(args[0]) else ""))
        if event == "http.client.connect":
            return ("network", "connects over HTTP to " + _str(args[1]) + " port " + _str(args[2]) + _note(args[1]))
        if event in ("ftplib.connect", "smtplib.connect", "imaplib.open", "poplib.connect", "nntplib.connect",
                     "telnetlib.open", "webbrowser.open"):
            return ("network", "opens a connection (" + event + " " + _repr(args[1:3] if _len(args) > 2 else args)[:200]
                    + ")")
        if event == "subprocess.Popen":
            command = args[1]
            shown = (_fsdecode(command) if _isinstance(command, _bytes) else command if _isinstance(command, _str)
                     else " ".join(_fsdecode(a) if _isinstance(a, _bytes) else _str(a) for a in _list(command)))
            return ("process", "starts the process " + _repr(shown)[:300])
        if event == "os.system":
            command = _fsdecode(args[0]) if _isinstance(args[0], _bytes) else args[0]
            return ("process", "runs the shell command " + _repr(command)[:300])
        if event in ("os.exec", "os.posix_spawn", "os.spawn"):  # (path, argv, env); os.spawn: (mode, path, argv, env)
            argv = args[2 if event == "os.spawn" else 1]
            shown = " ".join(_fsdecode(a) if _isinstance(a, _bytes) else _str(a) for a in _list(argv))
            return ("process", "starts the process " + _repr(shown)[:300])
        if event == "os.startfile":
            return ("process", "starts " + _repr(args[0])[:200])
        if event == "ctypes.dlopen":
            return None if args[0] is None else ("native", "loads the native library " + _repr(args[0])[:200])
        if event in ("ctypes.dlsym", "ctypes.dlsym/handle"):
            return ("native", "looks up the native function " + _repr(args[1])[:200] + " (ctypes)")
        if event == "ctypes.call_function":
            return ("native", "calls a native function (ctypes)")
        if event in ("ctypes.cdata", "ctypes.string_at", "ctypes.wstring_at"):
            return ("native", "reads or writes memory by address (" + event + ")")
        if event == "cpython.PyInterpreterState_New":  # audit hooks are per interpreter: a new one has none of ours
            return ("native", "creates a subinterpreter (its code runs without the gate's watch)")
        if event == "import" and args and args[0] == "_posixsubprocess":  # loaded before the watch: a fresh copy
            return ("process", "loads a fresh copy of _posixsubprocess (its fork_exec starts processes unwatched)")
        if (event == "import" and _len(args) > 1 and _isinstance(args[1], _str) and args[1].startswith(_root)
                and args[1].endswith((".so", ".pyd")) and not any(m in args[1] for m in _marks)):
            return ("native", "loads the native extension " + _str(args[0]) + " from the project (" + args[1][_len(_root):]
                    + "): its code runs unwatched")
        if event == "import" and args and args[0] == "cffi":  # _cffi_backend: cryptography loads it (see docs)
            return ("native", "imports " + _str(args[0]) + " (native calls the gate cannot see)")
        if event in ("object.__setattr__", "object.__delattr__") and args:
            target = args[0]
            if _type(target) is _function and target.__code__.co_filename == _own:
                return ("tamper", "changes the gate's out-of-band watch (" + _str(args[1]) + " of "
                        + target.__code__.co_name + ")")
            if _isinstance(target, _type) and "_agentid_watch" in _type.__dict__["__dict__"].__get__(target):
                return ("tamper", "changes the gate's environment watch (" + _str(args[1]) + ")")
            return None
        if event == "open" and args:
            flags = args[2] if _len(args) > 2 else None
            what = _credential_file(args[0], unnamed_file=_isinstance(flags, _int) and flags & _tmpfile == _tmpfile)
            return None if what is None else ("credential", what)
        if event in ("os.link", "os.rename") and args:  # a hard link or a move keeps the file but not its path
            what = _credential_file(args[0])
            return None if what is None else ("credential", what.replace("opens", event[3:] + "s", 1))
        return None

    watched = frozenset({
        "socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo",
        "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect", "imaplib.open", "poplib.connect",
        "nntplib.connect", "telnetlib.open", "webbrowser.open", "subprocess.Popen", "os.system", "os.exec",
        "os.posix_spawn", "os.spawn", "os.startfile", "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle",
        "ctypes.call_function", "ctypes.cdata", "ctypes.string_at", "ctypes.wstring_at", "import",
        "object.__setattr__", "object.__delattr__", "open", "cpython.PyInterpreterState_New", "os.link",
        "os.rename"})

    def hook(event, args, _watched=watched, _describe=describe, _send=send, _where=where,
             _refused=PermissionError, _base=BaseException, _refuse=bool(settings.get("refuse", True))):
        if event not in _watched:
            return
        try:
            found = _describe(event, args)
        except _base:
            found = ("unreadable", "made an attempt the gate could not describe (" + event + ")")
        if found is None:
            return
        _send(found[0], found[1], _where())
        if _refuse or found[0] == "tamper":
            raise _refused("agentid preview: refused: the program " + found[1] + " (AGID-GATE-002)")

    def direct_read(_getframe=sys._getframe, _plumbing=frozenset({
            os.path.abspath(os.__file__), os.path.abspath(sys.modules["_collections_abc"].__file__),
            "<frozen os>", "<frozen _collections_abc>"}),  # 3.11 runs both frozen: co_filename is "<frozen os>"
            _ops=frozenset({dis.opmap["BINARY_SUBSCR"], dis.opmap["CONTAINS_OP"]})):
        """The file of the code that looked a variable up by name (environ[k], get, getenv, `in`); None for a copy
        or an iteration (dict(os.environ), {**os.environ}, .copy(), .items()), which reach __getitem__ too."""
        frame, passed = _getframe(3), False
        while frame is not None and frame.f_code.co_filename in _plumbing:
            if frame.f_code.co_name not in ("get", "getenv", "__getitem__", "__contains__", "getenvb"):
                return None
            frame, passed = frame.f_back, True
        if frame is None:
            return ""
        if not passed and frame.f_code.co_code[frame.f_lasti] not in _ops:  # called from C: dict(environ)
            return None
        return frame.f_code.co_filename

    def iterator(_getframe=sys._getframe, _plumbing=frozenset({
            os.path.abspath(os.__file__), os.path.abspath(sys.modules["_collections_abc"].__file__),
            "<frozen os>", "<frozen _collections_abc>"}), _root=root, _marks=library_marks, _here=HERE + os.sep):
        """" in FUNCTION (FILE)" of the library code that copied or iterated the environment (urllib's proxy
        look-up, a settings class); "" when it is the project's own code."""
        frame = _getframe(1)
        while frame is not None and (frame.f_code.co_filename in _plumbing or frame.f_code.co_filename.startswith(_here)):
            frame = frame.f_back
        if frame is None:
            return ""
        name = frame.f_code.co_filename
        if name.startswith(_root) and not any(m in name for m in _marks):
            return ""
        for mark in ("/site-packages/", "/dist-packages/", "/lib/python3"):
            if mark in name:
                name = name.split(mark, 1)[1].split("/", 1)[-1] if mark == "/lib/python3" else name.split(mark, 1)[1]
                break
        return " in " + frame.f_code.co_name + " (" + name + ")"

    def read_variable(name, _credential=credential_names, _locations=location_names, _send=send, _where=where,
                      _fsdecode=os.fsdecode, _isinstance=isinstance, _bytes=bytes, _root=root, _marks=library_marks,
                      _direct=direct_read, _iterator=iterator):
        """Report a read of a credential variable's value, by name (`environ[k]`, `get`, `getenv`, `in`) or by a
        copy or an iteration of the environment (`dict(os.environ)`, `.items()`, `.values()`, `.copy()`,
        `{**os.environ}`, `os.environ | {}`), which yields every value to the program: at `pulumi up` the
        deployer's credentials; of a credential location variable, only when the project's own code looked it up
        by name (provider SDKs read KUBECONFIG as a Provider default, the kubernetes client at import)."""
        name = _fsdecode(name) if _isinstance(name, _bytes) else name
        if name not in _credential and name not in _locations:
            return
        caller = _direct()
        if name in _credential:
            if caller is None:
                _send("environment", "reads the credential variable " + name + " by copying or iterating the "
                      "environment" + _iterator() + " (its value was withheld by the gate)", _where())
            else:
                _send("credential", "reads the credential variable " + name + " (its value was withheld by the "
                      "gate)", _where())
        elif caller is not None and caller.startswith(_root) and not any(m in caller for m in _marks):
            _send("credential", "reads the credential location variable " + name, _where())

    def read_whole(how, _send=send, _where=where):
        """Report a read of the raw environment (every credential variable's value at `pulumi up`)."""
        _send("environment", "reads every credential variable's value through " + how + " (the values were "
              "withheld by the gate)", _where())

    plumbing = frozenset({os.path.abspath(os.__file__), os.path.abspath(sys.modules["_collections_abc"].__file__),
                          "<frozen os>", "<frozen _collections_abc>"})

    def environ_watch(environ, label, _read=read_variable, _whole=read_whole, _getframe=sys._getframe,
                      _plumbing=plumbing, _here=HERE + os.sep):
        """os.environ (os.environb) as a subclass of its own class that reports credential reads. The raw dict
        it wraps (shared with posix.environ) is held here, not in the instance's __dict__: `_data` read by
        anything but os itself is a read of every value."""
        base = type(environ)
        data = environ._data

        class WatchedCredentials(base):
            _agentid_watch = True

            def __init__(self, encodekey, decodekey, encodevalue, decodevalue):
                self.encodekey, self.decodekey = encodekey, decodekey
                self.encodevalue, self.decodevalue = encodevalue, decodevalue

            @property
            def _data(self, _data=data, _getframe=_getframe, _plumbing=_plumbing, _whole=_whole, _label=label,
                      _here=_here):
                caller = _getframe(1).f_code.co_filename  # os itself, or the gate's own watches (this folder)
                if caller not in _plumbing and not caller.startswith(_here):
                    _whole(_label + "._data")
                return _data

            def __getitem__(self, key, _base=base, _read=_read):
                _read(key)
                return _base.__getitem__(self, key)

            def __contains__(self, key, _base=base, _read=_read):
                _read(key)
                return _base.__contains__(self, key)

            def __repr__(self, _base=base, _whole=_whole, _label=label):
                _whole("repr(" + _label + ")")
                return _base.__repr__(self)

        WatchedCredentials.__name__ = WatchedCredentials.__qualname__ = base.__name__
        WatchedCredentials.__module__ = base.__module__
        return WatchedCredentials(environ.encodekey, environ.decodekey, environ.encodevalue, environ.decodevalue)

    def hide_startup_environ(module, _whole=read_whole):
        """posix.environ (nt.environ): the interpreter's start-up copy of the environment, the dict os.environ
        wraps. Served by the module's __getattr__ (PEP 562), which reports the read."""
        data = module.__dict__.pop("environ", None)
        if data is None:
            return

        def __getattr__(name, _data=data, _whole=_whole, _module=module.__name__):
            if name == "environ":
                _whole(_module + ".environ")
                return _data
            raise AttributeError("module " + repr(_module) + " has no attribute " + repr(name))

        module.__getattr__ = __getattr__

    def refuse_fork_exec(*args, _send=send, _where=where, _refused=PermissionError):
        _send("process", "starts a process (_posixsubprocess.fork_exec)", _where())
        raise _refused("agentid preview: refused: the program starts a process (AGID-GATE-002)")

    environ = os.environ
    os.environ = environ_watch(environ, "os.environ")
    if hasattr(os, "environb"):
        os.environb = environ_watch(os.environb, "os.environb")
    hide_startup_environ(sys.modules.get(os.name) or __import__(os.name))
    import _posixsubprocess
    import subprocess

    if settings.get("refuse", True):  # else (the gate's observe mode, for its tests) subprocess.Popen is reported
        _posixsubprocess.fork_exec = refuse_fork_exec
        if hasattr(subprocess, "_fork_exec"):
            subprocess._fork_exec = refuse_fork_exec
    _watch_grpc_channels(allowed_unix, send, where, bool(settings.get("refuse", True)))
    send(HELLO_RECORD, "", "")
    sys.addaudithook(hook)


def _watch_grpc_channels(allowed_unix: frozenset, send, where, refuse: bool) -> None:
    """gRPC's C core connects (and resolves names) below the interpreter's audit events, and the SDK already loaded
    grpc: a channel to anything but the gate's monitor socket (google-cloud clients, a hand-made stub to a cloud's
    gRPC API) is reported and refused where grpc creates it, the Cython classes `cygrpc.Channel` and
    `cygrpc.AioChannel` that every grpc.*_channel and grpc.aio channel constructs. The SDK's own channels were made
    before the program ran (pulumi.runtime.Settings) and go to the monitor socket."""
    try:
        from grpc._cython import cygrpc
    except ImportError:  # no grpc: no gRPC channel either
        return
    allowed = frozenset(prefix + path.encode() for path in allowed_unix for prefix in (b"unix:", b"unix://"))

    def checked(base):
        def __new__(cls, target=b"", *args, _base=base, _allowed=allowed, _send=send, _where=where,
                    _refuse=refuse, _refused=PermissionError, _isinstance=isinstance, _bytes=bytes, _str=str,
                    _repr=repr, **kwargs):
            shown = target.decode("utf-8", "replace") if _isinstance(target, _bytes) else _str(target)
            if target not in _allowed and shown.encode() not in _allowed:
                _send("network", "opens a gRPC channel to " + _repr(shown)[:300], _where())
                if _refuse:
                    raise _refused("agentid preview: refused: the program opens a gRPC channel to " + _repr(shown)
                                   + " (AGID-GATE-002)")
            return _base.__new__(cls, target, *args, **kwargs)

        return type(base.__name__, (base,), {"__new__": __new__, "_agentid_watch": True,
                                             "__module__": base.__module__})

    for name in ("Channel", "AioChannel"):
        base = getattr(cygrpc, name, None)
        if isinstance(base, type):
            try:
                setattr(cygrpc, name, checked(base))
            except TypeError:  # a class grpc made final: nothing to wrap, the limit is documented
                pass


HELLO_RECORD = "hello"  # out_of_band.HELLO


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

    def __init__(self, loop, parallel=None) -> None:
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

        # As Pulumi's script (_set_default_executor): 4 workers per --parallel, named as a plain ThreadPoolExecutor's
        # (ThreadPoolExecutor-0_N), the class named as the standard library's; no --parallel: asyncio's own naming
        CountingExecutor.__name__ = CountingExecutor.__qualname__ = "ThreadPoolExecutor"
        CountingExecutor.__module__ = "concurrent.futures.thread"
        workers = None if parallel is None else max(parallel, 1) * 4
        named = {} if parallel else {"thread_name_prefix": "asyncio"}
        loop.set_default_executor(CountingExecutor(max_workers=workers, **named,
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
