"""End to end (`agentid preview`): the program's source asking whether it runs at preview is reported (red3 g01/g02).

`if not pulumi.runtime.is_dry_run(): aws.iam.AccessKey(...)` registers the key only at `pulumi up`: no preview
(the gate's or the real one) sees it. The gate cannot judge that branch, so it names each such line (advisory:
an honest program may ask too); the update's `pulumi up --policy-pack` judges what it registers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentid.preview import cloaking

from .conftest import AGENT_GUARD, REPO, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

WHY = ": resources registered at `pulumi up` may differ from what the gate judged; review the branch (the update's " \
      "policy check judges it)"


def run(tmp_path: Path, program: str, helper: str = ""):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(program)
    if helper:
        (tmp_path / "lib").mkdir()
        (tmp_path / "lib" / "__init__.py").write_text(helper)
    return run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")


def test_a_dry_run_branch_and_deployment_only_variables_are_reported(tmp_path):
    result = run(tmp_path, '''import os, pulumi, pulumi_aws as aws
u = aws.iam.User("u")
if not pulumi.runtime.is_dry_run():
    aws.iam.AccessKey("k", user=u.name)
''', helper='''import os
from pulumi.runtime import settings
ONLINE = bool(os.environ.get("PULUMI_ACCESS_TOKEN")) or settings.is_dry_run() is False
''')
    # the program asks about the dry run: the gate runs it again as `pulumi up` does and judges the key it registers
    assert result.code == 1, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    assert [(v["policy"], v["resourceName"]) for v in document["violations"] if v["mandatory"]] == [("AGID-AWS-001", "k")]
    assert document["cloaking"] == [
        "__main__.py:3: asks whether this is a preview (pulumi.runtime.is_dry_run)" + WHY,
        "lib/__init__.py:3: reads PULUMI_ACCESS_TOKEN (the CLI's login: present at `pulumi up`, not in the gate)" + WHY,
        "lib/__init__.py:3: asks whether this is a preview (pulumi.runtime.is_dry_run)" + WHY,
        "the program also ran as at `pulumi up` (is_dry_run() false): 1 resource(s) registered only there were judged "
        "too: k (aws:iam/accessKey:AccessKey)",
    ]
    assert "Cloaking (advisory): where the program asks whether it runs at preview" in result.stdout


def test_a_resource_whose_inputs_differ_at_the_update_gets_no_verdict(tmp_path):
    result = run(tmp_path, '''import pulumi, pulumi_aws as aws
aws.iam.User("u", path="/" if pulumi.runtime.is_dry_run() else "/admins/")
''')
    assert result.code == 2, result.stdout
    assert ("the program registers 1 resource(s) with other inputs when is_dry_run() is false (as at `pulumi up`) than "
            "at preview: u; the gate cannot judge what the update creates: no verdict") in result.stdout


def test_a_program_that_reads_only_deployment_variables_runs_once(tmp_path):
    result = run(tmp_path, '''import os, pulumi_aws as aws
if os.environ.get("PULUMI_BACKEND_URL"):
    aws.iam.AccessKey("k", user="bob")
aws.s3.BucketV2("b")
''')
    assert result.code == 0, result.stdout  # advisory only: the gate cannot make that variable true
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"] == [
        "__main__.py:2: reads PULUMI_BACKEND_URL (the CLI's backend: present at `pulumi up`, not in the gate)" + WHY]


def test_look_alikes_are_not_reported(tmp_path):
    result = run(tmp_path, '''import pulumi, pulumi_aws as aws
# unlike a program that calls is_dry_run(), this one registers the same at preview and update
is_dry_run_documented = "see docs"
aws.s3.BucketV2("b")
''')
    assert result.code == 0, result.stdout
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"] == []
    assert "Cloaking" not in result.stdout


def test_the_scan_skips_virtualenvs_and_excluded_directories(tmp_path):
    (tmp_path / "venv-x").mkdir()
    (tmp_path / "venv-x" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "venv-x" / "m.py").write_text("import pulumi\npulumi.runtime.is_dry_run()\n")
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "runner.py").write_text('ENV = {"PULUMI_DRY_RUN": "true"}\n')
    (tmp_path / "main.py").write_text('import os\nos.environ["PULUMI_DRY_RUN"]\n')
    assert cloaking.scan(tmp_path, (tmp_path / "kit",)) == [
        "main.py:2: reads PULUMI_DRY_RUN (set only by the engine: preview or update)" + WHY]


def test_the_kits_own_checkout_reads_only_its_program(tmp_path):
    """The README's quick start: in the kit's checkout the judge's source, tests and benchmarks name is_dry_run by
    the dozen; they are not the example stack's program, so the report has no cloaking line and the stack runs once.
    A copy of the checkout with one more line in the program (stacks/) is still read (the look-alike)."""
    import shutil

    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", ".pytest_cache")
    for name in ("Pulumi.yaml", "pyproject.toml", "waivers.yaml"):
        shutil.copy(REPO / name, tmp_path)
    for name in ("stacks", "tests", "bench"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=ignore)
    result = run_cli(tmp_path, "--stack", "dev", "--json", "out.json", timeout=300)
    assert result.code == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"] == []

    program = tmp_path / "stacks" / "__main__.py"
    program.write_text(program.read_text() + "\nimport pulumi\nLATE = pulumi.runtime.is_dry_run()\n")
    result = run_cli(tmp_path, "--stack", "dev", "--json", "out.json", timeout=300)
    found = json.loads((tmp_path / "out.json").read_text())["cloaking"]
    assert any(line.startswith("stacks/__main__.py:") for line in found), found
    assert not any(line.startswith(("tests/", "bench/")) for line in found), found


# red19 r19-6: probes of what the gate cannot show as a deploy runner does (cloaking_probes.yaml). Each probe: a line
# that makes it (reported) and a look-alike line that does not (not reported).
PROBE_ADVICE = (": what it reads may differ at `pulumi up`, and what the program registers with it; review the branch "
                "(the update's policy check judges it)")
PROBE_LINES = {
    "proc": ('open("/proc/self/mountinfo").read()', 'PROC = "process/proc"'),
    "parent": ("parent = os.getppid()", "parent = stack.parent_urn"),
    "writable": ('os.access(".", os.W_OK)', 'access = "W_OKAY"'),
    "file-system": ('os.statvfs(".").f_flag', 'stat = os.stat("requirements.txt")'),
    "pulumi-home": ('os.path.isdir(os.path.expanduser("~/.pulumi/plugins"))', 'name = "pulumi_aws"'),
    "cli-on-path": ('shutil.which("pulumi")', 'shutil.which("python3")'),
    "limits": ("resource.getrlimit(resource.RLIMIT_FSIZE)", 'limit = "quota"'),
    "network-interfaces": ("socket.if_nameindex()", 'index = "interfaces.md"'),
    "machine": ("socket.gethostname()", 'host = "example.com"'),
    "ci-context": ('os.environ.get("GITHUB_EVENT_NAME") == "push"', 'os.environ.get("GITHUB_SHA_PIN")'),
    "interpreter": ('any(m.startswith("agentid") for m in sys.modules)', 'import sys as system'),
    "mock-ids": ('"123456789012" in arn', 'account = "1234567890123"'),
    "date-another-way": ('os.stat(__file__).st_mtime > 1.9e9', 'mode = os.stat(__file__).st_mode'),
    "home": ('os.path.join(os.environ["HOME"], "." + "pulu" + "mi")', 'HOMEPAGE = os.path.expanduser("~/.ssh/id.pub")'),
    "file-size": ('os.stat(path).st_size > 0', 'mode = os.stat(path).st_mode'),
}


def test_each_probe_of_a_tell_the_gate_cannot_hide_is_reported_and_its_look_alike_is_not(tmp_path):
    names = [entry["name"] for entry in __import__("yaml").safe_load(cloaking.PROBES.read_text())["probes"]]
    assert sorted(names) == sorted(PROBE_LINES)  # every probe of the data file has a case here
    whys = dict(zip(names, (why for why, _pattern in cloaking.probes())))
    for name, (probe, look_alike) in PROBE_LINES.items():
        (tmp_path / "main.py").write_text(f"import os\n{probe}\n# {probe}\n{look_alike}\n")
        assert cloaking.scan(tmp_path) == [f"main.py:2: {whys[name]}{PROBE_ADVICE}"], name


def test_a_grant_behind_a_writable_working_directory_is_judged_and_the_probe_reported(tmp_path):
    """red19 r19-6's repro: `*` only where the working directory is writable (the CI checkout at `pulumi up`; the
    sandbox's read-only view before): the gate now shows it writable, judges the grant, and reports the probe."""
    result = run(tmp_path, '''import json, os
import pulumi_aws as aws
action = "*" if os.access(".", os.W_OK) else "s3:GetObject"
aws.iam.Policy("admin", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": action, "Resource": "*"}]}))
''')
    assert result.code == 1, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    assert [(v["policy"], v["resourceName"], v["enforcementLevel"]) for v in document["violations"]
            if v["mandatory"]] == [("AGID-AWS-010", "admin", "mandatory")]
    why = dict(zip((e["name"] for e in __import__("yaml").safe_load(cloaking.PROBES.read_text())["probes"]),
                   (w for w, _p in cloaking.probes())))["writable"]
    assert document["cloaking"] == [f"__main__.py:3: {why}{PROBE_ADVICE}"]
    assert ("Cloaking (advisory): where the program asks whether it runs at preview, or reads the clock or chance, or "
            "probes what the gate cannot show as a deploy runner does") in " ".join(result.stdout.split())


