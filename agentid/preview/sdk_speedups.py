"""Costs of the Pulumi Python SDK that judging a plan does not need, taken off in the gate's program run only.

Issue 17 profiled `agentid preview` at 1,000 agents: besides the garbage collector
(off in the child, see `program._child`), three SDK costs are per resource and buy
nothing for a verdict:

* **Alias URNs.** Every pulumi_azure_native class declares 4-9 versioned aliases
  (`ResourceOptions.aliases`), and `Resource.__init__` turns each into a URN
  Output at once (`collapse_alias_to_urn`). Aliases let `pulumi up` match a renamed
  resource to its old state; a preview judged offline has no state to match. A
  *stack transformation* (public API: `pulumi.runtime.register_stack_transformation`,
  run before the aliases are read) drops them: the SDK classes' own (type-only) aliases; any alias the program
  writes (a URN, a name, a stack, a project, a parent) is sent and judged (AGID-GATE-003).
* **The call stack at every registration.** `pulumi.runtime.resource._get_stack_trace`
  calls `traceback.extract_stack()`, which formats every frame and reads its source
  line, only for the engine to take the first frame as the resource's source
  position. `_first_frame_stack_trace` finds that same frame by walking the frames,
  and sends it alone.
* **Debug log messages.** The SDK sends the engine 3-4 DEBUG `Log` calls per
  resource ("registering resource ...", "resource registration successful ..."),
  each a blocking gRPC round trip, one of them on the program's event loop:
  half the program's wall time at 1,000 agents. The engine prints DEBUG only
  at `-v` levels and the gate's `Engine.Log` keeps only warnings and errors
  (`monitor.GateMonitor.Log`), so `pulumi.log.debug` returns at once. Warnings
  and errors still go to the gate.
* **Waiting for outstanding outputs.** `pulumi.runtime.stack.wait_for_rpcs` waits
  for the program's outstanding Output tasks with `asyncio.wait(FIRST_COMPLETED)`
  over all of them, again after each completion: every round adds and removes a
  callback on each pending task, so the wait costs (pending tasks x completions),
  a quarter of the program's CPU at 1,000 agents. Its module's `asyncio.wait` is
  given a FIRST_COMPLETED that returns once every task is done or one has failed
  (raised or was cancelled): the loop around it then awaits the same tasks, raises
  the same first failure, and picks up tasks added meanwhile as before, in one
  round per batch instead of one per task.

* **The mock URN of every registration.** `register_resource` (and `read_resource`) await
  `create_urn(name, type, parent_urn)` before each call to the monitor, a URN used only when
  there is no monitor (unit tests); built from Outputs (`Output.all(...).apply`) it costs
  tasks and callbacks on the event loop for every resource (4% of the program's CPU at 1,000
  agents). The module's `create_urn` is given one that, for plain strings (what those two
  calls pass), returns the same text as a known Output at once; anything else goes to the SDK's.
* **A gRPC round trip per registration.** Every `RegisterResource` waited for the gate's
  answer, which under mocks is a pure function of the request: the URN from parent, type and
  name, the mock provider's outputs (`agentid.mock_provider`). `BatchingMonitor`, the monitor
  the language host configures the SDK with (`Settings(monitor=...)`, as `set_mocks` does),
  answers it in the child with the gate's own code (`property_values.py`, `mock_provider.py`,
  copied beside this file) and sends the requests to the gate in batches (`BATCH_METHOD`);
  every other call (invokes, reads, the stack's outputs, the shutdown signal) sends what is
  pending first, so the gate sees calls in the program's order and has every registration
  before the program can finish. The batch is not trusted: the gate checks and records each
  request as it does a single one (`monitor.GateMonitor.RegisterResources`) and refuses a
  URN other than its own, a duplicate URN or a parent it never recorded; the child decides
  nothing the verdict rests on.

* **A reference cycle per unknowns check.** `pulumi.runtime.rpc.contains_unknowns`, called for every
  resolved Output (`output.py`, `rpc.py`), defines a recursive inner function each call: the function and
  its closure cell refer to each other, so with the collector off (the child runs without it) every call
  left ~180 bytes behind, 14 MB at 200 agents. The module's function is given one that walks the value
  the same way (same order, stops at the first unknown, each container once) with no closure.
* **Provider files the program never uses.** A provider's generated `__init__.py` star-imports every file of
  its module, so one class of `pulumi_aws.iam` executed all 60 of its files; `lazy_provider_imports.py`
  (copied beside this file, loaded by `lazy_provider_imports()`) binds each name on first use instead
  (0.95 -> 0.5 s CPU for the example fleet's provider imports). A package of another shape imports as published.

* **An Output for every declared property.** A generated resource class passes every declared property to the
  SDK (None when unset: every output-only property, every optional input left out), and the SDK builds an Output,
  four futures and a resolver for each at registration, though a program reads few of them (the Azure components
  read a principal id here, a client id there). `_lazy_property_outputs` builds a property's Output when
  `pulumi.get` first reads it (from its recorded resolution); a property never read costs one small record.
* **`copy.copy` of resource options.** `ResourceOptions.merge` copies both its operands and their hook bindings
  (`_copy`: `copy.copy`, which goes through `__reduce_ex__`, `copyreg` and `_reconstruct`), and a generated class
  merges its options two or three times: five copies a resource. `_plain_option_copies` makes the same shallow copy
  (a new instance of the exact class, its `__dict__` copied) directly, for the two classes as the SDK defines them.
* **Typing introspection for every plain value.** `serialize_property` unwraps the property's type hint
  (`unwrap_type`: `get_origin`, union checks) and walks a chain of isinstance checks before it returns a `str`,
  `bool`, number or None unchanged; for a value of exactly those types (not a subclass: a `str` Enum goes the
  SDK's way) the module's `serialize_property` returns it at once. Everything else (lists, whose element type
  the SDK checks against the hint, mappings, input types, Outputs, awaitables, resources, assets) goes to the SDK's.
  `serialize_properties` itself awaits that coroutine for each of a resource's properties and stores the result
  through `Struct.__setitem__`'s Python wrapper; `_plain_inputs_serialized_inline` stores a plain value into its
  `Value` field directly, as that wrapper does, and awaits the SDK's `serialize_property` for everything else.
  The other way, `resolve_outputs` deserializes each property of the engine's answer and translates it against its
  output type (`translate_output_properties`: a secret check, the hint's Optional unwrapped, dict/list/Enum/int
  checks); `_plain_outputs_translated_at_once` takes a known str, a bool or a number as it is when its hint is
  neither an Enum nor `int` (what the SDK's translation returns unchanged), and everything else the SDK's way; a
  resource class's output types are read once per class, not once per resource.

None of these changes a registered resource, input, URN, parent, dependency or source
position (tests/preview/test_speedups.py runs stacks both ways and compares). Each
is applied only when the SDK still has the shape relied on; otherwise the plain
path runs and a warning says so. `AGENTID_PREVIEW_PLAIN_SDK=1` turns them all off.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import os
import struct
import sys
import threading
from typing import Any

PLAIN_SDK_ENV = "AGENTID_PREVIEW_PLAIN_SDK"
# The gate's method for a batch of registrations, served beside ResourceMonitor on the same socket.
BATCH_METHOD = "/agentid.preview.Gate/RegisterResources"
BATCH_SIZE = 128  # registrations a batch: the packs still see resources while the program runs
REGISTER, OUTPUTS = b"R", b"O"  # a batch entry's kind: RegisterResourceRequest, RegisterResourceOutputsRequest
STACK_TYPE = "pulumi:pulumi:Stack"


def plain_sdk_requested() -> bool:
    """AGENTID_PREVIEW_PLAIN_SDK=1 in the gate's environment: run the program on the plain SDK path."""
    return os.environ.get(PLAIN_SDK_ENV, "") not in ("", "0")


