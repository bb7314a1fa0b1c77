"""Run the stack's Pulumi program under mocks in a child process, so it cannot take the gate down.

A program may raise, call `sys.exit`, crash the interpreter, print to stdout or
never finish. The gate therefore runs it in a fresh interpreter
(`python -m agentid.preview.program REQUEST RESULT`) with a deadline: the child
runs `agentid.mock_engine.run_program_dir`, streams each resource as it
registers down a pipe (so packs can judge it at once), and writes one JSON
result file at the end; the parent reads both. No result file, a non-zero exit or the deadline passing
are all failures (fail closed), reported with the tail of the child's stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentid.preview.stack_config import Project
from components.loader import SpecError


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
    resources: list[Resource]
    outputs: dict[str, Any]


class ProgramError(Exception):
    """The program did not run to the end: it raised, crashed, hung or its spec is invalid."""

    def __init__(self, reason: str, spec_problems: list[SpecError] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.spec_problems = spec_problems or []


def run_isolated(project: Project, stack: str, config: dict[str, str], *, timeout: float,
                 on_resource: Callable[[Resource], None] | None = None, python: str | None = None) -> ProgramOutcome:
    """Run the project's program for `stack` in a child interpreter; raise ProgramError on any failure.

    `on_resource` sees each resource as the program registers it (from a pipe the child writes
    one JSON line to per resource), so packs can judge it while the program still runs.
    """
    with tempfile.TemporaryDirectory(prefix="agentid-preview-") as scratch:
        request_file, result_file = Path(scratch, "request.json"), Path(scratch, "result.json")
        stream_read, stream_write = os.pipe()
        request_file.write_text(json.dumps({
            "root": str(project.root), "main": str(project.main_dir), "project": project.name,
            "stack": stack, "config": config, "stream_fd": stream_write,
        }))
        with open(Path(scratch, "stdout"), "w+b") as stdout, open(Path(scratch, "stderr"), "w+b") as stderr:
            command = [python or sys.executable, "-m", "agentid.preview.program", str(request_file), str(result_file)]
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                           cwd=project.root, env=_child_env(project), pass_fds=(stream_write,))
            finally:
                os.close(stream_write)
            reader = threading.Thread(target=_read_stream, args=(stream_read, on_resource), daemon=True)
            reader.start()
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise ProgramError(f"the program did not finish within {timeout:g} s (a hang, or raise --timeout)"
                                   + _tail(stderr)) from None
            finally:
                reader.join(timeout=30)
            result = _read_result(result_file)
            if result is None:
                raise ProgramError(f"the program process exited with code {returncode} without a result"
                                   " (it crashed or called exit)" + _tail(stderr))
    if result["status"] == "spec_error":
        problems = [SpecError(project.relative(Path(project.main_dir, p["file"])), p["line"], p["path"], p["message"])
                    for p in result["errors"]]
        raise ProgramError(f"the agent spec is invalid ({len(problems)} problem{'s' * (len(problems) != 1)})", problems)
    if result["status"] == "program_error":
        raise ProgramError(f"the program raised {result['error']}\n{result['traceback']}")
    resources = [Resource(**r) for r in result["resources"]]
    return ProgramOutcome(resources=resources, outputs=result["outputs"])


def _read_stream(fd: int, on_resource: Callable[[Resource], None] | None) -> None:
    """Hand each streamed resource to `on_resource`; always drain the pipe so the child never blocks on it."""
    with os.fdopen(fd, "r", encoding="utf-8") as stream:
        for line in stream:
            if on_resource is None or not line.strip():
                continue
            try:
                on_resource(Resource(**json.loads(line)))
            except Exception:  # noqa: BLE001 - stop streaming, keep draining: the final result file is the record
                on_resource = None


def _child_env(project: Project) -> dict[str, str]:
    # The project root first on the path: the program imports the project's own packages (components/...).
    paths = [str(project.root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def _read_result(file: Path) -> dict[str, Any] | None:
    try:
        result = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("status") in ("ok", "spec_error", "program_error") else None


def _tail(stream: Any, limit: int = 2000) -> str:
    stream.flush()
    stream.seek(0)
    text = stream.read().decode(errors="replace").strip()
    return f"\n--- program stderr (last {limit} chars) ---\n{text[-limit:]}" if text else ""


# --- the child -------------------------------------------------------------------------------


def _child(request_file: str, result_file: str) -> int:
    request = json.loads(Path(request_file).read_text())
    from components.loader import SpecLoadError

    from agentid.mock_engine import run_program_dir

    stream = os.fdopen(request["stream_fd"], "w", encoding="utf-8") if "stream_fd" in request else None

    def stream_resource(record: Any) -> None:  # called under the monitor's lock: one line at a time
        if stream is not None:
            stream.write(json.dumps(_serialise(record), default=str) + "\n")
            stream.flush()

    try:
        run = run_program_dir(request["main"], project=request["project"], stack=request["stack"],
                              config=request["config"], on_register=stream_resource)
    except SpecLoadError as error:
        result = {"status": "spec_error", "errors": [
            {"file": e.file, "line": e.line, "path": e.path, "message": e.message} for e in error.errors]}
    except BaseException as error:  # noqa: BLE001 - everything the program raises is a failed preview
        result = {"status": "program_error", "error": f"{type(error).__name__}: {error}",
                  "traceback": "".join(traceback.format_exception(error)[-12:])}
    else:
        result = {"status": "ok", "outputs": run.outputs, "resources": [_serialise(r) for r in run.resources]}
    if stream is not None:
        stream.close()
    Path(result_file).write_text(json.dumps(result, default=str))
    return 0


def _serialise(record: Any) -> dict[str, Any]:
    """A mock_engine.RegisteredResource as the fields of `Resource`."""
    return {"urn": _engine_urn(record.urn), "type": record.type, "name": record.name, "inputs": record.inputs,
            "parent": _engine_urn(record.parent) if record.parent else None, "custom": record.custom,
            "dependencies": [_engine_urn(d) for d in record.dependencies], **_source(record.source_position)}


def _engine_urn(urn: str) -> str:
    """The URN the engine gives a resource: the mock monitor puts the root stack's type in its children's."""
    return urn.replace("::pulumi:pulumi:Stack$", "::", 1)


def _source(position: tuple[str, int] | None) -> dict[str, Any]:
    if not position or not position[0].startswith("file://"):
        return {}
    from urllib.parse import unquote, urlparse

    return {"source_file": unquote(urlparse(position[0]).path), "source_line": position[1]}


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], sys.argv[2]))
