"""The gate's `pulumi-language-python-exec`: runs the judged program as Pulumi's Python language host does.

Pulumi's language host starts `python -u pulumi-language-python-exec --monitor ADDR --engine ADDR
--project P --stack S --pwd DIR --dry_run true --parallel N ... PROGRAM`, with the stack's config in
`PULUMI_CONFIG` (JSON, keys `project:key`); the script configures the SDK and runs PROGRAM with
`runpy.run_path` inside `run_in_stack` (pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec).
The gate copies this file into the program's run directory under that name and starts it the same
way, so the program sees what it would see under the engine: no `agentid` module imported (this
file imports none: it is run by path, never as `agentid.preview.language_host`), no gate arguments,
no gate environment variables.

What differs from Pulumi's script, for the gate: the garbage collector is off (the program keeps
almost all it allocates; issue 17), the SDK costs `sdk_speedups.py` removes are removed and registrations
are answered here and sent to the gate in batches (that file and the two it loads are copied next to this
one and loaded under neutral names), and when the program fails this script
writes why to `result.json` beside itself (spec problems, config errors, a traceback's tail) for the
gate to show. That note can only turn a run into a failure: the gate's verdict rests on what the
monitor recorded and on the program having finished through the SDK.

The end of the run, as Pulumi's runs it (facts from pulumi 3.272's sources): the SDK's `run_pulumi_func`
(pulumi/runtime/stack.py) runs the program's body, awaits `wait_for_rpcs` (every outstanding RPC and
Output) and then sends `SignalAndWaitForShutdown`; Pulumi's exec script then ends with `sys.exit`, so the
interpreter's normal shutdown joins the non-daemon threads and runs the atexit hooks while the engine still
serves the monitor. The engine ends its source of registrations at that signal (pulumi/pulumi
pkg/resource/deploy/source_eval.go, `resmon.SignalAndWaitForShutdown`: `finChan <- nil`, "no more events");
a registration after it is never read (it waits until the monitor is cancelled). Here the gate's monitor
refuses a registration after the signal, and this script runs the atexit hooks (and sends what the batching
monitor still holds) before its `os._exit`, so such a registration reaches the gate and gets no verdict
instead of vanishing with the process.
"""

import argparse
import gc
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = os.path.join(HERE, "result.json")
SPEEDUPS = os.path.join(HERE, "sdk_speedups.py")


def main() -> None:
    parser = argparse.ArgumentParser(description="Execute a Pulumi Python program")
    for option in ("--project", "--stack", "--parallel", "--dry_run", "--pwd", "--monitor", "--engine", "--tracing",
                   "--organization", "--root_directory"):
        parser.add_argument(option)
    parser.add_argument("PROGRAM")
    parser.add_argument("ARGS", nargs="*")
    args = parser.parse_args()
    gc.freeze()  # the imports so far stay out of every collection
    gc.disable()  # the program keeps almost all it allocates until the end: collections only cost (issue 17)
    import asyncio
    import logging

    import pulumi
    import pulumi.runtime

    speedups = _speedups()
    monitor, warnings = args.monitor, []
    if speedups is not None:  # registrations answered here and sent in batches, when the SDK allows it
        monitor, problem = speedups.batching_monitor(args.monitor, args.project, args.stack)
        if problem:
            warnings.append(f"agentid preview: not batching registrations ({problem}); the run is correct but slower")
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    pulumi.runtime.configure(pulumi.runtime.Settings(
        monitor=monitor, engine=args.engine, project=args.project, stack=args.stack,
        parallel=int(args.parallel or 0) or None, dry_run=args.dry_run == "true",
        organization=args.organization or "organization", root_directory=args.root_directory))
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd:
        os.chdir(args.pwd)
    program = os.path.abspath(args.PROGRAM)
    sys.path.insert(0, program if os.path.isdir(program) else os.path.dirname(program))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # as Pulumi's script: unobserved futures are expected
    status = 0
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: _run(program, speedups, warnings)))
    except BaseException as error:  # noqa: BLE001 - everything the program raises is a failed preview
        status = _write(_failure(error))
    _after_the_program(monitor)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # no interpreter teardown: everything the gate needs is already in its own process


def _after_the_program(monitor) -> None:
    """What Pulumi's exec script does after the program while the engine still listens: run the atexit hooks
    (the program's, and its libraries'); then send the registrations the batching monitor still holds. Whatever
    registers here reaches the gate, which refuses it (after the shutdown signal) or, when the program never
    signalled, still gives no verdict: it is never dropped unseen."""
    import atexit

    atexit._run_exitfuncs()  # the interpreter's own shutdown step; exceptions are printed, as at exit
    flush = getattr(monitor, "flush", None)
    if flush is not None:
        try:
            flush()
        except Exception:  # noqa: BLE001 - a refusal is already recorded by the gate, which fails the run
            pass


def _run(program: str, speedups, warnings: list) -> None:
    import runpy

    import pulumi

    for warning in [*warnings, *(speedups.apply() if speedups is not None else [])]:
        pulumi.log.warn(warning)  # reaches the gate through the Engine service, shown with the verdict
    runpy.run_path(program, run_name="__main__")


def _speedups():
    """sdk_speedups.py from beside this file, under a name that is not the kit's (nothing in sys.modules); None
    when the gate did not install it (the plain path)."""
    if not os.path.exists(SPEEDUPS):
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location("pulumi_language_python_speedups", SPEEDUPS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure(error: BaseException) -> dict:
    """Why the program failed, as the gate shows it. The kit's own error types are recognised by name, from
    the modules the program itself imported (this script imports none of them)."""
    kinds = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__}
    if "agentid_components.loader.SpecLoadError" in kinds:
        return {"status": "spec_error", "errors": [
            {"file": e.file, "line": e.line, "path": e.path, "message": e.message} for e in error.errors]}
    if kinds & {"pulumi.errors.RunError", "agentid_components.aws.permissions.PolicyCompileError",
                "agentid_components.azure.plan.AzureCompileError"}:
        # `pulumi.RunError` is Pulumi's "report without a stack trace"; the compilers refuse config or specs.
        return {"status": "config_error", "error": str(error)}
    return {"status": "program_error", "error": f"{type(error).__name__}: {error}",
            "traceback": "".join(traceback.format_exception(error)[-12:])}


def _write(result: dict) -> int:
    with open(RESULT, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(result, default=str))
    return 1


if __name__ == "__main__":
    main()