def apply() -> list[str]:
    """Apply what the installed SDK allows; the warnings for what it does not (empty when all applied)."""
    if plain_sdk_requested():
        return []
    warnings = []
    for name, install in (("alias URNs", _skip_alias_urns), ("stack capture", _first_frame_stack_capture),
                          ("debug log messages", _drop_debug_logs),
                          ("per-task output waits", _wait_for_outputs_in_batches),
                          ("mock URNs as Outputs", _plain_mock_urns),
                          ("a closure per unknowns check", _acyclic_unknowns_check),
                          ("Outputs of unread properties", _lazy_property_outputs),
                          ("type hints of plain values", _plain_values_serialized_at_once),
                          ("a coroutine per plain input", _plain_inputs_serialized_inline),
                          ("type hints of plain outputs", _plain_outputs_translated_at_once),
                          ("copy.copy of resource options", _plain_option_copies)):
        problem = install()
        if problem:
            warnings.append(f"agentid preview: not skipping {name} ({problem}); the run is correct but slower")
    return warnings


def lazy_provider_imports() -> str | None:
    """Load provider packages lazily (`lazy_provider_imports.install`, from beside this file); why not, or None.
    Called by the language host in the program's child only: it changes the import system of the process."""
    if plain_sdk_requested():
        return None
    try:
        _load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lazy_provider_imports.py"),
              "pulumi_language_python_lazy_imports").install()
    except (OSError, ImportError, SyntaxError) as error:
        return f"the lazy provider import helper is not beside the language host ({error})"
    return None


def _skip_alias_urns() -> str | None:
    """Register the stack transformation that drops aliases (call inside `run_in_stack`, once the stack exists)."""
    import pulumi

    register = getattr(pulumi.runtime, "register_stack_transformation", None)
    result_type = getattr(pulumi, "ResourceTransformationResult", None)
    options_type = getattr(pulumi, "ResourceOptions", None)
    if register is None or result_type is None or options_type is None or not hasattr(options_type, "_copy") \
            or not hasattr(options_type(), "aliases"):
        return "this pulumi SDK has no register_stack_transformation / ResourceOptions.aliases"

    alias_type = getattr(pulumi, "Alias", None)

    def sdk_declared(alias: Any) -> bool:
        # the SDK classes' own aliases name another type token of the same resource and nothing else; any other
        # alias (a URN, a name, a stack, a project, a parent) is the program's and the gate judges it (GATE-003)
        return alias_type is not None and isinstance(alias, alias_type) and isinstance(alias.type_, str) and all(
            getattr(alias, key, None) is ... for key in ("name", "stack", "project", "parent"))  # ...: not given

    def without_aliases(args: Any) -> Any:
        if not args.opts.aliases:
            return None  # nothing to drop: the resource goes on untouched
        kept = [alias for alias in args.opts.aliases if not sdk_declared(alias)]
        if len(kept) == len(args.opts.aliases):
            return None
        opts = args.opts._copy()
        opts.aliases = kept or None
        return result_type(props=args.props, opts=opts)

    register(without_aliases)
    return None


def _first_frame_stack_capture() -> str | None:
    """Replace the SDK's full stack capture by the one frame the engine uses as the source position."""
    try:
        from pulumi.runtime import resource as sdk
        from pulumi.runtime.proto import source_pb2
    except ImportError as error:
        return str(error)
    original = getattr(sdk, "_get_stack_trace", None)
    position_of = getattr(sdk, "_get_source_position_for_frame", None)
    if original is None or position_of is None or not hasattr(source_pb2, "StackTrace"):
        return "pulumi.runtime.resource._get_stack_trace is not there"

    class _Frame:  # what _get_source_position_for_frame reads of a traceback.FrameSummary
        __slots__ = ("filename", "lineno")

        def __init__(self, filename: str, lineno: int | None) -> None:
            self.filename, self.lineno = filename, lineno

    def first_frame_stack_trace() -> Any:
        # The SDK's rule (runtime/resource.py): the caller of the third `__init__` up the stack
        # (Resource, Custom/ComponentResource, the concrete class) is the user's code.
        frame = sys._getframe(1)
        seen = 0
        while frame is not None:
            if frame.f_code.co_name == "__init__":
                seen += 1
                if seen == 3:
                    break
            frame = frame.f_back
        caller = frame.f_back if frame is not None else None
        if caller is None:
            return source_pb2.StackTrace()
        return source_pb2.StackTrace(frames=[source_pb2.StackFrame(
            pc=position_of(_Frame(caller.f_code.co_filename, caller.f_lineno)))])

    sdk._get_stack_trace = first_frame_stack_trace
    return None


def _plain_mock_urns() -> str | None:
    """Give pulumi.runtime.resource a `create_urn` that computes a URN of plain strings without Outputs."""
    from pulumi import Output
    from pulumi.runtime import resource as sdk
    from pulumi.runtime import settings

    original = getattr(sdk, "create_urn", None)
    if original is None or not hasattr(settings, "get_stack") or not hasattr(settings, "get_project"):
        return "pulumi.runtime.resource.create_urn is not there"
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return "the source of pulumi.runtime.resource.create_urn is not readable"
    # The SDK's text, which `plain_create_urn` reproduces for plain strings.
    if 'u[0 : u.rfind("::")] + "$"' not in source or '"urn:pulumi:" + stack + "::" + project + "::"' not in source \
            or 'arr[0] + arr[1] + "::" + arr[2]' not in source:
        return "pulumi.runtime.resource.create_urn no longer builds the URN the way this speed-up reproduces"

    def plain_create_urn(name: Any, type_: Any, parent: Any = None, project: str | None = None,
                         stack: str | None = None) -> Any:
        if not isinstance(name, str) or not isinstance(type_, str) or not (parent is None or isinstance(parent, str)):
            return original(name, type_, parent, project, stack)
        if parent is not None:
            prefix = parent[0: parent.rfind("::")] + "$"
        else:
            prefix = ("urn:pulumi:" + (settings.get_stack() if stack is None else stack) + "::"
                      + (settings.get_project() if project is None else project) + "::")
        return Output.from_input(prefix + type_ + "::" + name)

    sdk.create_urn = plain_create_urn
    return None


