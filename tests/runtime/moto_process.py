"""Start a real `moto_server` process on 127.0.0.1 and a free port (used by the tests and the benchmark)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

MOTO_ACCOUNT_ID = "123456789012"  # moto's default account
DUMMY_CREDENTIALS = {  # moto accepts anything; never real-looking keys
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _command(port: int) -> list[str]:
    installed = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    if installed:
        return [installed, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@contextmanager
def moto_server(timeout: float = 30.0) -> Iterator[str]:
    """Yield the endpoint URL of a fresh moto server; terminate it afterwards."""
    port = free_port()
    process = subprocess.Popen(_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
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
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reset(url: str) -> None:
    """Forget every resource (moto's own reset endpoint)."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()


def assumed_roles(url: str) -> dict[str, dict]:
    """Every STS session moto issued, by access key id: role ARN, session name, session policy.

    moto records these, but not the session tags nor the source identity it was
    sent (those are asserted on the wire, through the recording proxy).
    """
    data = json.loads(urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=30).read())
    return {role["access_key_id"]: role for role in data.get("sts", {}).get("AssumedRole", [])}
