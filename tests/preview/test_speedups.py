"""Issue 17: the gate's speed-ups change nothing a reviewer sees, and its output order is reproducible.

The speed-ups (`agentid/preview/sdk_speedups.py`: no alias URNs, one-frame stack capture,
no DEBUG log round trips, batched output waits; GC off in the child; in the pack, each
resource decoded once per request, `crossguard.share_property_decoding`) are switched off
with AGENTID_PREVIEW_PLAIN_SDK=1; the same stacks run both ways must register the same
resources, inputs, URNs, parents, dependencies and source positions, and get the same
violations (resource and stack policies) and warnings.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from google.protobuf import struct_pb2
from pulumi.runtime.proto import engine_pb2

from agentid.analyzer_client import to_struct

from agentid.preview import sdk_speedups
from agentid.preview.monitor import SECRET_SIG, SIGNATURE_KEY, GateMonitor, decode, wire
from agentid.preview.program import run_isolated
from agentid.preview.runner import PreviewRequest, run_preview
from agentid.preview.stack_config import find_project, load_stack_config

from .conftest import AGENT_GUARD, copy_project, project_with_every_rule_kind, run_cli


def _record(resources):
    return sorted((r.urn, r.type, r.name, r.parent, r.custom, tuple(sorted(r.dependencies)),
                   json.dumps(r.inputs, sort_keys=True), r.source_file, r.source_line) for r in resources)


def test_the_speed_ups_register_exactly_what_the_plain_sdk_registers(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project = find_project(copy_project(tmp_path))
    config = load_stack_config(project, "dev")
    debug_messages = []
    log = GateMonitor.Log

    def counting(self, request, context):  # the SDK's DEBUG messages: sent only on the plain path
        debug_messages.append(request.severity == engine_pb2.DEBUG)
        return log(self, request, context)

    monkeypatch.setattr(GateMonitor, "Log", counting)
    calls = {"single": 0, "batches": 0}
    single, batches = GateMonitor.RegisterResource, GateMonitor.RegisterResources

    def counted(kind, method):
        def call(self, request, context):
            calls[kind] += 1
            return method(self, request, context)
        return call

    monkeypatch.setattr(GateMonitor, "RegisterResource", counted("single", single))
    monkeypatch.setattr(GateMonitor, "RegisterResources", counted("batches", batches))
    fast = run_isolated(project, "dev", config.values, timeout=300)
    fast_debug, debug_messages[:] = sum(debug_messages), []
    fast_calls = dict(calls)
    calls.update(single=0, batches=0)
    monkeypatch.setenv(sdk_speedups.PLAIN_SDK_ENV, "1")
    plain = run_isolated(project, "dev", config.values, timeout=300)
    # The two runs really took the two paths (the stack itself registers before the speed-ups apply, and
    # directly: every other registration went in batches).
    assert fast_debug <= 1 and sum(debug_messages) > 100
    assert fast_calls["single"] == 1 and 0 < fast_calls["batches"] < len(fast.resources) / 10
    assert calls["batches"] == 0 and calls["single"] == len(plain.resources) + 1
    assert len(fast.resources) > 40 and any(r.type.startswith("azure-native:") for r in fast.resources)
    assert _record(fast.resources) == _record(plain.resources)
    assert fast.outputs == plain.outputs
    # Source positions are still found (the fleet's components declare their resources in components/).
    assert all(r.source_file and r.source_line > 0 for r in fast.resources if r.custom)
    # The packs get the inputs as the program sent them (monitor.wire) where that is what decoding gives back,
    # and encoded from `inputs` everywhere on the plain path.
    forwarded = [r for r in fast.resources if r.wire_inputs is not None]
    assert len(forwarded) > 0.8 * len(fast.resources) and all(r.wire_inputs is None for r in plain.resources)
    assert all(struct_pb2.Struct.FromString(r.wire_inputs) == to_struct(r.inputs) for r in forwarded)


def test_the_speed_ups_give_the_same_violations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project_with_every_rule_kind(tmp_path)
    request = PreviewRequest(stack="dev", pack_dirs=[str(AGENT_GUARD)], start_dir=str(root))

    def verdict():
        result = run_preview(request)
        assert result.error is None, result.error
        return sorted((v.policy, v.urn, v.message, v.enforcement_level) for v in result.violations)

    fast = verdict()
    assert {"AGID-AWS-001", "AGID-AWS-021", "AGID-INV-002"} <= {policy for policy, *_ in fast}
    assert any(urn.endswith("::ops") for policy, urn, *_ in fast if policy == "AGID-AWS-021")
    monkeypatch.setenv(sdk_speedups.PLAIN_SDK_ENV, "1")
    assert fast == verdict()


def test_an_sdk_without_the_shape_relied_on_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime import resource as sdk

    monkeypatch.delattr(sdk, "_get_stack_trace")
    assert sdk_speedups._first_frame_stack_capture() == "pulumi.runtime.resource._get_stack_trace is not there"
    monkeypatch.delattr("pulumi.runtime.register_stack_transformation")
    monkeypatch.delattr("pulumi.log.debug")
    monkeypatch.setattr("pulumi.runtime.stack.asyncio", None)
    monkeypatch.delattr(sdk, "create_urn")
    monkeypatch.delattr("pulumi.runtime.rpc.contains_unknowns")
    monkeypatch.delattr("pulumi.runtime.rpc.transfer_properties")
    monkeypatch.delattr("pulumi.runtime.rpc.serialize_property")
    monkeypatch.delattr("pulumi.runtime.rpc.resolve_outputs")
    monkeypatch.delattr("pulumi.ResourceOptions._copy")
    monkeypatch.delattr("pulumi.runtime.rpc.serialize_properties")
    warnings = sdk_speedups.apply()
    assert len(warnings) == 11 and all("the run is correct but slower" in w for w in warnings)


def test_properties_read_before_and_after_registration_resolve_as_on_the_plain_sdk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Output-only, left-out and set properties get their Output when first read (`_lazy_property_outputs`): read at
    once (pending until the registration answers), read after it, read never; as inputs of further resources."""
    project = find_project(copy_project(tmp_path))
    program = project.root / "stacks" / "__main__.py"
    program.write_text(program.read_text() + textwrap.dedent("""
        import pulumi as _pulumi
        import pulumi_azure_native as _azure
        _SCOPE = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg'
        _READER = '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7'
        _early = _azure.managedidentity.UserAssignedIdentity('early', resource_group_name='rg', location='westeurope')
        _azure.authorization.RoleAssignment('early-reader', principal_id=_early.principal_id, scope=_SCOPE,
                                            principal_type='ServicePrincipal', role_definition_id=_READER)
        def _after(values):
            client_id, tenant_id = values
            _azure.authorization.RoleAssignment('late-reader', principal_id=_early.principal_id, scope=_SCOPE,
                                                principal_type='ServicePrincipal', role_definition_id=_READER,
                                                description=f'{client_id} {tenant_id}')
            return client_id
        _early.urn.apply(lambda _: _pulumi.Output.all(  # the id is unknown at preview: the URN is not
            _early.client_id, _early.tenant_id).apply(_after))
        _azure.managedidentity.UserAssignedIdentity('never-read', resource_group_name='rg', location='westeurope')
        _pulumi.export('unset', {'tenant': _early.tenant_id, 'tags': _early.tags, 'system': _early.system_data,
                                 'name': _early.name, 'location': _early.location,
                                 'dependsOnIdentity': _early.principal_id.apply(lambda v: v is not None)})
        """))
    config = load_stack_config(project, "dev")
    fast = run_isolated(project, "dev", config.values, timeout=300)
    monkeypatch.setenv(sdk_speedups.PLAIN_SDK_ENV, "1")
    plain = run_isolated(project, "dev", config.values, timeout=300)
    assert _record(fast.resources) == _record(plain.resources)
    assert fast.outputs == plain.outputs and fast.outputs["unset"]["dependsOnIdentity"] is True
    assert fast.outputs["unset"]["location"] == "westeurope"  # a set property, its Output built when read
    late = next(r for r in fast.resources if r.name == "late-reader")
    assert late.inputs["principalId"] and late.inputs["description"]
    assert any(r.name == "early-reader" and r.inputs["principalId"] == late.inputs["principalId"]
               for r in fast.resources)


