"""Outside review red7a, Google Cloud (findings 8, 10, 11 and the unconfirmed public spellings), over gRPC: each
bypass is flagged and a look-alike passes.

8  a custom role of the stack's id bound by a literal name is judged by the stack's role only when the binding
   depends on it;
10 Dataproc jobs/clusters, Cloud Run job overrides, Workflows and deny-policy removal are escalation permissions;
11 a service account added to a Google group the stack does not define cannot be checked;
   principalSet://goog/public:all and domain:gmail.com are the public.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

# --- 8 (GCP): a custom role of the stack's id bound by a literal name ---------------------------------------------

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
ORG_MEMBER = "gcp:organizations/iAMMember:IAMMember"
PROJECT_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
GROUP = "group:devs@acme.example"


def test_literal_custom_role_id_is_linked_only_through_a_dependency(pack):
    """red7a custom_role_decoy: a harmless IAMCustomRole 'deployer' in the stack made a literal binding of the
    project's existing 'deployer' role pass; bound through the stack role (dependency) it still passes."""
    decoy = StackResource(PROJECT_ROLE, "decoy", urn(PROJECT_ROLE, "decoy"), {
        "project": "acme-dev", "roleId": "deployer", "title": "d", "permissions": ["storage.buckets.get"]})
    props = {"project": "acme-dev", "role": "projects/acme-dev/roles/deployer", "member": GROUP}
    found = dict(stack_findings(pack, "AGID-GCP-011", [
        decoy, StackResource(PROJECT_MEMBER, "literal", urn(PROJECT_MEMBER, "literal"), props),
        StackResource(PROJECT_MEMBER, "linked", urn(PROJECT_MEMBER, "linked"), props, dependencies=[decoy.urn]),
    ], "mandatory"))
    assert list(found) == ["literal"]
    assert ("cannot check what role projects/acme-dev/roles/deployer holds: it names the role by a literal id and "
            "does not depend on this stack's decoy") in found["literal"]


# --- 10: escalation permissions -----------------------------------------------------------------------------

def gcp005(pack, type_: str, props: dict) -> list[str]:
    return [d.message for d in pack.analyze(type_, "m", urn(type_, "m"), props)
            if d.policy_name == "AGID-GCP-005" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("type_, where, role, permission", [
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/dataproc.editor", "it holds dataproc."),
    (FOLDER_MEMBER, {"folder": "folders/123"}, "roles/dataproc.editor", "on every target in the folder"),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/run.jobsExecutorWithOverrides", "run.jobs.runWithOverrides"),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/workflows.editor", "it holds workflows.workflows."),
    (ORG_MEMBER, {"orgId": "123456789"}, "roles/iam.denyAdmin", "iam.denypolicies.delete"),
])
def test_code_running_as_other_accounts_and_deny_removal_block(pack, type_, where, role, permission):
    [found] = gcp005(pack, type_, where | {"role": role, "member": GROUP})
    assert permission in found, found


@pytest.mark.parametrize("role", ["roles/dataproc.viewer", "roles/run.invoker", "roles/workflows.invoker",
                                  "roles/iam.denyReviewer"])
def test_running_or_reading_what_exists_passes(pack, role):
    assert gcp005(pack, PROJECT_MEMBER, {"project": "acme-dev", "role": role, "member": GROUP}) == []


# --- unconfirmed, confirmed: the public's other spellings --------------------------------------------------------

BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_ACCESS = "gcp:storage/bucketAccessControl:BucketAccessControl"
DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess"


@pytest.mark.parametrize("member, who", [
    ("principalSet://goog/public:all", "anyone on the internet"),
    ("domain:gmail.com", "anyone with a Gmail account"),
    ("domain:GoogleMail.com", "anyone with a Gmail account"),
])
def test_public_spellings_are_public(pack, member, who):
    diags = pack.analyze(BUCKET_MEMBER, "m", urn(BUCKET_MEMBER, "m"),
                         {"bucket": "acme-reports", "role": "roles/storage.objectViewer", "member": member})
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-GCP-003", "mandatory")]
    assert f"to {member}: {who}" in diags[0].message
    assert pack.analyze(BUCKET_MEMBER, "m", urn(BUCKET_MEMBER, "m"), {
        "bucket": "acme-reports", "role": "roles/storage.objectViewer", "member": "domain:acme.example"}) == []


