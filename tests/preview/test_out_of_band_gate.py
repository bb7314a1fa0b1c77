"""AGID-GATE-002 end to end through `agentid preview` (issue 11): the program calls the cloud itself.

The judged program is pull-request code: at `pulumi up` it runs with the deployer's credentials and network. A
boto3 call swallowed in try/except, a request to the instance metadata service, `aws` in a subprocess, a read of
~/.aws/credentials or of AWS_SECRET_ACCESS_KEY, a native call through ctypes passed the gate (no network in the
sandbox: the call failed quietly). Each is now a mandatory finding naming the attempt and the program's line; what
only looks like it (boto3 imported, pure computation, the project's own files, pulumi.Config) passes; and the
program cannot silence the record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

HEAD = "import pulumi, pulumi_aws as aws\n"
BUCKET = 'aws.s3.BucketV2("drop", bucket="acme-drop", tags={"owner": "data-team"})\n'


def preview(directory: Path, program: str, codes: tuple[int, ...] = (0, 1)) -> tuple[int, list[dict], str]:
    """(exit code, the JSON report's violations, the terminal output) of `agentid preview` over a one-file project."""
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  acme:team: data\n")
    (directory / "__main__.py").write_text(program)
    run = run_cli(directory, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code in codes, run.stdout + run.stderr
    return run.code, json.loads((directory / "out.json").read_text())["violations"], run.stdout + run.stderr


def gate_002(violations: list[dict]) -> list[str]:
    """The AGID-GATE-002 messages, after checking each is the gate's mandatory critical finding on the stack."""
    found = [v for v in violations if v["policy"] == "AGID-GATE-002"]
    for v in found:
        assert (v["enforcementLevel"], v["mandatory"], v["severity"], v["policyPack"]) == (
            "mandatory", True, "critical", "agentid-preview"), v
        assert v["urn"] == "urn:pulumi:dev::acme::pulumi:pulumi:Stack::acme-dev"
    return [v["message"] for v in found]


def only_gate_002(violations: list[dict]) -> None:
    assert sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]}) == [("AGID-GATE-002", None)]


def test_a_boto3_call_swallowed_in_try_except_fails(tmp_path):
    program = (HEAD + "try:\n"
               "    import boto3; iam = boto3.client('iam')\n"
               "    iam.create_user(UserName='x')\n"
               "    iam.attach_user_policy(UserName='x', PolicyArn='arn:aws:iam::aws:policy/AdministratorAccess')\n"
               "    iam.create_access_key(UserName='x')\n"
               "except Exception:\n    pass\n" + BUCKET)
    code, violations, _ = preview(tmp_path / "boto3", program)
    assert code == 1
    only_gate_002(violations)
    messages = gate_002(violations)
    # the credential the SDK looked for (withheld: a placeholder) and the API it then tried, at the program's lines
    assert any("reads the credential variable AWS_SECRET_ACCESS_KEY" in m and "at __main__.py:3" in m for m in messages)
    assert any("looks up the host 'iam.amazonaws.com' at __main__.py:4" in m for m in messages), messages


