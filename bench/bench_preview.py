"""Benchmark: `agentid preview` of generated fleets against the floor the protocol allows.

    .venv/bin/python bench/bench_preview.py [--agents 50 200 1000] [--fleets mixed aws azure] [--repeat 1]
                                            [--pack policy_packs/agent_guard]

For each fleet and size N the example project is copied to a temporary directory
with N agents (the four agents of stacks/agents/dev.yaml, cycled, renamed and
given their own OAuth audiences). Fleets: `mixed` is those agents as they are
(AWS and Azure); `aws` keeps each agent's AWS tools (Cognito OAuth included);
`azure` keeps its Azure tools (Entra OAuth included) and gives an agent that has
none the example's blob-container tool. Two things are measured, each in a fresh
process so its peak memory is its own, one after the other (with --repeat,
interleaved: preview, floor, preview, floor; the machine is shared, so a figure
is only compared with the floor measured beside it):

* preview: the whole gate (`agentid.preview.runner.run_preview`): the real
  program in a child process against the gate's own engine services, the pack
  over gRPC, the verdict.
* the floor named "mocks+trivial (in-process, GC-tuned)": bare mocks registering
  the same number of plain resources in one process (`mock_engine.run_program`,
  collector thresholds raised), then the one-trivial-rule pack
  (policy_packs/trivial_pack) analysing them over the same protocol (`Analyze`
  each, `AnalyzeStack` once). Every ratio printed is against this floor.

Before measuring, the kit's own packages are compiled to bytecode (`compile_kit`), as installing its
wheel does: a source checkout run with PYTHONDONTWRITEBYTECODE=1 (this machine's setting) compiles every
kit module from source in every process (the pack, the program, the gate), ~0.3 s CPU each, which an
installed kit never pays and the floor (whose packages pip compiled) does not pay either. Its YAML tables are
parsed in every process (~0.08 s CPU a pack): a parsed-values cache beside them was a forgery path (red23).

Printed per run: resources, wall time, peak RSS (largest process), resources
per second, and the ratio preview / floor (goal <= 1.0), with the preview's
time split into the program run and the pack analysis; then CPU seconds of each
side (the measuring process plus its finished children: program run, pack
processes) and their ratio, steadier than wall time on a loaded machine; the gate process's own
CPU apart from its children's, the program run's and the packs' (each process's CPU, read when it was reaped), the peak RSS of the gate process and of
its largest child, and the gate process's garbage collections (count and seconds; the program's
child runs with the collector off). Then a least-squares line of preview time against agents
with its slope, intercept and R^2.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


# --- fleets ------------------------------------------------------------------------------------


FLEETS = ("mixed", "aws", "azure")
FLOOR = "mocks+trivial (in-process, GC-tuned)"  # the floor every ratio is against (issue 17 names two floors)


def _cloud(tool: dict) -> str:
    """The cloud a tool's grant lives on, as `agentid_components.spec.Tool.cloud` says."""
    for cloud in ("aws", "azure", "gcp"):
        if cloud in tool:
            return cloud
    if "llm" in tool:
        return "none"
    return {"cognito": "aws", "entra": "azure"}.get(tool["oauth"].get("provider", "cognito"), "none")


def fleet_templates(fleet: str) -> list[dict]:
    """The example agents with only the tools of `fleet` ("mixed": all of them)."""
    import yaml

    templates = yaml.safe_load((REPO / "stacks" / "agents" / "dev.yaml").read_text())["agents"]
    if fleet == "mixed":
        return templates
    spare = next(tool for agent in templates for tool in agent["tools"] if _cloud(tool) == fleet and fleet in tool)
    kept = []
    for agent in templates:
        agent = {**agent, "tools": [tool for tool in agent["tools"] if _cloud(tool) in (fleet, "none")]}
        if not any(_cloud(tool) == fleet for tool in agent["tools"]):
            agent["tools"].append(copy.deepcopy(spare))
        kept.append(agent)
    return kept


