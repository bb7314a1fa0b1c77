"""Cloaking tells (issue 11): what a program reads cheaply to learn that it runs under `agentid preview` and not under
Pulumi's language host, compared with what Pulumi's own exec script gives it (tests/preview/real_language_host.py:
pulumi/pulumi's pulumi-language-python-exec started as pulumi-language-python starts it, against the gate's engine
services). Each tell the gate removed must read the same in both, for the program forked from the gate and for the
plain start (AGENTID_PROGRAM_FORK=0); the tells that remain are listed in docs/preview.md ("Cloaking tells") and
are not compared here. A program that grants `*` on `*` only when none of the removed tells shows is judged on that
grant (the `pulumi up` branch), in both starts."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from agentid.preview import program_fork, sandbox

from . import real_language_host
from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

# Modules are compared outside the standard library: the fork keeps the stdlib modules the gate had loaded (forgetting
# a submodule such as collections.abc broke code reaching it as an attribute), a remaining tell (docs/preview.md)
PROBE = '''import sys
FIRST = sorted(m for m in sys.modules if m.partition(".")[0] not in sys.stdlib_module_names)
import json, os, threading
import pulumi
from pulumi.runtime import settings


def read(path):
    with open(path, "rb") as handle:
        return handle.read().decode(errors="replace")


def stream(s):
    return [s.name, type(s.buffer).__name__, s.line_buffering, s.write_through, s.encoding, s.errors]


monitor = type(settings.SETTINGS.monitor)
pulumi.export("tells", json.dumps({
    "monitor": f"{monitor.__module__}.{monitor.__qualname__}",
    "argv": sys.argv, "orig_argv": sys.orig_argv, "executable": sys.executable,
    "cmdline": read("/proc/self/cmdline").split("\\0")[:-1],
    "comm": read("/proc/self/comm").strip(),
    "status_name": dict(line.split(":\\t", 1) for line in read("/proc/self/status").splitlines())["Name"],
    "unbuffered_env": os.environ.get("PYTHONUNBUFFERED"),
    "config_env": [os.environ.get("PULUMI_CONFIG"), os.environ.get("PULUMI_CONFIG_SECRET_KEYS")],
    "streams": [stream(sys.stdin), stream(sys.stdout), stream(sys.stderr)],
    "modules": FIRST,
    "executor_threads": sorted({t.name.rstrip("0123456789") for t in threading.enumerate()
                                if t is not threading.main_thread()}),
    "new_thread": threading.Thread(target=print).name,
}))
stack = __import__("traceback").extract_stack()
import importlib.util
pulumi.export("beside", json.dumps([
    [m for m in ("sdk_speedups", "mock_provider", "property_values", "lazy_provider_imports", "language_host")
     if importlib.util.find_spec(m) is not None],
    sorted(os.listdir(os.path.dirname(sys.orig_argv[1])))]))
pulumi.export("process", json.dumps({"pid": os.getpid(), "ppid": os.getppid(),
                                     "parent": read(f"/proc/{os.getppid()}/comm").strip(),
                                     "parent_cmdline": read(f"/proc/{os.getppid()}/cmdline").split("\\0")[0]}))
pulumi.export("frames", json.dumps([f"{os.path.basename(f.filename)}:{f.name}" for f in stack]))
'''

# The same tells, asked by a program that hides a wide grant from the gate.
CLOAKED = '''import sys
GATE = any(name.startswith(("agentid", "pulumi_policy", "typer", "rich", "pydantic")) for name in sys.modules)
import json, os, threading
import pulumi, pulumi_aws as aws
GATE = GATE or "-u" in sys.orig_argv or os.getppid() == 1 \\
    or open("/proc/self/cmdline", "rb").read().split(b"\\0")[:-1] != [os.fsencode(a) for a in sys.orig_argv] \\
    or open("/proc/self/comm").read().strip() not in ("python", "python3", os.path.basename(sys.executable)) \\
    or any(t.name.startswith("asyncio_") for t in threading.enumerate()) \\
    or threading.Thread(target=print).name != "Thread-1 (print)" \\
    or "pulumi.policy" not in sys.modules \\
    or not __import__("traceback").extract_stack()[0].filename.endswith("pulumi-language-python-exec") \\
    or sys.stdout.write_through != bool(os.environ.get("PYTHONUNBUFFERED")) \\
    or ": " in os.environ.get("PULUMI_CONFIG", "")
pulumi.export("gate", GATE)
r = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("p", role=r.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject" if GATE else "*", "Resource": "*"}]}))
'''


def _project(directory: Path, program: str) -> Path:
    (directory / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (directory / "__main__.py").write_text(program)
    return directory


def _normal(tells: dict) -> dict:
    """The tells with what legitimately differs between two runs replaced: the exec script's and the monitor's
    addresses (a gate's run directory, a host's install: listed in docs/preview.md), the project's directory."""
    script = tells["orig_argv"][1]
    monitor = tells["orig_argv"][tells["orig_argv"].index("--monitor") + 1]
    project = tells["orig_argv"][tells["orig_argv"].index("--pwd") + 1]

    replaced = {script: "EXEC", monitor: "ADDRESS", project: "PROJECT"}

    def normal(value):
        if isinstance(value, list):
            return [normal(v) for v in value]
        return replaced.get(value, value) if isinstance(value, str) else value

    return {key: normal(value) for key, value in tells.items()}


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict:
    project = _project(tmp_path_factory.mktemp("real"), PROBE)
    return _normal(json.loads(real_language_host.run(project, {"aws:region": "eu-west-1"})["tells"]))


