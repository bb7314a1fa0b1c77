"""red19 r19-5 end to end: `agentid preview` blocks a stack that writes its config secret into another project, by
the stack file's `gcp:project` (AGID-GCP-035 on the default provider), an explicit provider's `project`, a resource's
`project`, or an existing secret / bucket of another project (AGID-GCP-033: `projects/P/secrets/S`, a bucket the
stack does not create); the same program in the organisation's own project passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''import pulumi, pulumi_gcp as gcp
pw = pulumi.Config().require_secret("dbPassword")
s = gcp.secretmanager.Secret("db", secret_id="db", replication={"auto": {}})
gcp.secretmanager.SecretVersion("db-v", secret=s.id, secret_data=pw)
p = gcp.Provider("elsewhere", project="PROVIDER_PROJECT")
s2 = gcp.secretmanager.Secret("db2", secret_id="db2", replication={"auto": {}}, opts=pulumi.ResourceOptions(provider=p))
gcp.secretmanager.SecretVersion("db2-v", secret=s2.id, secret_data=pw, opts=pulumi.ResourceOptions(provider=p))
b = gcp.storage.Bucket("dump", name="acme-dump-r19", location="EU", project="RESOURCE_PROJECT",
                       uniform_bucket_level_access=True, labels={"owner": "data-team"})
gcp.storage.BucketObject("dump-o", bucket=b.name, name="pw", content=pw)
gcp.secretmanager.SecretVersion("into", secret="projects/RESOURCE_PROJECT/secrets/drop", secret_data=pw)
'''


def _stack(root: Path, stack_project: str, provider_project: str, resource_project: str) -> tuple[int, list]:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(f"config:\n  gcp:project: {stack_project}\n  acme:dbPassword:\n"
                                          "    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB\n")
    (root / "__main__.py").write_text(PROGRAM.replace("PROVIDER_PROJECT", provider_project)
                                      .replace("RESOURCE_PROJECT", resource_project))
    run = run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-project", "acme-dev",
                  "--own-gcp-domain", "acme.example", "--strict-unknowns", "--json", "out.json")
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((root / "out.json").read_text())["violations"]
    return run.code, sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]})


def test_the_stacks_secrets_written_into_another_project_block(tmp_path):
    assert _stack(tmp_path / "evil", "evil-project", "evil-project-2", "evil-project-3") == (1, [
        ("AGID-GCP-033", "db-v"), ("AGID-GCP-033", "db2-v"), ("AGID-GCP-033", "dump-o"), ("AGID-GCP-033", "into"),
        ("AGID-GCP-035", "default"), ("AGID-GCP-035", "dump"), ("AGID-GCP-035", "elsewhere")])


def test_the_same_stack_in_the_organisations_project_passes(tmp_path):
    assert _stack(tmp_path / "own", "acme-dev", "acme-dev", "acme-dev") == (0, [])