def _acyclic_unknowns_check() -> str | None:
    """Give pulumi.runtime.rpc a `contains_unknowns` that leaves no reference cycle behind (the collector is off)."""
    from pulumi.runtime import rpc

    original = getattr(rpc, "contains_unknowns", None)
    is_unknown = getattr(getattr(rpc, "known_types", None), "is_unknown", None)
    if original is None or is_unknown is None:
        return "pulumi.runtime.rpc.contains_unknowns is not there"
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return "the source of pulumi.runtime.rpc.contains_unknowns is not readable"
    # The SDK's walk, which `_contains_unknowns` reproduces.
    if any(part not in source for part in (
            "if known_types.is_unknown(val):", "if val_id in seen_ids:", "seen_ids.add(val_id)",
            "if isinstance(val, dict):\n            return any(impl(val[k], seen_ids) for k in val)",
            "if isinstance(val, list):\n            return any(impl(x, seen_ids) for x in val)",
            "return impl(val, set())")) or source.count("return") != 6:
        return "pulumi.runtime.rpc.contains_unknowns no longer walks values the way this speed-up reproduces"

    plain = _PLAIN_VALUE_TYPES

    def contains_unknowns(val: Any) -> bool:
        if type(val) in plain:  # what the walk answers for a str, bool, number or None, without the set
            return False
        return _contains_unknowns(val, set(), is_unknown)

    rpc.contains_unknowns = contains_unknowns
    return None


def _contains_unknowns(val: Any, seen_ids: set[int], is_unknown: Any) -> bool:
    """The SDK's `contains_unknowns` walk (pulumi 3.272 runtime/rpc.py), as a module-level function. A str, bool,
    number or None is no unknown and holds none (its id in `seen_ids` changes no answer: only containers recurse)."""
    if type(val) in _PLAIN_VALUE_TYPES:
        return False
    if is_unknown(val):
        return True
    val_id = id(val)
    if val_id in seen_ids:
        return False
    seen_ids.add(val_id)
    if isinstance(val, dict):
        return any(_contains_unknowns(val[k], seen_ids, is_unknown) for k in val)
    if isinstance(val, list):
        return any(_contains_unknowns(x, seen_ids, is_unknown) for x in val)
    return False


def _lazy_property_outputs() -> str | None:
    """Make the Output of a resource property when it is first read, not at registration.

    `transfer_properties` (pulumi/runtime/rpc.py) gives every declared property of a resource an Output, four
    futures and a resolver, though a generated class declares each output-only property (`principal_id`,
    `system_data`, ...) and every optional input (None when left out: 59% of the properties of the Azure
    components' resources), and the program reads few of them, set or not. Here such a property gets a resolver
    that only records its resolution, and
    its Output is built (from that record, or pending until it arrives) when `pulumi.get` first reads it, which is
    how a generated class's property reads it (`pulumi.get(self, "principal_id")`; the SDK's `get` reads the
    resource's `__dict__`). Inputs are serialized from the property values before this (`serialize_properties`),
    so nothing registered changes; only a program that reads `resource.__dict__` itself sees the property absent.
    A property the program set is no different: its Output, too, resolves from the engine's answer, not from the
    value the program gave (`resolve_outputs`), so building it late changes nothing but when its futures exist.
    """
    import pulumi
    from pulumi import _types, output
    from pulumi.runtime import rpc
    from pulumi.runtime import resource as sdk_resource

    transfer, sdk_get = getattr(rpc, "transfer_properties", None), getattr(_types, "get", None)
    if transfer is None or sdk_get is None or getattr(pulumi, "get", None) is not sdk_get:
        return "pulumi.runtime.rpc.transfer_properties / pulumi.get are not there"
    try:
        parameters = list(inspect.signature(transfer).parameters)
        transfer_source, get_source = inspect.getsource(transfer), inspect.getsource(sdk_get)
        callers = inspect.getsource(sdk_resource)
    except (OSError, TypeError, ValueError):
        return "the sources of pulumi.runtime.rpc.transfer_properties / pulumi.get are not readable"
    # the SDK's per-property Outputs and its reads of a resource's properties, as reproduced here
    if parameters != ["res", "props", "custom"] or "res.__dict__[name] = Output(" not in transfer_source \
            or 'if name == "urn" or (name == "id" and custom):' not in transfer_source \
            or "if isinstance(self, Resource):\n        return self.__dict__.get(name)" not in get_source \
            or "rpc.transfer_properties(res, props, custom)" not in callers:
        return "pulumi.runtime.rpc.transfer_properties or pulumi.get no longer has the shape this speed-up relies on"
    unread: dict[int, tuple[Any, dict[str, _LazyOutput]]] = {}  # id(resource) -> (resource, its unread properties)

    def transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, Any]:
        cells = {name: _LazyOutput(res, output.Output) for name in props
                 if not (name == "urn" or (name == "id" and custom)) and _read_through_get(type(res), name)}
        if not cells:
            return transfer(res, props, custom)
        resolvers = transfer(res, {name: props[name] for name in props if name not in cells}, custom)
        unread[id(res)] = (res, cells)  # the resource is kept with its entry: its id is not reused meanwhile
        # in the order of the properties, as the SDK's own resolvers are: outputs resolve in the same order
        return {name: cells[name].resolve if name in cells else resolvers[name]
                for name in props if name in cells or name in resolvers}

    def get(self: Any, name: str) -> Any:
        value = sdk_get(self, name)
        if value is None:
            entry = unread.get(id(self))
            cell = entry[1].pop(name, None) if entry is not None and entry[0] is self else None
            if cell is not None:
                value = self.__dict__[name] = cell.output()
        return value

    rpc.transfer_properties = transfer_properties
    _types.get = pulumi.get = get
    return None


_PLAIN_VALUE_TYPES = frozenset((str, bool, int, float, type(None)))


