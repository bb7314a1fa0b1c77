"""Run the stack's Pulumi program in a child process, as a language host runs it against the engine.

The gate serves the engine's `ResourceMonitor` and `Engine` services itself
(`agentid.preview.monitor`, on a unix-domain socket) and starts the program as
Pulumi's Python language host does (`language_host.py`, installed in a run
directory as `pulumi-language-python-exec`): the SDK's normal, non-mock code path.
Where Linux namespaces allow it, the program runs in the sandbox of `sandbox.py`:
no network (the packs' ports do not exist for it), a read-only file system but
its run directory and tmpfs, its own pid namespace (nothing it starts outlives
it). The program can only *register* resources; the list of what it registered,
its stack outputs and whether it ran to the end stay in the gate's process. A
program that raises, calls `exit`/`os._exit`, crashes, writes files or prints a
fake verdict changes none of that: the run counts only when the child exits 0
*and* the SDK told the monitor it finished (the stack's outputs, then
`SignalAndWaitForShutdown`). Anything else fails closed, with the tail of the
child's stderr. The child's result file only carries *why* it failed (an invalid
spec, a traceback): it can turn a run into a failure, never into a pass.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentid.preview import project_runtime, sandbox, sdk_speedups, sdk_versions
from agentid.preview.stack_config import ConfigError, Project
from agentid_components import input_limits
from agentid_components.loader import LoadedInventory, SpecError

# What the child writes when the program fails: a status, spec problems or an error and a traceback's tail.
RESULT_FILE = input_limits.Limits(max_bytes=4 * input_limits.MiB, max_scalar_chars=4 * input_limits.MiB)


@dataclass
class Resource:
    """One registered resource, as the gate and the packs see it."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None
    custom: bool
    dependencies: list[str] = field(default_factory=list)
    source_file: str | None = None  # absolute path of the code that declared it (the SDK's source position)
    source_line: int = 0
    shown_inputs: dict[str, Any] | None = None  # `inputs` with secrets as "[secret]"; None: they hold no secret
    wire_inputs: bytes | None = None  # `inputs` as a serialized Struct, as sent to packs (monitor.wire); None: encode
    provider: str | None = None  # URN of its explicit provider resource; None: the package's default provider
    property_dependencies: dict[str, list[str]] | None = None  # input -> URNs its Outputs came from, sent to packs
    import_id: str | None = None  # the existing object `import_` adopts (AGID-GATE-003)
    ignore_changes: list[str] = field(default_factory=list)  # `ignore_changes`, sent to packs in the options
    adopted_aliases: list[str] = field(default_factory=list)  # aliases onto another stack/project/type (GATE-003)

    @property
    def public_inputs(self) -> dict[str, Any]:
        """The inputs as reports show them: secrets redacted."""
        return self.inputs if self.shown_inputs is None else self.shown_inputs

    @property
    def properties(self) -> dict[str, Any]:  # what `AnalyzeStack` sends: at preview, the inputs
        return self.inputs


