"""Pulumi's own Python exec script run against the gate's engine services: what the real host gives a program.

`fixtures/pulumi-language-python-exec` is pulumi/pulumi's `sdk/python/cmd/pulumi-language-python-exec` (Apache-2.0,
Copyright 2016 Pulumi Corporation) at commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8 (pulumi 3.272's line), unchanged.
It is started as pulumi-language-python's `Run` starts it (sdk/python/cmd/pulumi-language-python/main.go: the
toolchain's `python` with the script and `constructArguments`, no interpreter option; PULUMI_CONFIG in the
environment), against a GateMonitor served on loopback TCP, outside any sandbox: the values the program reads
there are what the gate's run must match.

    python real_language_host.py write-host-modules   -> rewrites agentid/preview/host_modules.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REAL_EXEC = Path(__file__).parent / "fixtures" / "pulumi-language-python-exec"
PULUMI_COMMIT = "1b5949891b3cefcb9974752b24a5ecef0acc86c8"
HOST_MODULES = Path(__file__).resolve().parents[2] / "agentid" / "preview" / "host_modules.json"

FIRST_LINE_MODULES = '''import sys
FIRST = sorted(sys.modules)
import pulumi
pulumi.export("modules", FIRST)
'''


def run(project: Path, config: dict[str, str] | None = None, stack: str = "dev") -> dict:
    """Run `project`'s program under Pulumi's exec script; its stack outputs (the gate's monitor recorded them)."""
    from agentid.preview.monitor import GateMonitor, MonitorServer
    from agentid.preview.stack_config import load_project

    name = load_project(project / "Pulumi.yaml").name
    monitor = GateMonitor(name, stack, root=str(project), config=config or {})
    with MonitorServer(monitor) as server:
        argv = [sys.executable, str(REAL_EXEC), "--monitor", server.address, "--engine", server.address,
                "--project", name, "--root_directory", str(project), "--stack", stack, "--pwd", str(project),
                "--dry_run", "true", "--parallel", str(4 * len(os.sched_getaffinity(0))), "--organization",
                "organization", "."]
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AGENTID_", "PULUMI_"))}
        # as Go's json.Marshal writes them (main.go constructConfig / constructConfigSecretKeys): compact, keys sorted
        if config:
            env["PULUMI_CONFIG"] = json.dumps({f"{name}:{k}" if ":" not in k else k: v for k, v in config.items()},
                                              separators=(",", ":"), sort_keys=True)
        env["PULUMI_CONFIG_SECRET_KEYS"] = "[]"
        completed = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    return monitor.outputs


def startup_modules() -> list[str]:
    """The modules of a new interpreter (site, encodings, .pth hooks) before any script runs."""
    completed = subprocess.run([sys.executable, "-c", "import sys; m = sorted(sys.modules); import json; "
                                "print(json.dumps(m))"], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def host_modules(work: Path) -> dict:
    """What agentid/preview/host_modules.json holds for this interpreter and pulumi SDK, measured now."""
    import pulumi

    (work / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (work / "__main__.py").write_text(FIRST_LINE_MODULES)
    first = run(work)["modules"]
    first = json.loads(first) if isinstance(first, str) else first
    return {"source": f"pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec at {PULUMI_COMMIT}, run by "
                      "tests/preview/real_language_host.py: sys.modules at the program's first line, less those of "
                      "a new interpreter (`python -c`)",
            "python": f"{sys.version_info[0]}.{sys.version_info[1]}", "pulumi": pulumi._version._VERSION,
            "modules": sorted(set(first) - set(startup_modules()) - {"__main__"})}


if __name__ == "__main__":
    import tempfile

    assert sys.argv[1:] == ["write-host-modules"], __doc__
    with tempfile.TemporaryDirectory() as directory:
        HOST_MODULES.write_text(json.dumps(host_modules(Path(directory)), indent=1) + "\n")
