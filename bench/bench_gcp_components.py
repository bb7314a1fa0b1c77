"""Benchmark: the Google Cloud components and the workload side (Kubernetes ServiceAccounts, SPIRE
ClusterSPIFFEIDs) for N generated agents under Pulumi mocks: resources and cost per agent, against bare mocks.

Each generated agent has the dev stack's GCP shapes: one tool with exact permissions on a bucket (a custom role
and a BucketIAMMember), one with a predefined role on a dataset (a DatasetIamMember), and three trust bindings
(GitHub Actions, Kubernetes on the stack's cluster, SPIFFE with a JWT issuer in the stack's trust domain):
a service account, three workloadIdentityUser members; per stack three pools and three providers. The workload
side adds a ServiceAccount (GKE annotation) and a ClusterSPIFFEID an agent.

    python bench/bench_gcp_components.py [--agents 200] [--repeat 3]

Each measurement runs in a fresh interpreter (peak memory belongs to it alone); variants interleave so a busy
machine slows each alike; medians of `repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_aws_components import run_bare  # noqa: E402 - the same bare-mocks floor as the AWS bench

PROJECT = "bench-agents-dev"
ISSUER = "https://container.googleapis.com/v1/projects/bench-agents-dev/locations/europe-west1/clusters/agents"
TRUST_DOMAIN = "bench.example.org"


def generated_agent(index: int) -> dict:
    name = f"agent-{index:04d}"
    return {
        "name": name, "owner": f"team-{index % 25}", "purpose": "Generated for the benchmark.", "environment": "dev",
        "review_by": "2030-01-01",
        "tools": [
            {"name": "save-charts", "gcp": {"permissions": ["storage.objects.create", "storage.objects.get"],
                                            "resource": f"//storage.googleapis.com/projects/_/buckets/charts-{index}"}},
            {"name": "read-sales", "gcp": {"roles": ["roles/bigquery.dataViewer"],
                                           "resource": f"//bigquery.googleapis.com/projects/{PROJECT}/datasets/sales_{index % 10}"}},
        ],
        "trust": [
            {"github_actions": {"repository": f"example-org/repo-{index}", "environment": "dev"}},
            {"kubernetes": {"issuer": ISSUER, "namespace": "agents", "service_account": name}},
            {"spiffe": {"trust_domain": TRUST_DOMAIN, "path": f"/ns/agents/sa/{name}",
                        "jwt_issuer": f"https://oidc-discovery.{TRUST_DOMAIN}"}},
        ],
    }


def run_components(count: int, with_workloads: bool) -> dict:
    import pulumi  # noqa: F401 - imported before timing, like the engine's language host
    import pulumi_gcp as gcp
    import pulumi_kubernetes as k8s

    from agentid.mock_engine import run_program
    from agentid_components.gcp.fleet import GcpAgents, GcpSettings
    from agentid_components.spec import Agent
    from agentid_components.workload.fleet import Workloads, WorkloadSettings

    start = time.perf_counter()  # provider modules load on first use: a fixed cost per program, reported apart
    _ = (gcp.iam.WorkloadIdentityPool, gcp.serviceaccount.Account, gcp.projects.IAMCustomRole,
         gcp.storage.BucketIAMMember, gcp.bigquery.DatasetIamMember, k8s.core.v1.ServiceAccount,
         k8s.apiextensions.CustomResource)
    imports = time.perf_counter() - start
    agents = [Agent.model_validate(generated_agent(index)) for index in range(count)]

    def program() -> None:
        fleet = GcpAgents("gcp", agents, GcpSettings(project=PROJECT, name_suffix="dev"))
        if with_workloads:
            identities = {name: {"gcp_email": identity.account.email} for name, identity in fleet.identities.items()}
            Workloads("workloads", agents, WorkloadSettings(issuer=ISSUER, trust_domain=TRUST_DOMAIN), identities)

    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    kinds: dict[str, int] = {}
    for registered in run.resources:
        kinds[registered.type] = kinds.get(registered.type, 0) + 1
    return {"resources": len(run.resources), "seconds": seconds, "cpu": cpu, "imports": imports, "kinds": kinds}


def child(mode: str, count: int) -> None:
    result = {"gcp": lambda: run_components(count, False), "gcp_workloads": lambda: run_components(count, True),
              "bare": lambda: run_bare(count)}[mode]()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(mode: str, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--agents", str(count)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["gcp", "gcp_workloads", "bare"])
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.agents)
        return
    measure("gcp", 1)  # warm the OS file cache and bytecode caches
    runs: dict[str, list[dict]] = {"gcp": [], "gcp_workloads": [], "bare": []}
    for _ in range(args.repeat):
        runs["gcp"].append(measure("gcp", args.agents))
        runs["gcp_workloads"].append(measure("gcp_workloads", args.agents))
        runs["bare"].append(measure("bare", runs["gcp_workloads"][-1]["resources"]))
    wall = {mode: statistics.median(r["seconds"] for r in results) for mode, results in runs.items()}
    cpu = {mode: statistics.median(r["cpu"] for r in results) for mode, results in runs.items()}
    peak = {mode: max(r["peak_rss_mb"] for r in results) for mode, results in runs.items()}
    gcp_res, all_res = runs["gcp"][-1]["resources"], runs["gcp_workloads"][-1]["resources"]
    print(f"agents                      {args.agents}")
    print(f"provider module imports     {statistics.median(r['imports'] for r in runs['gcp']):.2f} s (once per program, not timed)")
    print(f"resources, GCP only         {gcp_res} ({gcp_res / args.agents:.2f} per agent, components and per-stack pools included)")
    print(f"resources, GCP + workload   {all_res} ({(all_res - gcp_res) / args.agents:.2f} more per agent: ServiceAccount, ClusterSPIFFEID)")
    for kind, number in sorted(runs["gcp_workloads"][-1]["kinds"].items()):
        print(f"  {number:6d}  {kind}")
    print(f"{'':28}{'wall s':>9}{'cpu s':>9}{'ms/agent':>10}{'ms/res':>9}{'peak MB':>9}")
    labels = {"gcp": ("GcpAgents", gcp_res), "gcp_workloads": ("GcpAgents + Workloads", all_res),
              "bare": ("bare plain resources", all_res)}
    for mode, (label, resources) in labels.items():
        print(f"{label:28}{wall[mode]:9.2f}{cpu[mode]:9.2f}{1000 * wall[mode] / args.agents:10.1f}"
              f"{1000 * wall[mode] / resources:9.2f}{peak[mode]:9.0f}")
    workload_ms = 1000 * (wall["gcp_workloads"] - wall["gcp"]) / args.agents
    print(f"workload side per agent     {workload_ms:.1f} ms wall (GcpAgents + Workloads minus GcpAgents)")
    print(f"ratio (GCP + workload) / bare  wall {wall['gcp_workloads'] / wall['bare']:.2f}, "
          f"cpu {cpu['gcp_workloads'] / cpu['bare']:.2f} (same number of resources)")


if __name__ == "__main__":
    main()