def _plain_values_serialized_at_once() -> str | None:
    """Give pulumi.runtime.rpc a `serialize_property` that returns a plain value (exactly `str`, `bool`, `int`,
    `float` or None) as it is, without unwrapping its type hint, as the SDK's does after checking it is none of the
    values it converts (pulumi 3.272 runtime/rpc.py: sequences other than `str`, unknowns, resources, assets,
    archives, awaitables, Outputs, input types, mappings, protobuf Values), then that it is a legal protobuf value.
    Every other value, and every call asking for a protobuf Value back, goes to the SDK's function (whose
    recursive calls come back here through the module)."""
    from pulumi.runtime import rpc

    original = getattr(rpc, "serialize_property", None)
    legal = getattr(rpc, "isLegalProtobufValue", None)
    if original is None or legal is None or not inspect.iscoroutinefunction(original):
        return "pulumi.runtime.rpc.serialize_property is not there"
    try:
        parameters = list(inspect.signature(original).parameters)
        source, legal_source = inspect.getsource(original), inspect.getsource(legal)
    except (OSError, TypeError, ValueError):
        return "the source of pulumi.runtime.rpc.serialize_property is not readable"
    # The SDK's walk for a plain value: its hint unwrapped (which cannot fail: `_types.unwrap_type` only asserts what
    # every Output[...] and Union has), then branches none of which takes an exact str/bool/int/float/None, then
    # the legality check that passes them all, and the value returned unchanged.
    expected = ["value", "deps", "property_key", "resource_obj", "input_transformer", "typ", "keep_output_values",
                "exclude_resource_refs_from_deps", "return_protobuf_value"]
    if parameters != expected or "typ = _types.unwrap_type(typ) if typ else typ" not in source \
            or "isinstance(value, abc.Sequence) and not isinstance(\n        value, (str," not in source \
            or "if not isLegalProtobufValue(value):" not in source or not source.rstrip().endswith("return value") \
            or "return value is None or isinstance(value, (bool, str, int, float, dict, list))" not in legal_source:
        return "pulumi.runtime.rpc.serialize_property no longer has the shape this speed-up relies on"
    plain = _PLAIN_VALUE_TYPES

    async def serialize_property(value: Any, deps: Any, property_key: Any, resource_obj: Any = None,
                                 input_transformer: Any = None, typ: Any = None, keep_output_values: bool = False,
                                 exclude_resource_refs_from_deps: bool = False,
                                 return_protobuf_value: bool = False) -> Any:
        if type(value) in plain and not return_protobuf_value:
            return value
        return await original(value, deps, property_key, resource_obj, input_transformer, typ, keep_output_values,
                              exclude_resource_refs_from_deps, return_protobuf_value)

    rpc.serialize_property = serialize_property
    return None


def _plain_inputs_serialized_inline() -> str | None:
    """Give pulumi.runtime.rpc a `serialize_properties` that stores a plain input without a coroutine.

    The SDK's (pulumi 3.272 runtime/rpc.py) awaits `serialize_property` for every input (for a plain value: the
    value itself, see `_plain_values_serialized_at_once`), drops a None result, and sets the rest with
    `struct[name] = result` (protobuf's `_SetStructValue`: a bool into `bool_value`, a str into `string_value`, an
    int or float into `number_value`). This one does the same for a value of exactly those types, with the same
    name translation and the same (empty) dependency list, and awaits the SDK's `serialize_property` for every
    other value, with the SDK's error wrapping; the loop, the order and the Struct built are the SDK's."""
    from google.protobuf import struct_pb2

    from pulumi import _types, log
    from pulumi.runtime import rpc, settings

    original = getattr(rpc, "serialize_properties", None)
    if original is None or not inspect.iscoroutinefunction(original) or not hasattr(_types, "input_type_types") \
            or not hasattr(_types, "input_type_py_to_pulumi_names"):
        return "pulumi.runtime.rpc.serialize_properties is not there"
    try:
        from google.protobuf.internal import well_known_types
        parameters = list(inspect.signature(original).parameters)
        source = inspect.getsource(original)
        set_source = inspect.getsource(well_known_types._SetStructValue)
    except (ImportError, AttributeError, OSError, TypeError, ValueError):
        return "the source of pulumi.runtime.rpc.serialize_properties is not readable"
    parts = ("py_name_to_pulumi_name = _types.input_type_py_to_pulumi_names(typ)",
             "types = _types.input_type_types(typ)", "translate = lambda k: py_name_to_pulumi_name.get(k) or k",
             "get_type = lambda k: types.get(translate(k))", "for k in inputs:", "v = inputs[k]",
             "deps: list[Resource] = []", "result = await serialize_property(", "if result is not None:",
             "translated_name = translate(k)", "struct[translated_name] = result",
             "property_deps[translated_name] = deps", "return struct",
             'f"While processing input: {repr(k)}, type {type(k)}, value {repr(v)}\\n"',
             'f"ValueError has risen: {e}"', 'f"AssertionError has risen: {e}"')
    set_parts = ("elif isinstance(value, bool):\n    # Note", "struct_value.bool_value = value",
                 "elif isinstance(value, str):\n    struct_value.string_value = value",
                 "elif isinstance(value, (int, float)):\n    struct_value.number_value = value")
    if parameters != ["inputs", "property_deps", "resource_obj", "input_transformer", "typ", "keep_output_values",
                      "exclude_resource_refs_from_deps"] or any(part not in source for part in parts) \
            or any(part not in set_source for part in set_parts) \
            or struct_pb2.Struct.__setitem__ is not well_known_types.Struct.__setitem__:
        return "pulumi.runtime.rpc.serialize_properties no longer has the shape this speed-up relies on"

    async def serialize_properties(inputs: Any, property_deps: dict, resource_obj: Any = None,
                                   input_transformer: Any = None, typ: Any = None, keep_output_values: bool = False,
                                   exclude_resource_refs_from_deps: bool = False) -> Any:
        get_type: Any = lambda k: None  # noqa: E731 - as the SDK's
        translate = input_transformer
        if typ is not None:
            py_name_to_pulumi_name = _types.input_type_py_to_pulumi_names(typ)
            types = _types.input_type_types(typ)
            translate = lambda k: py_name_to_pulumi_name.get(k) or k  # noqa: E731
            get_type = lambda k: types.get(translate(k))  # noqa: E731
        struct = struct_pb2.Struct()
        fields = struct.fields
        for k in inputs:
            v = inputs[k]
            deps: list = []
            kind = type(v)
            if kind is str or kind is bool or kind is int or kind is float:
                result = v
            elif v is None:
                continue  # serializes to None: left out
            else:
                try:
                    result = await rpc.serialize_property(v, deps, k, resource_obj, input_transformer, get_type(k),
                                                          keep_output_values, exclude_resource_refs_from_deps)
                except ValueError as e:
                    raise ValueError(f"While processing input: {repr(k)}, type {type(k)}, value {repr(v)}\n"
                                     + f"ValueError has risen: {e}") from e
                except AssertionError as e:
                    raise AssertionError(f"While processing input: {repr(k)}, type {type(k)}, value {repr(v)}\n"
                                         + f"AssertionError has risen: {e}") from e
                if result is None:
                    continue
            translated_name = k
            if translate is not None:
                translated_name = translate(k)
                if settings.excessive_debug_output:
                    log.debug(f"top-level input property translated: {k} -> {translated_name}")
            if kind is str:
                fields[translated_name].string_value = result
            elif kind is bool:
                fields[translated_name].bool_value = result
            elif kind is int or kind is float:
                fields[translated_name].number_value = result
            else:
                struct[translated_name] = result
            property_deps[translated_name] = deps
        return struct

    rpc.serialize_properties = serialize_properties
    return None


