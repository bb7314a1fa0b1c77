"""Cloaking by the engine channel's class (red14 r14-11): under `agentid preview` the SDK's monitor was the gate's
`pulumi_language_python_speedups.BatchingMonitor`, under `pulumi up` the SDK's
`pulumi.runtime.proto.resource_pb2_grpc.ResourceMonitorStub`; a program granting `s3:GetObject` when it saw the
gate's class and `*` on `*` otherwise passed. The gate's monitor now carries the SDK class's names and is an
instance of it, so the program's check takes the `pulumi up` branch and the grant it would deploy is judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''import json, pulumi, pulumi_aws as aws
from pulumi.runtime import settings
from pulumi.runtime.proto import resource_pb2_grpc
monitor = type(settings.SETTINGS.monitor)
under_gate = ("speedups" in monitor.__module__ or "Batching" in monitor.__name__
              or monitor.__qualname__ != "ResourceMonitorStub"
              or monitor.__module__ != "pulumi.runtime.proto.resource_pb2_grpc"
              or not isinstance(settings.SETTINGS.monitor, resource_pb2_grpc.ResourceMonitorStub))
pulumi.export("seen", f"{monitor.__module__}.{monitor.__qualname__}")
actions = "s3:GetObject" if under_gate else "*"
r = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("p", role=r.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
'''


def test_the_program_sees_the_sdks_monitor_class(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["outputs"]["seen"] == "pulumi.runtime.proto.resource_pb2_grpc.ResourceMonitorStub", run.stdout
    # the `pulumi up` branch ran: its `*` on `*` is what the gate judged
    assert ("AGID-AWS-010", "p", "mandatory") in {(v["policy"], v["resourceName"], v["enforcementLevel"])
                                                  for v in document["violations"]}, run.stdout
    assert run.code == 1, run.stdout
