"""red16 r16-4, Google Cloud, over gRPC: setting a Cloud SQL / AlloyDB user's password (or creating a user with a
chosen one) mints a static credential to the instance's data, as rds:ModifyDBInstance does on AWS: the permissions
are escalation permissions, so roles/cloudsql.admin and roles/alloydb.admin at project level are AGID-GCP-005 and a
custom role holding one is AGID-GCP-007; the editor / viewer / client roles without them pass."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
AGENT = "serviceAccount:agent-x@p1.iam.gserviceaccount.com"


def gcp005(pack, role: str) -> list[str]:
    props = {"project": "p1", "role": role, "member": AGENT}
    return [d.message for d in pack.analyze(PROJECT_MEMBER, "m", urn(PROJECT_MEMBER, "m"), props)
            if d.policy_name == "AGID-GCP-005" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("role, permission", [
    ("roles/cloudsql.admin", "cloudsql.users."),
    ("roles/alloydb.admin", "alloydb.users."),
    ("roles/alloydb.editor", "alloydb.users."),
])
def test_db_admin_roles_at_project_level_block(pack, role, permission):
    [found] = gcp005(pack, role)
    assert permission in found, found


@pytest.mark.parametrize("role", ["roles/cloudsql.editor", "roles/cloudsql.viewer", "roles/cloudsql.client",
                                  "roles/alloydb.viewer", "roles/alloydb.client"])
def test_db_roles_without_user_writes_pass(pack, role):
    assert gcp005(pack, role) == []


@pytest.mark.parametrize("permission", ["cloudsql.users.update", "cloudsql.users.create",
                                        "alloydb.users.update", "alloydb.users.create"])
def test_custom_role_with_a_user_write_blocks_and_its_list_twin_passes(pack, permission):
    def found(perm):
        return dict(stack_findings(pack, "AGID-GCP-007", [
            (ROLE, "pw", {"project": "p1", "roleId": "pw", "title": "pw", "permissions": [perm]}),
            (PROJECT_MEMBER, "pw-b", {"project": "p1", "role": "projects/p1/roles/pw", "member": AGENT})], "mandatory"))
    hit = found(permission)
    assert list(hit) == ["pw-b"] and f"holds {permission}" in hit["pw-b"]
    assert found(permission.rsplit(".", 1)[0] + ".list") == {}
