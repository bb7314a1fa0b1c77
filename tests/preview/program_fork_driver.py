"""Run in a fresh interpreter by tests/preview/test_program_fork.py: one preview, the program forked or not.

    python program_fork_driver.py preview PROJECT   -> JSON: how the program started, resources, violations, outputs
    python program_fork_driver.py discard           -> JSON: children left
"""

from __future__ import annotations

import json
import sys

from pack_fork_driver import _children

from agentid.preview import program_fork


def preview(project: str, *_ignored: str) -> dict:  # extra arguments: only shown in the command line
    from agentid.preview.runner import PreviewRequest, run_preview

    launched = []
    launch = program_fork.PreforkedProgram.launch

    def recording(self, **kwargs):
        process = launch(self, **kwargs)
        launched.append(type(process).__name__)
        return process

    program_fork.PreforkedProgram.launch = recording
    result = run_preview(PreviewRequest(stack="dev", start_dir=project, timeout=300))
    return {"error": result.error, "exit": result.exit_code, "launched": launched,
            "resources": sorted([r.urn, r.type, r.name, r.parent, r.custom, sorted(r.dependencies),
                                 json.dumps(r.inputs, sort_keys=True), r.source_file, r.source_line]
                                for r in result.resources),
            "violations": sorted([v.policy, v.urn, v.message, v.enforcement_level] for v in result.violations),
            "outputs": result.outputs, "warnings": result.program_warnings, "children": _children()}


def discard() -> dict:
    prepared, why_not = program_fork.prefork()
    assert prepared is not None, why_not
    pid = prepared.pid
    prepared.discard()
    from pathlib import Path

    return {"alive": Path(f"/proc/{pid}").exists(), "children": _children()}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    print(json.dumps({"preview": preview, "discard": discard}[command](*arguments)))