@pytest.mark.parametrize("type_, flagged, alike", [
    (BUCKET_ACCESS, {"bucket": "acme-reports", "entity": "domain-gmail.com", "role": "READER"},
     {"bucket": "acme-reports", "entity": "domain-acme.example", "role": "READER"}),
    (DATASET_ACCESS, {"datasetId": "sales", "domain": "gmail.com", "role": "READER"},
     {"datasetId": "sales", "domain": "acme.example", "role": "READER"}),
])
def test_gmail_domain_acl_entries_are_public(pack, type_, flagged, alike):
    diags = pack.analyze(type_, "a", urn(type_, "a"), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-GCP-014", "mandatory")]
    assert "anyone with a Gmail account" in diags[0].message
    assert pack.analyze(type_, "a", urn(type_, "a"), alike) == []


# --- 11: a service account joins a group the stack cannot see ----------------------------------------------------

MEMBERSHIP = "gcp:cloudidentity/groupMembership:GroupMembership"
STACK_GROUP = "gcp:cloudidentity/group:Group"
ACCOUNT = "gcp:serviceaccount/account:Account"


def membership(name: str, group, member, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(MEMBERSHIP, name, urn(MEMBERSHIP, name), {
        "group": group, "roles": [{"name": "MEMBER"}], "preferredMemberKey": {"id": member}},
        dependencies=list(depends))


def test_service_account_in_a_group_the_stack_does_not_define_cannot_be_checked(pack):
    account = StackResource(ACCOUNT, "agent", urn(ACCOUNT, "agent"), {"accountId": "agent-x", "project": "acme-dev"})
    group = StackResource(STACK_GROUP, "team", urn(STACK_GROUP, "team"), {
        "parent": "customers/C01", "groupKey": {"id": "agents@acme.example"}, "labels": {
            "cloudidentity.googleapis.com/groups.discussion_forum": ""}})
    found = dict(stack_findings(pack, "AGID-GCP-016", [
        account, group,
        membership("literal", "groups/01abcdefgh", "agent-x@acme-dev.iam.gserviceaccount.com"),
        membership("output", "groups/01abcdefgh", UNKNOWN, (account.urn,)),     # red7a group_membership
        membership("service-agent", "groups/01abcdefgh", "service-123@gcp-sa-aiplatform.iam.gserviceaccount.com"),
        # look-alikes: the stack's own group (its id is an output: the membership depends on it); a person
        membership("own-group", UNKNOWN, UNKNOWN, (account.urn, group.urn)),
        membership("person", "groups/01abcdefgh", "dev@acme.example"),
    ], "mandatory"))
    assert set(found) == {"literal", "output", "service-agent"}, found
    assert ("output adds the stack's service account agent to group 'groups/01abcdefgh', which this stack does not "
            "define: cannot check what the group holds") in found["output"]


def test_depending_on_the_stacks_group_does_not_explain_a_group_another_output_may_hide(pack):
    """issue 11: a service account put into a group whose id is a constant behind a bucket's Output (an existing group
    holding roles/owner) with `depends_on=[the stack's group]` passed. It cannot be checked until known; the group
    input's own propertyDependencies decide where the engine sends them (the stack group's Output passes)."""
    group = StackResource(STACK_GROUP, "team", urn(STACK_GROUP, "team"), {"parent": "customers/C01",
                                                                           "groupKey": {"id": "agents@acme.example"}})
    bucket = StackResource("gcp:storage/bucket:Bucket", "marker", urn("gcp:storage/bucket:Bucket", "marker"), {})
    sa = "agent-x@acme-dev.iam.gserviceaccount.com"
    hidden = membership("hidden", UNKNOWN, sa, (group.urn, bucket.urn))
    by_input = membership("by-input", UNKNOWN, sa, (group.urn, bucket.urn))
    by_input.property_dependencies = {"group": [bucket.urn]}
    own = membership("own", UNKNOWN, sa, (group.urn, bucket.urn))
    own.property_dependencies = {"group": [group.urn]}
    found = [m for _, m in stack_findings(pack, "AGID-GCP-016", [group, bucket, hidden, by_input, own])]
    assert [m.rsplit("cannot check until known: ", 1)[-1] for m in found] == [
        "by-input.group, hidden.group is computed during preview"], found
