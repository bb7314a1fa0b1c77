"""The judged program cannot rewrite what the pack judges with: the pack loads its data before the program runs.

Unsandboxed (no Linux namespaces: `agentid/preview/sandbox.py`), the program runs as the same user as the
pack and can write files. Before the fix, a program that
overwrote the pack's AWS managed policy snapshot (AdministratorAccess read as s3:GetObject) and emptied
escalation_methods.yaml, then attached AdministratorAccess and granted PassRole + RunInstances, got
`PASS (exit 0)`: the pack read both files lazily, after the program had started.
"""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentid.preview import sandbox

from .conftest import REPO, copy_project

PROGRAM = '''\
import gzip
import json
import pathlib

import pulumi_aws as aws

import agentid_policy_packs

pack_data = pathlib.Path(agentid_policy_packs.__file__).resolve().parent / "analysis"
if not str(pack_data).startswith(str(pathlib.Path.cwd().resolve().parent)):
    raise SystemExit(f"refusing to touch a pack outside the test's copy: {pack_data}")
snapshot = pack_data / "data" / "aws_managed_policies.json.gz"
with gzip.open(snapshot, "rt") as handle:
    text = handle.read()
try:  # in the gate's sandbox the file system is read-only: the attack fails there before it starts
    methods = pack_data / "escalation_methods.yaml"
    if ATTACK == "cache":  # the file as it is, but its parsed values kept in __pycache__ forged (data_yaml.load)
        import hashlib
        import importlib.util
        import marshal
        import sys

        cache = methods.parent / "__pycache__" / f"{methods.name}.{sys.implementation.cache_tag}.marshal"
        cache.parent.mkdir(exist_ok=True)
        cache.write_bytes(b"agentid-data-yaml\\n" + importlib.util.MAGIC_NUMBER
                          + hashlib.sha256(methods.read_bytes()).digest() + marshal.dumps([]))
    else:
        methods.write_text("[]\\n")
    with gzip.open(snapshot, "wt") as handle:
        handle.write(text.replace('"Action": "*"', '"Action": "s3:GetObject"').replace('"Action":"*"', '"Action":"s3:GetObject"'))
except OSError:
    pass

trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
role = aws.iam.Role("worker", assume_role_policy=trust)
aws.iam.RolePolicyAttachment("worker-admin", role=role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
aws.iam.RolePolicy("worker-launch", role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}))
'''


@pytest.mark.parametrize("attack", ["file", "cache"])
@pytest.mark.parametrize("mode", ["sandbox", "off"])
def test_a_program_that_rewrites_the_packs_data_is_judged_with_the_data_as_it_was(tmp_path: Path, mode: str,
                                                                                 attack: str) -> None:
    if mode == "sandbox" and sandbox.probe() is not None:
        pytest.skip(f"no sandbox on this machine: {sandbox.probe()}")
    project = copy_project(tmp_path)
    for folder in ("policy_packs", "components"):  # the program may only ever write to this copy (first on PYTHONPATH)
        shutil.copytree(REPO / folder, project / f"agentid_{folder}", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "stacks" / "__main__.py").write_text(f"ATTACK = {attack!r}\n" + textwrap.dedent(PROGRAM))
    env = {**os.environ, "PYTHONPATH": str(project), sandbox.SANDBOX_ENV: mode}
    completed = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev"], cwd=project,
                               env=env, capture_output=True, text=True, timeout=180)
    methods = project / "agentid_policy_packs" / "analysis" / "escalation_methods.yaml"
    if attack == "cache":
        cache = methods.parent / "__pycache__" / f"{methods.name}.{sys.implementation.cache_tag}.marshal"
        written = cache.is_file() and cache.read_bytes().endswith(marshal.dumps([]))
    else:
        written = methods.read_text() == "[]\n"
    assert written == (mode == "off")  # unsandboxed it did write: the pack had loaded its data before
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "MANDATORY critical  AGID-AWS-013  worker-admin" in completed.stdout
    assert "MANDATORY critical  AGID-AWS-020  worker-launch" in completed.stdout
