"""AGID-GCP-007 / AGID-GCP-005 over gRPC: GCP permissions whose holder runs code as someone more privileged
(red9b finding 5). Each of these passed `agentid preview` with no finding at all:
  - GKE container.* permissions are Kubernetes RBAC on every cluster of the project
    (https://cloud.google.com/kubernetes-engine/docs/how-to/iam#interaction_with_rbac): creating a DaemonSet runs a
    pod as any Kubernetes service account, a mutating webhook rewrites every pod, approving a CSR issues a
    system:masters client certificate, nodes.proxy is the kubelet API (exec in every pod);
  - deploymentmanager.deployments.update deploys as the Google APIs service agent (Editor), like .create;
  - OS Config patch jobs / OS policy assignments run scripts as root on every VM (the VMs' service-account tokens),
    and the predefined roles holding them (roles/osconfig.patchJobExecutor, roles/osconfig.osPolicyAssignmentAdmin).
The look-alikes (reading the same objects, deleting patch jobs' history) pass.
"""

from __future__ import annotations

import pytest

from agentid_components import gcp_catalog
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc import urn

ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
MEMBER = "gcp:projects/iAMMember:IAMMember"
GROUP = "group:devs@acme.example"


def custom_role_findings(pack, permissions: list[str]) -> dict[str, str]:
    resources = [(ROLE, "helper", {"project": "acme-dev", "roleId": "deployHelper", "title": "deploy helper",
                                   "permissions": permissions}),
                 (MEMBER, "helper-b", {"project": "acme-dev", "role": "projects/acme-dev/roles/deployHelper",
                                       "member": GROUP})]
    return dict(stack_findings(pack, "AGID-GCP-007", resources, "mandatory"))


@pytest.mark.parametrize("permission", [
    "container.daemonSets.create", "container.daemonSets.update", "container.deployments.create",
    "container.deployments.update", "container.statefulSets.update", "container.jobs.create", "container.cronJobs.update",
    "container.mutatingWebhookConfigurations.create", "container.validatingWebhookConfigurations.update",
    "container.certificateSigningRequests.approve", "container.nodes.proxy", "container.pods.portForward",
    "container.customResourceDefinitions.update", "container.secrets.create",
    "deploymentmanager.deployments.update", "osconfig.patchJobs.exec", "osconfig.osPolicyAssignments.create",
    "osconfig.osPolicyAssignments.update", "osconfig.patchDeployments.create",
])
def test_a_custom_role_running_code_as_others_blocks(pack, permission):
    found = custom_role_findings(pack, ["logging.logEntries.create", permission])
    assert list(found) == ["helper-b"] and f"holds {permission}" in found["helper-b"], found


def test_reading_the_same_objects_passes(pack):
    assert custom_role_findings(pack, [
        "container.daemonSets.get", "container.deployments.list", "container.mutatingWebhookConfigurations.get",
        "container.certificateSigningRequests.get", "container.nodes.get", "container.roleBindings.create",
        "deploymentmanager.deployments.get", "osconfig.patchJobs.get", "osconfig.osPolicyAssignments.list"]) == {}


@pytest.mark.parametrize("role, permission", [
    ("roles/osconfig.patchJobExecutor", "osconfig.patchJobs.exec"),
    ("roles/osconfig.osPolicyAssignmentAdmin", "osconfig.osPolicyAssignments.create"),
])
def test_predefined_roles_holding_them_block(pack, role, permission):
    diags = pack.analyze(MEMBER, "m", urn(MEMBER, "m"), {"project": "acme-dev", "role": role, "member": GROUP})
    found = [d.message for d in diags if d.policy_name == "AGID-GCP-005" and d.enforcement_level == "mandatory"]
    assert len(found) == 1 and permission in found[0], found


def test_predefined_viewer_look_alike_passes(pack):
    props = {"project": "acme-dev", "member": GROUP, "role": "roles/osconfig.patchJobViewer"}
    assert flagged_names(pack, "AGID-GCP-005", (MEMBER, "m", props)) == []


def test_every_exact_escalation_permission_is_one_google_lists():
    """A misspelt entry would never match a real grant (misc5's note: serviceusage.apiKeys.create)."""
    escalating = gcp_catalog._data()["escalation_permissions"]
    exact = [name for name in escalating if "*" not in name and not name.startswith("iam.googleapis.com/")]
    added = [name for name in exact if name.split(".", 1)[0] in ("container", "osconfig", "deploymentmanager")]
    assert [name for name in added if not gcp_catalog.is_permission(name)] == []