def test_a_property_read_through_pulumi_get_is_one_output_resolved_as_the_sdk_resolves_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import pulumi
    from pulumi import _types
    from pulumi.runtime import rpc

    for module, name in ((rpc, "transfer_properties"), (_types, "get"), (pulumi, "get")):
        monkeypatch.setattr(module, name, getattr(module, name))  # restored after the test
    assert sdk_speedups._lazy_property_outputs() is None

    class Thing(pulumi.Resource):
        def __init__(self) -> None:  # no registration: only the property plumbing
            self._name = "thing"

        # read as generated classes read them; `direct` is read as an attribute (as StackReference.outputs is)
        unset = property(lambda self: pulumi.get(self, "unset"))
        failing = property(lambda self: pulumi.get(self, "failing"))
        never = property(lambda self: pulumi.get(self, "never"))
        given = property(lambda self: pulumi.get(self, "given"))

    async def run() -> list:
        thing = Thing()
        resolvers = rpc.transfer_properties(thing, {"given": 1, "unset": None, "failing": None, "never": None,
                                                    "direct": None}, True)
        assert list(resolvers) == ["given", "unset", "failing", "never", "direct"]  # the SDK's order
        # set or not, a property read through pulumi.get has no Output until it is read
        assert "unset" not in thing.__dict__ and "given" not in thing.__dict__
        assert isinstance(thing.direct, pulumi.Output)  # no property reading it through pulumi.get: made at once
        early = pulumi.get(thing, "unset")  # read before it resolves
        assert pulumi.get(thing, "unset") is early  # one Output a property
        resolvers["unset"]("value", True, False, set(), None)
        resolvers["failing"](None, False, False, None, RuntimeError("registration failed"))
        failing = pulumi.get(thing, "failing")  # read after it resolved (exceptionally)
        resolvers["given"](2, True, False, set(), None)  # the engine's answer, not the value given
        given = thing.given
        with pytest.raises(RuntimeError, match="registration failed"):
            await failing.future()
        return [await early.future(), await early.is_known(), await early.is_secret(), thing in await early.resources(),
                pulumi.get(thing, "missing"), await given.future(), thing in await given.resources()]

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(run()) == ["value", True, False, True, None, 2, True]
    finally:
        loop.close()


