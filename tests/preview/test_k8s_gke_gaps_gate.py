"""`agentid preview` end to end on issue 11's Kubernetes gaps, each of which passed the gate with exit 0: a ClusterRole
writing coordination.k8s.io leases bound by a RoleBinding into kube-system (takes leadership from
kube-controller-manager / kube-scheduler), the stack writing kube-system's kube-scheduler Lease itself, and a
ClusterRole attesting for a signer (ClusterTrustBundles: a CA in pods' trust stores), and roles/container.admin
(container.clusters.getCredentials: a cluster's client-certificate key) for an agent pinned to a cluster that issues
a certificate or that the stack does not define. The look-alikes (the agent's own leader election in its namespace,
read-only signers, getCredentials pinned to the stack's cluster without client certificates) pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project
from .test_red7a_k8s_gate import HEADER

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

FLAGGED = HEADER + """ClusterRole("leases", metadata=Meta(name="agent-leases"), rules=[
    R(api_groups=["coordination.k8s.io"], resources=["leases"], verbs=["get", "create", "update"])])
RoleBinding("into-kube-system", metadata=Meta(name="agent-leases", namespace="kube-system"),
            role_ref=ref("ClusterRole", "agent-leases"), subjects=who)
k8s.coordination.v1.Lease("scheduler-lease", metadata=Meta(name="kube-scheduler", namespace="kube-system"),
                          spec=k8s.coordination.v1.LeaseSpecArgs(holder_identity="agent", lease_duration_seconds=3600))
ClusterRole("attest", metadata=Meta(name="agent-attest"), rules=[
    R(api_groups=["certificates.k8s.io"], resources=["signers"], resource_names=["example.com/mesh"], verbs=["attest"])])
"""
LOOK_ALIKE = HEADER + """Role("leases", metadata=Meta(name="agent-leases", namespace="agents"), rules=[
    R(api_groups=["coordination.k8s.io"], resources=["leases"], verbs=["create"]),
    R(api_groups=["coordination.k8s.io"], resources=["leases"], resource_names=["agent-lock"], verbs=["get", "update"])])
RoleBinding("own", metadata=Meta(name="agent-leases", namespace="agents"), role_ref=ref("Role", "agent-leases"),
            subjects=who)
k8s.coordination.v1.Lease("own-lease", metadata=Meta(name="agent-lock", namespace="agents"),
                          spec=k8s.coordination.v1.LeaseSpecArgs(holder_identity="agent-0"))
ClusterRole("signers", metadata=Meta(name="agent-signers"), rules=[
    R(api_groups=["certificates.k8s.io"], resources=["signers"], verbs=["get"])])
"""


def test_lease_takeover_and_trust_bundle_attestation_block_the_gate(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, FLAGGED), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 1, output
    found = {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}
    assert found == {("leases", "AGID-K8S-018"), ("scheduler-lease", "AGID-K8S-018"), ("attest", "AGID-K8S-005")}, found
    # judged where the stack binds it (issue 11 (2)): the RoleBinding into kube-system
    messages = " ".join(v["message"] for v in result.json("gate.json")["violations"])
    assert "leases rules[0] allows create, update on leases in kube-system (kube-system is a system namespace" \
        in messages and "through RoleBinding into-kube-system)" in messages, messages
    assert "Lease scheduler-lease is written into kube-system" in output


def test_the_agents_own_leader_election_passes(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, LOOK_ALIKE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 0, output
    assert [v for v in result.json("gate.json")["violations"] if v["mandatory"]] == []


GKE = """import pulumi_gcp as gcp
gcp.container.Cluster("agents", name="agents", location="europe-west1", project="acme-prod", initial_node_count=1,
    master_auth=gcp.container.ClusterMasterAuthArgs(
        client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(issue_client_certificate={issue})))
gcp.projects.IAMMember("creds", project="acme-prod", role="roles/container.developer",
    member="serviceAccount:agent-gke@acme-prod.iam.gserviceaccount.com")
gcp.projects.IAMMember("admin", project="acme-prod", role="roles/container.admin",
    member="serviceAccount:agent-gke@acme-prod.iam.gserviceaccount.com",
    condition=gcp.projects.IAMMemberConditionArgs(title="one cluster",
        expression='resource.name == "projects/acme-prod/locations/europe-west1/clusters/{pinned}"'))
"""


@pytest.mark.parametrize("issue, pinned, flagged", [
    ("False", "agents", False),      # the one stack cluster, no client certificate: passes
    ("True", "agents", True),        # the stack cluster issues a certificate: getCredentials returns its key
    ("False", "legacy", True),       # a cluster the stack does not define: cannot be ruled out
])
def test_gke_get_credentials_is_judged_by_the_clusters_it_reaches(tmp_path: Path, issue, pinned, flagged) -> None:
    result = run_cli(project(tmp_path, GKE.format(issue=issue, pinned=pinned)), "--stack", "dev", "--policy-pack",
                     str(AGENT_GUARD), "--own-gcp-project", "acme-prod", "--json", "gate.json")
    found = {v["resourceName"] for v in result.json("gate.json")["violations"]
             if v["policy"] == "AGID-GCP-025" and v["mandatory"]}
    assert found == ({"admin"} if flagged else set()), result.stdout + result.stderr