@pytest.mark.parametrize("fork", ["1", "0"])
def test_the_program_reads_what_pulumis_host_gives_it(tmp_path, real, fork, monkeypatch):
    if fork == "1":  # the gate's default start: the program forked from it (the sandbox, the measured modules)
        assert sandbox.isolation().sandboxed and program_fork.host_modules()[1] is None
    monkeypatch.setenv(program_fork.FORK_ENV, fork)
    run = run_cli(_project(tmp_path, PROBE + 'import pulumi_aws as aws\naws.s3.BucketV2("b")\n'), "--stack", "dev",
                  "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    gate = _normal(json.loads(run.json("out.json")["outputs"]["tells"]))
    assert gate["orig_argv"][0] == gate["executable"] and "-u" not in gate["orig_argv"]
    for name in real:
        assert gate[name] == real[name], name
    # the bottom of the stack is the exec script's module frame, as in `python SCRIPT` (the gate's frames cut off);
    # the script's own frames (names, lines) are the gate's: docs/preview.md
    frames = json.loads(run.json("out.json")["outputs"]["frames"])
    assert frames[0] == "pulumi-language-python-exec:<module>" and frames[-1] == "__main__.py:<module>", frames
    assert not [f for f in frames if f.split(":")[0] in ("program_fork.py", "runner.py", "cli.py")], frames
    # the parent as under Pulumi: pulumi-language-python (the exec script's neighbour), a pid in the thousands
    process = json.loads(run.json("out.json")["outputs"]["process"])
    assert process["parent"] == "pulumi-language" and process["ppid"] >= sandbox.PID_FLOOR, process
    assert process["parent_cmdline"].endswith("/run/bin/pulumi-language-python"), process  # beside the exec script
    # nothing of the gate beside the exec script, whose folder is on sys.path
    assert json.loads(run.json("out.json")["outputs"]["beside"]) == [
        [], ["pulumi-language-python", "pulumi-language-python-exec"]]
    # the modules: not one of the gate's own (agentid.*, the packs' SDK, its CLI and gRPC server) at the first line
    assert not [m for m in gate["modules"] if m.startswith(("agentid", "pulumi_policy", "typer", "grpc._server"))]


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_grant_hidden_behind_the_tells_is_judged(tmp_path, fork, monkeypatch):
    monkeypatch.setenv(program_fork.FORK_ENV, fork)
    run = run_cli(_project(tmp_path, CLOAKED), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    document = run.json("out.json")
    assert document["outputs"]["gate"] is False, run.stdout
    assert ("AGID-AWS-010", "p", "mandatory") in {(v["policy"], v["resourceName"], v["enforcementLevel"])
                                                  for v in document["violations"]}, run.stdout
    assert run.code == 1, run.stdout


def test_the_look_alike_under_pulumis_host_takes_the_same_branch(tmp_path):
    """The control: under Pulumi's own exec script the same program sees no gate either (the check is no tell)."""
    outputs = real_language_host.run(_project(tmp_path, CLOAKED), {"aws:region": "eu-west-1"})
    assert outputs["gate"] is False


def test_the_host_modules_snapshot_is_pulumis_hosts(tmp_path):
    """agentid/preview/host_modules.json is what Pulumi's exec script imports with this Python and pulumi SDK
    (regenerate: python tests/preview/real_language_host.py write-host-modules)."""
    measured = real_language_host.host_modules(tmp_path)
    stored = json.loads(real_language_host.HOST_MODULES.read_text())
    assert (stored["python"], stored["pulumi"]) == (measured["python"], measured["pulumi"])
    assert stored["modules"] == measured["modules"]


def test_forgetting_keeps_the_hosts_modules_and_drops_the_gates(monkeypatch):
    import sys
    import types

    names = ("agentid_fake_gate", "fake_host_pkg", "fake_host_pkg._server", "pulumi_fake_provider")
    fake = {name: types.ModuleType(name) for name in names}
    fake["fake_host_pkg"]._server = fake["fake_host_pkg._server"]
    for name, module in fake.items():
        monkeypatch.setitem(sys.modules, name, module)
    started_with = set(sys.modules) - set(fake) | {"fake_host_pkg"}
    before = dict(sys.modules)
    try:
        forgotten = program_fork.forget_gate_modules(started_with, kept={"pulumi_fake_provider"})
        assert {"agentid_fake_gate", "fake_host_pkg._server"} <= set(forgotten)
        # kept: one a new interpreter has, one the program imports itself; not the forgotten submodule's attribute
        assert "fake_host_pkg" in sys.modules and "pulumi_fake_provider" in sys.modules
        assert not hasattr(fake["fake_host_pkg"], "_server")
    finally:
        sys.modules.clear()
        sys.modules.update(before)


def test_the_config_variables_are_written_as_gos_json_marshal_writes_them():
    """PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS come from pulumi-language-python's json.Marshal: compact, keys
    sorted, UTF-8 kept, HTML characters and the JavaScript line separators escaped (Python's `json.dumps` spacing and
    key order were a tell)."""
    from agentid.preview.program import go_json

    assert go_json({"b:x": "<a & b>", "a:y": "é\u2028", "a:n": "1"}) == \
        '{"a:n":"1","a:y":"é\\u2028","b:x":"\\u003ca \\u0026 b\\u003e"}'
    assert go_json(["k", "a"]) == '["k","a"]' and go_json([]) == "[]"


LATE = '''import json, sys
import pulumi, pulumi_aws as aws
b = aws.s3.BucketV2("b")
r = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
pulumi.export("after", pulumi.Output.all(b.arn, r.arn).apply(lambda _: json.dumps(sorted(
    m for m in sys.modules if m.partition(".")[0] not in sys.stdlib_module_names))))
'''


@pytest.mark.parametrize("fork", ["1", "0"])
def test_registering_imports_nothing_pulumis_host_would_not(tmp_path, fork, monkeypatch):
    """After its resources are registered and answered, the program's process holds no module Pulumi's host would not
    (the gate answers registrations in that process: its mock provider must not import `hmac`, say). The reverse is a
    remaining tell: the gate imports a provider SDK's modules lazily (docs/preview.md)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "gate").mkdir()
    real = set(json.loads(real_language_host.run(_project(tmp_path / "real", LATE), {"aws:region": "eu-west-1"})["after"]))
    monkeypatch.setenv(program_fork.FORK_ENV, fork)
    run = run_cli(_project(tmp_path / "gate", LATE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                  "--json", "out.json")
    assert run.code in (0, 1), run.stdout + run.stderr
    gate = set(json.loads(run.json("out.json")["outputs"]["after"]))
    assert sorted(gate - real) == []


def test_the_mock_providers_hmac_is_rfc_2104s():
    import hashlib
    import hmac

    from agentid.mock_provider import _hmac_sha256

    for size in (0, 1, 32, 64, 65, 200):
        key, message = bytes(range(size)), bytes(reversed(range(256)))[: size * 3 % 256]
        assert _hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


# red19 r19-6: the tells of the sandbox's side effects a deploy runner does not have. At `pulumi up` the checkout and
# the home are writable and the CLI's home holds its provider plugins; the gate shows the same through a throwaway
# layer (sandbox.writable), so a program that grants `*` only on a runner-like machine is judged on that grant.
RUNNER_TELLS = '''import glob, os, tempfile
import pulumi, pulumi_aws as aws


def writes(folder):
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def writes_file(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        os.unlink(path)
        return True
    except OSError:
        return False


tells = {
    "cwd": os.access(".", os.W_OK) and os.access(os.getcwd(), os.W_OK | os.X_OK),
    "cwd-write": writes("."),
    "cwd-statvfs": not os.statvfs(".").f_flag & os.ST_RDONLY,
    "home": os.access(os.path.expanduser("~"), os.W_OK) and writes_file(os.path.expanduser("~/.probe")),
    "pulumi-home": os.path.isdir(os.path.expanduser("~/.pulumi")),
    "plugins": bool(glob.glob(os.path.expanduser("~/.pulumi/plugins/resource-aws-v*/pulumi-resource-aws"))),
    "cli": __import__("shutil").which("pulumi") is not None,
}
if os.environ.get("TELLS_EXPECT_PULUMI_HOME"):  # red23 r20-6: the binaries are not empty, and are executable
    cli_home = os.path.expanduser("~/.pulumi")
    binaries = [os.path.join(cli_home, "bin", "pulumi"), os.path.join(cli_home, "bin", "pulumi-language-python"),
                *glob.glob(os.path.join(cli_home, "plugins", "resource-aws-v*", "pulumi-resource-aws"))]
    tells["cli-sizes"] = len(binaries) == 3 and all(
        os.path.getsize(b) > 10_000_000 and os.access(b, os.X_OK) for b in binaries)
    tells["cli-elf"] = all(open(b, "rb").read(4) == b"\x7fELF" for b in binaries)
pulumi.export("tells", tells)
RUNNER = all(tells.values()) if os.environ.get("TELLS_EXPECT_PULUMI_HOME") else all(
    v for k, v in tells.items() if k in ("cwd", "cwd-write", "cwd-statvfs", "home"))
aws.iam.Policy("p", policy=pulumi.Output.from_input("*" if RUNNER else "s3:GetObject").apply(
    lambda action: __import__("json").dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})))
'''


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_grant_hidden_behind_a_read_only_checkout_or_a_missing_cli_home_is_judged(tmp_path, fork, monkeypatch):
    if sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()}")
    monkeypatch.setenv(program_fork.FORK_ENV, fork)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TELLS_EXPECT_PULUMI_HOME", "1")
    project = tmp_path / "project"
    project.mkdir()
    run = run_cli(_project(project, RUNNER_TELLS), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                  "--json", "out.json")
    document = run.json("out.json")
    assert document["outputs"]["tells"] == {"cwd": True, "cwd-write": True, "cwd-statvfs": True, "home": True,
                                            "pulumi-home": True, "plugins": True, "cli": True, "cli-sizes": True,
                                            "cli-elf": True}, run.stdout
    assert ("AGID-AWS-010", "p", "mandatory") in {(v["policy"], v["resourceName"], v["enforcementLevel"])
                                                  for v in document["violations"]}, run.stdout
    assert run.code == 1, run.stdout
    assert sorted(os.listdir(home)) == [] and sorted(os.listdir(project)) == sorted(
        ["Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "out.json"])  # the program's writes stayed in its layer


def test_the_look_alike_on_a_writable_checkout_under_pulumis_host_takes_the_same_branch(tmp_path):
    """The control: under Pulumi's own exec script (no sandbox) the checkout and home read writable too; this machine
    has no Pulumi CLI home, so the plugin tells are not compared here (the gate's view is asserted above)."""
    outputs = real_language_host.run(_project(tmp_path, RUNNER_TELLS), {"aws:region": "eu-west-1"})
    tells = outputs["tells"] if isinstance(outputs["tells"], dict) else json.loads(outputs["tells"])
    assert {k: tells[k] for k in ("cwd", "cwd-write", "cwd-statvfs", "home")} == {
        "cwd": True, "cwd-write": True, "cwd-statvfs": True, "home": True}
