"""AGID-GCP-021 over gRPC: Privileged Access Manager entitlements judged as the role bindings they become (red11b
finding 12: mallory eligible for roles/owner on the project with no approval workflow passed), bounded only by an
approval workflow with named approvers of the organisation; an eligible principal or approver outside the
organisation (issue 11) is a violation. The module's pack is configured as the gate does it: the pack-wide `all`
entry lists the organisation's domain and project (ownGcpDomains / ownGcpProjects)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN

OWN = {"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-prod", "123456789012"],
               "ownGcpOrganizations": ["555"]}}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(OWN)
        yield running

RULE = "AGID-GCP-021"
ENTITLEMENT = "gcp:privilegedaccessmanager/entitlement:entitlement"  # as pulumi-gcp spells it
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
APPROVAL = {"manualApprovals": {"requireApproverJustification": True, "steps": [
    {"approvalsNeeded": 1, "approvers": {"principals": ["group:security-oncall@acme.example"]}}]}}


def entitlement(role="roles/owner", principals=("user:mallory@acme.example",), approval=None, **extra):
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
    [(name, message)] = stack_findings(pack, RULE, [(ENTITLEMENT, "ent", entitlement(
        principals=["user:mallory@evil.example"]))], "mandatory")
    assert "user:mallory@evil.example" in message and "roles/owner" in message
    # an insider with no approval: the binding itself
    [(name, message)] = stack_findings(pack, RULE, [(ENTITLEMENT, "ent", entitlement())], "mandatory")
    assert message.endswith("ent: PAM entitlement lets user:mallory@acme.example grant themselves roles/owner (a basic "
                            "role: nearly every permission of every service) on "
                            "//cloudresourcemanager.googleapis.com/projects/acme-prod with no approval by someone "
                            "else of the organisation: eligibility is the role binding itself")


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers", "domain:gmail.com",
                                    "principalSet://goog/public:all"])
def test_a_public_eligible_principal_blocks_for_any_role(pack, member):
    assert judged(pack, entitlement("roles/logging.viewer", principals=[member]), level="mandatory") == ["ent"]


def test_a_custom_role_is_judged_by_its_definition(pack):
    role = (CUSTOM_ROLE, "cr", {"project": "acme-prod", "roleId": "grant", "title": "g",
                                "permissions": ["resourcemanager.projects.setIamPolicy"]})
    insider = ["user:mallory@acme.example"]
    assert judged(pack, entitlement("projects/acme-prod/roles/grant", insider), role) == ["ent"]
    harmless = (CUSTOM_ROLE, "cr", {"project": "acme-prod", "roleId": "grant", "title": "g",
                                    "permissions": ["logging.logEntries.list"]})
    assert judged(pack, entitlement("projects/acme-prod/roles/grant", insider), harmless) == []
    # neither predefined nor defined here: cannot check
    assert judged(pack, entitlement("organizations/1/roles/unseen", insider), level="mandatory") == ["ent"]


def test_look_alikes_pass(pack):
    # a powerful role behind another person's approval (PAM refuses self-approval)
    assert judged(pack, entitlement(principals=["user:mallory@acme.example"], approval=APPROVAL)) == []
    # a predefined role without escalation permissions, no approval: the same as binding it
    assert judged(pack, entitlement("roles/logging.viewer", ["user:mallory@acme.example"])) == []
    assert judged(pack, entitlement("roles/compute.viewer", principals=["group:sre@acme.example"])) == []


@pytest.mark.parametrize("approval", [
    {},
    {"manualApprovals": {"steps": []}},
    {"manualApprovals": {"steps": [{"approvalsNeeded": 1, "approvers": {"principals": ["allAuthenticatedUsers"]}}]}},
    {"manualApprovals": {"steps": [{"approvalsNeeded": 0, "approvers": {"principals": ["group:sec@acme.example"]}}]}},
    {"manualApprovals": {"steps": [{"approvers": {"principals": []}}]}},
])
def test_an_approval_workflow_that_bounds_nothing_is_no_bound(pack, approval):
    assert judged(pack, entitlement(principals=["user:mallory@acme.example"], approval=approval),
                  level="mandatory") == ["ent"]


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
    bad["eligibleUsers"] = "user:mallory@acme.example"
    assert judged(pack, bad, level="mandatory") == ["ent"]


# --- issue 11: principals outside the organisation ---------------------------------------------------------------

FOREIGN = ["user:attacker@gmail.com", "group:x@evil.example", "domain:evil.example", "domain:gmail.com",
           "USER:Attacker@Evil.Example", "user:x@acme.example.evil.com", "user:x@sub.acme.example",
           "principal://iam.googleapis.com/locations/global/workforcePools/foreign-pool/subject/x",
           "principalSet://iam.googleapis.com/locations/global/workforcePools/foreign-pool/*",
           "principalSet://iam.googleapis.com/locations/global/workforcePools/foreign-pool/group/admins",
           "serviceAccount:x@other-project.iam.gserviceaccount.com",
           "serviceAccount:other-project@appspot.gserviceaccount.com",
           "serviceAccount:999-compute@developer.gserviceaccount.com",
           "serviceAccount:service-999@gcp-sa-cloudbuild.iam.gserviceaccount.com",
           "serviceAccount:other-project.svc.id.goog[ns/ksa]",
           "principal://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/p/subject/s",
           "principalSet://cloudresourcemanager.googleapis.com/organizations/999/type/ServiceAccount",
           "principalSet://cloudresourcemanager.googleapis.com/folders/555/type/ServiceAccount",
           "principal://goog/subject/x@evil.example", "principalSet://goog/cloudIdentityCustomerId/C0abc",
           "deleted:user:x@evil.example?uid=123", "something-else"]
INSIDE = ["user:alice@acme.example", "group:sre@ACME.example", "domain:acme.example",
          "serviceAccount:approver@acme-prod.iam.gserviceaccount.com",
          "serviceAccount:123456789012-compute@developer.gserviceaccount.com",
          "serviceAccount:service-org-555@gcp-sa-pam.iam.gserviceaccount.com",
          "serviceAccount:acme-prod.svc.id.goog[ns/ksa]",
          "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/p/subject/s",
          "principalSet://cloudresourcemanager.googleapis.com/organizations/555/type/ServiceAccount",
          "principal://goog/subject/alice@acme.example"]
POOL = ("gcp:iam/workforcePool:WorkforcePool", "pool", {"workforcePoolId": "acme-staff", "parent": "organizations/555",
                                                         "location": "global"})
ACCOUNT = ("gcp:serviceaccount/account:Account", "sa", {"accountId": "pam-approver", "project": "elsewhere-1"})
OWN_ACCOUNT = ("gcp:serviceaccount/account:Account", "sa", {"accountId": "pam-approver", "project": "acme-prod"})


def approved_by(approver):
    return {"manualApprovals": {"steps": [{"approvalsNeeded": 1, "approvers": {"principals": [approver]}}]}}


@pytest.mark.parametrize("approver", FOREIGN)
def test_an_approver_outside_the_organisation_bounds_nothing(pack, approver):
    [(name, message)] = stack_findings(pack, RULE, [(ENTITLEMENT, "ent", entitlement(
        principals=["user:mallory@acme.example"], approval=approved_by(approver)))], "mandatory")
    assert name == "ent" and "its approvers include" in message and "who may approve grants" in message


@pytest.mark.parametrize("approver", INSIDE)
def test_an_approver_of_the_organisation_is_a_bound(pack, approver):
    assert judged(pack, entitlement(principals=["user:mallory@acme.example"], approval=approved_by(approver))) == []


def test_one_outside_approver_in_a_step_that_one_approval_passes_bounds_nothing(pack):
    mixed = {"manualApprovals": {"steps": [{"approvalsNeeded": 1, "approvers": {
        "principals": ["group:sec@acme.example", "user:attacker@gmail.com"]}}]}}
    assert judged(pack, entitlement(principals=["user:mallory@acme.example"], approval=mixed),
                  level="mandatory") == ["ent"]


@pytest.mark.parametrize("requester", FOREIGN)
def test_a_requester_outside_the_organisation_blocks_for_any_role_even_with_approval(pack, requester):
    [(name, message)] = stack_findings(pack, RULE, [(ENTITLEMENT, "ent", entitlement(
        "roles/logging.viewer", principals=[requester], approval=APPROVAL))], "mandatory")
    assert name == "ent" and "a principal outside the organisation may request" in message
    assert "roles/logging.viewer" in message


@pytest.mark.parametrize("requester", INSIDE)
def test_a_requester_of_the_organisation_passes_for_a_harmless_role(pack, requester):
    assert judged(pack, entitlement("roles/logging.viewer", principals=[requester])) == []


def test_the_stacks_own_workforce_pool_and_service_account_are_inside(pack):
    member = "principalSet://iam.googleapis.com/locations/global/workforcePools/acme-staff/group/admins"
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(member)), POOL) == []
    # a stack service account is inside only in a project the gate lists (red14 r14-3): the stack naming
    # elsewhere-1 does not make its account the organisation's
    account = "serviceAccount:pam-approver@elsewhere-1.iam.gserviceaccount.com"
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(account)),
                  ACCOUNT, level="mandatory") == ["ent"]
    own_account = "serviceAccount:pam-approver@acme-prod.iam.gserviceaccount.com"
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(own_account)),
                  OWN_ACCOUNT) == []
    workload = "principalSet://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/ci/group/admins"
    pool = ("gcp:iam/workloadIdentityPool:WorkloadIdentityPool", "wip", {"workloadIdentityPoolId": "ci",
                                                                        "name": "projects/42/locations/global/"
                                                                                "workloadIdentityPools/ci"})
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(workload)), pool) == []
    other = workload.replace("/projects/42/", "/projects/43/")  # the same pool id in another project
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(other)), pool,
                  level="mandatory") == ["ent"]
    # the same names without the stack's pool / account: cannot tell, so no bound
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(member)),
                  level="mandatory") == ["ent"]
    assert judged(pack, entitlement(principals=["user:m@acme.example"], approval=approved_by(account)),
                  level="mandatory") == ["ent"]


def test_an_unknown_approver_is_a_stack_account_only_when_it_provably_is_its_output(pack):
    from agentid.analyzer_client import StackResource
    from tests.policy.test_pack_grpc import urn

    account = StackResource(OWN_ACCOUNT[0], "sa", urn(OWN_ACCOUNT[0], "sa"), OWN_ACCOUNT[2])
    bucket_type = "gcp:storage/bucket:Bucket"
    bucket = StackResource(bucket_type, "b", urn(bucket_type, "b"), {"name": "b", "location": "EU"})

    def ent(*dependencies):
        props = entitlement(principals=["user:m@acme.example"], approval=approved_by(UNKNOWN))
        return StackResource(ENTITLEMENT, "ent", urn(ENTITLEMENT, "ent"), props,
                             dependencies=[d.urn for d in dependencies])

    assert stack_findings(pack, RULE, [account, ent(account)]) == []
    # another dependency may be the Output a constant hides behind: cannot check until known
    [(_, message)] = stack_findings(pack, RULE, [account, bucket, ent(account, bucket)])
    assert "cannot check until known: approvalWorkflow.manualApprovals.steps[0].approvers.principals[0]" in message
    # where the engine sends propertyDependencies, approvalWorkflow's own decide: the bucket is another input's
    linked = ent(account, bucket)
    linked = StackResource(linked.type, linked.name, linked.urn, linked.properties, dependencies=linked.dependencies,
                           property_dependencies={"approvalWorkflow": [account.urn], "parent": [bucket.urn]})
    assert stack_findings(pack, RULE, [account, bucket, linked]) == []
    hidden = StackResource(linked.type, linked.name, linked.urn, linked.properties, dependencies=linked.dependencies,
                           property_dependencies={"approvalWorkflow": [bucket.urn]})
    [(_, message)] = stack_findings(pack, RULE, [account, bucket, hidden])
    assert "cannot check until known: approvalWorkflow.manualApprovals.steps[0].approvers.principals[0]" in message


def test_with_no_own_domain_listed_a_user_cannot_be_told_inside():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        [(_, message)] = stack_findings(running, RULE, [(ENTITLEMENT, "ent", entitlement(
            "roles/logging.viewer", principals=["user:alice@acme.example"]))], "mandatory")
        assert "cannot tell: the gate lists no own domain (ownGcpDomains)" in message
        # the rule's own entry works as the pack-wide one does
        running.configure({RULE: {"ownGcpDomains": ["acme.example"]}})
        assert stack_findings(running, RULE, [(ENTITLEMENT, "ent", entitlement(
            "roles/logging.viewer", principals=["user:alice@acme.example"]))]) == []
