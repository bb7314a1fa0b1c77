"""Benchmark: the AWS components for N generated agents under Pulumi mocks, against bare Pulumi mocks.

    .venv/bin/python bench/bench_aws_components.py [--agents 500] [--repeat 3]

Prints resources per agent, wall and CPU time, peak memory (each run in a
fresh process, so peak RSS is that run's own) and the ratio of the components'
time to bare mocks registering the same number of plain resources (goal: <= 1.3),
and to the same number of real `aws.iam.Role`s registered flat (what a real
provider resource costs Pulumi itself, without any component).
Agent validation (the spec loader's job) is outside the timed region; planning
and policy compilation are inside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBbench\n-----END CERTIFICATE-----\n"


def generate_agents(count: int, agents_dir: Path) -> list:
    """A realistic mix: 1-3 AWS tools, a third with a Cognito tool, every trust kind."""
    from agentid_components.spec import Agent

    (agents_dir / "ca.pem").write_text(CA_PEM)
    review_by = dt.date.today() + dt.timedelta(days=90)
    agents = []
    for i in range(count):
        tools = [
            {"name": "read", "aws": {"actions": ["s3:GetObject"], "resources": [f"arn:aws:s3:::bench-{i}/in/*"]}},
        ]
        if i % 2:
            tools.append(
                {
                    "name": "table",
                    "aws": {
                        "actions": ["dynamodb:GetItem", "dynamodb:Query"],
                        "resources": [
                            f"arn:aws:dynamodb:eu-west-1:111122223333:table/t{i}",
                            f"arn:aws:dynamodb:eu-west-1:111122223333:table/t{i}/index/by-day",
                        ],
                    },
                }
            )
        if i % 5 == 0:
            tools.append({"name": "whoami", "aws": {"actions": ["sts:GetCallerIdentity"], "resources": ["*"]}})
        if i % 3 == 0:
            tools.append({"name": "mcp", "oauth": {"audience": f"https://mcp{i % 10}.example.com", "scopes": ["read", "write"]}})
        trust = [
            [{"github_actions": {"repository": f"acme/agent-{i}", "branch": "main"}}],
            [{"kubernetes": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/BENCH", "namespace": "agents", "service_account": f"a{i}", "cluster": "bench"}}],
            [{"kubernetes": {"issuer": f"https://issuer{i % 4}.example.com", "namespace": "agents", "service_account": f"a{i}"}}],
            [{"spiffe": {"trust_domain": "bench.example.org", "path": f"/agent/{i}", "ca_bundle": "ca.pem"}}],
        ][i % 4]
        agents.append(
            Agent.model_validate(
                {
                    "name": f"agent-{i}",
                    "owner": "bench-team",
                    "purpose": "benchmark agent",
                    "environment": "bench",
                    "review_by": review_by,
                    "max_credential_minutes": 5 + i % 50,
                    "tools": tools,
                    "trust": trust,
                },
                context={"base_dir": str(agents_dir)},
            )
        )
    return agents


def run_components(count: int) -> dict:
    import pulumi  # noqa: F401 - imported before timing, like the engine's language host

    from agentid.mock_engine import run_program
    from agentid_components.aws.fleet import AwsAgents, AwsSettings

    import pulumi_aws as aws

    # pulumi_aws loads each service module on first use: load them before timing (a fixed cost per
    # program, reported apart) so the ratio compares the per-resource work.
    start = time.perf_counter()
    _ = (aws.iam.Role, aws.eks.PodIdentityAssociation, aws.rolesanywhere.Profile, aws.cognito.UserPoolClient, aws.get_region_output)
    imports = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        agents = generate_agents(count, Path(tmp))
        settings = AwsSettings(agents_dir=tmp)
        start, cpu = time.perf_counter(), time.process_time()
        run = run_program(lambda: AwsAgents("aws", agents, settings))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"resources": len(run.resources), "seconds": seconds, "cpu": cpu, "imports": imports}


def run_bare(count: int) -> dict:
    """`count` plain resources with two small inputs each: the cheapest registration Pulumi offers."""
    import pulumi

    from agentid.mock_engine import run_program

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource("bench:index:Plain", f"plain-{i}", {"name": f"plain-{i}", "tags": {"agent": "x"}})

    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"resources": len(run.resources), "seconds": seconds, "cpu": cpu}


def run_flat_real(count: int) -> dict:
    """`count` real `aws.iam.Role`s (static trust policy, five tags) registered flat: no components, no
    Outputs between resources. What Pulumi itself costs per real AWS resource, for comparison."""
    import pulumi_aws as aws

    from agentid.mock_engine import run_program

    _ = aws.iam.Role  # load the module before timing, as in run_components
    tags = {"agent": "x", "owner": "team", "environment": "bench", "review-by": "2027-01-01", "managed-by": "kit"}

    def program() -> None:
        for i in range(count):
            aws.iam.Role(f"flat-{i}", name=f"flat-{i}", assume_role_policy="{}", max_session_duration=3600, tags=tags)

    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"resources": len(run.resources), "seconds": seconds, "cpu": cpu}


def child(mode: str, count: int) -> None:
    """One measurement in this fresh process; prints JSON."""
    runs = {"components": run_components, "bare": run_bare, "flat_real": run_flat_real}
    result = runs[mode](count)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(mode: str, count: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--agents", str(count)], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["components", "bare", "flat_real"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.agents)
        return

    # Interleaved, so a busy machine slows every variant alike; medians of `repeat` runs.
    measure("components", 1)  # warm the OS file cache and bytecode caches
    runs: dict[str, list[dict]] = {"components": [], "bare": [], "flat_real": []}
    for _ in range(args.repeat):
        runs["components"].append(measure("components", args.agents))
        resources = runs["components"][-1]["resources"]
        runs["bare"].append(measure("bare", resources))
        runs["flat_real"].append(measure("flat_real", resources))
    wall = {mode: statistics.median(r["seconds"] for r in results) for mode, results in runs.items()}
    cpu = {mode: statistics.median(r["cpu"] for r in results) for mode, results in runs.items()}
    peak = {mode: max(r["peak_rss_mb"] for r in results) for mode, results in runs.items()}
    print(f"agents                      {args.agents}")
    print(f"resources registered        {resources} ({resources / args.agents:.2f} per agent, components included)")
    print(f"provider module imports     {statistics.median(r['imports'] for r in runs['components']):.2f} s (once per program, not timed)")
    print(f"{'':28}{'wall s':>9}{'cpu s':>9}{'ms/res':>9}{'peak MB':>9}")
    labels = {"components": "AwsAgents", "bare": "bare plain resources", "flat_real": "flat real aws.iam.Role"}
    for mode, label in labels.items():
        print(f"{label:28}{wall[mode]:9.2f}{cpu[mode]:9.2f}{1000 * wall[mode] / resources:9.2f}{peak[mode]:9.0f}")
    ratio = wall["components"] / wall["bare"]
    print(f"ratio AwsAgents / bare      wall {ratio:.2f}, cpu {cpu['components'] / cpu['bare']:.2f} (goal <= 1.3: {'met' if ratio <= 1.3 else 'MISSED'})")
    print(
        f"ratio AwsAgents / flat real wall {wall['components'] / wall['flat_real']:.2f}, cpu {cpu['components'] / cpu['flat_real']:.2f}"
        " (what the components add over Pulumi's own cost of real AWS resources)"
    )

if __name__ == "__main__":
    main()
