"""End to end (`agentid preview`): a reader's IAM role for a principal outside the organisation blocks (issue 11,
AGID-GCP-024). `roles/storage.objectViewer` on a bucket for `group:x@evil.example` and `roles/bigquery.dataViewer`
on a dataset for `domain:evil.example` passed, while the same grants spelled as a bucket ACL or a BigQuery access
entry blocked (AGID-GCP-028). The organisation's own domain is the gate's to say (`--own-gcp-domain`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULE = "AGID-GCP-024"
# acme-prod is the organisation's project (AGID-GCP-035 flags a grant made in a project the gate does not list)
OWN_PROJECT = ("--own-gcp-project", "acme-prod")
READERS = '''
import pulumi_gcp as gcp
gcp.storage.BucketIAMMember("bucket-reader", bucket="acme-data", role="roles/storage.objectViewer",
    member="{group}")
gcp.bigquery.DatasetIamMember("dataset-reader", project="acme-prod", dataset_id="sales",
    role="roles/bigquery.dataViewer", member="{domain}")
'''


def findings(run) -> list[tuple[str, bool]]:
    return sorted((v["resourceName"], v["mandatory"]) for v in by_policy(run.json("out.json"), RULE))


def test_readers_roles_for_an_outside_group_and_domain_block(project: Path) -> None:
    write_small(project, READERS.format(group="group:x@evil.example", domain="domain:evil.example"))
    run = run_cli(project, *GUARD, *OWN_PROJECT, "--own-gcp-domain", "acme.example", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert findings(run) == [("bucket-reader", True), ("dataset-reader", True)], run.stdout


def test_the_same_readers_roles_for_the_organisations_own_pass(project: Path) -> None:
    write_small(project, READERS.format(group="group:data@acme.example", domain="domain:acme.example"))
    run = run_cli(project, *GUARD, *OWN_PROJECT, "--own-gcp-domain", "acme.example", "--json", "out.json")
    assert findings(run) == [], run.stdout + run.stderr
    assert run.code == 0, run.stdout + run.stderr
    # with no own domain listed the gate cannot tell the group is inside: fail closed
    run = run_cli(project, *GUARD, *OWN_PROJECT, "--json", "out.json")
    assert findings(run) == [("bucket-reader", True), ("dataset-reader", True)], run.stdout