def _plain_outputs_translated_at_once() -> str | None:
    """Give pulumi.runtime.rpc a `resolve_outputs` that takes a known plain value of the engine's answer as it is.

    The SDK's (pulumi 3.272 runtime/rpc.py) deserializes every property of the answer (`deserialize_properties`:
    a str, bool or number comes back as it is unless it is the unknown sentinel), then translates each against its
    output type (`translate_output_properties`: such a value comes back as it is unless the hint, Optional
    unwrapped, is an Enum or `int`). This one does the same in the same two passes and the same order, with those
    values taken at once; every other value goes through the SDK's two functions, and an answer that is itself a
    special object, or a run with excessive debug output, through the SDK's `resolve_outputs` whole. The SDK's
    `resolve_properties` follows inline, with `is_dry_run()` read once per answer instead of once per property."""
    from enum import Enum

    from pulumi import _types
    from pulumi.runtime import rpc, settings

    original = getattr(rpc, "resolve_outputs", None)
    deserialize, translate_value = getattr(rpc, "deserialize_property", None), getattr(rpc, "translate_output_properties", None)
    names = ("deserialize_properties", "resolve_properties", "_Path", "_special_sig_key", "UNKNOWN", "is_rpc_secret",
             "unwrap_rpc_secret")
    if original is None or deserialize is None or translate_value is None or not all(hasattr(rpc, n) for n in names) \
            or not hasattr(settings, "is_legacy_apply_enabled") or not hasattr(_types, "unwrap_optional_type"):
        return "pulumi.runtime.rpc.resolve_outputs is not there"
    try:
        parameters = list(inspect.signature(original).parameters)
        sources = {name: inspect.getsource(getattr(rpc, name)) for name in (
            "resolve_outputs", "resolve_properties", "deserialize_properties", "deserialize_property",
            "translate_output_properties")}
    except (OSError, TypeError, ValueError):
        return "the source of pulumi.runtime.rpc.resolve_outputs is not readable"
    # The SDK's steps, as reproduced below (the answer deserialized whole, then each property translated; a plain
    # value left as it is by both).
    expected = {
        "resolve_outputs": ("for key, value in deserialize_properties(outputs, keep_unknowns).items():",
                            "translated_key = translate(key)", "types.get(key),",
                            "path=_Path(translated_key, resource=f\"{res._name}\"),",
                            "all_properties[translated_key] = translated_value",
                            "if not settings.is_dry_run() or settings.is_legacy_apply_enabled():",
                            "return_none_on_dict_type_mismatch=True,",
                            "resolvers, all_properties, translated_deps, custom, resolve_missing_as_unknown"),
        "resolve_properties": ('if key == "urn" or (key == "id" and custom):', "resolve = resolvers.get(key)",
                               "if resolve is None:", "is_secret = is_rpc_secret(value)",
                               "unwrapped_value = unwrap_rpc_secret(value)", "if not settings.is_dry_run():",
                               "resolve(unwrapped_value, True, is_secret, deps.get(key), None)",
                               "unwrapped_value is not None,", "for key, resolve in resolvers.items():",
                               "if key not in all_properties:",
                               "known = not settings.is_dry_run() and not resolve_missing_as_unknown",
                               "resolve(None, known, False, deps.get(key), None)"),
        "deserialize_properties": ("if _special_sig_key in props_struct:", "for k, v in list(props_struct.items()):",
                                   "value = deserialize_property(v, keep_unknowns, keep_internal)",
                                   "if value is not None:\n            output[k] = value"),
        "deserialize_property": ("if value == UNKNOWN:", "if isinstance(value, struct_pb2.ListValue):",
                                 "if isinstance(value, struct_pb2.Struct):", "return value"),
        "translate_output_properties": ("if is_rpc_secret(output):", "typ = _types.unwrap_optional_type(typ) if typ else typ",
                                        "if typ is Any:", "if isinstance(output, dict):", "if isinstance(output, list):",
                                        "and issubclass(typ, Enum)", "if isinstance(output, float) and typ is int:",
                                        "return output"),
    }
    if parameters != ["res", "serialized_props", "outputs", "deps", "resolvers", "custom",
                      "transform_using_type_metadata", "keep_unknowns", "resolve_missing_as_unknown"] \
            or any(part not in sources[name] for name, parts in expected.items() for part in parts):
        return "pulumi.runtime.rpc.resolve_outputs no longer has the shape this speed-up relies on"
    unknown, special = rpc.UNKNOWN, rpc._special_sig_key
    plain_hints: dict[Any, bool] = {}
    # A resource class's output types and names (its annotations and properties, read again for every resource by
    # the SDK), once per class: only read here.
    types_of: dict[type, dict[str, Any]] = {}
    names_of: dict[type, dict[str, str]] = {}

    def left_as_is(typ: Any) -> bool:
        """Whether `translate_output_properties` returns a str, bool or float unchanged under the hint `typ`."""
        try:
            return plain_hints[typ]
        except KeyError:
            pass
        except TypeError:  # an unhashable hint: ask every time
            return False
        unwrapped = _types.unwrap_optional_type(typ) if typ else typ
        plain = unwrapped is not int and not (inspect.isclass(unwrapped) and issubclass(unwrapped, Enum))
        plain_hints[typ] = plain
        return plain

    def resolve_outputs(res: Any, serialized_props: Any, outputs: Any, deps: Any, resolvers: Any, custom: bool,
                        transform_using_type_metadata: bool = False, keep_unknowns: bool = False,
                        resolve_missing_as_unknown: bool = False) -> None:
        if settings.excessive_debug_output or special in outputs:
            return original(res, serialized_props, outputs, deps, resolvers, custom, transform_using_type_metadata,
                            keep_unknowns, resolve_missing_as_unknown)
        resource_cls = type(res)
        types = types_of.get(resource_cls)
        if types is None:
            types = types_of[resource_cls] = _types.resource_types(resource_cls)
        translate, translate_to_pass = res.translate_output_property, res.translate_output_property
        if transform_using_type_metadata:
            pulumi_to_py_names = names_of.get(resource_cls)
            if pulumi_to_py_names is None:
                pulumi_to_py_names = names_of[resource_cls] = _types.resource_pulumi_to_py_names(resource_cls)
            translate = lambda prop: pulumi_to_py_names.get(prop) or prop  # noqa: E731 - as the SDK's
            translate_to_pass = lambda prop: prop  # noqa: E731
        deserialized, plain = {}, set()
        for key, field in list(outputs.fields.items()):  # what Struct.items() gives, read from each Value itself
            kind = field.WhichOneof("kind")
            if kind == "string_value":
                value = field.string_value
                if value != unknown:
                    deserialized[key] = value
                    plain.add(key)
                    continue
            elif kind == "number_value" or kind == "bool_value":
                deserialized[key] = field.number_value if kind == "number_value" else field.bool_value
                plain.add(key)
                continue
            elif kind == "struct_value":
                value = field.struct_value
            elif kind == "list_value":
                value = field.list_value
            elif kind == "null_value":
                continue  # deserialized as None: left out, as the SDK leaves it out
            else:  # a Value with no kind: the SDK's Struct.items() raises
                return original(res, serialized_props, outputs, deps, resolvers, custom, transform_using_type_metadata,
                                keep_unknowns, resolve_missing_as_unknown)
            value = rpc.deserialize_property(value, keep_unknowns, True)
            if value is not None:
                deserialized[key] = value
        all_properties, plain_translated = {}, set()
        for key, value in deserialized.items():
            translated_key = translate(key)
            typ = types.get(key)
            if key in plain and left_as_is(typ):
                all_properties[translated_key] = value
                plain_translated.add(translated_key)
                continue
            plain_translated.discard(translated_key)
            all_properties[translated_key] = rpc.translate_output_properties(
                value, translate_to_pass, typ, transform_using_type_metadata,
                path=rpc._Path(translated_key, resource=f"{res._name}"))
        translated_deps = {translate(key): property_deps for key, property_deps in deps.items()}
        if not settings.is_dry_run() or settings.is_legacy_apply_enabled():
            for key, value in list(serialized_props.items()):
                translated_key = translate(key)
                if translated_key not in all_properties:
                    all_properties[translated_key] = rpc.translate_output_properties(  # (not in plain_translated)
                        rpc.deserialize_property(value), translate_to_pass, types.get(key),
                        transform_using_type_metadata, path=rpc._Path(translated_key, resource=f"{res._name}"),
                        return_none_on_dict_type_mismatch=True)
        # The SDK's resolve_properties, with is_dry_run read once and a plain value known not to be a secret.
        dry_run = settings.is_dry_run()
        for key, value in all_properties.items():
            if key == "urn" or (key == "id" and custom):
                continue
            resolve = resolvers.get(key)
            if resolve is None:
                continue
            if key in plain_translated:
                resolve(value, True, False, translated_deps.get(key), None)
                continue
            is_secret = rpc.is_rpc_secret(value)
            unwrapped = rpc.unwrap_rpc_secret(value)
            resolve(unwrapped, True if not dry_run else unwrapped is not None, is_secret, translated_deps.get(key), None)
        for key, resolve in resolvers.items():
            if key not in all_properties:
                resolve(None, not dry_run and not resolve_missing_as_unknown, False, translated_deps.get(key), None)

    rpc.resolve_outputs = resolve_outputs
    return None


