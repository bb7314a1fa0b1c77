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
