"""AGID-GCP-011 and AGID-GCP-005 over gRPC: roles the pack cannot read, and admin roles judged by what they hold.

Outside review (red3 finding 5): a custom role defined outside the stack (organizations/123456/roles/superRole)
bound at project level passed, because the GCP rules skipped a role they could not look up; and
roles/container.admin, roles/cloudbuild.builds.editor bound on the project passed, because none of the
permissions they hold (Kubernetes RBAC escalate/bind, pods/exec, Secrets, builds running as the Cloud Build
service account) counted as escalation.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
ORG_MEMBER = "gcp:organizations/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
ORG_ROLE = "gcp:organizations/iAMCustomRole:IAMCustomRole"
PROJECT_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
WORKER = "serviceAccount:worker@p1.iam.gserviceaccount.com"


def mandatory(pack, rule_id: str, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, rule_id, resources, "mandatory"))


@pytest.mark.parametrize("type_, props", [
    (PROJECT_MEMBER, {"project": "p1", "role": "organizations/123456/roles/superRole", "member": WORKER}),
    (PROJECT_MEMBER, {"project": "p1", "role": "projects/other-project/roles/x", "member": WORKER}),
    (ORG_MEMBER, {"orgId": "123456", "role": "roles/resourcemanager.superAdmin", "member": WORKER}),
    (BUCKET_MEMBER, {"bucket": "b", "role": "organizations/123456/roles/superRole", "member": WORKER}),
    (SA_MEMBER, {"serviceAccountId": "projects/p1/serviceAccounts/admin@p1.iam.gserviceaccount.com",
                 "role": "projects/p1/roles/tokens", "member": WORKER}),
])
def test_role_neither_in_catalogue_nor_in_stack_blocks(pack, type_, props):
    found = mandatory(pack, "AGID-GCP-011", (type_, "grant", props))
    assert list(found) == ["grant"]
    assert f"cannot check what role {props['role']} holds" in found["grant"]


def test_misspelt_predefined_role_names_the_near_one(pack):
    found = mandatory(pack, "AGID-GCP-011", (PROJECT_MEMBER, "typo", {
        "project": "p1", "role": "roles/secretmanager.secretAccesor", "member": WORKER}))
    assert "did you mean roles/secretmanager.secretAccessor?" in found["typo"]


def test_look_alikes_pass(pack):
    """The same custom role names defined in the stack (bound through the role's output: the binding depends on
    it), a catalogued predefined role, and a role known only at deployment (cannot check until known, not this
    rule's) are not AGID-GCP-011 violations."""
    assert mandatory(pack, "AGID-GCP-011",
                     (ORG_ROLE, "super", {"orgId": "123456", "roleId": "superRole", "title": "s",
                                          "permissions": ["logging.logEntries.create"]}),
                     (PROJECT_ROLE, "tokens", {"project": "p1", "roleId": "tokens", "title": "t",
                                               "permissions": ["iam.serviceAccounts.get"]}),
                     StackResource(PROJECT_MEMBER, "org-custom", urn(PROJECT_MEMBER, "org-custom"), {
                         "project": "p1", "role": "organizations/123456/roles/superRole", "member": WORKER},
                         dependencies=[urn(ORG_ROLE, "super")]),
                     StackResource(SA_MEMBER, "sa-custom", urn(SA_MEMBER, "sa-custom"), {
                         "serviceAccountId": "projects/p1/serviceAccounts/x@p1.iam.gserviceaccount.com",
                         "role": "projects/p1/roles/tokens", "member": WORKER}, dependencies=[urn(PROJECT_ROLE, "tokens")]),
                     (PROJECT_MEMBER, "predefined", {"project": "p1", "role": "roles/logging.logWriter", "member": WORKER}),
                     (PROJECT_MEMBER, "later", {"project": "p1", "role": UNKNOWN, "member": WORKER})) == {}


@pytest.mark.parametrize("role, permission", [
    ("roles/container.admin", "container."),
    ("roles/container.developer", "container."),
    ("roles/cloudbuild.builds.editor", "cloudbuild.builds.create"),
    ("roles/run.admin", "setIamPolicy"),
    ("roles/iam.securityAdmin", "setIamPolicy"),
    ("roles/iam.roleAdmin", "iam.roles."),
])
def test_admin_class_roles_at_project_block_by_what_they_hold(pack, role, permission):
    found = escalation(pack, PROJECT_MEMBER, {"project": "p1", "role": role, "member": WORKER})
    assert len(found) == 1 and permission in found[0]


def escalation(pack, type_: str, props: dict) -> list[str]:
    """The mandatory AGID-GCP-005 messages for one binding resource."""
    return [d.message for d in pack.analyze(type_, "admin", urn(type_, "admin"), props)
            if d.policy_name == "AGID-GCP-005" and d.enforcement_level == "mandatory"]


def test_organization_admin_at_organization_blocks_and_narrow_roles_pass(pack):
    found = escalation(pack, ORG_MEMBER, {"orgId": "123456", "role": "roles/resourcemanager.organizationAdmin",
                                          "member": WORKER})
    assert len(found) == 1 and "setIamPolicy" in found[0]
    for role in ("roles/container.clusterViewer", "roles/cloudbuild.builds.viewer", "roles/secretmanager.secretAccessor"):
        assert escalation(pack, PROJECT_MEMBER, {"project": "p1", "role": role, "member": WORKER}) == [], role


@pytest.mark.parametrize("binding_type, where", [
    (PROJECT_MEMBER, {"project": "p1"}),
    (ORG_MEMBER, {"orgId": "123456"}),
    (BUCKET_MEMBER, {"bucket": "b"}),
])
def test_custom_role_with_a_permission_the_catalogue_lacks_blocks_at_every_level(pack, binding_type, where):
    """red5 finding 5 (g17): a stack's custom role holding `iam.workloadIdentityPoolProviders.update` (Google spells
    it iam.googleapis.com/workloadIdentityPoolProviders.update) matched no escalation entry and passed; a name the
    catalogue does not list cannot be judged, whatever the level or member."""
    found = mandatory(pack, "AGID-GCP-011",
                      (PROJECT_ROLE, "cr", {"project": "p1", "roleId": "x", "title": "x",
                                            "permissions": ["logging.logEntries.create",
                                                            "iam.workloadIdentityPoolProviders.update"]}),
                      StackResource(binding_type, "grant", urn(binding_type, "grant"),
                                    {**where, "role": "projects/p1/roles/x", "member": WORKER},
                                    dependencies=[urn(PROJECT_ROLE, "cr")]))
    assert list(found) == ["grant"]
    assert "cannot check what role projects/p1/roles/x holds" in found["grant"]
    assert ("iam.workloadIdentityPoolProviders.update (did you mean "
            "iam.googleapis.com/workloadIdentityPoolProviders.update?)") in found["grant"]


def test_custom_role_with_google_spelt_permissions_is_not_unknown(pack):
    """The look-alike: the same role spelt as Google lists it is readable (AGID-GCP-007 judges what it holds)."""
    resources = [(PROJECT_ROLE, "cr", {"project": "p1", "roleId": "x", "title": "x",
                                       "permissions": ["logging.logEntries.create",
                                                       "iam.googleapis.com/workloadIdentityPoolProviders.update"]}),
                 StackResource(PROJECT_MEMBER, "grant", urn(PROJECT_MEMBER, "grant"),
                               {"project": "p1", "role": "projects/p1/roles/x", "member": WORKER},
                               dependencies=[urn(PROJECT_ROLE, "cr")])]
    assert mandatory(pack, "AGID-GCP-011", *resources) == {}
    assert "workloadIdentityPoolProviders.update" in mandatory(pack, "AGID-GCP-007", *resources)["grant"]