def _is_copy_copy_of_self(method: Any) -> bool:
    """Whether `method` is `def _copy(self): out = copy.copy(self); return out` with `copy` the copy module: its only
    names are `copy` (an attribute of the module global `copy`), its only locals `self` and `out`, and it does nothing
    but load them, call and return."""
    import copy
    import dis

    code = getattr(method, "__code__", None)
    if code is None or code.co_names != ("copy",) or code.co_varnames != ("self", "out") or code.co_argcount != 1 \
            or getattr(method, "__globals__", {}).get("copy") is not copy:
        return False
    allowed = {"RESUME", "LOAD_GLOBAL", "LOAD_ATTR", "LOAD_METHOD", "PUSH_NULL", "LOAD_FAST", "PRECALL", "CALL",
               "STORE_FAST", "RETURN_VALUE", "CACHE", "NOP"}
    operations = [instruction.opname for instruction in dis.get_instructions(code)]
    return set(operations) <= allowed and operations.count("CALL") == 1


def _plain_option_copies() -> str | None:
    """Give `ResourceOptions._copy` and `ResourceHookBinding._copy` the shallow copy `copy.copy` makes of them.

    For an instance of a class with no `__slots__`, `__copy__`, `__reduce__`/`__reduce_ex__`/`__getstate__` of its
    own, no `__setstate__` and `object.__new__`, `copy.copy` is `cls.__new__(cls)` with the instance's `__dict__`
    copied into it (copy.py `_reconstruct`); a subclass, or a class no longer of that shape, keeps `copy.copy`."""
    import copy

    import pulumi

    try:
        from pulumi.resource_hooks import ResourceHookBinding
    except ImportError as error:
        return str(error)
    classes = (getattr(pulumi, "ResourceOptions", None), ResourceHookBinding)
    for cls in classes:
        method = getattr(cls, "_copy", None)
        if method is None:
            return "ResourceOptions._copy / ResourceHookBinding._copy are not there"
        if not _is_copy_copy_of_self(method) \
                or hasattr(cls, "__slots__") or hasattr(cls, "__copy__") \
                or hasattr(cls, "__setstate__") or cls.__reduce_ex__ is not object.__reduce_ex__ \
                or cls.__reduce__ is not object.__reduce__ or cls.__getstate__ is not object.__getstate__ \
                or cls.__new__ is not object.__new__:
            return f"{cls.__name__}._copy is no longer the plain copy.copy this speed-up reproduces"

    def plain_copy(cls: type) -> Any:
        def _copy(self: Any) -> Any:
            if type(self) is not cls:
                return copy.copy(self)
            out = object.__new__(cls)
            out.__dict__.update(self.__dict__)
            return out
        return _copy

    for cls in classes:
        cls._copy = plain_copy(cls)
    return None


_READ_THROUGH_GET: dict[tuple[type, str], bool] = {}


def _read_through_get(cls: type, name: str) -> bool:
    """Whether `cls` reads property `name` only through `pulumi.get`, as generated resource classes do
    (`return pulumi.get(self, "name")`). A class that reads the attribute itself (`StackReference.outputs`) keeps
    the SDK's eager Output. Asked for every property of every resource: remembered per class and name (a class's
    properties are fixed once it is defined)."""
    key = (cls, name)
    known = _READ_THROUGH_GET.get(key)
    if known is None:
        prop = getattr(cls, name, None)
        code = getattr(getattr(prop, "fget", None), "__code__", None)
        known = _READ_THROUGH_GET[key] = isinstance(prop, property) and code is not None and "get" in code.co_names \
            and "__dict__" not in code.co_names
    return known


