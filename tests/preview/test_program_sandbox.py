"""The judged program cannot weaken the gate while `agentid preview` runs: end-to-end attacks (issue 11).

Each test writes an attack program and runs the CLI as CI does, in the sandbox (Linux user, network,
pid and mount namespaces: `agentid/preview/sandbox.py`) and, where the attack has a fallback defence,
without it (`AGENTID_PREVIEW_SANDBOX=off`: what a machine without namespaces gets). The trivial pack,
configured mandatory, flags a resource named `forbidden`: every attack registers one and tries to get
`PASS (exit 0)` anyway. Before the sandbox, each of these programs passed:

1. it found the pack's loopback port (/proc/net/tcp) and sent `Configure` disabling every policy;
2. it rewrote a library the gate imports only later (`rich`, lazily, while rendering the verdict)
   so that the gate printed PASS and exited 0;
3. it saw the gate (`agentid` modules, arguments, environment, parent) and registered a clean stack;
4. it left a process behind that outlived the run (here it also tries `Configure` once the program ended).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from agentid.preview import sandbox

from .conftest import REPO as REPO_ROOT
from .conftest import TRIVIAL_PACK, copy_project
from .test_preview_cli import mandatory_config

SANDBOXED = pytest.param("sandbox", marks=pytest.mark.skipif(
    sandbox.probe() is not None, reason=f"no sandbox on this machine: {sandbox.probe()}"))
UNSANDBOXED = "unsandboxed"

# Finds the packs this gate started (processes whose parent is the program's parent or grandparent: the gate,
# whatever their command line says: a pack forked from the gate, agentid/pack_fork.py, shows the gate's), their
# listening sockets' ports, and disables every policy of each over its port (a listener that is no analyzer refuses
# the call). Only this run's packs: other runs on the same machine are left alone.
DISABLE_PACKS = '''
import os


def stat(pid):
    text = open(f"/proc/{pid}/stat").read()
    fields = text[text.rfind(")") + 2:].split()
    if len(fields) < 2:  # the process went away between listing /proc and reading it (a busy machine): skip it
        raise OSError(f"/proc/{pid}/stat is empty")
    return fields


def gate_pids():
    parent = int(stat(os.getpid())[1])
    return {parent, int(stat(parent)[1])} if parent > 1 else {parent}


def disable_packs(gates):
    import grpc
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
    from google.protobuf import empty_pb2

    inodes = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(stat(pid)[1]) in gates and int(pid) != os.getpid():
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
        except OSError:
            continue
    disabled = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # LISTEN, and a socket of one of our packs
                continue
            channel = grpc.insecure_channel(f"localhost:{int(fields[1].rsplit(':', 1)[1], 16)}")
            try:
                stub = analyzer_pb2_grpc.AnalyzerStub(channel)
                # generous: an attack that timed out on a loaded machine would let the test pass without defending
                info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
                request = analyzer_pb2.ConfigureAnalyzerRequest()
                for policy in info.policies:
                    request.policyConfig[policy.name].enforcementLevel = analyzer_pb2.DISABLED
                stub.Configure(request, timeout=30)
                disabled += 1
            except grpc.RpcError:
                pass
            finally:
                channel.close()
    return disabled
'''


# The program's process starts are AGID-GATE-002 findings the gate refuses; to test what the sandbox does with one,
# the gate only reports them (agentid.preview.out_of_band.MODE_ENV).
OBSERVE = {"AGENTID_PREVIEW_OUT_OF_BAND": "observe"}


def run_gate(project: Path, mode: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    if mode == UNSANDBOXED:
        environment[sandbox.SANDBOX_ENV] = "off"
    return subprocess.run(
        [sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev", "--policy-pack", str(TRIVIAL_PACK),
         "--policy-pack-config", str(mandatory_config(project)), *args],
        cwd=project, env=environment, capture_output=True, text=True, timeout=300)


def write(project: Path, *parts: str) -> None:
    (project / "stacks" / "__main__.py").write_text("".join(textwrap.dedent(part) for part in parts))


def assert_judged_forbidden(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "trivial-name" in run.stdout and "forbidden" in run.stdout
    assert "PASS" not in run.stdout


@pytest.mark.parametrize("mode", [SANDBOXED, UNSANDBOXED])
def test_a_program_cannot_disable_the_packs_over_their_port(tmp_path: Path, mode: str) -> None:
    project = copy_project(tmp_path)
    write(project, DISABLE_PACKS, '''
        import pulumi, pulumi_aws as aws
        pulumi.export("disabled", disable_packs(gate_pids()))
        aws.iam.User("forbidden")
    ''')
    run = run_gate(project, mode, "--json", "out.json", env=OBSERVE)  # its gRPC channel is AGID-GATE-002: let it go
    assert_judged_forbidden(run)
    import json

    reached = json.loads((project / "out.json").read_text())["outputs"]["disabled"]
    # In the sandbox the pack's port does not exist for the program; without it, the program does disable
    # the pack, and the gate sends the trusted config again before anything is judged.
    assert reached == (0 if mode == "sandbox" else 1)


def test_a_program_cannot_rewrite_a_library_the_gate_imports_later(tmp_path: Path) -> None:
    if sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()} (the unsandboxed fallback cannot stop writes)")
    project = copy_project(tmp_path)
    import rich

    # The gate imports `rich` from this copy (first on its PYTHONPATH): the program may only ever damage the copy.
    shutil.copytree(Path(rich.__file__).parent, project / "rich", ignore=shutil.ignore_patterns("__pycache__"))
    write(project, '''
        import pathlib
        import pulumi, pulumi_aws as aws

        library = pathlib.Path.cwd().parent / "rich"
        rewritten = 0
        payload = 'import os\\nprint("PASS: no mandatory violation (exit 0)", flush=True)\\nos._exit(0)\\n'
        for module in library.rglob("*.py"):
            try:
                module.write_text(payload + module.read_text())
                rewritten += 1
            except OSError:
                pass
        pulumi.export("rewritten", rewritten)
        aws.iam.User("forbidden")
    ''')
    run = run_gate(project, "sandbox", env={"PYTHONPATH": str(project)})
    assert_judged_forbidden(run)
    assert "os._exit" not in (project / "rich" / "_emoji_codes.py").read_text()


@pytest.mark.parametrize("mode", [SANDBOXED, UNSANDBOXED])
def test_a_program_cannot_tell_the_gate_from_the_engine(tmp_path: Path, mode: str) -> None:
    project = copy_project(tmp_path)
    write(project, '''
        import os, sys
        import pulumi, pulumi_aws as aws

        tells = []
        tells += [f"module {name}" for name in sys.modules if name == "agentid" or name.startswith("agentid.")]
        tells += [f"argument {a}" for a in sys.argv if "agentid" in a]
        tells += [f"variable {k}" for k in os.environ if k.startswith("AGENTID")]
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as handle:
            parent = handle.read().replace(b"\\0", b" ").decode()
        tells += ["parent " + parent] if "agentid" in parent else []
        pulumi.export("tells", tells)
        pulumi.export("argv", sys.argv)
        aws.iam.User("clean" if tells else "forbidden")
    ''')
    run = run_gate(project, mode, "--json", "out.json", env={"AGENTID_TODAY": "2030-01-01"})
    import json

    outputs = json.loads((project / "out.json").read_text())["outputs"]
    assert outputs["tells"] == []
    # as Pulumi's language host sets it: the program alone, "." relative to its folder (pkg/engine/project.go getPwdMain)
    assert outputs["argv"] == ["."]
    assert_judged_forbidden(run)


@pytest.mark.parametrize("mode", [SANDBOXED, UNSANDBOXED])
def test_no_process_of_the_program_outlives_the_run(tmp_path: Path, mode: str) -> None:
    project = copy_project(tmp_path)
    marker = f"left-behind-{uuid.uuid4().hex}"
    write(project, DISABLE_PACKS, f'''
        import os, subprocess, sys, textwrap
        import pulumi, pulumi_aws as aws

        # A daemon in its own session (out of the program's process group): once the program is gone,
        # it keeps trying to disable the packs, for a minute.
        daemon = textwrap.dedent(\'\'\'
            import os, sys, time
            parent = int(sys.argv[2])
            gates = {{int(pid) for pid in sys.argv[4].split(",")}}  # whose packs it targets once the program is gone
            while os.path.exists(f"/proc/{{parent}}"):
                time.sleep(0.001)
            exec(sys.argv[3])
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    disable_packs(gates)
                except OSError:
                    pass
                time.sleep(0.01)
        \'\'\')
        subprocess.Popen([sys.executable, "-c", daemon, "{marker}", str(os.getpid()), {DISABLE_PACKS!r},
                          ",".join(map(str, gate_pids()))],
                         start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        aws.iam.User("forbidden")
    ''')
    try:
        run = run_gate(project, mode, env=OBSERVE)  # the process start is AGID-GATE-002; let it start to test this
        left = survivors(marker)
        assert left == [], f"processes of the program outlived the run: {left}"
        # A process still running when the program's body returns could register at `pulumi up` while the engine
        # deploys (language_host._Settle): no verdict, naming it (tests/preview/test_late_registration.py).
        assert run.returncode == 2, run.stdout + run.stderr
        assert re.search(r"process \d+ \(python[^)]*\) still ran after 10 s", run.stdout), run.stdout
        assert "PASS" not in run.stdout
    finally:
        for pid in survivors(marker):
            os.kill(pid, 9)


def survivors(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_without_namespaces_the_gate_warns_and_require_sandbox_refuses(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    write(project, '''
        import pulumi_aws as aws
        aws.iam.User("forbidden")
    ''')
    warned = run_gate(project, UNSANDBOXED)
    assert warned.returncode == 1
    assert "the program runs WITHOUT a sandbox (AGENTID_PREVIEW_SANDBOX=off)" in warned.stdout
    refused = run_gate(project, UNSANDBOXED, "--require-sandbox")
    assert refused.returncode == 2, refused.stdout
    assert "--require-sandbox: the program cannot be sandboxed here (AGENTID_PREVIEW_SANDBOX=off)" in refused.stdout
    assert "trivial-name" not in refused.stdout  # nothing ran


def test_the_sandboxed_program_sees_a_read_only_world_but_its_tmp_checkout_and_home(tmp_path: Path) -> None:
    """Read-only but where a deploy runner lets the program write (red19 r19-6: a read-only cwd told the gate apart):
    its /tmp, and its checkout and home through a throwaway layer that never reaches the real ones."""
    if sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()}")
    (tmp_path / "checkout").mkdir()
    project = copy_project(tmp_path / "checkout")
    (project / ".git").mkdir()  # the checkout's top: writable as a CI checkout is, above the project's main folder
    home = tmp_path / "home"
    home.mkdir()
    write(project, '''
        import os, pathlib, subprocess
        import pulumi, pulumi_aws as aws

        def attempt(action):
            try:
                action()
                return "done"
            except OSError as error:
                return error.strerror

        pulumi.export("cwd", [os.path.basename(os.getcwd()), os.access(".", os.W_OK), os.access("..", os.W_OK)])
        pulumi.export("project", attempt(lambda: pathlib.Path("written.txt").write_text("x")))
        pulumi.export("rewritten", attempt(lambda: pathlib.Path("../Pulumi.yaml").write_text("name: other")))
        pulumi.export("above", attempt(lambda: pathlib.Path("../written.txt").write_text("x")))
        pulumi.export("home", attempt(lambda: (pathlib.Path.home() / ".agentid-sandbox-probe").write_text("x")))
        pulumi.export("library", attempt(lambda: pathlib.Path(pulumi.__file__).with_name("x.py").write_text("x")))
        pulumi.export("tmp", attempt(lambda: pathlib.Path("/tmp/scratch.txt").write_text("x")))
        layer = os.statvfs(".")
        pulumi.export("layer", [layer.f_blocks * layer.f_frsize, bool(layer.f_flag & os.ST_RDONLY)])
        pulumi.export("inodes", [os.statvfs(path).f_files for path in (".", "/tmp", "/dev/shm")])
        pulumi.export("plugins", sorted(os.listdir(pathlib.Path.home() / ".pulumi" / "plugins")))
        pulumi.export("cli", __import__("shutil").which("pulumi"))
        remount = subprocess.run(["mount", "-o", "remount,rw,bind", "/"], capture_output=True)
        pulumi.export("remount", remount.returncode)
        unmount = subprocess.run(["umount", os.getcwd()], capture_output=True)
        pulumi.export("unmount", unmount.returncode)
        pulumi.export("processes", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
        aws.iam.User("forbidden")
    ''')
    run = run_gate(project, "sandbox", "--json", "out.json", env={**OBSERVE, "HOME": str(home)})  # `mount`: GATE-002
    import json

    outputs = json.loads((project / "out.json").read_text())["outputs"]
    assert outputs["cwd"] == ["stacks", True, True], outputs
    assert outputs["project"] == outputs["rewritten"] == outputs["above"] == outputs["home"] == "done", outputs
    assert outputs["library"] == "Read-only file system" and outputs["tmp"] == "done"
    assert outputs["layer"][0] <= 256 * 1024 * 1024 and outputs["layer"][1] is False  # bounded, and writable
    assert outputs["inodes"] == [65_536] * 3, outputs["inodes"]  # files bounded too, not only bytes
    from agentid.preview import sdk_versions

    plugin = f"resource-aws-v{sdk_versions.installed(None)['aws']}"
    assert plugin in outputs["plugins"] and f"{plugin}.lock" in outputs["plugins"], outputs["plugins"]
    assert outputs["cli"] == str(home / ".pulumi" / "bin" / "pulumi")  # on PATH, as the CLI's installer leaves it
    assert outputs["remount"] != 0 and outputs["unmount"] != 0  # locked: the read-only world stays read-only
    # nothing the program wrote reached the real checkout or home
    assert not (project / "stacks" / "written.txt").exists() and not (project / "written.txt").exists()
    assert (project / "Pulumi.yaml").read_text() == (REPO_ROOT / "Pulumi.yaml").read_text()
    assert sorted(os.listdir(home)) == []
    assert len(outputs["processes"]) <= 5  # its own pid namespace: the init, the host, the program, what it ran
    assert_judged_forbidden(run)


def test_only_the_runners_own_writable_folders_are_shown_writable(tmp_path: Path, monkeypatch) -> None:
    """What `writable` shows: the checkout's top (or the project) and the home, not a system tree, not a folder this
    user cannot write or does not own, not one with a mount below it, not one nested in another, no path an overlay's
    options cannot carry."""
    checkout = tmp_path / "repo"
    (checkout / "infra" / "app").mkdir(parents=True)
    (checkout / ".git").write_text("gitdir: /elsewhere\n")  # a worktree's .git file marks the top too
    home = tmp_path / "home"
    home.mkdir()
    shown = sandbox.writable(checkout / "infra" / "app", {"aws": "7.51.0", "azure-native": "3.29.0", "x;rm": "1"},
                             home=str(home))
    assert shown == sandbox.Writable((str(checkout), str(home)), str(home),
                                     ("resource-aws-v7.51.0", "resource-azure-native-v3.29.0"))
    # the project inside the home: the home alone (its overlay shows the checkout too)
    inside = home / "work" / "app"
    inside.mkdir(parents=True)
    assert sandbox.writable(inside, {}, home=str(home)) == sandbox.Writable((str(home),), str(home), ())
    # no home, a system tree, a path with a comma, a folder the user cannot write
    assert sandbox.writable(Path("/usr"), {}, home="") == sandbox.Writable()
    odd = tmp_path / "a,b"
    odd.mkdir()
    assert sandbox.writable(odd, {}, home="/") == sandbox.Writable()
    monkeypatch.setattr(sandbox.os, "access", lambda path, mode: False)
    assert sandbox.writable(checkout, {}, home=str(home)) == sandbox.Writable()
    monkeypatch.undo()
    # a mount point below the folder: an overlay would hide it
    monkeypatch.setattr(sandbox, "_mount_points", lambda: [Path("/"), home / "mnt"])
    assert sandbox.writable(checkout, {}, home=str(home)) == sandbox.Writable((str(checkout),), "", ())


def test_a_layer_the_kernel_or_chmod_refuses_leaves_the_folder_read_only_and_the_run_going(tmp_path: Path) -> None:
    """sandbox.command with two folders to show writable: one that cannot be layered (it does not exist: chmod
    fails, as busybox's without --reference or a kernel refusing the overlay would) stays as it was and the run goes
    on; the other takes writes that never reach it."""
    if sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()}")
    import tempfile

    private = tempfile.TemporaryDirectory(prefix="pulumi-", dir="/tmp")  # as the gate's: not under the folders shown
    run = Path(private.name, "run")
    (run / "bin").mkdir(parents=True)
    folder = tmp_path / "checkout"
    folder.mkdir()
    shown = sandbox.Writable((str(tmp_path / "missing"), str(folder)), "", ())
    script = f"touch {folder}/x && test -f {folder}/x && ! touch {tmp_path}/y 2>/dev/null && echo layered"
    completed = subprocess.run(sandbox.command(["sh", "-c", script], run.resolve(), [tmp_path], shown),
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and completed.stdout.strip() == "layered", completed.stderr
    assert os.listdir(folder) == [] and not (tmp_path / "y").exists()
    private.cleanup()
