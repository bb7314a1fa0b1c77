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

from .conftest import AGENT_GUARD, run_cli

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
    assert result.code == 0, result.stdout  # advisory: the key is not registered here, so nothing is flagged
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"] == [
        "__main__.py:3: asks whether this is a preview (pulumi.runtime.is_dry_run)" + WHY,
        "lib/__init__.py:3: reads PULUMI_ACCESS_TOKEN (the CLI's login: present at `pulumi up`, not in the gate)" + WHY,
        "lib/__init__.py:3: asks whether this is a preview (pulumi.runtime.is_dry_run)" + WHY,
    ]
    assert "Cloaking (advisory): 3 places where the program asks whether it runs at preview" in result.stdout


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