@dataclass
class ProgramOutcome:
    resources: list[Resource]  # sorted by URN: registration order varies from run to run
    outputs: dict[str, Any]  # as `pulumi stack output --json` shows them: a secret is "[secret]"
    warnings: list[str] = field(default_factory=list)  # what the program (or the SDK) logged as warnings
    stack_output_values: dict[str, Any] = field(default_factory=dict)  # secrets' values too: for StackReference reads
    secret_output_names: tuple[str, ...] = ()
    invokes: list[str] = field(default_factory=list)  # the token of every invoke the program called, in order
    reads: list[tuple[str, str, str]] = field(default_factory=list)  # every Resource.get: (type, name, URN)
    stack_urn: str = ""  # the URN of the stack resource the program registered
    stack_outputs_wire: bytes = b""  # the stack's outputs as a serialized Struct, secrets still wrapped
    component_outputs: dict[str, bytes] = field(default_factory=dict)  # URN -> its registered outputs, likewise
    # what the program did outside the engine's channel (out_of_band: records of the language host's watch)
    out_of_band: list[dict[str, str]] = field(default_factory=list)
    out_of_band_dropped: int = 0

    def judged_stack(self) -> list[Resource]:
        """The resources as the engine sends them to AnalyzeStack (the final state of each): the registered ones,
        a component with the outputs it registered over its properties, and the root `pulumi:pulumi:Stack` with the
        stack's outputs as its properties (a stack output or a component output holding a literal credential is in
        the state and the CI logs: AGID-GEN-004). Secrets stay wrapped, so the packs see them as secrets."""
        from google.protobuf import struct_pb2

        from agentid.preview.property_values import decode, for_analyzer

        judged = [_with_outputs(r, self.component_outputs[r.urn]) if r.urn in self.component_outputs else r
                  for r in self.resources]
        if self.stack_urn:
            outputs = for_analyzer(struct_pb2.Struct.FromString(self.stack_outputs_wire))
            judged.append(Resource(urn=self.stack_urn, type="pulumi:pulumi:Stack",
                                   name=self.stack_urn.rsplit("::", 1)[-1],
                                   inputs=decode(outputs), parent=None, custom=False,
                                   wire_inputs=outputs.SerializeToString()))
        return judged


def _with_outputs(resource: Resource, outputs_wire: bytes) -> Resource:
    """`resource` with its registered outputs over its properties, as one serialized Struct (secrets kept wrapped)."""
    from google.protobuf import struct_pb2

    from agentid.analyzer_client import to_struct
    from agentid.preview.property_values import decode, for_analyzer

    merged = struct_pb2.Struct()
    if resource.wire_inputs is not None:
        merged.MergeFromString(resource.wire_inputs)
    else:
        merged.CopyFrom(to_struct(resource.inputs))
    outputs = for_analyzer(struct_pb2.Struct.FromString(outputs_wire))
    for key, value in outputs.fields.items():
        merged.fields[key].CopyFrom(value)
    return dataclasses.replace(resource, inputs={**resource.inputs, **decode(outputs)},
                               wire_inputs=merged.SerializeToString())


