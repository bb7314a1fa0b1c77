"""Run the stack's Pulumi program in a child process, as a language host runs it against the engine.

The gate serves the engine's `ResourceMonitor` and `Engine` services itself
(`agentid.preview.monitor`, on loopback) and starts the program in a fresh
interpreter (`python -m agentid.preview.program REQUEST RESULT`) whose Pulumi
settings point at them: the SDK's normal, non-mock code path. The program can
only *register* resources; the list of what it registered, its stack outputs and
whether it ran to the end stay in the gate's process. A program that raises,
calls `exit`/`os._exit`, crashes, writes files or prints a fake verdict changes
none of that: the run counts only when the child exits 0 *and* the SDK told the
monitor it finished (the stack's outputs, then `SignalAndWaitForShutdown`).
Anything else fails closed, with the tail of the child's stderr. The child's
result file only carries *why* it failed (an invalid spec, a traceback): it can
turn a run into a failure, never into a pass.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentid.preview.stack_config import ConfigError, Project
from agentid_components import input_limits
from agentid_components.loader import SpecError

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


class ProgramError(Exception):
    """The program did not run to the end: it raised, crashed, hung or its spec is invalid."""

    def __init__(self, reason: str, spec_problems: list[SpecError] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.spec_problems = spec_problems or []


def run_isolated(project: Project, stack: str, config: dict[str, str], *, timeout: float,
                 on_resource: Callable[[Resource], None] | None = None, python: str | None = None,
                 stack_references: Callable[[str], Any] | None = None) -> ProgramOutcome:
    """Run the project's program for `stack` against the gate's monitor; raise ProgramError on any failure.

    `on_resource` sees each resource as the program registers it (one call at a time, in the
    monitor's gRPC threads), so packs can judge it while the program still runs. `stack_references`
    answers the program's StackReference reads (`agentid.preview.references.StackReferences`).
    """
    from agentid.preview.monitor import GateMonitor, MonitorServer, Registration

    def registered(record: Registration) -> None:
        if on_resource is not None:
            on_resource(_resource(record))

    monitor = GateMonitor(project.name, stack, on_register=registered if on_resource else None,
                          stack_references=stack_references)
    with tempfile.TemporaryDirectory(prefix="agentid-preview-") as scratch, MonitorServer(monitor) as server:
        request_file, result_file = Path(scratch, "request.json"), Path(scratch, "result.json")
        request_file.write_text(json.dumps({
            "root": str(project.root), "main": str(project.main_dir), "project": project.name,
            "stack": stack, "config": config, "monitor": server.address, "engine": server.address,
        }))
        with open(Path(scratch, "stdout"), "w+b") as stdout, open(Path(scratch, "stderr"), "w+b") as stderr:
            command = [python or sys.executable, "-m", "agentid.preview.program", str(request_file), str(result_file)]
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                       cwd=project.root, env=_child_env(project))
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise ProgramError(f"the program did not finish within {timeout:g} s (a hang, or raise --timeout)"
                                   + _tail(stderr)) from None
            finally:
                records = monitor.close()  # nothing registers after this point
            failure = _read_failure(result_file, project)
            if failure is not None:
                raise failure
            if monitor.errors:
                raise ProgramError("the program reported errors to the engine:\n" + "\n".join(monitor.errors[:20])
                                   + _tail(stderr))
            if returncode != 0 or not (monitor.stack_outputs_registered and monitor.shutdown_signalled):
                raise ProgramError(f"the program process exited with code {returncode} before the Pulumi runtime "
                                   "finished the stack (it crashed or called exit): no verdict on a partial run"
                                   + _tail(stderr))
    return ProgramOutcome(resources=sorted((_resource(r) for r in records), key=lambda r: r.urn),
                          outputs=monitor.outputs, warnings=list(monitor.warnings),
                          stack_output_values=monitor.output_values, secret_output_names=monitor.secret_output_names)


def _resource(record: Any) -> Resource:
    return Resource(urn=record.urn, type=record.type, name=record.name, inputs=record.inputs, parent=record.parent,
                    custom=record.custom, dependencies=record.dependencies, source_file=record.source_file,
                    source_line=record.source_line)


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


def _child_env(project: Project) -> dict[str, str]:
    # The project root first on the path: the program imports the project's own packages (components/...).
    paths = [str(project.root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def _tail(stream: Any, limit: int = 2000) -> str:
    stream.flush()
    stream.seek(0)
    text = stream.read().decode(errors="replace").strip()
    return f"\n--- program stderr (last {limit} chars) ---\n{text[-limit:]}" if text else ""


# --- the child -------------------------------------------------------------------------------


def _config_errors() -> tuple[type[BaseException], ...]:
    """What the components raise for bad stack config or a spec they refuse: reported in one line, no traceback.

    `pulumi.RunError` is Pulumi's own "report without a stack trace" (AwsComponentError is one); the AWS and
    Azure compilers raise their own ValueErrors before registering anything.
    """
    import pulumi

    from agentid_components.aws.permissions import PolicyCompileError
    from agentid_components.azure.plan import AzureCompileError

    return (pulumi.RunError, PolicyCompileError, AzureCompileError)


def _child(request_file: str, result_file: str) -> int:
    """Run the program as the Python language host does, against the monitor and engine the gate serves."""
    request = json.loads(Path(request_file).read_text())
    gc.freeze()  # the imports so far stay out of every collection
    gc.disable()  # the program keeps almost all it allocates until the end: collections only cost (issue 17)
    import asyncio

    import pulumi
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.stack import run_in_stack

    from agentid_components.loader import SpecLoadError

    pulumi_settings.configure(pulumi_settings.Settings(
        project=request["project"], stack=request["stack"], monitor=request["monitor"], engine=request["engine"],
        dry_run=True, organization="organization", root_directory=request["root"]))
    pulumi.runtime.set_all_config({key if ":" in key else f"{request['project']}:{key}": value
                                   for key, value in request["config"].items()})
    main = request["main"]
    sys.path.insert(0, main)
    os.chdir(main)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    status = 0
    try:
        loop.run_until_complete(run_in_stack(lambda: _run_program(main)))
    except SpecLoadError as error:
        status = _write(result_file, {"status": "spec_error", "errors": [
            {"file": e.file, "line": e.line, "path": e.path, "message": e.message} for e in error.errors]})
    except _config_errors() as error:  # the components refused the stack's config or spec: the message says it all
        status = _write(result_file, {"status": "config_error", "error": str(error)})
    except BaseException as error:  # noqa: BLE001 - everything the program raises is a failed preview
        status = _write(result_file, {"status": "program_error", "error": f"{type(error).__name__}: {error}",
                                      "traceback": "".join(traceback.format_exception(error)[-12:])})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # no interpreter teardown: everything the gate needs is already in its own process


def _run_program(main: str) -> None:
    """The program, with the SDK costs a plan's verdict does not need taken off (inside the stack: it needs the root)."""
    import runpy

    import pulumi

    from agentid.preview import sdk_speedups

    for warning in sdk_speedups.apply():
        pulumi.log.warn(warning)  # reaches the gate through the Engine service, shown with the verdict
    runpy.run_path(main, run_name="__main__")


def _write(file: str, result: dict[str, Any]) -> int:
    Path(file).write_text(json.dumps(result, default=str))
    return 1


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
