"""GCP escalation data audited against the public catalogues (issue 11, kg18), over gRPC.

Rhino Security Labs' GCP privilege-escalation methods (https://github.com/RhinoSecurityLabs/GCP-IAM-Privilege-
Escalation) and HackTricks' GCP privesc pages list methods the data lacked: Deployment Manager updates, API keys under
the API Keys API's own names (apikeys.keys.*, where Rhino wrote serviceusage.apiKeys.*), tag bindings that satisfy or
lift tag-conditioned policies, principal access boundary removal, provider undelete, Cloud Source Repositories pushes
that build triggers run, and the GKE webhook / CSR / kubelet paths through IAM. Each role that holds one of them is
AGID-GCP-005 at project, folder or organization level; its read-only sibling passes. The data names only real
permissions: a misspelt entry (as serviceusage.apiKeys.create was) would match nothing.
"""

from __future__ import annotations

import pytest
import yaml

from agentid_components import gcp_catalog
from tests.policy.test_pack_grpc_red7a_gcp import ORG_MEMBER, PROJECT_MEMBER, gcp005  # mandatory AGID-GCP-005 messages

GROUP = "group:platform@acme.example"


@pytest.mark.parametrize("type_, where, role, permission", [
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/serviceusage.apiKeysAdmin", "apikeys.keys."),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/serviceusage.apiKeysViewer", "apikeys.keys.getKeyString"),
    (ORG_MEMBER, {"orgId": "123456789"}, "roles/resourcemanager.tagUser", "resourcemanager.tagValueBindings."),
    (ORG_MEMBER, {"orgId": "123456789"}, "roles/iam.principalAccessBoundaryAdmin", "iam.principalaccessboundarypolicies."),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/source.writer", "source.repos.update"),
])
def test_roles_holding_catalogue_methods_block_above_one_resource(pack, type_, where, role, permission):
    [found] = gcp005(pack, type_, where | {"role": role, "member": GROUP})
    assert permission in found, found


@pytest.mark.parametrize("role", ["roles/resourcemanager.tagViewer", "roles/source.reader",
                                  "roles/deploymentmanager.viewer", "roles/secretmanager.secretAccessor"])
def test_read_only_siblings_pass(pack, role):
    assert gcp005(pack, PROJECT_MEMBER, {"project": "acme-dev", "role": role, "member": GROUP}) == []


@pytest.mark.parametrize("permission, reason", [
    ("deploymentmanager.deployments.update", "Google APIs service agent"),
    ("iam.googleapis.com/workloadIdentityPoolProviders.undelete", "restores an identity provider"),
    ("container.mutatingWebhookConfigurations.update", "admission webhooks"),
    ("container.validatingWebhookConfigurations.delete", "removes admission guards"),
    ("container.certificateSigningRequests.approve", "client certificates"),
    ("container.nodes.proxy", "kubelet API"),
])
def test_custom_role_permissions_escalate(permission, reason):
    """Custom roles (AGID-GCP-007) are judged by the same entries; these are held only by roles that already had
    another escalation permission, so the custom role is where the entry is new."""
    assert reason in (gcp_catalog.escalation_reason(permission) or ""), permission


def test_every_named_escalation_permission_is_a_real_permission():
    with gcp_catalog.DATA_FILE.open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)["escalation_permissions"]
    misspelt = [name for name in entries if not any(c in name for c in "*?[") and not gcp_catalog.is_permission(name)]
    assert misspelt == []
