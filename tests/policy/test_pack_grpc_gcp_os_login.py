"""OS Login on every VM of a project, folder or organization is signing in as the VMs (r15-3, issue 11), over gRPC.

roles/compute.osAdminLogin, roles/compute.osLogin and custom roles holding compute.instances.osAdminLogin /
osLogin passed at project level: a user signed in to a VM reads its attached service account's token from the
metadata server (and, with sudo, every credential on its disks). The Azure twin (virtualMachines/login, capability
vm-login) was already mandatory. Now AGID-GCP-005 (predefined roles) and AGID-GCP-007 (custom roles); bound on one
instance the target is bounded and passes, as does the IAP tunnel role alone (a network path, no sign-in).
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc_red7a_gcp import FOLDER_MEMBER, ORG_MEMBER, PROJECT_MEMBER, gcp005

AGENT = "serviceAccount:agent-x@my-proj.iam.gserviceaccount.com"
ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
INSTANCE_MEMBER = "gcp:compute/instanceIAMMember:InstanceIAMMember"


@pytest.mark.parametrize("type_, where, role, permission, level", [
    (PROJECT_MEMBER, {"project": "my-proj"}, "roles/compute.osAdminLogin", "compute.instances.osAdminLogin", "project"),
    (PROJECT_MEMBER, {"project": "my-proj"}, "roles/compute.osLogin", "compute.instances.osLogin", "project"),
    (FOLDER_MEMBER, {"folder": "folders/123"}, "roles/compute.osLogin", "compute.instances.osLogin", "folder"),
    (ORG_MEMBER, {"orgId": "123456789"}, "roles/compute.osAdminLogin", "compute.instances.osAdminLogin", "organization"),
])
def test_os_login_roles_above_one_instance_block(pack, type_, where, role, permission, level):
    [found] = gcp005(pack, type_, where | {"role": role, "member": AGENT})
    assert f"grants {role} at {level} level" in found and f"holds {permission}, which signs in" in found, found
    assert "metadata server" in found


@pytest.mark.parametrize("permission", ["compute.instances.osAdminLogin", "compute.instances.osLogin"])
def test_custom_role_with_os_login_blocks(pack, permission):
    found = dict(stack_findings(pack, "AGID-GCP-007", [
        (ROLE, "vm-login", {"project": "my-proj", "roleId": "vmLogin", "title": "t",
                            "permissions": [permission, "compute.instances.get"]}),
        (PROJECT_MEMBER, "custom-login", {"project": "my-proj", "role": "projects/my-proj/roles/vmLogin",
                                          "member": AGENT})], "mandatory"))
    assert list(found) == ["custom-login"] and f"holds {permission}" in found["custom-login"], found


def test_look_alikes_pass(pack):
    """Reading VMs, the IAP tunnel alone, and OS Login on one instance (a bounded target) pass."""
    for role in ("roles/compute.viewer", "roles/iap.tunnelResourceAccessor"):
        assert gcp005(pack, PROJECT_MEMBER, {"project": "my-proj", "role": role, "member": AGENT}) == [], role
    assert gcp005(pack, INSTANCE_MEMBER, {"project": "my-proj", "zone": "us-central1-a", "instanceName": "vm-1",
                                          "role": "roles/compute.osAdminLogin", "member": AGENT}) == []
    assert dict(stack_findings(pack, "AGID-GCP-007", [
        (ROLE, "vm-read", {"project": "my-proj", "roleId": "vmRead", "title": "t",
                           "permissions": ["compute.instances.get", "compute.instances.list"]}),
        (PROJECT_MEMBER, "custom-read", {"project": "my-proj", "role": "projects/my-proj/roles/vmRead",
                                         "member": AGENT})], "mandatory")) == {}
