"""AGID-GCP-012 over gRPC: impersonation of a service account the stack does not define.

Outside review (red3 finding 6): roles/iam.serviceAccountTokenCreator or serviceAccountUser on
`projects/p1/serviceAccounts/admin@p1.iam.gserviceaccount.com`, granted to a service account whose name does not
start with `agent-`, passed: the member becomes an account whose grants the pack never sees.
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings

SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_POLICY = "gcp:serviceaccount/iAMPolicy:IAMPolicy"
ACCOUNT = "gcp:serviceaccount/account:Account"
ADMIN = "projects/p1/serviceAccounts/admin@p1.iam.gserviceaccount.com"
WORKER = "serviceAccount:worker@p1.iam.gserviceaccount.com"


def flagged(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, "AGID-GCP-012", resources, "mandatory"))


@pytest.mark.parametrize("role", ["roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser",
                                  "roles/iam.workloadIdentityUser", "roles/iam.serviceAccountKeyAdmin",
                                  "roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.serviceAccountAdmin"])
@pytest.mark.parametrize("target", [ADMIN, "admin@p1.iam.gserviceaccount.com",
                                    "projects/p1/serviceAccounts/123456789-compute@developer.gserviceaccount.com"])
def test_impersonating_an_account_outside_the_stack_blocks(pack, role, target):
    found = flagged(pack, (SA_MEMBER, "imp", {"serviceAccountId": target, "role": role, "member": WORKER}))
    assert list(found) == ["imp"] and f"cannot check what service account {target} holds" in found["imp"]


def test_whole_policy_and_custom_token_role_block(pack):
    found = flagged(pack,
                    ("gcp:projects/iAMCustomRole:IAMCustomRole", "c", {"project": "p1", "roleId": "c", "title": "c",
                                                                       "permissions": ["iam.serviceAccounts.signJwt"]}),
                    (SA_MEMBER, "custom", {"serviceAccountId": ADMIN, "role": "projects/p1/roles/c", "member": WORKER}),
                    (SA_POLICY, "policy", {"serviceAccountId": ADMIN, "policyData":
                                           '{"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["%s"]}]}'
                                           % WORKER}))
    assert sorted(found) == ["custom", "policy"]


def test_look_alikes_pass(pack):
    """The same grants on an account the stack defines (with or without its project), a role that does not
    impersonate on the outside account, and a target known only at deployment pass this rule."""
    assert flagged(pack,
                   (ACCOUNT, "admin", {"accountId": "admin", "project": "p1"}),
                   (ACCOUNT, "other", {"accountId": "runner"}),
                   (SA_MEMBER, "defined", {"serviceAccountId": ADMIN, "role": "roles/iam.serviceAccountTokenCreator",
                                           "member": WORKER}),
                   (SA_MEMBER, "by-email", {"serviceAccountId": "runner@p1.iam.gserviceaccount.com",
                                            "role": "roles/iam.serviceAccountUser", "member": WORKER}),
                   (SA_MEMBER, "viewer", {"serviceAccountId": "projects/p1/serviceAccounts/x@p1.iam.gserviceaccount.com",
                                          "role": "roles/iam.serviceAccountViewer", "member": WORKER}),
                   (SA_MEMBER, "later", {"serviceAccountId": UNKNOWN, "role": "roles/iam.workloadIdentityUser",
                                         "member": WORKER})) == {}


def test_same_account_id_in_another_project_still_blocks(pack):
    found = flagged(pack, (ACCOUNT, "admin", {"accountId": "admin", "project": "p2"}),
                    (SA_MEMBER, "imp", {"serviceAccountId": ADMIN, "role": "roles/iam.serviceAccountUser",
                                        "member": WORKER}))
    assert list(found) == ["imp"]
