"""AGID-GCP-021 over gRPC: Privileged Access Manager entitlements judged as the role bindings they become (red11b
finding 12: mallory eligible for roles/owner on the project with no approval workflow passed), bounded only by an
approval workflow with named, non-public approvers."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-GCP-021"
ENTITLEMENT = "gcp:privilegedaccessmanager/entitlement:entitlement"  # as pulumi-gcp spells it
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
APPROVAL = {"manualApprovals": {"requireApproverJustification": True, "steps": [
    {"approvalsNeeded": 1, "approvers": {"principals": ["group:security-oncall@acme.example"]}}]}}


def entitlement(role="roles/owner", principals=("user:mallory@evil.example",), approval=None, **extra):
    props = {"entitlementId": "break-glass", "location": "global", "parent": "projects/acme-prod",
             "maxRequestDuration": "86400s", "eligibleUsers": [{"principals": list(principals)}],
             "privilegedAccess": {"gcpIamAccess": {"resource": "//cloudresourcemanager.googleapis.com/projects/acme-prod",
                                                   "resourceType": "cloudresourcemanager.googleapis.com/Project",
                                                   "roleBindings": [{"role": role}]}},
             "requesterJustificationConfig": {"notMandatory": {}}, **extra}
    if approval is not None:
        props["approvalWorkflow"] = approval
    return props


def judged(pack, props, *others, level=None):
    return [name for name, _ in stack_findings(pack, RULE, [(ENTITLEMENT, "ent", props), *others], level)]


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor", "roles/viewer", "roles/iam.serviceAccountTokenCreator",
                                  "roles/resourcemanager.projectIamAdmin", "roles/iam.roleAdmin",
                                  "roles/cloudfunctions.developer"])
def test_a_powerful_role_without_approval_blocks(pack, role):
    assert judged(pack, entitlement(role), level="mandatory") == ["ent"]


def test_the_red11b_entitlement_names_owner_and_mallory(pack):
    [(name, message)] = stack_findings(pack, RULE, [(ENTITLEMENT, "ent", entitlement())], "mandatory")
    assert "user:mallory@evil.example" in message and "roles/owner" in message


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers", "domain:gmail.com",
                                    "principalSet://goog/public:all"])
def test_a_public_eligible_principal_blocks_for_any_role(pack, member):
    assert judged(pack, entitlement("roles/logging.viewer", principals=[member]), level="mandatory") == ["ent"]


def test_a_custom_role_is_judged_by_its_definition(pack):
    role = (CUSTOM_ROLE, "cr", {"project": "acme-prod", "roleId": "grant", "title": "g",
                                "permissions": ["resourcemanager.projects.setIamPolicy"]})
    assert judged(pack, entitlement("projects/acme-prod/roles/grant"), role) == ["ent"]
    harmless = (CUSTOM_ROLE, "cr", {"project": "acme-prod", "roleId": "grant", "title": "g",
                                    "permissions": ["logging.logEntries.list"]})
    assert judged(pack, entitlement("projects/acme-prod/roles/grant"), harmless) == []
    # neither predefined nor defined here: cannot check
    assert judged(pack, entitlement("organizations/1/roles/unseen"), level="mandatory") == ["ent"]


def test_look_alikes_pass(pack):
    # a powerful role behind another person's approval (PAM refuses self-approval)
    assert judged(pack, entitlement(approval=APPROVAL)) == []
    # a predefined role without escalation permissions, no approval: the same as binding it
    assert judged(pack, entitlement("roles/logging.viewer")) == []
    assert judged(pack, entitlement("roles/compute.viewer", principals=["group:sre@acme.example"])) == []


@pytest.mark.parametrize("approval", [
    {},
    {"manualApprovals": {"steps": []}},
    {"manualApprovals": {"steps": [{"approvalsNeeded": 1, "approvers": {"principals": ["allAuthenticatedUsers"]}}]}},
    {"manualApprovals": {"steps": [{"approvalsNeeded": 0, "approvers": {"principals": ["group:sec@acme.example"]}}]}},
    {"manualApprovals": {"steps": [{"approvers": {"principals": []}}]}},
])
def test_an_approval_workflow_that_bounds_nothing_is_no_bound(pack, approval):
    assert judged(pack, entitlement(approval=approval), level="mandatory") == ["ent"]


def unknowns(pack, props):
    """The pack's stack-wide "cannot check until known" message (the engine gets one per stack policy, no URN)."""
    return [message.split("during preview: ", 1)[-1]
            for _, message in stack_findings(pack, RULE, [(ENTITLEMENT, "ent", props)])]


def test_unknown_or_unreadable_is_not_a_pass(pack):
    assert unknowns(pack, entitlement(UNKNOWN)) == [
        "cannot check until known: privilegedAccess.gcpIamAccess.roleBindings[0].role is computed during preview"]
    assert unknowns(pack, entitlement(principals=[UNKNOWN], role="roles/logging.viewer")) == [
        "cannot check until known: eligibleUsers[0].principals[0] is computed during preview"]
    assert unknowns(pack, entitlement(approval={"manualApprovals": UNKNOWN})) == [
        "cannot check until known: approvalWorkflow.manualApprovals is computed during preview"]
    bad = entitlement()
    bad["eligibleUsers"] = "user:mallory@evil.example"
    assert judged(pack, bad, level="mandatory") == ["ent"]
