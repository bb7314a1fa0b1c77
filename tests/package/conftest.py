"""The component package as the Pulumi engine drives it: a provider process, GetSchema and Construct over gRPC.

`pulumi package add` and `pulumi up` in a TypeScript/Go/C#/YAML project start the
provider through the Python language host (`python <repo> <engine address>`, the
repository root's `__main__.py`), read its port from the first stdout line, call
`GetSchema` to generate the SDK, and `Construct` for every `new AgentFleet(...)`,
pointing the provider at the engine's ResourceMonitor. Here the monitor is the
gate's own (`agentid.preview.monitor.GateMonitor`): it records every resource the
provider registers, as an engine would, with mock outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from agentid.preview.monitor import GateMonitor, MonitorServer, Registration

REPO = Path(__file__).resolve().parents[2]
PROJECT, STACK = "consumer-ts", "dev"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
FLEET = "agentid:index:AgentFleet"


@dataclass
class Provider:
    stub: provider_pb2_grpc.ResourceProviderStub
    servers: ExitStack  # one gate monitor per Construct, each kept until the provider stops
    monitors: list[GateMonitor] = field(default_factory=list)

    def schema(self) -> dict[str, Any]:
        return json.loads(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60).schema)

    def construct(self, name: str, inputs: dict[str, Any], config: dict[str, str] | None = None,
                  dry_run: bool = True, type_: str = FLEET) -> provider_pb2.ConstructResponse:
        """One `new agentid.AgentFleet(name, inputs)` (or another component) of a consumer program, as the engine sends it.

        Each is its own program run against a fresh monitor (`monitorEndpoint` is per request): the gate's monitor
        refuses a URN registered twice, as the engine does, and two fleets' children share URNs (a URN names the
        parent's type, not its name)."""
        monitor = GateMonitor(PROJECT, STACK)
        monitor.stack_urn = STACK_URN
        server = self.servers.enter_context(MonitorServer(monitor))
        self.monitors.append(monitor)
        message = struct_pb2.Struct()
        message.update(inputs)
        request = provider_pb2.ConstructRequest(
            project=PROJECT, stack=STACK, organization="organization", dryRun=dry_run, parallel=4,
            monitorEndpoint=server.address, type=type_, name=name, parent=STACK_URN, inputs=message,
            config=config or {},
        )
        return self.stub.Construct(request, timeout=120)

    def registered(self) -> list[Registration]:
        """Every resource registered by every Construct so far."""
        return [record for monitor in self.monitors for record in monitor.registered]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The provider process, started from a directory outside the repository (it must not depend on its cwd)."""
    with ExitStack() as servers:
        engine = servers.enter_context(MonitorServer(GateMonitor(PROJECT, STACK)))  # the address it starts with
        process = subprocess.Popen(
            [sys.executable, "-u", str(REPO), engine.address], cwd=tmp_path_factory.mktemp("provider-cwd"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            port = process.stdout.readline().decode().strip()
            assert port.isdigit(), f"the provider printed {port!r} first; stderr: {process.stderr.read().decode()[-2000:]}"
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            yield Provider(provider_pb2_grpc.ResourceProviderStub(channel), servers)
            channel.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
