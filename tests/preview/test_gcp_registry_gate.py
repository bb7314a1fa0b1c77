"""`agentid preview` end to end on Artifact Registry writes (issue 11, red7a `artifact_writer`, which exited 0):
roles/artifactregistry.writer on the project (AGID-GCP-005) and on a repository the stack does not create
(AGID-GCP-017) block; the same role on the repository the stack creates for the agent, bound through its name
output, and a reader on the project pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CI = "serviceAccount:ci@acme-dev.iam.gserviceaccount.com"
WRITERS = f"""import pulumi_gcp as gcp
gcp.projects.IAMMember("push-anywhere", project="acme-dev", role="roles/artifactregistry.writer", member="{CI}")
gcp.artifactregistry.RepositoryIamMember("push-prod", project="acme-dev", location="europe-west1",
                                         repository="prod-images", role="roles/artifactregistry.writer", member="{CI}")
gcp.storage.BucketIAMMember("push-gcr", bucket="eu.artifacts.acme-dev.appspot.com",
                            role="roles/storage.legacyBucketWriter", member="{CI}")
"""
LOOK_ALIKE = f"""import pulumi_gcp as gcp
repo = gcp.artifactregistry.Repository("agent-images", project="acme-dev", location="europe-west1",
                                       repository_id="agent-images", format="DOCKER")
gcp.artifactregistry.RepositoryIamMember("push-own", project="acme-dev", location="europe-west1",
                                         repository=repo.name, role="roles/artifactregistry.writer", member="{CI}")
gcp.projects.IAMMember("pull-anywhere", project="acme-dev", role="roles/artifactregistry.reader", member="{CI}")
"""


# the CI account's project is the organisation's: without the gate saying so, a writer grant to it would also be
# "outside the organisation as far as the gate knows" (AGID-GCP-024)
OWN_PROJECT = ("--own-gcp-project", "acme-dev")


def test_image_writers_outside_the_stacks_own_repository_block(tmp_path):
    result = run_cli(project(tmp_path, WRITERS), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), *OWN_PROJECT,
                     "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    found = {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}
    assert found == {("push-anywhere", "AGID-GCP-005"), ("push-prod", "AGID-GCP-017"), ("push-gcr", "AGID-GCP-017")}, \
        found


def test_writer_on_the_stacks_own_repository_passes(tmp_path):
    result = run_cli(project(tmp_path, LOOK_ALIKE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), *OWN_PROJECT,
                     "--json", "gate.json")
    assert result.code == 0, result.stdout + result.stderr
    assert [v for v in result.json("gate.json")["violations"] if v["mandatory"]] == []
