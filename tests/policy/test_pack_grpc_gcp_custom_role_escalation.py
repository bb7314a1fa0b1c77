"""AGID-GCP-007 over gRPC: custom roles with escalation permissions bound at project level.

Before this rule a custom role holding resourcemanager.projects.setIamPolicy, iam.roles.update and
iam.serviceAccountKeys.create bound at project level drew only an advisory, while the predefined roles holding
the same permissions are mandatory AGID-GCP-005.
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings

ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
ORG_ROLE = "gcp:organizations/iAMCustomRole:IAMCustomRole"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
AGENT = "serviceAccount:agent-x@p1.iam.gserviceaccount.com"


def flagged(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, "AGID-GCP-007", resources, "mandatory"))


@pytest.mark.parametrize("permission", ["resourcemanager.projects.setIamPolicy", "iam.roles.update",
                                        "iam.serviceAccountKeys.create", "iam.serviceAccounts.getAccessToken"])
def test_escalating_custom_role_at_project_level_blocks(pack, permission):
    found = flagged(pack,
                    (ROLE, "esc", {"project": "p1", "roleId": "esc", "title": "esc",
                                   "permissions": ["logging.logEntries.create", permission]}),
                    (PROJECT_MEMBER, "esc-b", {"project": "p1", "role": "projects/p1/roles/esc", "member": AGENT}))
    assert list(found) == ["esc-b"] and f"holds {permission}" in found["esc-b"]


def test_role_named_only_at_deployment_fails_closed_and_org_roles_count(pack):
    found = flagged(pack,
                    (ORG_ROLE, "esc", {"orgId": "123", "roleId": "esc", "permissions": ["iam.roles.update"]}),
                    (PROJECT_MEMBER, "by-output", {"project": "p1", "role": UNKNOWN, "member": AGENT}),
                    ("gcp:folder/iAMMember:IAMMember", "on-folder",
                     {"folder": "folders/1", "role": "organizations/123/roles/esc", "member": AGENT}))
    assert sorted(found) == ["by-output", "on-folder"]
    assert "cannot check" in found["by-output"]


def test_look_alikes_pass(pack):
    assert flagged(pack,
                   (ROLE, "logs", {"project": "p1", "roleId": "logs", "permissions": ["logging.logEntries.create"]}),
                   (PROJECT_MEMBER, "logs-b", {"project": "p1", "role": "projects/p1/roles/logs", "member": AGENT}),
                   (PROJECT_MEMBER, "by-output", {"project": "p1", "role": UNKNOWN, "member": AGENT})) == {}
    # an escalating custom role bound on one service account is bounded (judged elsewhere by who the member is)
    assert flagged(pack,
                   (ROLE, "esc", {"project": "p1", "roleId": "esc", "permissions": ["iam.serviceAccounts.getAccessToken"]}),
                   (SA_MEMBER, "on-sa", {"serviceAccountId": "projects/p1/serviceAccounts/agent-x@p1.iam.gserviceaccount.com",
                                         "role": "projects/p1/roles/esc", "member": AGENT})) == {}
