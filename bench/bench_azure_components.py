"""Benchmark: the Azure components for 500 generated agents under Pulumi mocks, against bare mocks.

Prints resources per agent, wall time, peak memory, and the ratio of the
components' wall time to a bare program registering the same number of plain
resources through the same mock engine (goal: at most 1.3). Each measurement
runs in a fresh interpreter so peak memory (ru_maxrss) belongs to it alone.

    python bench/bench_azure_components.py [--agents 500] [--repeat 3]

It also registers the same provider resources flat (no components), to separate what the components add
from the providers' own SDK cost, and runs the components and the bare program again as `agentid preview`
runs every program: the collector off, provider packages imported lazily, and the SDK speed-ups on
(`agentid/preview/sdk_speedups.py`: no alias URNs, one-frame stack capture, batched output waits, properties'
Outputs built on first read, plain values serialized without their type hints): "components (gate SDK)" against "bare mocks (gate SDK)" is the ratio
the offline gate pays (issue 17 goal: at most 2). `--measure components-child --agents N` and `--measure bare-child
--agents N` are the same two runs with the registrations answered as the gate's program child answers them
(`sdk_speedups.BatchingMonitor`: the URN, the mock provider's outputs and the output state computed in the child, the
requests sent on in batches, here to a counter) instead of by the SDK's `MockMonitor` (which deserializes each
request's properties and serializes the answer again on an event loop of its own in the executor thread). `--measure components-without-aliases --agents N` is a diagnostic: the
same run with azure-native's versioned type aliases dropped.
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

SUB = "11111111-2222-3333-4444-555555555555"
CONFIG = {"azureResourceGroup": "rg-agents-bench", "azureLocation": "westeurope"}


def generated_agent(index: int) -> dict:
    """An Azure agent of the dev stack's shapes: a data-plane tool on one container, a control-plane tool on one
    resource group, GitHub + Kubernetes trust; every third agent also calls an API through Entra OAuth."""
    name = f"agent-{index:04d}"
    rg = f"/subscriptions/{SUB}/resourceGroups/rg-{index % 20}"
    tools = [
        {"name": "write-blob", "azure": {
            "data_actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                             "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"],
            "scope": f"{rg}/providers/Microsoft.Storage/storageAccounts/st{index}/blobServices/default/containers/c{index}"}},
        {"name": "read-sites", "azure": {"actions": ["Microsoft.Web/sites/read", "Microsoft.Web/sites/config/read"], "scope": rg}},
    ]
    if index % 3 == 0:
        tools.append({"name": "mcp", "oauth": {"audience": f"https://mcp{index % 5}.example.com",
                                               "scopes": ["tickets.read", f"tickets.team{index % 4}"], "provider": "entra"}})
    trust = [
        {"github_actions": {"repository": f"example-org/repo-{index}", "branch": "main"}},
        {"kubernetes": {"issuer": "https://aks.oidc.example.net/tenant/issuer/", "namespace": "agents", "service_account": name}},
    ]
    return {"name": name, "owner": f"team-{index % 25}", "purpose": "Generated for the benchmark.", "environment": "dev",
            "review_by": "2030-01-01", "tools": tools, "trust": trust}


def _gate_sdk() -> None:
    """The program run as `agentid preview` runs it (`agentid.preview.program._child`): the collector off, and
    the SDK speed-ups applied inside the running stack."""
    import gc

    from agentid.preview import sdk_speedups

    gc.disable()
    problems = sdk_speedups.apply()
    if problems:
        raise SystemExit("; ".join(problems))


def _gate_imports() -> None:
    """Provider packages loaded as the gate's program child loads them (`language_host`: lazily, installed before
    the program imports anything), so "the gate's way" is the child's way in this too (at 300 agents, two runs each
    way, the CPU was the same within the noise: 2.41-2.61 s lazily, 2.49-2.56 s eagerly)."""
    from agentid.preview import sdk_speedups

    problem = sdk_speedups.lazy_provider_imports()
    if problem:
        raise SystemExit(problem)


class _CountingChannel:
    """The gate's side of `BatchingMonitor`'s batches in this process: counts the registrations each batch carries
    (the gate records them in its own process)."""

    def __init__(self) -> None:
        self.registrations = 0

    def unary_unary(self, method: str):
        from agentid.preview import sdk_speedups

        def send(batch: bytes) -> bytes:
            self.registrations += sum(kind == sdk_speedups.REGISTER for kind, _, _ in sdk_speedups.read_batch(batch))
            return b""
        return send


def _child_front(channel: _CountingChannel):
    """The monitor the gate's program child talks to, in front of the mock engine's recording monitor (which still
    answers the stack's own registration, invokes and the stack's outputs, as the gate does)."""
    from pulumi.runtime.proto import resource_pb2

    from agentid import mock_provider
    from agentid.preview import property_values, sdk_speedups

    def front(recording):
        return sdk_speedups.BatchingMonitor(channel, recording, resource_pb2, property_values, mock_provider,
                                            "agent-identity-kit", "dev")
    return front


def _components_run(agents: int, gate_sdk: bool = False, child_monitor: bool = False):
    if gate_sdk:
        _gate_imports()
    import pulumi

    from agentid.mock_engine import run_program
    from agentid_components.azure.fleet import AzureAgents, AzureSettings
    from agentid_components.spec import Agent

    models = [Agent.model_validate(generated_agent(index)) for index in range(agents)]

    def program() -> None:
        if gate_sdk:
            _gate_sdk()
        fleet = AzureAgents("azure", models, AzureSettings.from_config())
        pulumi.export("inventory", fleet.inventory)

    channel = _CountingChannel()
    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program, config=CONFIG, front=_child_front(channel) if child_monitor else None)
    timing = {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}
    assert len(run.outputs["inventory"]) == agents
    return timing, run, len(run.resources) + channel.registrations


def measure_components(agents: int, gate_sdk: bool = False, child_monitor: bool = False) -> dict:
    timing, _, resources = _components_run(agents, gate_sdk, child_monitor)
    return {**timing, "resources": resources, "maxrss_kb": _maxrss_kb()}


def measure_bare(count: int, gate_sdk: bool = False, child_monitor: bool = False) -> dict:
    if gate_sdk:
        _gate_imports()
    import pulumi

    from agentid.mock_engine import run_program

    class Plain(pulumi.CustomResource):
        def __init__(self, name: str, index: int) -> None:
            super().__init__("bench:index:Plain", name, {"index": index, "label": f"plain-{index}"})

    def program() -> None:
        if gate_sdk:
            _gate_sdk()
        for index in range(count):
            Plain(f"plain-{index}", index)

    channel = _CountingChannel()
    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program, front=_child_front(channel) if child_monitor else None)
    timing = {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}
    return {**timing, "resources": len(run.resources) + channel.registrations, "maxrss_kb": _maxrss_kb()}


def measure_flat(agents: int) -> dict:
    """The same provider resources with the same inputs, registered flat: no components, parents,
    dependencies or inventory outputs. Separates the providers' own SDK cost from the components' cost."""
    import re

    import pulumi_azuread as azuread
    from pulumi_azure_native import authorization, managedidentity

    from agentid.mock_engine import run_program

    classes = {
        "azure-native:managedidentity:UserAssignedIdentity": managedidentity.UserAssignedIdentity,
        "azure-native:managedidentity:FederatedIdentityCredential": managedidentity.FederatedIdentityCredential,
        "azure-native:authorization:RoleDefinition": authorization.RoleDefinition,
        "azure-native:authorization:RoleAssignment": authorization.RoleAssignment,
        "azuread:index/application:Application": azuread.Application,
        "azuread:index/servicePrincipal:ServicePrincipal": azuread.ServicePrincipal,
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential":
            azuread.ApplicationFederatedIdentityCredential,
        "azuread:index/applicationCertificate:ApplicationCertificate": azuread.ApplicationCertificate,
        "azuread:index/appRoleAssignment:AppRoleAssignment": azuread.AppRoleAssignment,
    }
    recorded = _components_run(agents)[1]
    registrations = []
    for record in recorded.resources:
        if record.type not in classes:
            continue  # the components themselves
        kwargs = {("resource_name_" if key == "resourceName" else re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()): value
                  for key, value in record.inputs.items()}
        registrations.append((classes[record.type], record.name, kwargs))

    def program() -> None:
        for cls, name, kwargs in registrations:
            cls(name, **kwargs)

    start, cpu = time.perf_counter(), time.process_time()
    run = run_program(program)
    timing = {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}
    return {**timing, "resources": len(run.resources), "maxrss_kb": _maxrss_kb()}


def measure_components_without_aliases(agents: int) -> dict:
    """Diagnostic only: the components with the providers' versioned type aliases dropped.

    azure-native classes add 4-9 `Alias(type_=...v2023...)` options each, and the Pulumi Python SDK turns
    every alias into an alias URN (a chain of Outputs) as soon as a resource is constructed. This run
    shows what that costs; the components never drop aliases.
    """
    import pulumi

    merge = pulumi.ResourceOptions.merge

    def merge_without_aliases(first, second):
        if second is not None and second.aliases and all(
            isinstance(alias, pulumi.Alias) for alias in second.aliases
        ):
            second = pulumi.ResourceOptions()
        return merge(first, second)

    pulumi.ResourceOptions.merge = staticmethod(merge_without_aliases)
    return measure_components(agents)


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def _in_subprocess(mode: str, count: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", mode, "--agents", str(count)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", choices=["components", "bare", "flat", "components-without-aliases",
                                              "components-gate", "bare-gate", "components-child", "bare-child"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure = {
            "components": measure_components,
            "bare": measure_bare,
            "flat": measure_flat,
            "components-without-aliases": measure_components_without_aliases,
            "components-gate": lambda agents: measure_components(agents, gate_sdk=True),
            "bare-gate": lambda count: measure_bare(count, gate_sdk=True),
            "components-child": lambda agents: measure_components(agents, gate_sdk=True, child_monitor=True),
            "bare-child": lambda count: measure_bare(count, gate_sdk=True, child_monitor=True),
        }[args.measure]
        print(json.dumps(measure(args.agents)))
        return

    # interleaved, so a busy machine slows every kind alike
    runs: dict[str, list[dict]] = {"components": [], "flat": [], "bare": [], "components-gate": [], "bare-gate": [],
                                   "components-child": [], "bare-child": []}
    for _ in range(args.repeat):
        runs["components"].append(_in_subprocess("components", args.agents))
        runs["flat"].append(_in_subprocess("flat", args.agents))
        runs["bare"].append(_in_subprocess("bare", runs["components"][0]["resources"]))
        runs["components-gate"].append(_in_subprocess("components-gate", args.agents))
        runs["bare-gate"].append(_in_subprocess("bare-gate", runs["components"][0]["resources"]))
        runs["components-child"].append(_in_subprocess("components-child", args.agents))
        runs["bare-child"].append(_in_subprocess("bare-child", runs["components"][0]["resources"]))
    figures = {
        kind: {
            "resources": results[0]["resources"],
            "wall": statistics.median(r["wall"] for r in results),
            "cpu": statistics.median(r["cpu"] for r in results),
            "rss_mb": max(r["maxrss_kb"] for r in results) / 1024,  # flat: includes the run it replays
        }
        for kind, results in runs.items()
    }
    components, flat, bare = figures["components"], figures["flat"], figures["bare"]
    gate, bare_gate = figures["components-gate"], figures["bare-gate"]
    child, bare_child = figures["components-child"], figures["bare-child"]
    resources = components["resources"]
    print(f"Azure components, {args.agents} generated agents (median of {args.repeat} runs, fresh interpreter each):")
    print(f"  resources registered: {resources} = {resources / args.agents:.2f} per agent (the components included)")
    for label, kind in (
        ("components (AzureAgents)", components),
        ("same provider resources, flat", flat),
        ("bare mocks, plain resources", bare),
        ("components (gate SDK)", gate),
        ("bare mocks (gate SDK)", bare_gate),
        ("components (gate SDK, child)", child),
        ("bare mocks (gate SDK, child)", bare_child),
    ):
        print(f"  {label:31s} {kind['resources']:6d} resources  wall {kind['wall']:7.2f} s  cpu {kind['cpu']:7.2f} s  "
              f"{kind['wall'] / kind['resources'] * 1000:6.2f} ms/resource  peak RSS {kind['rss_mb']:5.0f} MB")
    print(f"  ratio components / bare plain resources: wall {components['wall'] / bare['wall']:.2f}, "
          f"cpu {components['cpu'] / bare['cpu']:.2f}, peak memory {components['rss_mb'] / bare['rss_mb']:.2f}  [goal <= 1.3]")
    print(f"  ratio components (gate SDK) / bare mocks (gate SDK): wall {gate['wall'] / bare_gate['wall']:.2f}, "
          f"cpu {gate['cpu'] / bare_gate['cpu']:.2f}, peak memory {gate['rss_mb'] / bare_gate['rss_mb']:.2f}; "
          f"/ bare mocks (plain SDK): wall {gate['wall'] / bare['wall']:.2f}, cpu {gate['cpu'] / bare['cpu']:.2f}  "
          "[issue 17 goal <= 2]")
    print(f"  ratio components / bare mocks, both answered as the gate's program child answers: "
          f"wall {child['wall'] / bare_child['wall']:.2f}, cpu {child['cpu'] / bare_child['cpu']:.2f}, "
          f"peak memory {child['rss_mb'] / bare_child['rss_mb']:.2f}  [issue 17 goal <= 2]")
    print(f"  ratio components / the same provider resources flat: wall {components['wall'] / flat['wall']:.2f}, "
          f"cpu {components['cpu'] / flat['cpu']:.2f}  (what the components themselves add)")

if __name__ == "__main__":
    main()