def make_project(agents: int, directory: Path, fleet: str = "mixed") -> Path:
    """A copy of the project whose dev stack declares `agents` agents of `fleet` (see FLEETS)."""
    import yaml

    shutil.copy(REPO / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(REPO / "waivers.yaml", directory / "waivers.yaml")  # the gate's settings: the example issuers
    shutil.copytree(REPO / "stacks", directory / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    templates = fleet_templates(fleet)
    fleet_agents = []
    for index in range(agents):
        agent = copy.deepcopy(templates[index % len(templates)])
        agent["name"] = f"{agent['name']}-{index}"
        for trust in agent.get("trust", []):  # every cloud object has one owner: one service account an agent
            if "kubernetes" in trust:
                trust["kubernetes"]["service_account"] += f"-{index}"
            if "spiffe" in trust:
                trust["spiffe"]["path"] += f"-{index}"
            if "github_actions" in trust:  # one workflow context, one agent (agentid validate refuses a shared subject)
                trust["github_actions"]["repository"] += f"-{index}"
        for tool in agent["tools"]:
            if "oauth" in tool:  # one resource server per audience: each agent gets its own
                tool["oauth"]["audience"] = re.sub(r"^https://", f"https://a{index}.", tool["oauth"]["audience"])
        fleet_agents.append(agent)
    (directory / "stacks" / "agents" / "dev.yaml").write_text(yaml.safe_dump({"agents": fleet_agents},
                                                                             sort_keys=False))
    return directory


# --- one measurement, in its own process ---------------------------------------------------------


def measure_preview(project: Path, pack: str) -> dict:
    from agentid.preview import runner
    from agentid.preview.runner import PreviewRequest, run_preview

    collections = _GcClock()
    start, cpu, own = time.perf_counter(), _cpu_seconds(), _own_cpu_seconds()
    children_at_start = _children_cpu_seconds()
    program_cpu = []
    run_isolated = runner.run_isolated

    def timed_program(*args, **kwargs):
        # the program's process (and the sandbox's) has been waited for when this returns, the packs' not yet:
        # finished children's CPU then is the program's
        try:
            return run_isolated(*args, **kwargs)
        finally:
            program_cpu.append(_children_cpu_seconds() - children_at_start)

    runner.run_isolated = timed_program
    try:
        result = run_preview(PreviewRequest(stack="dev", pack_dirs=[pack], timeout=1800, start_dir=str(project)))
    finally:
        runner.run_isolated = run_isolated
    wall, cpu, own = time.perf_counter() - start, _cpu_seconds() - cpu, _own_cpu_seconds() - own
    children = _children_cpu_seconds() - children_at_start
    collections.stop()
    if result.error:
        raise SystemExit(f"preview failed: {result.error}")
    analysis = sum(seconds for key, seconds in result.timings.items() if key.startswith("pack:"))
    return {"wall": wall, "cpu": cpu, "gate_cpu": own, "program_cpu": program_cpu[0],
            "packs_cpu": children - program_cpu[0], "resources": len(result.resources), "exit": result.exit_code,
            "violations": len(result.violations), "program": result.timings["program"], "analysis": analysis,
            "gc_count": collections.count, "gc_seconds": collections.seconds,
            "gate_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


class _GcClock:
    """Counts and times this process's garbage collections (gc.callbacks)."""

    def __init__(self) -> None:
        import gc

        self.count, self.seconds, self._started = 0, 0.0, 0.0
        self._gc = gc
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started

    def stop(self) -> None:
        self._gc.callbacks.remove(self._callback)


def _children_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def measure_floor(resources: int) -> dict:
    import pulumi_aws as aws

    from agentid.analyzer_client import PackProcess
    from agentid.mock_engine import run_program
    from agentid.preview.analysis import IN_FLIGHT
    from concurrent.futures import ThreadPoolExecutor

    start, cpu = time.perf_counter(), _cpu_seconds()
    run = run_program(lambda: [aws.iam.Role(f"r{i}", assume_role_policy="{}") for i in range(resources)])
    with PackProcess.start(REPO / "policy_packs" / "trivial_pack", timeout=600, call_timeout=600) as pack:
        pack.info()
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(lambda r: pack.analyze(r.type, r.name, r.urn, r.inputs), run.resources))
        pack.analyze_stack(run.resources)
    return {"wall": time.perf_counter() - start, "cpu": _cpu_seconds() - cpu, "resources": len(run.resources)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the program run, the pack processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _child_main(kind: str, argument: str, pack: str) -> None:
    figures = measure_preview(Path(argument), pack) if kind == "preview" else measure_floor(int(argument))
    figures["peak_mb"] = _peak_rss_mb()
    print(json.dumps(figures))


def _run_child(kind: str, argument: str, pack: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--measure", kind, argument, "--pack", pack],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{kind} {argument} failed (exit {completed.returncode}):\n{completed.stdout}\n"
                         f"{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the report ----------------------------------------------------------------------------------


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least squares y = slope * x + intercept; returns (slope, intercept, R^2)."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    intercept = mean_y - slope * mean_x
    total = sum((y - mean_y) ** 2 for y in ys)
    residual = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))
    return slope, intercept, 1 - residual / total if total else 1.0


KIT_PACKAGES = ("agentid", "components", "policy_packs")  # the folders the kit installs as packages (pyproject)


def compile_kit() -> None:
    """The kit's bytecode in __pycache__, as `pip install` of its wheel writes it (compileall: only stale files)."""
    import compileall

    for folder in KIT_PACKAGES:
        if not compileall.compile_dir(REPO / folder, quiet=1):
            raise SystemExit(f"bench: {folder} does not compile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--fleets", nargs="+", choices=FLEETS, default=list(FLEETS))
    parser.add_argument("--repeat", type=int, default=1, help="interleaved preview/floor pairs per size")
    parser.add_argument("--pack", default=str(REPO / "policy_packs" / "agent_guard"))
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _child_main(*args.measure, args.pack)
        return

    compile_kit()
    print(f"agentid preview benchmark (pack {Path(args.pack).name}); floor = '{FLOOR}': bare mocks registering as "
          "many plain resources + trivial_pack over gRPC, measured beside each preview; every ratio is against it")
    print(f"{'fleet':>6} {'agents':>6} {'resources':>9} {'preview s':>9} {'program':>7} {'packs':>6} {'peak MB':>7} "
          f"{'res/s':>6} {'floor s':>7} {'floor MB':>8} {'wall/floor':>10} {'cpu s':>6} {'floor cpu':>9} "
          f"{'cpu/floor':>9}")
    for fleet in args.fleets:
        rows = []
        for agents in args.agents:
            with tempfile.TemporaryDirectory(prefix="bench-preview-") as scratch:
                project = make_project(agents, Path(scratch), fleet)
                for _ in range(args.repeat):
                    preview = _run_child("preview", str(project), args.pack)
                    floor = _run_child("floor", str(preview["resources"]), args.pack)
                    rows.append((agents, preview["wall"]))
                    _print_row(fleet, agents, preview, floor)
        if len({a for a, _ in rows}) >= 2:
            slope, intercept, r2 = linear_fit([float(a) for a, _ in rows], [t for _, t in rows])
            print(f"{fleet:>6} fit: preview seconds = {slope * 1000:.1f} ms/agent * agents + {intercept:.2f} s  "
                  f"(R^2 = {r2:.4f})", flush=True)


def _print_row(fleet: str, agents: int, preview: dict, floor: dict) -> None:
    wall, cpu = preview["wall"] / floor["wall"], preview["cpu"] / floor["cpu"]
    missed = "" if wall <= 1.0 and cpu <= 1.0 else "  (goal <= 1.0x floor: missed)"
    print(f"{fleet:>6} {agents:>6} {preview['resources']:>9} {preview['wall']:>9.2f} {preview['program']:>7.2f} "
          f"{preview['analysis']:>6.2f} {preview['peak_mb']:>7.0f} {preview['resources'] / preview['wall']:>6.0f} "
          f"{floor['wall']:>7.2f} {floor['peak_mb']:>8.0f} {wall:>9.2f}x {preview['cpu']:>6.2f} {floor['cpu']:>9.2f} "
          f"{cpu:>8.2f}x  floor: {FLOOR}{missed}", flush=True)
    print(f"{'':>13} gate process: {preview['gate_cpu']:.2f} s CPU, peak {preview['gate_peak_mb']:.0f} MB, "
          f"{preview['gc_count']} collections in {preview['gc_seconds']:.2f} s; children: program "
          f"{preview['program_cpu']:.2f} s CPU, packs {preview['packs_cpu']:.2f} s CPU, largest peak "
          f"{preview['child_peak_mb']:.0f} MB",
          flush=True)


if __name__ == "__main__":
    main()
