"""Benchmark: the AWS components for N generated agents under Pulumi mocks, against bare Pulumi mocks.

    /work/venv/bin/python bench/bench_aws_components.py [--agents 500] [--repeat 3]

Prints resources per agent, wall time, peak memory (each run in a fresh
process, so peak RSS is that run's own) and the ratio of the components' wall
time to bare mocks registering the same number of plain resources. Goal: <= 1.3.
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
    from components.spec import Agent

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
    from components.aws.fleet import AwsAgents, AwsSettings

    import pulumi_aws as aws

    # pulumi_aws loads each service module on first use: load them before timing (a fixed cost per
    # program, reported apart) so the ratio compares the per-resource work.
    start = time.perf_counter()
    _ = (aws.iam.Role, aws.eks.PodIdentityAssociation, aws.rolesanywhere.Profile, aws.cognito.UserPoolClient, aws.get_region_output)
    imports = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        agents = generate_agents(count, Path(tmp))
        settings = AwsSettings(agents_dir=tmp)
        start = time.perf_counter()
        run = run_program(lambda: AwsAgents("aws", agents, settings))
        seconds = time.perf_counter() - start
    return {"resources": len(run.resources), "seconds": seconds, "imports": imports}


def run_bare(count: int) -> dict:
    """`count` plain resources with two small inputs each: the cheapest registration Pulumi offers."""
    import pulumi

    from agentid.mock_engine import run_program

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource("bench:index:Plain", f"plain-{i}", {"name": f"plain-{i}", "tags": {"agent": "x"}})

    start = time.perf_counter()
    run = run_program(program)
    seconds = time.perf_counter() - start
    return {"resources": len(run.resources), "seconds": seconds}


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

    start = time.perf_counter()
    run = run_program(program)
    seconds = time.perf_counter() - start
    return {"resources": len(run.resources), "seconds": seconds}


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

    components = [measure("components", args.agents) for _ in range(args.repeat)]
    resources = components[0]["resources"]
    bare = [measure("bare", resources) for _ in range(args.repeat)]
    flat = [measure("flat_real", resources) for _ in range(args.repeat)]
    comp_s = statistics.median(r["seconds"] for r in components)
    bare_s = statistics.median(r["seconds"] for r in bare)
    flat_s = statistics.median(r["seconds"] for r in flat)
    print(f"agents                      {args.agents}")
    print(f"resources registered        {resources} ({resources / args.agents:.2f} per agent, components included)")
    print(f"components wall time        {comp_s:.2f} s (median of {args.repeat}; {1000 * comp_s / resources:.2f} ms/resource)")
    print(f"bare mocks wall time        {bare_s:.2f} s for {resources} plain resources ({1000 * bare_s / resources:.2f} ms/resource)")
    print(f"provider module imports     {statistics.median(r['imports'] for r in components):.2f} s (once per program, not timed above)")
    print(f"components peak RSS         {max(r['peak_rss_mb'] for r in components):.0f} MB")
    print(f"bare mocks peak RSS         {max(r['peak_rss_mb'] for r in bare):.0f} MB")
    print(f"flat real aws.iam.Role      {flat_s:.2f} s for {resources} roles, no components ({1000 * flat_s / resources:.2f} ms/resource)")
    ratio = comp_s / bare_s
    print(f"ratio components / bare     {ratio:.2f} (goal <= 1.3: {'met' if ratio <= 1.3 else 'MISSED'})")
    print(f"ratio components / flat     {comp_s / flat_s:.2f} (the components' overhead over Pulumi's own cost of real AWS resources)")


if __name__ == "__main__":
    main()