class ProgramError(Exception):
    """The program did not run to the end: it raised, crashed, hung or its spec is invalid."""

    def __init__(self, reason: str, spec_problems: list[SpecError] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.spec_problems = spec_problems or []


def run_isolated(project: Project, stack: str, config: dict[str, str], *, timeout: float,
                 on_resource: Callable[[Resource], None] | None = None, python: str | None = None,
                 stack_references: Callable[[str], Any] | None = None,
                 isolation: sandbox.Isolation | None = None, dry_run: bool = True,
                 validated_spec: LoadedInventory | None = None,
                 secret_keys: Sequence[str] = (), clock_shift: float = 0.0,
                 seed: int | None = None, prepared: Any = None,
                 autoname_key: bytes | None = None) -> ProgramOutcome:
    """Run the project's program for `stack` against the gate's monitor; raise ProgramError on any failure.

    `on_resource` sees each resource as the program registers it (one call at a time, in the
    monitor's gRPC threads), so packs can judge it while the program still runs. `stack_references`
    answers the program's StackReference reads (`agentid.preview.references.StackReferences`). `isolation`
    (default: what `sandbox.isolation()` finds) says whether the program runs in the sandbox.
    `dry_run`: the SDK's `is_dry_run()` (True as at a preview; False runs the program as `pulumi up` would).
    `clock_shift`: seconds the program's wall clock (time.time & co., datetime now/today) runs ahead; `seed`: the
    program's randomness (random, secrets, uuid, os.urandom) drawn from this seed (cloaking.py, issue 11.3).
    `validated_spec`: the stack's agent file as the gate validated it, handed to the program's process
    (`hand_over_spec`) so the program does not validate it again.
    `prepared`: a child forked from the gate before it read the project (`program_fork.prefork`): the program
    runs in it, in the same sandbox, when that is sound here (see `program_fork`); it is discarded otherwise.
    `autoname_key`: the gate's per-run key the mocks draw autonames with (GateMonitor; never handed to the program).
    When this returns or raises, no process of the run is left: the sandbox's pid namespace is gone,
    or (unsandboxed) the program's process group and every orphan it left were killed.
    """
    from agentid.preview import out_of_band
    from agentid.preview.default_providers import default_providers
    from agentid.preview.monitor import GateMonitor, MonitorServer, Registration

    isolation = isolation or sandbox.isolation()
    # the project's virtualenv, when it has one, as `pulumi up` runs the program with it (project_runtime)
    project_python = project_runtime.interpreter(project)
    python = python or project_python or sys.executable
    # what the engine would register from stack config, located at the key's line in the stack (or project) file
    providers = default_providers(project.name, stack, config, (project.stack_file(stack), project.file))
    if on_resource is not None:
        for provider in providers:
            on_resource(provider)

    def registered(record: Registration) -> None:
        if on_resource is not None:
            on_resource(_resource(record))

    installed = sdk_versions.installed(python)
    monitor = GateMonitor(project.name, stack, on_register=registered if on_resource else None,
                          stack_references=stack_references, forward_wire=not sdk_speedups.plain_sdk_requested(),
                          root=str(project.root), config=config, autoname_key=autoname_key,
                          # the SDK releases the program imports: a request asking for another is refused
                          sdk_versions=installed)
    # the checkout and the home writable as on a deploy runner, into a throwaway layer; the home with the Pulumi CLI's
    # plugin folders for the installed SDKs (red19 r19-6: a read-only cwd or no ~/.pulumi told the gate apart)
    shown = sandbox.writable(project.root, installed) if isolation.sandboxed else sandbox.Writable()
    with tempfile.TemporaryDirectory(prefix="pulumi-", dir=_short_temp_dir()) as private:
        run_dir = Path(private, "run")  # the program's only writable directory in the sandbox
        run_dir.mkdir()
        socket = run_dir / "monitor.sock"
        channel = out_of_band.Channel(run_dir)  # the watch's records (AGID-GATE-002): read by the gate alone
        with MonitorServer(monitor, f"unix:{socket}") as server:
            exec_script = _install_language_host(run_dir)
            out_of_band.write_settings(run_dir, server.address)
            if clock_shift or seed is not None:  # read and removed by the language host before the program runs
                (run_dir / CLOCK_SETTINGS).write_text(json.dumps({"shift": clock_shift, "seed": seed}))
            if validated_spec is not None and not sdk_speedups.plain_sdk_requested():
                hand_over_spec(validated_spec, run_dir)
            # as pulumi-language-python starts it (main.go: `python EXEC ARGS`, no `-u`): the program sees that command
            argv = [python, str(exec_script), *_language_host_args(project, stack, server.address, dry_run)]
            command = (sandbox.command(argv, run_dir.resolve(), _program_needs(project, argv[0]), shown)
                       if isolation.sandboxed
                       else sandbox.unsandboxed(argv))
            env = _program_env(project, config, python if python == project_python else None, secret_keys)
            if shown.cli_bin is not None and shutil.which("pulumi", path=env.get("PATH", os.defpath)) is None:
                # as the CLI's installer leaves a deploy runner: its folder on PATH (`shutil.which("pulumi")` told)
                env["PATH"] = os.pathsep.join(filter(None, (env.get("PATH"), shown.cli_bin)))
            if seed is not None:  # str/bytes hash alike in every run of this gate: sets iterate in one order
                env["PYTHONHASHSEED"] = HASH_SEED
            forked = (prepared is not None and isolation.sandboxed and seed is None and project_python is None
                      and python == sys.executable and not sdk_speedups.plain_sdk_requested())
            if prepared is not None and not forked:
                prepared.discard()
            with open(Path(private, "stdout"), "w+b") as stdout, open(Path(private, "stderr"), "w+b") as stderr:
                started_at = sandbox.clock_ticks_now()
                if not isolation.sandboxed:
                    sandbox.adopt_orphans()
                if forked:
                    process = prepared.launch(argv=argv, env=env, cwd=str(project.main_dir),
                                              view=sandbox.view_command(run_dir.resolve(),
                                                                        _program_needs(project, argv[0]), shown),
                                              stdout=stdout.name, stderr=stderr.name,
                                              file_limit=sandbox.MAX_FILE_BYTES // 512 * 512)
                else:
                    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                               cwd=project.main_dir, env=env, start_new_session=True)
                try:
                    returncode = process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()  # unshare: its --kill-child takes the whole pid namespace with it
                    process.wait()
                    raise ProgramError(f"the program did not finish within {timeout:g} s (a hang, or raise --timeout)"
                                       + _tail(stderr)) from None
                finally:
                    records = monitor.close()  # nothing registers after this point
                    left = [] if isolation.sandboxed else sandbox.kill_leftovers(process.pid, started_at, set())
                    attempts, dropped, watched = channel.close()  # every writer is gone: all it sent is here
                try:
                    if left:
                        raise ProgramError(f"the program left {len(left)} processes the gate could not stop "
                                           "(a fork bomb?): no verdict")
                    if isolation.sandboxed and returncode == sandbox.SETUP_FAILED:
                        raise ProgramError("the sandbox for the program could not be set up" + _tail(stderr))
                    if monitor.refusals:
                        # the gate's own refusal is the cause: the SDK's gRPC traceback after it says nothing more
                        raise ProgramError("agentid preview: " + "\n".join(monitor.refusals[:20]))
                    failure = _read_failure(run_dir / "result.json", project)
                    if failure is not None:
                        raise failure
                    if monitor.errors:
                        raise ProgramError("the program reported errors to the engine:\n"
                                           + "\n".join(monitor.errors[:20]) + _tail(stderr))
                    if not watched:
                        raise ProgramError("the program ran without the gate's out-of-band watch (the language host "
                                           "never reported it installed): no verdict" + _tail(stderr))
                    if returncode != 0 or not (monitor.stack_outputs_registered and monitor.shutdown_signalled):
                        raise ProgramError(f"the program process exited with code {returncode} before the Pulumi "
                                           "runtime finished the stack (it crashed or called exit): no verdict on a "
                                           "partial run" + _tail(stderr))
                except ProgramError as error:
                    raise _with_attempts(error, attempts) from None
    return ProgramOutcome(resources=sorted([*providers, *(_resource(r) for r in records)], key=lambda r: r.urn),
                          outputs=monitor.outputs, warnings=list(monitor.warnings),
                          stack_output_values=monitor.output_values, secret_output_names=monitor.secret_output_names,
                          invokes=list(monitor.invokes), reads=list(monitor.reads), stack_urn=monitor.stack_urn or "",
                          stack_outputs_wire=monitor.stack_outputs_wire,
                          component_outputs=dict(monitor.component_outputs),
                          out_of_band=attempts, out_of_band_dropped=dropped)


def _with_attempts(error: ProgramError, attempts: list[dict[str, str]]) -> ProgramError:
    """A failed run's error, naming what the program tried outside the engine's channel first (AGID-GATE-002): the
    refusal is often why it failed, and a failure is no verdict either way."""
    if not attempts:
        return error
    shown = sorted({f"{a.get('what', '')} at {a.get('where') or '?'}" for a in attempts})
    note = ("the program tried to reach outside the engine's channel (AGID-GATE-002, refused):\n  "
            + "\n  ".join(shown[:10]) + ("\n  ..." if len(shown) > 10 else "") + "\n")
    return ProgramError(note + error.reason, error.spec_problems)


def _short_temp_dir() -> str | None:
    """The temp directory, unless a unix socket path under it would pass the kernel's 108 bytes (unix(7))."""
    return None if len(tempfile.gettempdir()) <= 60 else "/tmp"


def _program_needs(project: Project, python: str) -> list[Path]:
    """What the program must be able to read: its project, its interpreter and everything on its import path."""
    interpreter = Path(python).resolve()  # a virtualenv's link to an installed Python: its prefix holds the stdlib
    paths = [project.root, Path(python), interpreter, interpreter.parent.parent, Path(sys.prefix), Path(sys.base_prefix)]
    paths += [Path(entry) for entry in sys.path if entry and Path(entry).is_absolute()]
    paths += [Path(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return [path for path in paths if path.exists()]


def _install_language_host(run_dir: Path) -> Path:
    """The language host script, as Pulumi names it, alone in the run directory's `bin` (where the sandbox also links
    the program's parent's name, pulumi-language-python): the script's folder is first on the program's sys.path and
    beside Pulumi's script there is no `sdk_speedups` to import nor a `monitor.sock` to list (issue 11, cloaking
    tells). The SDK speed-ups it loads and the files it reads stay in the run directory (its HERE)."""
    here = Path(__file__).parent
    (run_dir / "bin").mkdir()
    script = run_dir / "bin" / "pulumi-language-python-exec"
    shutil.copyfile(here / "language_host.py", script)
    # The program's environment carries no AGENTID_* variable: the gate decides here (the host runs without them).
    if not sdk_speedups.plain_sdk_requested():
        shutil.copyfile(here / "sdk_speedups.py", run_dir / "sdk_speedups.py")
        # what it answers registrations with in the child: the gate's own decoding and mock provider
        shutil.copyfile(here / "property_values.py", run_dir / "property_values.py")
        shutil.copyfile(here.parent / "mock_provider.py", run_dir / "mock_provider.py")
        shutil.copyfile(here / "lazy_provider_imports.py", run_dir / "lazy_provider_imports.py")
    return script


# One hash seed for every run of one gate invocation that compares runs (cloaking.with_clock_run), drawn anew per
# invocation so a program cannot recognise a fixed value; the language host removes it from os.environ.
HASH_SEED = str(1 + int.from_bytes(os.urandom(4), "big") % 4294967295)
CLOCK_SETTINGS = "clock.json"  # in the run directory; language_host.py reads and removes it (same name there)
HANDED_OVER_SPEC = "validated_spec.pickle"  # in the run directory; language_host.py reads it (same name there)


def hand_over_spec(loaded: LoadedInventory, run_dir: Path) -> None:
    """Write the agent file the gate validated into the run directory, for the language host to hand to the kit's
    loader in the program's process (`agentid_components.loader.hand_over`): validated once, not twice (issue 17).

    Only the gate writes the file and only the program's process reads it, before the program runs: nothing flows
    back, so the program cannot use it to change the verdict (that rests on what the monitor records). The host
    hands it over only when the program's `agentid_components` is the package the gate validated with (the
    directory is named in the file), and the loader uses it only while the agent file holds the validated bytes
    (`loaded.sha256`); anything else, and the program validates the file itself, as before.
    """
    import agentid_components

    payload = {"kit": str(Path(agentid_components.__file__).resolve().parent),
               "spec": pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)}
    (run_dir / HANDED_OVER_SPEC).write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _language_host_args(project: Project, stack: str, address: str, dry_run: bool = True) -> list[str]:
    """The arguments Pulumi's language host passes its exec script, in its order (pulumi-language-python, main.go
    `constructArguments`: monitor, engine, project, root_directory, stack, pwd, dry_run, parallel, organization,
    the entry point), `--parallel` the CLI's default (`pulumi preview`: 4 x GOMAXPROCS, i.e. the usable CPUs)."""
    return ["--monitor", address, "--engine", address, "--project", project.name,
            "--root_directory", str(project.root), "--stack", stack, "--pwd", str(project.main_dir),
            "--dry_run", "true" if dry_run else "false", "--parallel", str(4 * _usable_cpus()),
            "--organization", "organization", project.program_argument]


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _resource(record: Any) -> Resource:
    return Resource(urn=record.urn, type=record.type, name=record.name, inputs=record.inputs, parent=record.parent,
                    custom=record.custom, dependencies=record.dependencies, source_file=record.source_file,
                    source_line=record.source_line, shown_inputs=record.shown_inputs,
                    wire_inputs=record.wire_inputs, provider=getattr(record, "provider", None),
                    property_dependencies=getattr(record, "property_dependencies", None) or None,
                    import_id=getattr(record, "import_id", None), ignore_changes=list(getattr(record, "ignore_changes", ())),
                    adopted_aliases=list(getattr(record, "adopted_aliases", ())))


def _read_failure(file: Path, project: Project) -> ProgramError | ConfigError | None:
    """Why the child says the program failed, if it says so (its word can only ever fail the run)."""
    if not os.path.lexists(file):
        return None
    try:  # the program runs in the child and knows this path: a FIFO, a device or a bomb in its place must not hang us
        result = input_limits.json_document(input_limits.read_text(file, RESULT_FILE.max_bytes, "program result"),
                                            str(file), RESULT_FILE)
    except (input_limits.InputRefused, ValueError) as refused:
        return ProgramError(f"the program process wrote an unreadable result ({refused})")
    if not isinstance(result, dict):
        return ProgramError("the program process wrote an unreadable result")
    if result.get("status") == "spec_error":
        try:
            problems = [SpecError(project.relative(Path(project.main_dir, p["file"])), int(p["line"]), str(p["path"]),
                                  str(p["message"])) for p in result["errors"]]
        except (KeyError, TypeError, ValueError):
            return ProgramError("the agent spec is invalid (the problems could not be read)")
        return ProgramError(f"the agent spec is invalid ({len(problems)} problem{'s' * (len(problems) != 1)})", problems)
    if result.get("status") == "config_error":
        return ConfigError(str(result.get("error")))
    if result.get("status") == "program_error":
        return ProgramError(f"the program raised {result.get('error')}\n{result.get('traceback', '')}")
    return None


def _program_env(project: Project, config: dict[str, str], virtualenv_python: str | None = None,
                 secret_keys: Sequence[str] = ()) -> dict[str, str]:
    """The environment Pulumi's language host gives a program: the caller's as it is (PYTHONPATH too: the project
    is not put on it, so a project's sitecustomize.py or usercustomize.py is not imported at start-up, as under
    Pulumi, where only runpy.run_path puts the program's folder on sys.path, after start-up), activated for the
    project's virtualenv when the program runs with one (Pulumi's toolchain.ActivateVirtualEnv: its bin first on
    PATH, VIRTUAL_ENV set, PYTHONHOME unset), the stack config as `PULUMI_CONFIG` (keys `project:key`) and
    the keys of its `secure:` values as `PULUMI_CONFIG_SECRET_KEYS` (a JSON list, as the Python SDK's
    get_config_secret_keys_env reads it). The gate's own variables (AGENTID_*) are not the program's business."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AGENTID_", "PULUMI_"))}
    if virtualenv_python is not None:
        venv = Path(virtualenv_python).parent.parent
        env = {key: value for key, value in env.items() if key not in ("PYTHONHOME", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join(filter(None, (str(venv / "bin"), env.get("PATH"))))
        env["VIRTUAL_ENV"] = str(venv)
    qualified = {key if ":" in key else f"{project.name}:{key}": value for key, value in config.items()}
    from agentid.preview import out_of_band

    env = out_of_band.withheld(env)  # no credential of the caller reaches the program: placeholders instead
    # PYTHONUNBUFFERED as the caller has it: Pulumi sets none (the language host's output is buffered as any pipe)
    env = {**env, "PULUMI_CONFIG_SECRET_KEYS": go_json(sorted(secret_keys))}
    if qualified:  # the engine's empty config map reaches the host as nil: no variable (main.go constructConfig)
        env["PULUMI_CONFIG"] = go_json(qualified)
    return env


def go_json(value: Any) -> str:
    """`value` as Go's json.Marshal writes it (the language host's PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS): no
    spaces, map keys sorted, UTF-8 kept, `<`, `>`, `&`, U+2028 and U+2029 escaped; Python's own spacing and key order
    told a program it ran under the gate (issue 11, cloaking tells)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for character, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                               ("\u2029", "\\u2029")):
        text = text.replace(character, escaped)
    return text


def _tail(stream: Any, limit: int = 2000) -> str:
    stream.flush()
    stream.seek(0)
    text = stream.read().decode(errors="replace").strip()
    return f"\n--- program stderr (last {limit} chars) ---\n{text[-limit:]}" if text else ""