def test_a_request_to_the_instance_metadata_service_fails(tmp_path):
    program = (HEAD + "import urllib.request\n" + BUCKET + "try:\n"
               "    urllib.request.urlopen('http://169.254.169.254/latest/meta-data/iam/security-credentials/', "
               "timeout=1)\n"
               "except Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "imds", program)
    assert code == 1
    only_gate_002(violations)
    # urllib looks for proxies in every variable's value first (getproxies_environment): at `pulumi up` the
    # deployer's credentials, in the program's process
    assert gate_002(violations) == [
        "[gate-integrity] the program reads the credential variables ACTIONS_ID_TOKEN_REQUEST_TOKEN, "
        "ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_RUNTIME_TOKEN and 29 more by copying or iterating the environment in "
        "getproxies_environment (urllib/request.py) (values withheld by the gate; read only the variables the "
        "program needs, by name, or use pulumi.Config) at __main__.py:5: outside the engine's channel, which at "
        "`pulumi up` runs with the deployer's credentials and network and creates or reads what no resource shows "
        "(the gate refused it)",
        "[gate-integrity] the program sends an HTTP request to "
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/ (the instance metadata service "
        "(AWS IMDS, Azure IMDS, GCP metadata server)) at __main__.py:5: outside the engine's channel, which at "
        "`pulumi up` runs with the deployer's credentials and network and creates or reads what no resource shows "
        "(the gate refused it)"]


@pytest.mark.parametrize("call, shown", [
    ("subprocess.run(['aws', 'iam', 'create-user', '--user-name', 'x'], capture_output=True)",
     "starts the process 'aws iam create-user --user-name x'"),
    ("os.system('az role assignment create --role Owner --assignee x')",
     "runs the shell command 'az role assignment create --role Owner --assignee x'"),
    ("os.execvp('kubectl', ['kubectl', 'apply', '-f', 'x.yaml'])", "starts the process 'kubectl apply -f x.yaml'"),
    ("os.posix_spawnp('gcloud', ['gcloud', 'projects', 'list'], os.environ)", "starts the process 'gcloud projects list'"),
])
def test_starting_a_process_fails(tmp_path, call, shown):
    program = HEAD + "import os, subprocess\n" + BUCKET + f"try:\n    {call}\nexcept Exception:\n    pass\n"
    code, violations, _ = preview(tmp_path / "process", program)
    assert code == 1
    only_gate_002(violations)
    messages = gate_002(violations)
    # an explicit environment (os.environ) hands the child every variable's value: at `pulumi up` the credentials
    copied = [m for m in messages if "by copying or iterating the environment (values" in m]
    assert len(copied) == (1 if call.endswith("os.environ)") else 0), messages
    [message] = [m for m in messages if m not in copied]
    assert shown in message and "at __main__.py:5" in message, message


def test_reading_the_deployers_credential_file_and_variables_fails(tmp_path):
    program = (HEAD + "import os\n" + BUCKET + "try:\n"
               "    open(os.path.expanduser('~/.aws/credentials')).read()\n"
               "except Exception:\n    pass\n"
               "secret = os.environ['AWS_SECRET_ACCESS_KEY']\n"
               "token = os.getenv('ACTIONS_ID_TOKEN_REQUEST_TOKEN')\n"
               "pulumi.export('n', len(secret) + len(token or ''))\n")
    code, violations, _ = preview(tmp_path / "files", program)
    assert code == 1
    only_gate_002(violations)
    messages = gate_002(violations)
    home = str(Path("~").expanduser())
    assert [m.split(": outside")[0] for m in messages] == [
        f"[gate-integrity] the program opens the credential file {home}/.aws/credentials at __main__.py:5",
        "[gate-integrity] the program reads the credential variable ACTIONS_ID_TOKEN_REQUEST_TOKEN (its value was "
        "withheld by the gate) at __main__.py:9",
        "[gate-integrity] the program reads the credential variable AWS_SECRET_ACCESS_KEY (its value was withheld by "
        "the gate) at __main__.py:8"]


def test_a_symlink_to_the_credential_file_is_the_credential_file(tmp_path):
    program = (HEAD + "import os, tempfile\n" + BUCKET
               + "link = os.path.join(tempfile.mkdtemp(), 'harmless')\n"
               "os.symlink(os.path.expanduser('~/.aws'), link)\n"
               "try:\n    open(os.path.join(link, 'credentials')).read()\nexcept Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "symlink", program)
    assert code == 1
    [message] = gate_002(violations)
    assert "opens the credential file" in message and "/harmless/credentials" in message and "__main__.py:7" in message


def test_a_hard_link_to_the_credential_file_is_refused(tmp_path):
    """A hard link has no path to resolve back: making one (or moving the file) is the finding."""
    program = (HEAD + "import os, tempfile\n" + BUCKET
               + "try:\n    os.link(os.path.expanduser('~/.aws/credentials'), os.path.join(tempfile.mkdtemp(), 'x'))\n"
               "except Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "hardlink", program)
    assert code == 1
    home = str(Path("~").expanduser())
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        f"[gate-integrity] the program links the credential file {home}/.aws/credentials at __main__.py:5"]


def test_a_native_call_through_ctypes_fails(tmp_path):
    program = (HEAD + "import ctypes\n" + BUCKET
               + "try:\n    ctypes.CDLL(None).system(b'aws iam create-user --user-name x')\nexcept Exception:\n"
               "    pass\n")
    code, violations, _ = preview(tmp_path / "ctypes", program)
    assert code == 1
    only_gate_002(violations)
    [message] = gate_002(violations)
    assert "looks up the native function 'system' (ctypes) at __main__.py:5" in message


def test_a_subinterpreter_without_the_watch_fails(tmp_path):
    """Audit hooks belong to one interpreter: code run in a new one would be unwatched, so creating it is refused."""
    program = (HEAD + "import _xxsubinterpreters as interpreters\n" + BUCKET
               + "try:\n    interpreters.run_string(interpreters.create(), 'import boto3; boto3.client(\"iam\")')\n"
               "except Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "subinterpreter", program)
    assert code == 1
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        "[gate-integrity] the program creates a subinterpreter (its code runs without the gate's watch) at "
        "__main__.py:5"]


def test_look_alikes_pass(tmp_path):
    """boto3 imported and never called, pure computation, the project's own files, pulumi.Config, settings read from
    the environment (the region) and the environment's variable names (a copy of its values reads the credential
    variables: test_environment_reads_gate.py): no out-of-band access."""
    directory = tmp_path / "alike"
    directory.mkdir()
    (directory / "settings.json").write_text('{"owner": "data-team"}')
    program = (HEAD + "import hashlib, json, os\nimport boto3\nimport botocore.session\n"
               "settings = json.load(open(os.path.join(os.path.dirname(__file__), 'settings.json')))\n"
               "digest = hashlib.sha256(b'acme').hexdigest()[:8]\n"
               "region = os.environ.get('AWS_REGION', 'eu-west-1')\n"
               "env = sorted(os.environ)\n"
               "team = pulumi.Config().require('team')\n"
               "aws.s3.BucketV2('drop', bucket=f'acme-drop-{digest}', tags={'owner': settings['owner'], 'team': team})\n"
               "pulumi.export('keys', len(env))\n")
    code, violations, output = preview(directory, program)
    assert (code, gate_002(violations)) == (0, []), output


def test_the_program_cannot_silence_the_watch_by_patching_modules(tmp_path):
    """Replacing what the watch might use (os, json, socket functions, builtins, the host module's globals, sys.modules
    entries) while it makes the attempt changes nothing: the watch keeps its own references. (Everything is put back
    after the attempt, so the SDK can finish the run: a broken run is no verdict, never a pass, anyway.)"""
    program = (HEAD + "import builtins, json, os, socket, sys, urllib.request\n"
               "saved, host = {}, []\n"
               "frame = sys._getframe()\n"
               "while frame is not None:\n"
               "    if 'pulumi-language-python-exec' in frame.f_code.co_filename and frame.f_globals not in host:\n"
               "        host.append(frame.f_globals)\n"
               "    frame = frame.f_back\n"
               "patches = [(os, 'write', lambda fd, data: len(data)), (os, 'fstat', None), (json, 'loads', None),\n"
               "           (builtins, 'PermissionError', KeyError), (builtins, 'repr', lambda o: ''),\n"
               "           (socket, 'getaddrinfo', None)]\n"
               "patches += [(g, n, None) for g in host for n in ('os', 'sys', 'json', 'HERE')]\n"
               "for owner, name, value in patches:\n"
               "    if isinstance(owner, dict):\n"
               "        saved[(id(owner), name)] = owner[name]; owner[name] = value\n"
               "    else:\n"
               "        saved[(id(owner), name)] = getattr(owner, name); setattr(owner, name, value)\n"
               "modules = {name: sys.modules[name] for name in ('_socket', 'posix', 'os')}\n"
               "sys.modules.update({'_socket': None, 'posix': None, 'os': None})\n"
               "try:\n    urllib.request.urlopen('http://169.254.169.254/latest/api/token', timeout=1)\n"
               "except BaseException:\n    pass\n"
               "sys.modules.update(modules)\n"
               "for owner, name, value in reversed(patches):\n"
               "    if type(owner) is dict:\n"
               "        owner[name] = saved[(id(owner), name)]\n"
               "    else:\n"
               "        setattr(owner, name, saved[(id(owner), name)])\n" + BUCKET)
    code, violations, output = preview(tmp_path / "patched", program)
    assert code == 1, output
    # (urllib's proxy look-up reads every variable's value first: test_a_request_to_the_instance_metadata_service_fails)
    [message] = [m for m in gate_002(violations) if "getproxies_environment" not in m]
    assert "sends an HTTP request to http://169.254.169.254/latest/api/token" in message and "__main__.py:21" in message


def test_the_program_cannot_rewrite_the_watch(tmp_path):
    """Found through the garbage collector, the hook's defaults and code cannot be replaced: that is reported and
    refused, and the next attempt is still seen."""
    program = (HEAD + "import gc, subprocess\n" + BUCKET
               + "for thing in gc.get_objects():\n"
               "    if callable(thing) and getattr(thing, '__name__', '') in ('hook', 'send', 'describe'):\n"
               "        try:\n            thing.__defaults__ = tuple(None for _ in thing.__defaults__ or ())\n"
               "        except Exception:\n            pass\n"
               "        try:\n            thing.__code__ = (lambda *a: None).__code__\n"
               "        except Exception:\n            pass\n"
               "try:\n    subprocess.run(['aws', 'sts', 'get-caller-identity'])\nexcept Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "rewrite", program)
    assert code == 1
    messages = [m.split(": outside")[0] for m in gate_002(violations)]
    assert "[gate-integrity] the program starts the process 'aws sts get-caller-identity' at __main__.py:15" in messages
    assert any("changes the gate's out-of-band watch (__defaults__ of hook) at __main__.py:7" in m for m in messages)
    assert any("changes the gate's out-of-band watch (__code__ of hook) at __main__.py:11" in m for m in messages)


@pytest.mark.parametrize("how", ["os.close(fd)", "os.dup2(os.open('/dev/null', os.O_WRONLY), fd)"])
def test_closing_or_replacing_the_channel_gives_no_pass(tmp_path, how):
    """The program closes (or points at /dev/null) every socket it holds but the SDK's, then calls the cloud: the
    watch sees its channel gone and ends the process; no verdict, never a pass."""
    program = (HEAD + "import os, stat, urllib.request\n" + BUCKET
               + "for fd in range(3, 256):\n"
               "    try:\n        mode = os.fstat(fd).st_mode\n    except OSError:\n        continue\n"
               "    if stat.S_ISSOCK(mode):\n"
               f"        try:\n            {how}\n        except OSError:\n            pass\n"
               "try:\n    urllib.request.urlopen('http://169.254.169.254/latest/api/token', timeout=1)\n"
               "except BaseException:\n    pass\n")
    code, violations, output = preview(tmp_path / "closed", program, codes=(1, 2))
    assert code != 0
    if code == 2:
        assert "no verdict" in output


def test_a_credential_read_around_the_watch_and_put_into_the_stack_fails(tmp_path):
    """Read around the watch (the raw environment dict, found through the watch's own defaults: no look-up the
    watch sees), the variable holds the gate's placeholder: a resource input or a stack output holding it is the
    credential put in the stack. (posix.environ itself is a watched read now: test_environment_reads_gate.py.)"""
    program = (HEAD + "import os\nraw = type(os.environ).__dict__['_data'].fget.__defaults__[0]\n"
               "key = raw.get(b'AWS_SECRET_ACCESS_KEY', b'').decode()\n"
               "aws.s3.BucketV2('drop', bucket='acme-drop', tags={'owner': 'data-team', 'k': key})\n"
               "pulumi.export('token', raw.get(b'ACTIONS_ID_TOKEN_REQUEST_URL', b'').decode())\n")
    code, violations, _ = preview(tmp_path / "exfil", program)
    assert code == 1
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        "[gate-integrity] the program exports the value of ACTIONS_ID_TOKEN_REQUEST_URL (withheld by the gate) as "
        "stack output token (no line of the project on the stack)",
        "[gate-integrity] the program puts the value of AWS_SECRET_ACCESS_KEY (withheld by the gate) into input "
        "tags.k of aws:s3/bucketV2:BucketV2 'drop' at __main__.py:5"]


def test_a_grpc_channel_to_a_cloud_api_fails(tmp_path):
    """gRPC's C core connects below the interpreter's audit events: a channel to a cloud's gRPC API (what the
    google-cloud clients open) is seen where grpc creates it; the SDK's own channel to the gate is not reported."""
    program = (HEAD + "import grpc, grpc.aio\n" + BUCKET
               + "try:\n    grpc.insecure_channel('iamcredentials.googleapis.com:443')\nexcept Exception:\n    pass\n"
               "try:\n    grpc.aio.secure_channel('iam.googleapis.com:443', grpc.ssl_channel_credentials())\n"
               "except Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "grpc", program)
    assert code == 1
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        "[gate-integrity] the program opens a gRPC channel to 'iam.googleapis.com:443' at __main__.py:9",
        "[gate-integrity] the program opens a gRPC channel to 'iamcredentials.googleapis.com:443' at __main__.py:5"]


def test_a_native_extension_the_project_brings_fails(tmp_path):
    """A C extension module in the pull request runs code the watch cannot see: loading it is the finding."""
    import importlib.util

    found = importlib.util.find_spec("xxlimited")  # CPython's example extension module, shipped in lib-dynload
    if found is None or not str(found.origin).endswith(".so"):
        pytest.skip("no xxlimited extension in this Python")
    extension = Path(found.origin)
    directory = tmp_path / "native"
    directory.mkdir()
    (directory / extension.name).write_bytes(extension.read_bytes())
    program = (HEAD + "import os, sys\n" + BUCKET + "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
               "try:\n    import xxlimited\nexcept Exception:\n    pass\n")
    code, violations, _ = preview(directory, program)
    assert code == 1
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        f"[gate-integrity] the program loads the native extension xxlimited from the project ({extension.name}): its "
        "code runs unwatched at __main__.py:6"]


def test_reading_the_pulumi_clis_login_fails_and_its_plugin_folders_pass(tmp_path):
    """The deploy runner's ~/.pulumi/credentials.json holds the backend's access tokens (`pulumi login`); the gate shows
    a ~/.pulumi (red19 r19-6) without it, so a read found nothing and passed. The look-alike lists the plugin folders."""
    program = (HEAD + "import os\n" + BUCKET + "try:\n"
               "    open(os.path.expanduser('~/.pulumi/credentials.json')).read()\n"
               "except Exception:\n    pass\n")
    code, violations, _ = preview(tmp_path / "login", program)
    assert code == 1
    only_gate_002(violations)
    home = str(Path("~").expanduser())
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        f"[gate-integrity] the program opens the credential file {home}/.pulumi/credentials.json at __main__.py:5"]
    look_alike = HEAD + "import os\n" + BUCKET + "pulumi.export('n', len(os.listdir(os.path.expanduser('~/.pulumi/plugins'))))\n"
    code, violations, _ = preview(tmp_path / "plugins", look_alike)
    assert code == 0 and gate_002(violations) == []


def test_an_unnamed_temporary_file_in_the_home_passes_and_opening_the_home_fails(tmp_path):
    """tempfile.TemporaryFile(dir=HOME) opens the home with O_TMPFILE: the descriptor is a new unnamed file, nothing
    of the directory is read (cloak3's report: it was blocked as opening a directory above a credential file). The
    same directory opened for reading still is."""
    program = (HEAD + "import os, tempfile\n" + BUCKET +
               "with tempfile.TemporaryFile(dir=os.path.expanduser('~')) as scratch:\n"
               "    scratch.write(b'x')\n")
    code, violations, output = preview(tmp_path / "unnamed", program)
    assert (code, gate_002(violations)) == (0, []), output
    opened = (HEAD + "import os\n" + BUCKET +
              "fd = os.open(os.path.expanduser('~/.aws'), os.O_RDONLY | os.O_DIRECTORY)\n"
              "pulumi.export('n', len(os.listdir(fd)))\n")
    code, _violations, output = preview(tmp_path / "opened", opened, codes=(2,))
    home = str(Path("~").expanduser())
    assert f"refused: the program opens {home}/.aws, a directory holding the credential file" in output, output
