"""Start a real moto server process on 127.0.0.1 and a port of its own (used by the tests and the benchmark)."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

MOTO_ACCOUNT_ID = "123456789012"  # moto's default account
# Seconds a credential's remaining life, read back in a test, may fall short of what was asked. The server's
# times are whole seconds (STS's Expiration and Date header, a JWT's iat/exp), taken at moments a loaded machine
# (2 cores shared by several test runs) can push seconds apart, and the broker reads its clock after the answer.
# A minute is far below every difference the tests tell apart (900 s vs the 600 declared, 1800 vs 900, 300 vs
# 600, a full life vs "already expired"); the upper bounds stay exact.
LOADED_MACHINE_SLACK = 60
DUMMY_CREDENTIALS = {  # moto accepts anything; never real-looking keys
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# The server binds port 0 itself and prints the port the kernel gave it. Picking a "free" port here and
# passing it to the child raced every other test process on the machine: another server (another engineer's
# moto!) could take the port in between, and the readiness probe below then talked to THAT server.
# ThreadedMotoServer is moto's documented in-process server; run in its own interpreter, it keeps moto's state
# out of the test process.
_SERVE_ON_PORT_ZERO = """
import os, sys, threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
server.start()
port = server.get_host_and_port()[1]
os.environ["MOTO_PORT"] = str(port)  # what moto_server sets: moto builds its own URLs from it
print(port, flush=True)
threading.Event().wait()  # until SIGTERM
"""


def _announced_port(process: subprocess.Popen, deadline: float) -> int:
    """The port the child printed on its first stdout line (or an error once it exits or `deadline` passes)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(max(0.0, deadline - time.monotonic())):
            raise RuntimeError("moto_server did not say its port in time")
    line = process.stdout.readline().strip()
    if not line.isdigit():
        process.wait(timeout=10)
        raise RuntimeError(f"moto_server exited with {process.returncode} before it was ready")
    return int(line)


@contextmanager
def moto_server(timeout: float = 120.0) -> Iterator[str]:
    """Yield the endpoint URL of a fresh moto server on 127.0.0.1 (a port of its own); terminate it afterwards.

    `timeout`: seconds for it to start (an import of moto takes seconds on a loaded 2-core machine).
    """
    process = subprocess.Popen([sys.executable, "-c", _SERVE_ON_PORT_ZERO], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{_announced_port(process, deadline)}"
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {process.returncode} before it was ready")
            try:
                urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not answer on {url} within {timeout} s")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()  # type: ignore[union-attr]


def reset(url: str) -> None:
    """Forget every resource (moto's own reset endpoint)."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=60).read()  # a hang guard, not a speed bound


def assumed_roles(url: str) -> dict[str, dict]:
    """Every STS session moto issued, by access key id: role ARN, session name, session policy.

    moto records these, but not the session tags nor the source identity it was
    sent (those are asserted on the wire, through the recording proxy).
    """
    data = json.loads(urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=30).read())
    return {role["access_key_id"]: role for role in data.get("sts", {}).get("AssumedRole", [])}
