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
        ("AGID-GCP-035", "default"), ("AGID-GCP-035", "dump"), ("AGID-GCP-035", "elsewhere"), ("AGID-GCP-035", "into")])


def test_the_same_stack_in_the_organisations_project_passes(tmp_path):
    assert _stack(tmp_path / "own", "acme-dev", "acme-dev", "acme-dev") == (0, [])


# red23 r20-2: children created under another project's parent id (no `project` of their own, or one it overrides)
CHILDREN = '''import pulumi, pulumi_gcp as gcp
pw = pulumi.Config().require_secret("dbPassword")
gcp.secretmanager.SecretVersion("leak", secret="projects/PARENT/secrets/drop", secret_data=pw)
gcp.kms.CryptoKey("key", name="k", key_ring="projects/PARENT/locations/global/keyRings/ring")
gcp.secretmanager.SecretIamMember("reader", secret_id="projects/PARENT/secrets/drop",
                                  role="roles/secretmanager.secretAccessor", member="user:ops@acme.example")
own = gcp.secretmanager.Secret("own", secret_id="own", replication={"auto": {}})
gcp.secretmanager.SecretVersion("own-v", secret=own.id, secret_data=pw)
'''

# red23 r20-8: a Project created under an own organization with a (taken) id vouches only for its own Output
ADOPT = '''import pulumi, pulumi_gcp as gcp
pw = pulumi.Config().require_secret("dbPassword")
proj = gcp.organizations.Project("adopt", project_id="acme-sandbox-r20", name="acme-sandbox-r20", org_id="123456789012")
s = gcp.secretmanager.Secret("drop", project=PROJECT, secret_id="x", replication={"auto": {}})
gcp.secretmanager.SecretVersion("leak", secret=s.id, secret_data=pw)
'''


def _preview(root: Path, program: str, waivers: str | None = None) -> tuple[int, list]:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: acme-dev\n  acme:dbPassword:\n"
                                          "    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB\n")
    (root / "__main__.py").write_text(program)
    if waivers:
        (root / "waivers.yaml").write_text(waivers)
    run = run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-project", "acme-dev",
                  "--own-gcp-domain", "acme.example", "--json", "out.json")
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((root / "out.json").read_text())["violations"]
    return run.code, sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]})


def test_children_under_another_projects_parent_block_and_under_an_own_one_pass(tmp_path):
    assert _preview(tmp_path / "evil", CHILDREN.replace("PARENT", "attacker-proj")) == (1, [
        ("AGID-GCP-033", "leak"), ("AGID-GCP-035", "key"), ("AGID-GCP-035", "leak"), ("AGID-GCP-035", "reader")])
    assert _preview(tmp_path / "own", CHILDREN.replace("PARENT", "acme-dev")) == (0, [])


ORG = '{"waivers": [], "policyPackConfig": {"agent-guard": {"all": {"ownGcpOrganizations": ["123456789012"]}}}}'


def test_a_created_projects_literal_id_is_not_vouched_for_its_output_is(tmp_path):
    assert _preview(tmp_path / "literal", ADOPT.replace("PROJECT", '"acme-sandbox-r20"'), ORG) == (1, [
        ("AGID-GCP-033", "leak"), ("AGID-GCP-035", "drop")])
    assert _preview(tmp_path / "output", ADOPT.replace("PROJECT", "proj.project_id"), ORG) == (0, [])