def test_the_unknowns_check_answers_as_the_sdks_and_leaves_no_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from pulumi.output import UNKNOWN
    from pulumi.runtime import rpc

    sdk_check = rpc.contains_unknowns
    monkeypatch.setattr(rpc, "contains_unknowns", sdk_check)  # restored after the test
    assert sdk_speedups._acyclic_unknowns_check() is None and rpc.contains_unknowns is not sdk_check
    looped: list = [1]
    looped.append(looped)
    shared = {"x": [1, 2]}
    values = [UNKNOWN, None, 1, "s", [], {}, {"a": [1, {"b": UNKNOWN}]}, {"a": [1, 2], "b": {"c": "d"}}, looped,
              [looped, UNKNOWN], {"one": shared, "two": shared}, [[[[UNKNOWN]]]], ({"in": UNKNOWN},), {"k": (UNKNOWN,)}]
    assert [rpc.contains_unknowns(v) for v in values] == [sdk_check(v) for v in values]
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(100):
            rpc.contains_unknowns({"a": [1, {"b": 2}]})
        assert len(gc.get_objects()) - before < 10  # the SDK's own leaves 100 functions and cells behind here
    finally:
        if enabled:
            gc.enable()


def test_the_plain_mock_urn_is_the_sdks_urn(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from pulumi.runtime import resource as sdk

    original = sdk.create_urn
    assert sdk_speedups._plain_mock_urns() is None
    plain_create_urn = sdk.create_urn
    monkeypatch.setattr(sdk, "create_urn", original)
    assert plain_create_urn is not original
    cases = [("r", "aws:iam/role:Role", "urn:pulumi:dev::proj::agentid:index:AgentFleet$agentid:aws:AgentIdentity::a"),
             ("r", "aws:iam/role:Role", "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"),
             ("r", "aws:iam/role:Role", ""),  # the SDK passes "" for a resource without a parent
             ("r::x", "t", "no-separator")]

    async def both() -> list[tuple[str, str]]:
        answers = [(await original(*case).future(), await plain_create_urn(*case).future()) for case in cases]
        answers.append((await original("n", "t", None, "proj", "dev").future(),
                        await plain_create_urn("n", "t", None, "proj", "dev").future()))
        return answers

    loop = asyncio.new_event_loop()
    try:
        answers = loop.run_until_complete(both())
    finally:
        loop.close()
    assert all(ours == theirs for theirs, ours in answers)
    assert answers[0][0] == "urn:pulumi:dev::proj::agentid:index:AgentFleet$agentid:aws:AgentIdentity$aws:iam/role:Role::r"
    assert answers[-1][0] == "urn:pulumi:dev::proj::t::n"


def test_two_runs_write_byte_for_byte_the_same_reports(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    outputs = []
    for attempt in ("a", "b"):
        run = run_cli(root, "--policy-pack", str(AGENT_GUARD), "--json", f"{attempt}.json", "--sarif",
                      f"{attempt}.sarif", "--junit", f"{attempt}.xml")
        assert run.code in (0, 1), run.stdout
        document = run.json(f"{attempt}.json")
        document.pop("timings")
        outputs.append((json.dumps(document), (root / f"{attempt}.sarif").read_bytes(),
                        (root / f"{attempt}.xml").read_bytes()))
    assert outputs[0] == outputs[1]
    urns = [r["urn"] for r in json.loads(outputs[0][0])["resources"]]
    assert urns == sorted(urns)


def test_warnings_still_reach_the_gate_when_debug_messages_are_dropped(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project(tmp_path)
    program = root / "stacks" / "__main__.py"
    program.write_text(program.read_text() + textwrap.dedent("""
        import pulumi as _pulumi
        _pulumi.log.debug("a debug line the gate drops")
        _pulumi.log.warn("the program's own warning")
        """))
    project = find_project(root)
    config = load_stack_config(project, "dev")
    fast = run_isolated(project, "dev", config.values, timeout=300)
    monkeypatch.setenv(sdk_speedups.PLAIN_SDK_ENV, "1")
    plain = run_isolated(project, "dev", config.values, timeout=300)
    assert fast.warnings == plain.warnings == ["the program's own warning"]


def test_the_batched_output_wait_returns_when_all_are_done_or_at_the_first_failure() -> None:
    import asyncio

    async def scenario():
        never = asyncio.get_running_loop().create_future()
        quick = [asyncio.ensure_future(asyncio.sleep(0)) for _ in range(3)]
        done, pending = await sdk_speedups.all_done_or_first_failure(quick)
        assert done == set(quick) and not pending

        async def fails():
            raise ValueError("boom")

        failing = asyncio.ensure_future(fails())
        done, pending = await sdk_speedups.all_done_or_first_failure([never, failing])
        assert done == {failing} and pending == {never}  # the failure is seen at once, not after `never`
        cancelled = asyncio.ensure_future(asyncio.sleep(60))
        asyncio.get_running_loop().call_soon(cancelled.cancel)
        done, pending = await sdk_speedups.all_done_or_first_failure([never, cancelled])
        assert done == {cancelled} and pending == {never}
        never.cancel()

    loop = asyncio.new_event_loop()  # not asyncio.run: it leaves the main thread with no event loop for later tests
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()


@pytest.mark.parametrize("inputs", [
    {"name": "r", "maxSessionDuration": 3600.0, "tags": {"owner": "a@example.com"}, "empty": {}, "none": None,
     "list": [1.5, True, "x", {"nested": ["y", None]}], "on": False},
    {"statement": "a string that names " + SIGNATURE_KEY + " without being one"},  # conservative: decoded instead
    {"password": {SIGNATURE_KEY: SECRET_SIG, "value": "hunter2"}},
    {"deep": [{"ref": {SIGNATURE_KEY: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x", "id": "i-1"}}]},
])
def test_a_forwarded_property_map_is_exactly_what_decoding_and_encoding_give(inputs) -> None:
    message = struct_pb2.Struct()
    message.update(inputs)
    serialized = message.SerializeToString()
    forwarded = wire(serialized)
    if SIGNATURE_KEY in json.dumps(inputs):
        # a secret or a reference reaches the pack unwrapped (decode); a string naming the key is decoded too
        assert forwarded is None
    else:
        assert struct_pb2.Struct.FromString(forwarded) == to_struct(decode(message))


def test_a_plain_value_serializes_as_the_sdk_serializes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_plain_values_serialized_at_once`: exactly str/bool/int/float/None come back as they are, whatever the hint;
    a str Enum, a list (its element type checked against the hint) and everything else go the SDK's way."""
    import asyncio
    import enum
    from typing import Any, Optional

    import pulumi
    from pulumi.runtime import rpc

    sdk = rpc.serialize_property
    monkeypatch.setattr(rpc, "serialize_property", sdk)  # restored after the test
    assert sdk_speedups._plain_values_serialized_at_once() is None
    fast = rpc.serialize_property
    assert fast is not sdk

    class Kind(str, enum.Enum):
        USER = "User"

    cases = [("text", str), ("text", Optional[pulumi.Input[str]]), (True, bool), (3, int), (2.5, float), (None, str),
             ("text", None), ("text", Any), (7, Optional[str]), (Kind.USER, Kind), (["a", "b"], list[str]),
             ({"k": "v"}, dict[str, str]), ([1, Kind.USER], None)]

    async def both(value: Any, typ: Any) -> tuple:
        results = []
        for serialize in (fast, sdk):
            monkeypatch.setattr(rpc, "serialize_property", serialize)  # the SDK's recursion goes through the module
            try:
                results.append(("ok", await serialize(value, [], "prop", None, None, typ)))
            except (AssertionError, ValueError) as error:
                results.append((type(error).__name__, str(error)))
        return tuple(results)

    loop = asyncio.new_event_loop()
    try:
        for value, typ in cases:
            taken, plain = loop.run_until_complete(both(value, typ))
            assert taken == plain and type(taken[1]) is type(plain[1]), (value, typ)
        # a list given where the hint says str: the SDK's element-type check still raises
        taken, plain = loop.run_until_complete(both(["a"], str))
        assert taken == plain and taken[0] == "AssertionError"
    finally:
        loop.close()


def test_an_answer_resolves_as_the_sdk_resolves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_plain_outputs_translated_at_once`: every property of an engine answer (plain values under plain, Enum and
    int hints, the unknown sentinel, null, lists, maps, output types, secrets, a special object) resolves with the
    same value, knownness and secretness as through the SDK's `resolve_outputs`, in the same order, at preview and
    not; a value the SDK cannot translate raises the same error."""
    import enum
    from typing import Any, Mapping, Optional, Sequence

    from pulumi import _types
    from pulumi.runtime import rpc, settings
    from pulumi_azure_native.authorization import outputs as authorization_outputs

    sdk = rpc.resolve_outputs
    monkeypatch.setattr(rpc, "resolve_outputs", sdk)  # restored after the test
    assert sdk_speedups._plain_outputs_translated_at_once() is None
    fast = rpc.resolve_outputs
    assert fast is not sdk

    class Kind(str, enum.Enum):
        USER = "User"

    hints: dict[str, Any] = {"text": str, "optional": Optional[str], "kind": Kind, "count": int, "ratio": float,
                             "flag": bool, "names": Sequence[str], "tags": Mapping[str, str], "nothing": str,
                             "later": str, "permissions": Sequence[authorization_outputs.PermissionResponse],
                             "badKind": Kind, "secretText": str}
    monkeypatch.setattr(_types, "resource_types", lambda cls: hints)

    class Res:
        _name = "thing"

        def translate_output_property(self, prop: str) -> str:
            return prop

    answer = to_struct({"text": "a", "optional": "b", "kind": "User", "count": 3.0, "ratio": 2.5, "flag": True,
                        "names": ["x", "y"], "tags": {"k": "v"}, "nothing": None, "unhinted": "u",
                        "later": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                        "permissions": [{"actions": ["Microsoft.Web/sites/read"], "notActions": []}],
                        "secretText": {SIGNATURE_KEY: SECRET_SIG, "value": "s"}, "id": "given-id", "urn": "urn:x"})
    inputs = to_struct({"text": "a", "extra": "from inputs"})

    def resolutions(resolve: Any, message: Any, dry_run: bool) -> list:
        monkeypatch.setattr(settings, "is_dry_run", lambda: dry_run)
        calls: list = []
        resolvers = {name: (lambda *args, name=name: calls.append((name, *args[:3])))
                     for name in [*hints, "unhinted", "extra", "missing", "id", "urn"]}
        try:
            resolve(Res(), inputs, message, {}, resolvers, True, True)
        except (AssertionError, ValueError) as error:
            return [type(error).__name__, str(error)]
        return [(name, shown(value), type(value).__name__, known, secret) for name, value, known, secret in calls]

    def shown(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [shown(item) for item in value]
        if isinstance(value, dict):
            return {key: shown(item) for key, item in value.items()}
        if isinstance(value, (str, int, float, bool, type(None))):
            return repr(value)
        return (type(value).__name__, shown(dict(vars(value))) if hasattr(value, "__dict__") else None)

    for dry_run in (True, False):
        plain = resolutions(sdk, answer, dry_run)
        assert resolutions(fast, answer, dry_run) == plain
        assert ("kind", "<Kind.USER: 'User'>", "Kind", True, False) in plain and ("count", "3", "int", True, False) in plain
        assert ("secretText", "'s'", "str", True, True) in plain
    bad = to_struct({"badKind": "Nobody", "text": {"nested": "dict"}})
    assert resolutions(fast, bad, True) == resolutions(sdk, bad, True) and resolutions(sdk, bad, True)[0] in (
        "AssertionError", "ValueError")
    special = to_struct({SIGNATURE_KEY: SECRET_SIG, "value": {"text": "a"}})
    assert resolutions(fast, special, True) == resolutions(sdk, special, True)
    unset = to_struct({"text": "a"})
    unset.fields["optional"].CopyFrom(struct_pb2.Value())  # a Value with no kind: Struct.items() raises
    assert resolutions(fast, unset, True) == resolutions(sdk, unset, True) == ["ValueError", "Value not set"]
    # resolve_missing_as_unknown and the id of a component resource (custom=False) resolve as the SDK resolves them
    for custom, missing_unknown in ((False, True), (False, False)):
        calls = {}
        for name, resolve in (("fast", fast), ("sdk", sdk)):
            got: list = []
            resolve(Res(), inputs, answer, {}, {key: (lambda *args, key=key: got.append((key, shown(args[0]), *args[1:3])))
                                                for key in ("id", "text", "missing")}, custom, True, False,
                    missing_unknown)
            calls[name] = got
        assert calls["fast"] == calls["sdk"] and ("id", "'given-id'", True, False) in calls["sdk"]


def test_resource_options_are_copied_as_copy_copy_copies_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_plain_option_copies`: the same attributes, a new object of the same class; a subclass keeps copy.copy;
    merging gives what it gave."""
    import copy

    import pulumi
    from pulumi.resource_hooks import ResourceHookBinding

    for cls in (pulumi.ResourceOptions, ResourceHookBinding):
        monkeypatch.setattr(cls, "_copy", cls._copy)  # restored after the test
    parent = pulumi.ResourceOptions(protect=True)
    options = pulumi.ResourceOptions(protect=True, aliases=["old"], depends_on=[], ignore_changes=["tags"],
                                     hooks=ResourceHookBinding(), version="1.2.3")
    before = {name: vars(copy.copy(value)) for name, value in (("options", options), ("hooks", options.hooks))}
    merged_before = vars(pulumi.ResourceOptions.merge(parent, options))
    assert sdk_speedups._plain_option_copies() is None
    copied, hooks = options._copy(), options.hooks._copy()
    assert copied is not options and type(copied) is pulumi.ResourceOptions and vars(copied) == before["options"]
    assert hooks is not options.hooks and type(hooks) is ResourceHookBinding and vars(hooks) == before["hooks"]
    merged = vars(pulumi.ResourceOptions.merge(parent, options))
    assert merged.keys() == merged_before.keys() and merged["aliases"] == ["old"] and merged["version"] == "1.2.3"
    def comparable(attributes: dict) -> dict:  # hook bindings have no __eq__: compare their attributes
        return {k: vars(v) if isinstance(v, ResourceHookBinding) else v for k, v in attributes.items() if k != "merge"}

    assert comparable(merged) == comparable(merged_before)

    class Mine(pulumi.ResourceOptions):
        def __copy__(self):
            return "copied my way"

    assert Mine()._copy() == "copied my way"
    # applied again (the SDK's _copy is gone): the plain fallback with a reason
    assert "no longer the plain copy.copy" in sdk_speedups._plain_option_copies()


def test_inputs_serialize_as_the_sdk_serializes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_plain_inputs_serialized_inline`: the same Struct (fields, kinds, order), the same dependency lists, the same
    errors as the SDK's `serialize_properties`, with and without an input type."""
    import asyncio

    import pulumi
    from pulumi.runtime import rpc
    from pulumi_azure_native.authorization import PermissionArgs
    from pulumi_azure_native.authorization import RoleDefinitionArgs

    sdk = rpc.serialize_properties
    monkeypatch.setattr(rpc, "serialize_properties", sdk)  # restored after the test
    assert sdk_speedups._plain_inputs_serialized_inline() is None
    fast = rpc.serialize_properties
    assert fast is not sdk

    async def both(inputs: dict, typ) -> tuple:
        results = []
        for serialize in (fast, sdk):
            deps: dict = {}
            try:
                struct = await serialize(inputs, deps, None, None, typ)
            except (AssertionError, ValueError) as error:
                results.append((type(error).__name__, str(error)))
                continue
            results.append((struct.SerializeToString(deterministic=True), list(struct.fields),
                            [(struct.fields[k].WhichOneof("kind")) for k in struct.fields],
                            {k: len(v) for k, v in deps.items()}))
        return tuple(results)

    async def run() -> None:
        known = pulumi.Output.from_input("from-an-output")
        cases = [
            ({"role_name": "r", "scope": "/s", "description": None, "role_type": "CustomRole",
              "assignable_scopes": ["/s"], "permissions": [PermissionArgs(actions=["a/read"], data_actions=[])],
              "role_definition_id": known}, RoleDefinitionArgs),
            ({"text": "a", "flag": True, "count": 3, "ratio": 2.5, "nothing": None, "items": ["x", 1, False],
              "mapping": {"k": "v", "n": None}, "output": known}, None),
            ({"bad": object()}, None),
            ({"scope": ["not", "a", "str"]}, RoleDefinitionArgs),
        ]
        for inputs, typ in cases:
            taken, plain = await both(inputs, typ)
            assert taken == plain, inputs
        taken, _ = await both(cases[0][0], cases[0][1])
        assert {"roleName", "scope", "roleDefinitionId", "permissions"} <= set(taken[1]) and "description" not in taken[1]
        assert (await both(cases[2][0], None))[0][0] == "ValueError"

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
