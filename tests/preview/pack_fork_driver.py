"""Run in a fresh interpreter by tests/preview/test_pack_fork.py: one pack started both ways, or a preview.

    python pack_fork_driver.py introspect PACK_DIR OUT_FORKED OUT_PLAIN   -> JSON: the two processes' answers
    python pack_fork_driver.py preview PROJECT [terminal]                  -> JSON: violations, pack process kinds
    python pack_fork_driver.py discard                                     -> JSON: children left
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from agentid import pack_fork
from agentid.analyzer_client import PackProcess


def introspect(pack_dir: str, forked_out: str, plain_out: str) -> dict:
    answers = {}
    for kind, out in (("forked", forked_out), ("plain", plain_out)):
        prepared, why_not = pack_fork.prefork(1) if kind == "forked" else ([], "plain")
        assert (kind == "plain") or prepared, why_not
        with PackProcess.start(pack_dir, timeout=120, call_timeout=120, env={"INTROSPECT_OUT": out},
                               prepared=prepared[0] if prepared else None) as pack:
            info = pack.info()
            found = [(d.policy_name, d.enforcement_level, d.message) for d in
                     pack.analyze("aws:iam/user:User", "forbidden", "urn:pulumi:dev::p::aws:iam/user:User::forbidden", {})]
            found += [(d.policy_name, d.enforcement_level, d.message) for d in
                      pack.analyze("aws:iam/user:User", "fine", "urn:pulumi:dev::p::aws:iam/user:User::fine", {})]
            answers[kind] = {"process": type(pack.process).__name__, "info": [info.name, [p.name for p in info.policies]],
                             "found": found}
            pid = pack.process.pid
        answers[kind]["reaped"] = not Path(f"/proc/{pid}").exists()
    return answers


def preview(project: str, terminal: str = "") -> dict:
    from agentid.preview import analysis
    from agentid.preview.runner import PreviewRequest, run_preview

    progress = None
    if terminal:  # the CLI's progress bar on a terminal (report.progress_for), created before the run as the CLI does
        import io

        from rich.console import Console

        from agentid.preview.report import BarProgress

        progress = BarProgress(Console(file=io.StringIO(), force_terminal=True))

    kinds = []
    prepare = analysis.PackSession._prepare

    def recording(self, *args, **kwargs):
        answer = prepare(self, *args, **kwargs)
        kinds.append(type(self.pack.process).__name__)
        return answer

    analysis.PackSession._prepare = recording
    try:
        result = run_preview(PreviewRequest(stack="dev", start_dir=project, timeout=300), progress)
    finally:
        if progress is not None:
            progress.close()
    return {"error": result.error, "exit": result.exit_code, "kinds": kinds,
            "resources": [[r.urn, r.type, json.dumps(r.inputs, sort_keys=True)] for r in result.resources],
            "violations": sorted([v.policy, v.urn, v.message, v.enforcement_level] for v in result.violations),
            "children": _children()}


def discard() -> dict:
    prepared, why_not = pack_fork.prefork(2)
    assert len(prepared) == 2, why_not
    pids = [child.pid for child in prepared]
    for child in prepared:
        child.discard()
    return {"pids": pids, "alive": [pid for pid in pids if Path(f"/proc/{pid}").exists()], "children": _children()}


def _children() -> list[int]:
    """This process's children still there (a zombie too)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                found.append(int(entry))
    return found


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    print(json.dumps({"introspect": introspect, "preview": preview, "discard": discard}[command](*arguments)))
