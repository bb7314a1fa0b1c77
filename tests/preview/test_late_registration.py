"""The judged program cannot hide a resource by registering it late: end-to-end `agentid preview` runs.

Issue 11, "Integrity" (red8 item E). Pulumi's exec script ends with `sys.exit`, so atexit hooks run while the
engine still serves the monitor; the engine itself stops taking registrations at the SDK's
`SignalAndWaitForShutdown` (pulumi/pulumi pkg/resource/deploy/source_eval.go). The gate's language host used to
end with `os._exit`: a late registration vanished and the run passed. Each hostile case registers a resource named
`forbidden` (the trivial pack, configured mandatory, flags it); each look-alike does the same thing harmlessly.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentid.preview import sandbox

from .conftest import run_cli
from .test_gate_integrity import mandatory_trivial
from .test_preview_cli import write_program

AFTER_SHUTDOWN = "was registered after the program told the engine it had finished (SignalAndWaitForShutdown)"

# A registration sent straight to the monitor, as any thread, hook or handler can (red8's repro e_late_registration).
RAW_REGISTRATION = '''
def register_forbidden():
    from google.protobuf import struct_pb2
    from pulumi.runtime import settings
    from pulumi.runtime.proto import resource_pb2
    inputs = struct_pb2.Struct()
    inputs.update({"name": "forbidden"})
    settings.get_monitor().RegisterResource(resource_pb2.RegisterResourceRequest(
        type="aws:iam/user:User", name="forbidden", custom=True, object=inputs))
'''


def test_an_atexit_hook_registering_through_the_sdk_gets_no_verdict(project: Path) -> None:
    write_program(project, extra='''
        import asyncio, atexit
        from pulumi.runtime.stack import wait_for_rpcs
        def late():
            asyncio.set_event_loop(asyncio.new_event_loop())
            aws.iam.User("forbidden")
            asyncio.get_event_loop().run_until_complete(wait_for_rpcs())
        atexit.register(late)
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert run.code == 2, run.stdout
    assert f"stacks/__main__.py:25: aws:iam/user:User 'forbidden' {AFTER_SHUTDOWN}" in run.stdout
    assert run.json("out.json")["verdict"] == "error"
    assert "PASS" not in run.stdout


def test_an_atexit_hook_registering_on_the_raw_monitor_gets_no_verdict(project: Path) -> None:
    write_program(project, extra=RAW_REGISTRATION + textwrap.dedent('''
        import atexit
        atexit.register(register_forbidden)
    '''))
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 2, run.stdout
    assert f"aws:iam/user:User 'forbidden' {AFTER_SHUTDOWN}" in run.stdout


def test_a_harmless_atexit_hook_still_passes(project: Path) -> None:
    write_program(project, extra='''
        import atexit, logging, sys
        atexit.register(lambda: logging.getLogger("program").info("bye"))
        atexit.register(lambda: print("atexit hook ran", file=sys.stderr))
    ''')
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 0, run.stdout
    assert "PASS" in run.stdout


# --- work the program leaves running when its body returns -------------------------------------------------------
# At `pulumi up` the SDK's wait for outstanding RPCs lasts as long as the deployment, so such work can still register
# before the shutdown signal, and the engine creates it. The gate waits for it (and judges what it registers).


def assert_flagged(run) -> None:
    assert run.code == 1, run.stdout
    _forbidden_flagged(run)


def assert_flagged_or_no_verdict(run) -> None:
    """A forked child's own gRPC call may fail (gRPC is not fork-safe without GRPC_ENABLE_FORK_SUPPORT, and under load
    the child's new channel sometimes raises before it sends): the child then unwinds through the SDK and the run
    gets no verdict. Either outcome keeps the resource from passing unseen, which is what these tests are about."""
    if run.code == 2:
        assert "no verdict" in run.stdout, run.stdout
        return
    assert run.code == 1, run.stdout
    _forbidden_flagged(run)


def _forbidden_flagged(run) -> None:
    violations = run.json("out.json")["violations"]
    assert [(v["policy"], v["resourceName"], v["resourceType"]) for v in violations] == [
        ("trivial-name", "forbidden", "aws:iam/user:User")]


def test_a_thread_that_registers_through_the_event_loop_after_the_body_is_judged(project: Path) -> None:
    write_program(project, extra='''
        import asyncio, threading, time
        loop = asyncio.get_event_loop()
        def later():
            time.sleep(1.0)
            loop.call_soon_threadsafe(lambda: aws.iam.User("forbidden"))
        threading.Thread(target=later).start()
    ''')
    assert_flagged(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_a_daemon_thread_that_registers_on_the_raw_monitor_after_the_body_is_judged(project: Path) -> None:
    write_program(project, extra=RAW_REGISTRATION + textwrap.dedent('''
        import threading, time
        def later():
            time.sleep(1.0)
            register_forbidden()
        threading.Thread(target=later, daemon=True).start()
    '''))
    assert_flagged(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_an_event_loop_timer_and_a_task_that_register_later_are_judged(project: Path) -> None:
    write_program(project, extra='''
        import asyncio
        asyncio.get_event_loop().call_later(1.0, lambda: aws.iam.User("forbidden"))
        async def other():
            await asyncio.sleep(1.0)
            aws.iam.User("forbidden-too", name="fine")
        asyncio.ensure_future(other())
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert_flagged(run)
    assert "forbidden-too" in {r["name"] for r in run.json("out.json")["resources"]}


def test_an_alarm_signal_handler_that_registers_later_is_judged(project: Path) -> None:
    write_program(project, extra='''
        import signal
        signal.signal(signal.SIGALRM, lambda *_: aws.iam.User("forbidden"))
        signal.setitimer(signal.ITIMER_REAL, 1.0)
    ''')
    assert_flagged(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_a_thread_that_never_ends_gets_no_verdict_naming_it(project: Path) -> None:
    write_program(project, extra='''
        import threading, time
        def forever():
            while True:
                time.sleep(0.2)
        threading.Thread(target=forever, name="watcher", daemon=True).start()
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert run.code == 2, run.stdout
    assert "daemon thread 'watcher' running" in run.stdout and "still ran after 10 s" in run.stdout
    assert run.json("out.json")["verdict"] == "error"


def test_threads_timers_and_processes_that_end_without_registering_still_pass(project: Path) -> None:
    write_program(project, extra='''
        import asyncio, concurrent.futures, os, sys, threading, time
        threading.Thread(target=time.sleep, args=(0.5,)).start()
        threading.Thread(target=time.sleep, args=(0.3,), daemon=True).start()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            pool.submit(time.sleep, 0.1)
        asyncio.get_event_loop().call_later(0.3, lambda: None)
        # processes (forked: starting a program is AGID-GATE-002, tests/preview/test_out_of_band_gate.py)
        for seconds in (0.5, 0.0):
            if os.fork() == 0:
                time.sleep(seconds)
                os._exit(0)
    ''')
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 0, run.stdout
    assert "PASS" in run.stdout


# A program that replaces the SDK's shutdown step (so the gate's wait before the signal never runs) and signals at
# once: what its thread registers later reaches the gate after the signal (refused), and what still runs after the
# bound fails the run; either way, no verdict instead of a PASS.
SIGNAL_AT_ONCE = '''
import asyncio
from google.protobuf import empty_pb2
from pulumi.runtime import settings, stack
async def signal_at_once():
    monitor = settings.get_monitor()
    await asyncio.get_running_loop().run_in_executor(None, lambda: monitor.SignalAndWaitForShutdown(empty_pb2.Empty()))
stack._wait_for_shutdown = signal_at_once
'''


def test_a_program_that_signals_before_its_thread_registers_gets_no_verdict(project: Path) -> None:
    write_program(project, extra=RAW_REGISTRATION + SIGNAL_AT_ONCE + textwrap.dedent('''
        import threading, time
        def later():
            time.sleep(1.0)
            register_forbidden()
        threading.Thread(target=later, daemon=True).start()
    '''))
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 2, run.stdout
    assert f"aws:iam/user:User 'forbidden' {AFTER_SHUTDOWN}" in run.stdout


def test_a_program_that_signals_while_its_thread_still_runs_gets_no_verdict(project: Path) -> None:
    write_program(project, extra=SIGNAL_AT_ONCE + textwrap.dedent('''
        import threading, time
        threading.Thread(target=time.sleep, args=(3600,), name="sleeper", daemon=True).start()
    '''))
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 2, run.stdout
    assert "daemon thread 'sleeper'" in run.stdout and "still ran after 10 s" in run.stdout


# --- forked processes -------------------------------------------------------------------------------------------
# A forked process inherits the program's monitor. The gate's batching monitor used to keep what the child
# registered in the child's copy of the batch, which nobody sent: the engine would have taken it.


@pytest.fixture(params=["sandboxed", "unsandboxed"])
def either_way(request, monkeypatch) -> None:
    """Processes are found differently in and out of the sandbox (its own pid namespace, or the host's)."""
    if request.param == "unsandboxed":
        monkeypatch.setenv(sandbox.SANDBOX_ENV, "off")


def test_a_forked_process_that_registers_is_judged(project: Path, either_way: None) -> None:
    write_program(project, extra=RAW_REGISTRATION + textwrap.dedent('''
        import os
        child = os.fork()
        if child == 0:
            register_forbidden()
            os._exit(0)
        os.waitpid(child, 0)
    '''))
    assert_flagged_or_no_verdict(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_a_forked_process_that_registers_after_the_body_returned_is_judged(project: Path, either_way: None) -> None:
    write_program(project, extra=RAW_REGISTRATION + textwrap.dedent('''
        import os, time
        if os.fork() == 0:
            time.sleep(1.0)
            register_forbidden()
            os._exit(0)
    '''))
    assert_flagged_or_no_verdict(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_a_detached_daemon_that_registers_after_the_body_returned_is_judged(project: Path, either_way: None) -> None:
    # Double fork and a session of its own: the daemon's parent is gone before the body returns.
    write_program(project, extra=RAW_REGISTRATION + textwrap.dedent('''
        import os, time
        first = os.fork()
        if first == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1.0)
                register_forbidden()
            os._exit(0)
        os.waitpid(first, 0)
    '''))
    assert_flagged_or_no_verdict(run_cli(project, *mandatory_trivial(project), "--json", "out.json"))


def test_forked_workers_that_register_nothing_still_pass(project: Path) -> None:
    write_program(project, extra='''
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(2) as pool:
            assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]
    ''')
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 0, run.stdout
    assert "PASS" in run.stdout
