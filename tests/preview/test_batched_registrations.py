"""Issue 17: the program's child answers registrations itself and hands them to the gate in batches.

`sdk_speedups.BatchingMonitor` gives the SDK the answer the gate's monitor would give (URN,
mock id, outputs) and sends the requests over `BATCH_METHOD`; the gate checks and records
each one as a single `RegisterResource` (`GateMonitor.RegisterResources`). These tests hold
the two to the same answers, show that what the child claims is re-checked (URN, duplicate,
parent, a stack inside a batch, a malformed batch), that the plain `RegisterResource` path
gets the same parent and duplicate checks, and that a missing helper falls back to the SDK's
own monitor with a reason. The whole-stack equivalence is tests/preview/test_speedups.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import resource_pb2, resource_pb2_grpc

from agentid import mock_provider
from agentid.preview import property_values, sdk_speedups
from agentid.preview.monitor import GateMonitor, MonitorServer

ROLE = "aws:iam/role:Role"
FLEET = "agentid:index:AgentFleet"
STACK_URN = "urn:pulumi:dev::kit::pulumi:pulumi:Stack::kit-dev"


class Refused(Exception):
    pass


class Context:
    def abort(self, code, details):
        raise Refused(code, details)


def _request(name: str, type_: str = ROLE, parent: str = "", custom: bool = True,
             inputs: dict | None = None) -> resource_pb2.RegisterResourceRequest:
    message = struct_pb2.Struct()
    message.update(inputs or {})
    return resource_pb2.RegisterResourceRequest(type=type_, name=name, parent=parent, custom=custom, object=message)


def _stack(monitor: GateMonitor) -> str:
    return monitor.RegisterResource(resource_pb2.RegisterResourceRequest(type="pulumi:pulumi:Stack", name="kit-dev"),
                                    Context()).urn


def test_the_child_answers_as_the_gate_and_the_gate_records_the_same() -> None:
    direct = GateMonitor("kit", "dev")
    batched_gate = GateMonitor("kit", "dev")
    with MonitorServer(batched_gate) as server:
        channel = grpc.insecure_channel(server.address)
        child = sdk_speedups.BatchingMonitor(channel, resource_pb2_grpc.ResourceMonitorStub(channel), resource_pb2,
                                             property_values, mock_provider, "kit", "dev", batch_size=2)
        stack = child.RegisterResource(resource_pb2.RegisterResourceRequest(type="pulumi:pulumi:Stack", name="kit-dev"))
        assert stack.urn == _stack(direct) == STACK_URN
        fleet = _request("fleet", FLEET, parent=STACK_URN, custom=False, inputs={"agents": 2.0})
        answers = [(child.RegisterResource(fleet), direct.RegisterResource(fleet, Context()))]
        role = _request("a-role", parent=answers[0][0].urn, inputs={"name": "agent-a", "maxSessionDuration": 3600.0})
        answers.append((child.RegisterResource(role), direct.RegisterResource(role, Context())))
        key = _request("ci-key", "aws:iam/accessKey:AccessKey", parent=STACK_URN, inputs={"user": "ci"})
        answers.append((child.RegisterResource(key), direct.RegisterResource(key, Context())))
        # two sent at the batch size, the third waits for the next call the gate serves
        assert [r.name for r in batched_gate.registered] == ["fleet", "a-role"]
        child.RegisterResourceOutputs(resource_pb2.RegisterResourceOutputsRequest(urn=STACK_URN))
        channel.close()
    for ours, gates in answers:
        assert ours == gates
    assert answers[1][0].urn == "urn:pulumi:dev::kit::agentid:index:AgentFleet$aws:iam/role:Role::a-role"
    assert answers[1][0].id == "agent-a"  # the mock provider's id of a role: its name
    assert [(r.urn, r.parent, r.inputs, r.id, r.custom) for r in batched_gate.registered] == \
        [(r.urn, r.parent, r.inputs, r.id, r.custom) for r in direct.registered]
    assert batched_gate.stack_outputs_registered and not batched_gate.refusals


def _batch(*entries: tuple[str, resource_pb2.RegisterResourceRequest]) -> bytes:
    return sdk_speedups.write_batch([(sdk_speedups.REGISTER, urn, request.SerializeToString())
                                     for urn, request in entries])


def _refusal(monitor: GateMonitor, batch: bytes) -> str:
    with pytest.raises(Refused) as refused:
        monitor.RegisterResources(batch, Context())
    assert refused.value.args[0] == grpc.StatusCode.FAILED_PRECONDITION
    return monitor.refusals[-1]


def test_the_gate_rechecks_what_the_child_claims() -> None:
    monitor = GateMonitor("kit", "dev")
    _stack(monitor)
    role_urn = "urn:pulumi:dev::kit::aws:iam/role:Role::r"
    monitor.RegisterResources(_batch((role_urn, _request("r", parent=STACK_URN))), Context())
    assert [r.urn for r in monitor.registered] == [role_urn]
    # a URN other than the engine's: children named under it would hang off a resource the gate never recorded
    assert "answered its registration with URN 'urn:pulumi:dev::kit::aws:iam/role:Role::other'" in _refusal(
        monitor, _batch(("urn:pulumi:dev::kit::aws:iam/role:Role::other", _request("s", parent=STACK_URN))))
    assert _refusal(monitor, _batch((role_urn, _request("r", parent=STACK_URN)))) == \
        f"duplicate resource URN {role_urn!r}; give the resource a unique name"
    ghost = "urn:pulumi:dev::kit::agentid:index:AgentFleet::ghost"
    assert _refusal(monitor, _batch((f"urn:pulumi:dev::kit::agentid:index:AgentFleet$aws:iam/role:Role::c",
                                     _request("c", parent=ghost)))) == \
        f"resource c (aws:iam/role:Role) names a resource this run never registered or read (parent {ghost!r}): a " \
        "URN the program made up (a Resource object it never registered) is no provenance the gate can judge"
    assert "registered its stack inside a batch" in _refusal(monitor, _batch(
        (STACK_URN, resource_pb2.RegisterResourceRequest(type="pulumi:pulumi:Stack", name="kit-dev"))))
    assert "unreadable batch of registrations (truncated)" in _refusal(monitor, _batch((role_urn, _request("x")))[:-3])
    assert "unknown entry kind b'X'" in _refusal(monitor, b"X\x00\x00\x00\x00")
    # an unknown type token is refused in a batch exactly as in a single registration
    assert "unknown type token aws:iam/rolez:Rolez" in _refusal(
        monitor, _batch(("urn:pulumi:dev::kit::aws:iam/rolez:Rolez::z", _request("z", "aws:iam/rolez:Rolez"))))
    assert [r.urn for r in monitor.registered] == [role_urn]


def test_a_single_registration_gets_the_same_parent_and_duplicate_checks() -> None:
    monitor = GateMonitor("kit", "dev")
    _stack(monitor)
    monitor.RegisterResource(_request("r", parent=STACK_URN), Context())
    with pytest.raises(Refused):
        monitor.RegisterResource(_request("r"), Context())  # no parent: the stack's child, the same URN
    with pytest.raises(Refused):
        monitor.RegisterResource(_request("c", parent="urn:pulumi:dev::kit::agentid:index:AgentFleet::ghost"),
                                 Context())
    assert monitor.refusals[0].startswith("duplicate resource URN")
    assert "never registered or read (parent 'urn:pulumi:dev::kit::agentid:index:AgentFleet::ghost')" \
        in monitor.refusals[1]
    # a resource the program read (Resource.get) may parent others
    read = monitor.ReadResource(resource_pb2.ReadResourceRequest(type=ROLE, name="existing", id="existing"), Context())
    monitor.RegisterResource(_request("under-read", "aws:iam/rolePolicy:RolePolicy", parent=read.urn), Context())
    assert [r.name for r in monitor.registered] == ["r", "under-read"]


def test_every_urn_a_request_names_must_be_one_the_monitor_issued() -> None:
    """red23 r20-3: a URN in any resource-naming field (a Resource object the program never registered) is refused,
    on registrations, reads, invokes and calls alike; the stack, registered, read and provider URNs are accepted."""
    monitor = GateMonitor("kit", "dev")
    _stack(monitor)
    role = monitor.RegisterResource(_request("r"), Context()).urn
    read = monitor.ReadResource(resource_pb2.ReadResourceRequest(type=ROLE, name="existing", id="existing"),
                                Context()).urn
    provider = monitor.RegisterResource(_request("p", "pulumi:providers:aws"), Context()).urn
    ghost = "urn:pulumi:dev::kit::pulumi:pulumi:StackReference::organization/kit/platform"
    honest = _request("ok", "aws:iam/rolePolicy:RolePolicy", parent=STACK_URN)
    honest.dependencies.extend([role, read, STACK_URN])
    honest.propertyDependencies["role"].urns.extend([role])
    honest.provider = f"{provider}::some-id"
    honest.deletedWith = read
    monitor.RegisterResource(honest, Context())
    forged = []
    for field, forge in [
        ("dependencies", lambda r: r.dependencies.append(ghost)),
        ("propertyDependencies['role']", lambda r: r.propertyDependencies["role"].urns.extend([role, ghost])),
        ("provider", lambda r: setattr(r, "provider", f"{ghost}::id")),
        ("providers['aws']", lambda r: r.providers.__setitem__("aws", f"{ghost}::id")),
        ("deletedWith", lambda r: setattr(r, "deletedWith", ghost)),
        ("replace_with", lambda r: r.replace_with.append(ghost)),
        ("parent", lambda r: setattr(r, "parent", "urn:pulumi:dev::kit::pulumi:pulumi:Stack::other")),
    ]:
        request = _request(f"x-{len(forged)}", "aws:iam/rolePolicy:RolePolicy")
        forge(request)
        with pytest.raises(Refused):
            monitor.RegisterResource(request, Context())
        forged.append(field)
    with pytest.raises(Refused):
        monitor.ReadResource(resource_pb2.ReadResourceRequest(type=ROLE, name="read-x", id="x", dependencies=[ghost]),
                             Context())
    with pytest.raises(Refused):
        monitor.Invoke(resource_pb2.ResourceInvokeRequest(tok="aws:index/getCallerIdentity:getCallerIdentity",
                                                          dependsOn=[ghost]), Context())
    assert [r.name for r in monitor.registered] == ["r", "p", "ok"]
    assert len(monitor.refusals) == len(forged) + 2
    for field, refusal in zip([*forged, "dependencies", "dependsOn"], monitor.refusals):
        assert "names a resource this run never registered or read (" in refusal, refusal
        assert f"{field} 'urn:pulumi:dev::kit::pulumi:pulumi:" in refusal, (field, refusal)


def test_batch_entries_round_trip_and_a_bad_one_is_refused() -> None:
    entries = [(sdk_speedups.REGISTER, "urn:pulumi:dev::kit::t::ü", b"\x00\x01"),
               (sdk_speedups.OUTPUTS, "", b"")]
    assert sdk_speedups.read_batch(sdk_speedups.write_batch(entries)) == entries
    assert sdk_speedups.read_batch(b"") == []
    with pytest.raises(ValueError, match="truncated"):
        sdk_speedups.read_batch(b"R\x00\x00\x00\x05ab")
    with pytest.raises(ValueError, match="not UTF-8"):
        sdk_speedups.read_batch(b"R\x00\x00\x00\x01\xff\x00\x00\x00\x00")


def test_without_its_helpers_the_child_keeps_the_sdks_own_monitor(tmp_path: Path) -> None:
    """The language host then configures the SDK with the address (one round trip a registration) and warns."""
    shutil.copyfile(Path(sdk_speedups.__file__), tmp_path / "sdk_speedups.py")  # property_values.py is not beside it
    alone = sdk_speedups._load(str(tmp_path / "sdk_speedups.py"), "speedups_alone")
    monitor, problem = alone.batching_monitor("unix:/nowhere/monitor.sock", "kit", "dev")
    assert monitor == "unix:/nowhere/monitor.sock"
    assert problem.startswith("the gate's answer helpers are not beside the language host")
    shutil.copyfile(Path(property_values.__file__), tmp_path / "property_values.py")
    shutil.copyfile(Path(mock_provider.__file__), tmp_path / "mock_provider.py")
    monitor, problem = alone.batching_monitor("unix:/nowhere/monitor.sock", "kit", "dev")
    # the batching client, named as the SDK's stub (red14 r14-11: the program sees the engine's class)
    assert problem is None and isinstance(monitor, alone.BatchingMonitor)
    assert (type(monitor).__module__, type(monitor).__qualname__) == (
        "pulumi.runtime.proto.resource_pb2_grpc", "ResourceMonitorStub")


def test_the_plain_sdk_switch_turns_batching_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdk_speedups.PLAIN_SDK_ENV, "1")
    assert sdk_speedups.batching_monitor("unix:/x", "kit", "dev") == ("unix:/x", None)