def test_a_grant_behind_the_cli_binarys_size_is_judged_and_both_halves_of_the_probe_reported(tmp_path, monkeypatch):
    """red23 r20-6's repro: AdministratorAccess only where ~/.pulumi/bin/pulumi (the path built from pieces) is not
    empty. The gate's CLI home shows its binaries at a typical size (sparse), so the grant is judged; the line reading
    the home and the line reading the size are reported (neither names `.pulumi`)."""
    from agentid.preview import sandbox

    if sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    project = tmp_path / "project"
    project.mkdir()
    result = run(project, '''import json, os
import pulumi_aws as aws
b = os.path.join(os.environ["HOME"], "." + "pulu" + "mi", "b" + "in", "pulu" + "mi")
real = os.stat(b).st_size > 0
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
r = aws.iam.Role("worker", assume_role_policy=trust)
if real:
    aws.iam.RolePolicyAttachment("admin", role=r.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
''')
    assert result.code == 1, result.stdout
    document = json.loads((project / "out.json").read_text())
    assert [(v["policy"], v["resourceName"], v["enforcementLevel"]) for v in document["violations"]
            if v["mandatory"]] == [("AGID-AWS-013", "admin", "mandatory")]
    why = dict(zip((e["name"] for e in __import__("yaml").safe_load(cloaking.PROBES.read_text())["probes"]),
                   (w for w, _p in cloaking.probes())))
    assert document["cloaking"] == [f"__main__.py:3: {why['home']}{PROBE_ADVICE}",
                                    f"__main__.py:4: {why['file-size']}{PROBE_ADVICE}"]