class _LazyOutput:
    """One property's Output-to-be: what the SDK's resolver (`transfer_properties.do_resolve`) would have set
    on its four futures, kept until the Output is first read, or set on them then if they already exist."""

    __slots__ = ("resource", "make_output", "resolution", "futures")

    def __init__(self, resource: Any, make_output: Any) -> None:
        self.resource, self.make_output = resource, make_output
        self.resolution: tuple | None = None
        self.futures: tuple | None = None

    def resolve(self, value: Any, is_known: bool, is_secret: bool, deps: Any, failed: Exception | None) -> None:
        self.resolution = (value, is_known, is_secret, deps, failed)
        if self.futures is not None:
            self._settle()

    def output(self) -> Any:
        self.futures = (asyncio.Future(), asyncio.Future(), asyncio.Future(), asyncio.Future())
        if self.resolution is not None:
            self._settle()
        deps, value, known, secret = self.futures
        return self.make_output(deps, value, known, secret)

    def _settle(self) -> None:
        value, is_known, is_secret, deps, failed = self.resolution
        deps_future, value_future, known_future, secret_future = self.futures
        dependencies = set(deps) if deps else set()
        dependencies.add(self.resource)
        deps_future.set_result(dependencies)
        if failed is not None:
            value_future.set_exception(failed)
            known_future.set_exception(failed)
            secret_future.set_exception(failed)
        else:
            value_future.set_result(value)
            known_future.set_result(is_known)
            secret_future.set_result(is_secret)


def _drop_debug_logs() -> str | None:
    """Make `pulumi.log.debug` return at once: the gate drops DEBUG messages, each cost a gRPC round trip."""
    from pulumi import log

    original = getattr(log, "debug", None)
    if original is None or not hasattr(log, "warn") or not hasattr(log, "error"):
        return "pulumi.log.debug is not there"

    def debug(msg: str, resource: Any = None, stream_id: int | None = None, ephemeral: bool | None = None) -> None:
        return None

    log.debug = debug
    return None


def _wait_for_outputs_in_batches() -> str | None:
    """Give `wait_for_rpcs` an `asyncio.wait` whose FIRST_COMPLETED waits for all tasks or the first failure."""
    from pulumi.runtime import stack

    wait_for_rpcs = getattr(stack, "wait_for_rpcs", None)
    if wait_for_rpcs is None or getattr(stack, "asyncio", None) is not asyncio:
        return "pulumi.runtime.stack.wait_for_rpcs is not there"
    try:
        source = inspect.getsource(wait_for_rpcs)
    except (OSError, TypeError):
        return "the source of pulumi.runtime.stack.wait_for_rpcs is not readable"
    if "asyncio.wait(" not in source or "return_when=asyncio.FIRST_COMPLETED" not in source:
        return "pulumi.runtime.stack.wait_for_rpcs no longer waits with asyncio.wait(FIRST_COMPLETED)"
    stack.asyncio = _BatchWaitAsyncio()
    return None


class _BatchWaitAsyncio:
    """`asyncio` as pulumi.runtime.stack sees it: the same module but for `wait(..., FIRST_COMPLETED)`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def wait(tasks: Any, *, timeout: float | None = None,
                   return_when: str = asyncio.ALL_COMPLETED) -> tuple[set, set]:
        if return_when != asyncio.FIRST_COMPLETED or timeout is not None:
            return await asyncio.wait(tasks, timeout=timeout, return_when=return_when)
        return await all_done_or_first_failure(tasks)


async def all_done_or_first_failure(tasks: Any) -> tuple[set, set]:
    """(done, pending) once every task is done, or as soon as one raised or was cancelled; one callback a task."""
    tasks = set(tasks)
    waiter = asyncio.get_running_loop().create_future()
    remaining = len(tasks)

    def finished(task: asyncio.Future) -> None:
        nonlocal remaining
        remaining -= 1
        if not waiter.done() and (remaining == 0 or task.cancelled() or task.exception() is not None):
            waiter.set_result(None)

    for task in tasks:
        task.add_done_callback(finished)
    try:
        if tasks:
            await waiter
    finally:
        for task in tasks:
            task.remove_done_callback(finished)
    done = {task for task in tasks if task.done()}
    return done, tasks - done


# --- registrations answered in the child, sent in batches ---


def write_batch(entries: list[tuple[bytes, str, bytes]]) -> bytes:
    """(kind, URN the child answered, serialized request) entries as one message: for each, the kind byte, then
    the URN and the request, each after its length (4 bytes, big-endian)."""
    parts = []
    for kind, urn, message in entries:
        encoded = urn.encode()
        parts += [kind, struct.pack(">I", len(encoded)), encoded, struct.pack(">I", len(message)), message]
    return b"".join(parts)


def read_batch(batch: bytes) -> list[tuple[bytes, str, bytes]]:
    """The entries of `write_batch`'s message; ValueError when it is not one (truncated, unknown kind, bad URN)."""
    entries, at, end = [], 0, len(batch)
    while at < end:
        kind = batch[at:at + 1]
        if kind not in (REGISTER, OUTPUTS):
            raise ValueError(f"unknown entry kind {kind!r} at byte {at}")
        at += 1
        fields = []
        for _ in range(2):
            if at + 4 > end:
                raise ValueError("truncated")
            (length,) = struct.unpack_from(">I", batch, at)
            at += 4
            if at + length > end:
                raise ValueError("truncated")
            fields.append(batch[at:at + length])
            at += length
        try:
            urn = fields[0].decode()
        except UnicodeDecodeError:
            raise ValueError("a URN that is not UTF-8") from None
        entries.append((kind, urn, fields[1]))
    return entries


def batching_monitor(address: str, project: str, stack: str) -> tuple[Any, str | None]:
    """The monitor for `pulumi.runtime.Settings(monitor=...)`: a `BatchingMonitor` on `address`, or `address`
    itself (the SDK's own stub) and why, when the SDK or the helper files beside this one lack the shape relied on."""
    if plain_sdk_requested():
        return address, None
    try:
        import grpc
        from pulumi.runtime import resource as sdk_resource
        from pulumi.runtime import settings
        from pulumi.runtime.proto import resource_pb2, resource_pb2_grpc
    except ImportError as error:
        return address, str(error)
    try:
        accepts_object = "self.monitor = monitor" in inspect.getsource(settings.Settings.__init__)
        register_source = inspect.getsource(sdk_resource)
    except (OSError, TypeError):
        return address, "the source of pulumi.runtime.settings / resource is not readable"
    if not accepts_object or "monitor.RegisterResource(req)" not in register_source \
            or "monitor.RegisterResourceOutputs(req)" not in register_source:
        return address, "pulumi.runtime no longer takes a monitor object or calls RegisterResource(req) on it"
    if not {"urn", "id", "object"} <= set(resource_pb2.RegisterResourceResponse.DESCRIPTOR.fields_by_name):
        return address, "RegisterResourceResponse has no urn/id/object"
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        values = _load(os.path.join(here, "property_values.py"), "pulumi_language_python_values")
        provider = _load(os.path.join(here, "mock_provider.py"), "pulumi_language_python_mock_provider")
    except (OSError, ImportError, SyntaxError) as error:
        return address, f"the gate's answer helpers are not beside the language host ({error})"
    options = getattr(settings, "_GRPC_CHANNEL_OPTIONS", None)
    channel = grpc.insecure_channel(address, options=options)
    monitor = engine_like(BatchingMonitor, resource_pb2_grpc.ResourceMonitorStub)(
        channel, resource_pb2_grpc.ResourceMonitorStub(channel), resource_pb2, values, provider, project, stack)
    # A forked process (os.fork, multiprocessing's fork start method) inherits this monitor: its calls go to the
    # gate one by one on a channel of its own, so what it registers is recorded or refused there, never kept in a
    # copy of the batch that nobody sends (the engine's monitor would have taken it).
    os.register_at_fork(after_in_child=lambda: monitor.forked(
        lambda: resource_pb2_grpc.ResourceMonitorStub(grpc.insecure_channel(address, options=options))))
    return monitor, None


