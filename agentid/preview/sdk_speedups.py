"""Costs of the Pulumi Python SDK that judging a plan does not need, taken off in the gate's program run only.

Issue 17 profiled `agentid preview` at 1,000 agents: besides the garbage collector
(off in the child, see `program._child`), three SDK costs are per resource and buy
nothing for a verdict:

* **Alias URNs.** Every pulumi_azure_native class declares 4-9 versioned aliases
  (`ResourceOptions.aliases`), and `Resource.__init__` turns each into a URN
  Output at once (`collapse_alias_to_urn`). Aliases let `pulumi up` match a renamed
  resource to its old state; a preview judged offline has no state to match. A
  *stack transformation* (public API: `pulumi.runtime.register_stack_transformation`,
  run before the aliases are read) drops them. The components keep declaring them.
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

None of these changes a registered resource, input, URN, parent, dependency or source
position (tests/preview/test_speedups.py runs stacks both ways and compares). Each
is applied only when the SDK still has the shape relied on; otherwise the plain
path runs and a warning says so. `AGENTID_PREVIEW_PLAIN_SDK=1` turns them all off.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from typing import Any

PLAIN_SDK_ENV = "AGENTID_PREVIEW_PLAIN_SDK"


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
                          ("mock URNs as Outputs", _plain_mock_urns)):
        problem = install()
        if problem:
            warnings.append(f"agentid preview: not skipping {name} ({problem}); the run is correct but slower")
    return warnings


def _skip_alias_urns() -> str | None:
    """Register the stack transformation that drops aliases (call inside `run_in_stack`, once the stack exists)."""
    import pulumi

    register = getattr(pulumi.runtime, "register_stack_transformation", None)
    result_type = getattr(pulumi, "ResourceTransformationResult", None)
    options_type = getattr(pulumi, "ResourceOptions", None)
    if register is None or result_type is None or options_type is None or not hasattr(options_type, "_copy") \
            or not hasattr(options_type(), "aliases"):
        return "this pulumi SDK has no register_stack_transformation / ResourceOptions.aliases"

    def without_aliases(args: Any) -> Any:
        if not args.opts.aliases:
            return None  # nothing to drop: the resource goes on untouched
        opts = args.opts._copy()
        opts.aliases = None
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
