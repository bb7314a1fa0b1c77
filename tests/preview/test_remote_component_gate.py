"""A remote (multi-language) component gets no verdict from the gate: its children are built by a provider
the gate does not run, so they would never be judged (red1 finding 2). A local component still passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''import pulumi, pulumi_aws as aws
class Admin(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:index:AdminUser", name, {{"userName": "u"}}, None, remote={remote})
        aws.s3.BucketV2(name + "-b", bucket="acme-b", opts=pulumi.ResourceOptions(parent=self))
Admin("x")
'''


def run(tmp_path: Path, remote: bool):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(PROGRAM.format(remote=remote))
    return run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD))


def test_remote_component_gets_no_verdict(tmp_path):
    result = run(tmp_path, True)
    assert result.code == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "acme:index:AdminUser 'x' is a remote (multi-language) component" in output
    assert "handle_grpc_error" not in output and "Traceback" not in output  # the gate's reason, not the SDK's stack


def test_local_component_is_judged(tmp_path):
    result = run(tmp_path, False)
    assert result.code == 0, result.stdout + result.stderr