def engine_like(cls: type, stub: type) -> type:
    """`cls` as the program sees the engine's monitor under `pulumi up` (red14 r14-11): a subclass of the SDK's
    `ResourceMonitorStub` with its name, qualified name, module and doc, so `type(settings.SETTINGS.monitor)`
    and `isinstance(..., ResourceMonitorStub)` answer as they do there. The stub's own __init__ is not run: it
    would set the gRPC methods on the instance over `cls`'s (the calls go through `cls`, as before). What still
    tells them apart (identity with the SDK class, its bases, the instance's attributes) is in docs/preview.md."""
    try:
        return type(stub.__name__, (cls, stub), {"__module__": stub.__module__, "__qualname__": stub.__qualname__,
                                                 "__doc__": stub.__doc__})
    except TypeError:  # a stub class that cannot be subclassed with ours: the gate's own class, as before
        return cls


def _load(path: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BatchingMonitor:
    """The SDK's ResourceMonitor client that answers `RegisterResource` itself, as the gate would, and sends the
    requests to the gate in batches. Every other method is the gate's own, called once what is pending was sent.

    `values` and `provider` are the gate's `property_values` and `mock_provider` modules (loaded by path in the
    child). Thread-safe: the SDK calls the monitor from its executor threads; entries keep the order in which
    the answers were given, so a parent always precedes its children."""

    def __init__(self, channel: Any, stub: Any, resource_pb2: Any, values: Any, provider: Any, project: str,
                 stack: str, batch_size: int = BATCH_SIZE) -> None:
        self._stub = stub
        self._send = channel.unary_unary(BATCH_METHOD)  # bytes in, bytes out
        self._response = resource_pb2.RegisterResourceResponse
        self._values, self._provider = values, provider
        self._prefix = f"urn:pulumi:{stack}::{project}::"
        self._batch_size = batch_size
        self._pending: list[tuple[bytes, str, bytes]] = []
        self._qualified: dict[str, str] = {}  # URN -> qualified type, as the gate keeps it for children's URNs
        self._lock = threading.Lock()
        self._direct: Any = None  # in a forked process: the gate's own stub, every call sent as it is made
        self._provider_inputs: dict[str, dict] = {}  # explicit provider URN -> its inputs (as the gate keeps them)
        try:  # the stack config the language host was given: the default providers' inputs (GateMonitor.config)
            self._config = dict(json.loads(os.environ.get("PULUMI_CONFIG") or "{}"))
        except (ValueError, TypeError):
            self._config = {}

    def forked(self, new_stub: Any) -> None:
        """In a process forked from the program's (`os.register_at_fork`): the inherited batch is the parent's (it
        sends it), the inherited channel and lock are not this process's to use; from now on every call goes to the
        gate at once on a new channel (`new_stub()`, opened on first use)."""
        self._pending = []
        self._lock = threading.Lock()
        self._direct = _Lazy(new_stub)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if self._direct is not None:
            return self._direct.RegisterResource(request)
        if request.type == STACK_TYPE and not request.parent:
            self.flush()
            return self._stub.RegisterResource(request)
        inputs = self._values.decode(request.object)
        if self._provider.is_autonamed(request.type, request.name, inputs):
            # its name is drawn with the gate's per-run key, which this process never holds (mock_provider.autoname):
            # the gate answers it, after what is pending (its parent among them)
            self.flush()
            answer = self._stub.RegisterResource(request)
            with self._lock:
                self._qualified[answer.urn] = self._qualified_type(request.parent, request.type)
            return answer
        urn = self._urn(request.parent, request.type, request.name)
        with self._lock:
            defaults = self._provider.provider_defaults(request.type, self._provider.provider_reference_urn(
                request.provider), self._provider_inputs, self._config)
            if request.type.startswith("pulumi:providers:"):
                self._provider_inputs[urn] = inputs
        resource_id, state = self._provider.mock_outputs(request.type, request.name, inputs, defaults)
        response = self._response(urn=urn, id=resource_id if request.custom else "",
                                  object=self._values.output_state(request.object, inputs, state))
        self._add(REGISTER, urn, request.SerializeToString())
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        if self._direct is not None:
            return self._direct.RegisterResourceOutputs(request)
        if self._is_stack(request.urn):
            # the stack's outputs: the program is finishing, so the gate must have every registration first
            self.flush()
            return self._stub.RegisterResourceOutputs(request)
        self._add(OUTPUTS, "", request.SerializeToString())
        from google.protobuf import empty_pb2

        return empty_pb2.Empty()

    def __getattr__(self, name: str) -> Any:
        if self._direct is not None:
            return getattr(self._direct, name)
        method = getattr(self._stub, name)

        def after_pending(*args: Any, **kwargs: Any) -> Any:
            self.flush()
            return method(*args, **kwargs)

        return after_pending

    def flush(self) -> None:
        """Send what is pending (in the caller's thread; a refusal raises the gate's grpc.RpcError here)."""
        with self._lock:
            self._flush_locked()

    def _add(self, kind: bytes, urn: str, message: bytes) -> None:
        with self._lock:
            self._pending.append((kind, urn, message))
            if len(self._pending) >= self._batch_size:
                self._flush_locked()

    def _flush_locked(self) -> None:
        if self._pending:  # sent while holding the lock: batches reach the gate in the order they were answered
            batch, self._pending = self._pending, []
            self._send(write_batch(batch))

    def _urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the gate computes (`monitor.GateMonitor._urn`): the parent's type chain before ours."""
        qualified = self._qualified_type(parent, type_)
        urn = f"{self._prefix}{qualified}::{name}"
        self._qualified[urn] = qualified
        return urn

    def _qualified_type(self, parent: str, type_: str) -> str:
        if parent and not self._is_stack(parent):
            return f"{self._qualified.get(parent) or parent.split('::')[2]}${type_}"
        return type_

    @staticmethod
    def _is_stack(urn: str) -> bool:
        return not urn or urn.split("::")[2:3] == [STACK_TYPE]


class _Lazy:
    """The object `make()` returns, made on first attribute access (a forked process that never calls the monitor
    opens no channel)."""

    def __init__(self, make: Any) -> None:
        self._make, self._made = make, None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)
