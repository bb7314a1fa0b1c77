"""AGID-GCP-022 over gRPC: IAM v3 access policies whose ALLOW rules grant like role bindings (red11b finding 6: an
OrganizationAccessPolicy ALLOWing mallory serviceAccounts.getAccessToken and projects.setIamPolicy, bound org-wide,
passed and the type was filed as grant-free), DENY rules and harmless ALLOW rules that pass."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-GCP-022"
ORG_POLICY = "gcp:iam/organizationAccessPolicy:OrganizationAccessPolicy"
PROJECT_POLICY = "gcp:iam/projectAccessPolicy:ProjectAccessPolicy"
FOLDER_POLICY = "gcp:iam/folderAccessPolicy:FolderAccessPolicy"
ORG_BINDING = "gcp:iam/organizationsPolicyBinding:OrganizationsPolicyBinding"
MALLORY = "principal://goog/subject/mallory@evil.example"


def policy(effect="ALLOW", permissions=("iam.googleapis.com/serviceAccounts.getAccessToken",),
           principals=(MALLORY,), excluded=None):
    operation = {"permissions": list(permissions), **({"excludedPermissions": excluded} if excluded else {})}
    return {"organization": "123456789", "location": "global", "accessPolicyId": "ap",
            "details": {"rules": [{"effect": effect, "principals": list(principals), "operation": operation}]}}


def names(pack, *resources, level=None):
    return [name for name, _ in stack_findings(pack, RULE, list(resources), level)]


def test_the_red11b_allow_policy_blocks(pack):
    props = policy(permissions=["iam.googleapis.com/serviceAccounts.getAccessToken",
                                "cloudresourcemanager.googleapis.com/projects.setIamPolicy"])
    binding = (ORG_BINDING, "apb", {"organization": "123456789", "location": "global", "policyBindingId": "apb",
                                    "policyKind": "ACCESS", "policy": UNKNOWN,
                                    "target": {"resource": "//cloudresourcemanager.googleapis.com/organizations/123456789"}})
    [(name, message)] = stack_findings(pack, RULE, [(ORG_POLICY, "ap", props), binding], "mandatory")
    assert name == "ap" and "serviceAccounts.getAccessToken" in message and "projects.setIamPolicy" in message


@pytest.mark.parametrize("permission", ["iam.googleapis.com/serviceAccountKeys.create", "iam.googleapis.com/roles.update",
                                        "storage.googleapis.com/buckets.setIamPolicy", "run.googleapis.com/services.update",
                                        "iam.googleapis.com/*", "*"])
@pytest.mark.parametrize("type_", [ORG_POLICY, FOLDER_POLICY, PROJECT_POLICY])
def test_allow_rules_with_escalation_permissions_block(pack, type_, permission):
    assert names(pack, (type_, "ap", policy(permissions=[permission])), level="mandatory") == ["ap"]
    assert names(pack, (type_, "ap", policy("allow", permissions=[permission])), level="mandatory") == ["ap"]


def test_allow_to_the_public_blocks_for_any_permission(pack):
    props = policy(permissions=["storage.googleapis.com/objects.get"], principals=["principalSet://goog/public:all"])
    assert names(pack, (ORG_POLICY, "ap", props), level="mandatory") == ["ap"]


def test_look_alikes_pass(pack):
    escalating = ["iam.googleapis.com/serviceAccounts.getAccessToken", "iam.googleapis.com/*"]
    assert names(pack, (ORG_POLICY, "ap", policy("DENY", permissions=escalating,
                                                  principals=["principalSet://goog/public:all"]))) == []
    assert names(pack, (ORG_POLICY, "ap", policy(permissions=["storage.googleapis.com/buckets.get",
                                                              "logging.googleapis.com/logEntries.list"]))) == []
    assert names(pack, (ORG_POLICY, "ap", policy(permissions=["iam.googleapis.com/serviceAccounts.getAccessToken"],
                                                 excluded=["iam.googleapis.com/serviceAccounts.getAccessToken"]))) == []


def test_binding_an_access_policy_the_stack_does_not_define_blocks(pack):
    binding = {"organization": "123456789", "location": "global", "policyBindingId": "apb", "policyKind": "ACCESS",
               "policy": "organizations/123456789/locations/global/accessPolicies/legacy-allow",
               "target": {"resource": "//cloudresourcemanager.googleapis.com/organizations/123456789"}}
    assert names(pack, (ORG_BINDING, "apb", binding), level="mandatory") == ["apb"]
    own = (ORG_POLICY, "ap", policy(permissions=["storage.googleapis.com/buckets.get"]))
    assert names(pack, own, (ORG_BINDING, "apb", {**binding, "policy": "organizations/123456789/locations/global/"
                                                                         "accessPolicies/ap"})) == []
    # a principal access boundary binding is not an access grant
    assert names(pack, (ORG_BINDING, "apb", {**binding, "policyKind": "PRINCIPAL_ACCESS_BOUNDARY",
                                             "policy": "organizations/123456789/locations/global/"
                                                       "principalAccessBoundaryPolicies/pab"})) == []


def test_unknown_or_unreadable_is_not_a_pass(pack):
    assert stack_findings(pack, RULE, [(ORG_POLICY, "ap", policy(UNKNOWN))]) != []
    assert names(pack, (ORG_POLICY, "ap", policy("AUDIT")), level="mandatory") == ["ap"]
    bad = policy()
    bad["details"]["rules"] = "allow"
    assert names(pack, (ORG_POLICY, "ap", bad), level="mandatory") == ["ap"]
