"""The GCP rules of agent_guard over gRPC, as the engine sends resources: each flagged case and a look-alike that
passes, plus the data files they read."""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid_policy_packs.analysis.gcp_iam import condition_pins_subject
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

AGENT = "serviceAccount:agent-triage@proj-one.iam.gserviceaccount.com"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"


def oidc(condition):
    props = {"workloadIdentityPoolId": "agents-github", "workloadIdentityPoolProviderId": "github-x",
             "attributeMapping": {"google.subject": "assertion.sub"},
             "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"}}
    if condition is not None:
        props["attributeCondition"] = condition
    return props


# (case id, type, flagged props, rule id, look-alike props that pass the whole pack)
CASES = [
    ("sa-key", "gcp:serviceaccount/key:Key", {"serviceAccountId": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com"},
     "AGID-GCP-001", None),
    ("basic-role-member", PROJECT_MEMBER, {"project": "proj-one", "role": "roles/editor", "member": "group:devs@example.com"},
     "AGID-GCP-002", {"project": "proj-one", "role": "roles/logging.logWriter", "member": "group:devs@example.com"}),
    ("basic-role-in-policy", "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
     {"bucket": "b", "policyData": json.dumps({"bindings": [{"role": "roles/owner", "members": ["user:a@example.com"]}]})},
     "AGID-GCP-002",
     {"bucket": "b", "policyData": json.dumps({"bindings": [{"role": "roles/storage.objectViewer", "members": ["user:a@example.com"]}]})}),
    ("public-all-users", BUCKET_MEMBER, {"bucket": "b", "role": "roles/storage.objectViewer", "member": "allUsers"},
     "AGID-GCP-003", {"bucket": "b", "role": "roles/storage.objectViewer", "member": "group:allusers@example.com"}),
    ("public-all-authenticated-binding", "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
     {"topic": "t", "role": "roles/pubsub.publisher", "members": ["user:a@example.com", "allAuthenticatedUsers"]},
     "AGID-GCP-003", {"topic": "t", "role": "roles/pubsub.publisher", "members": ["user:a@example.com"]}),
    ("wif-no-condition", PROVIDER, oidc(None), "AGID-GCP-004", oidc("assertion.sub == 'repo:o/r:environment:prod'")),
    ("wif-owner-only", PROVIDER, oidc("assertion.repository_owner == 'o'"), "AGID-GCP-004",
     oidc("assertion.repository_owner == 'o' && assertion.sub == 'repo:o/r:ref:refs/heads/main'")),
    ("wif-prefix", PROVIDER, oidc("assertion.sub.startsWith('repo:o/r:')"), "AGID-GCP-004",
     oidc("assertion.sub in ['repo:o/r:ref:refs/heads/main', 'repo:o/r:environment:prod']")),
    ("wif-disjunction", PROVIDER, oidc("assertion.sub == 'repo:o/r:environment:prod' || assertion.aud != ''"),
     "AGID-GCP-004", oidc("(assertion.sub == 'repo:o/r:environment:prod') && (assertion.aud != '')")),
    ("token-creator-on-project", PROJECT_MEMBER,
     {"project": "proj-one", "role": "roles/iam.serviceAccountTokenCreator", "member": "group:ops@example.com"},
     "AGID-GCP-005",
     {"project": "proj-one", "role": "roles/monitoring.metricWriter", "member": "group:ops@example.com"}),
    ("act-as-on-folder", "gcp:folder/iAMBinding:IAMBinding",
     {"folder": "folders/123", "role": "roles/iam.serviceAccountUser", "members": ["group:ops@example.com"]},
     "AGID-GCP-005", None),
    ("set-iam-policy-on-org", "gcp:organizations/iAMMember:IAMMember",
     {"orgId": "123", "role": "roles/resourcemanager.projectIamAdmin", "member": "group:ops@example.com"},
     "AGID-GCP-005", None),
]
# A token-creator grant on ONE service account is bounded: AGID-GCP-005 passes it.
BOUNDED = ("gcp:serviceaccount/iAMMember:IAMMember",
           {"serviceAccountId": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com",
            "role": "roles/iam.serviceAccountTokenCreator", "member": "group:ops@example.com"})


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        # the look-alikes' GitHub owner; proj-one is the organisation's (a stack service account is own only there)
        running.configure({"AGID-GEN-006": {"trustedRepositoryOwners": ["o"]}, "all": {"ownGcpProjects": ["proj-one"]}})
        yield running


@pytest.mark.parametrize("case,type_,flagged,rule_id,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert {d.policy_name for d in diags} == {rule_id}, [d.message for d in diags]
    assert all(d.enforcement_level == "mandatory" for d in diags)
    if look_alike is not None:
        assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


def test_bounded_impersonation_passes(pack):
    type_, props = BOUNDED
    assert pack.analyze(type_, "one-sa", urn(type_, "one-sa"), props) == []


def test_unreadable_policy_fails_closed_and_unknown_is_not_a_pass(pack):
    type_ = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
    diags = pack.analyze(type_, "bad", urn(type_, "bad"), {"bucket": "b", "policyData": "{not json"})
    assert {d.policy_name for d in diags} == {"AGID-GCP-002", "AGID-GCP-003"}  # AGID-GCP-005 judges levels above resources
    assert all("cannot check" in d.message for d in diags)
    diags = pack.analyze(PROVIDER, "later", urn(PROVIDER, "later"), oidc(UNKNOWN))
    assert [d.policy_name for d in diags] == ["AGID-GCP-004"] and "cannot check until known" in diags[0].message


def _stack(*resources):
    return [StackResource(type_, name, urn(type_, name), props) for type_, name, props in resources]


def test_agent_principals_at_project_level_only_for_project_only_roles(pack):
    diags = pack.analyze_stack(_stack(
        (PROJECT_MEMBER, "viewer-on-project", {"project": "proj-one", "role": "roles/storage.objectViewer", "member": AGENT}),
        (PROJECT_MEMBER, "job-user", {"project": "proj-one", "role": "roles/bigquery.jobUser", "member": AGENT}),
        (PROJECT_MEMBER, "federated", {"project": "proj-one", "role": "roles/secretmanager.secretAccessor",
                                       "member": "principal://iam.googleapis.com/projects/1/locations/global/"
                                                 "workloadIdentityPools/p/subject/s"}),
        (PROJECT_MEMBER, "someone-else", {"project": "proj-one", "role": "roles/storage.objectViewer",
                                          "member": "serviceAccount:ci-deployer@proj-one.iam.gserviceaccount.com"}),
        ("gcp:projects/iAMCustomRole:IAMCustomRole", "writer", {"project": "proj-one", "roleId": "logs_only",
                                                                "permissions": ["logging.logEntries.create"]}),
        (PROJECT_MEMBER, "custom-logs", {"project": "proj-one", "role": "projects/proj-one/roles/logs_only", "member": AGENT}),
        ("gcp:projects/iAMCustomRole:IAMCustomRole", "reader", {"project": "proj-one", "roleId": "reads_objects",
                                                                "permissions": ["storage.objects.get"]}),
        (PROJECT_MEMBER, "custom-objects", {"project": "proj-one", "role": "projects/proj-one/roles/reads_objects",
                                            "member": AGENT}),
        (PROJECT_MEMBER, "unseen-custom", {"project": "proj-one", "role": "projects/proj-one/roles/elsewhere",
                                           "member": AGENT}),
        ("gcp:folder/iAMMember:IAMMember", "on-folder", {"folder": "folders/1", "role": "roles/logging.logWriter",
                                                         "member": AGENT}),
        (BUCKET_MEMBER, "on-bucket", {"bucket": "b", "role": "roles/storage.objectViewer", "member": AGENT}),
    ))
    flagged = sorted(d.urn.rsplit("::", 1)[-1] for d in diags if d.policy_name == "AGID-GCP-006")
    # someone-else: a service account this stack neither creates nor links could be an agent named otherwise
    assert flagged == ["custom-objects", "federated", "on-folder", "someone-else", "unseen-custom", "viewer-on-project"]


SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
POOL_PRINCIPAL = ("principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/agents-github/"
                  "subject/repo:example-org/reports:environment:prod")


def test_agents_are_known_by_what_the_stack_links_not_by_their_names(pack):
    """An agent account named like anything (`reporting-bot`) is an agent once a federated principal can act as
    it; an account the stack creates without such a link is not, whatever its name; Google's service agents,
    users and groups are not agents."""
    viewer = "roles/storage.objectViewer"
    diags = pack.analyze_stack(_stack(
        (ACCOUNT, "bot", {"project": "proj-one", "accountId": "reporting-bot"}),
        (SA_MEMBER, "bot-wif", {"serviceAccountId": "projects/proj-one/serviceAccounts/reporting-bot@proj-one.iam."
                                                    "gserviceaccount.com", "role": "roles/iam.workloadIdentityUser",
                                "member": POOL_PRINCIPAL}),
        (PROJECT_MEMBER, "renamed-agent", {"project": "proj-one", "role": viewer,
                                           "member": "serviceAccount:reporting-bot@proj-one.iam.gserviceaccount.com"}),
        (ACCOUNT, "deployer", {"project": "proj-one", "accountId": "ci-deployer"}),
        (PROJECT_MEMBER, "in-stack-non-agent", {"project": "proj-one", "role": viewer,
                                                "member": "serviceAccount:ci-deployer@proj-one.iam.gserviceaccount.com"}),
        (ACCOUNT, "prefixed", {"project": "proj-one", "accountId": "agent-lookalike"}),
        (PROJECT_MEMBER, "prefix-still-counts", {"project": "proj-one", "role": viewer,
                                                 "member": "serviceAccount:agent-lookalike@proj-one.iam.gserviceaccount.com"}),
        (PROJECT_MEMBER, "gke-workload", {"project": "proj-one", "role": viewer,
                                          "member": "serviceAccount:proj-one.svc.id.goog[reports/bot]"}),
        (PROJECT_MEMBER, "service-agent", {"project": "proj-one", "role": viewer, "member":
                                           "serviceAccount:service-123@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com"}),
        (PROJECT_MEMBER, "human", {"project": "proj-one", "role": viewer, "member": "user:alice@example.com"}),
        (PROJECT_MEMBER, "unlinked-job-user", {"project": "proj-one", "role": "roles/bigquery.jobUser",
                                               "member": "serviceAccount:elsewhere@proj-two.iam.gserviceaccount.com"}),
    ))
    found = {d.urn.rsplit("::", 1)[-1]: d.message for d in diags if d.policy_name == "AGID-GCP-006"}
    assert sorted(found) == ["gke-workload", "prefix-still-counts", "renamed-agent"]
    assert "agent principal serviceAccount:reporting-bot@proj-one.iam.gserviceaccount.com on the whole project" in (
        found["renamed-agent"])


def test_an_unknown_account_is_named_as_such(pack):
    diags = pack.analyze_stack(_stack(
        ("gcp:folder/iAMMember:IAMMember", "foreign-on-folder", {"folder": "folders/1", "role": "roles/logging.logWriter",
                                                                 "member": "serviceAccount:x-runner@proj-two.iam.gserviceaccount.com"}),
    ))
    assert [d.message.rsplit("[unbounded-resource] ", 1)[-1] for d in diags if d.policy_name == "AGID-GCP-006"] == [
        "foreign-on-folder grants roles/logging.logWriter to service account "
        "serviceAccount:x-runner@proj-two.iam.gserviceaccount.com, which this stack neither creates nor links to a "
        "workload (cannot tell whether it is an agent's) at folder level: every project and resource in the folder "
        "inherits it"]


@pytest.mark.parametrize("condition, pinned", [
    ("assertion.sub == 'a'", True),
    ('"a" == assertion.sub', True),
    ("google.subject == 'a' && assertion.aud == 'x'", True),
    ("assertion.sub == 'a\\' || true || \\''", True),  # one string literal: pinned to an odd subject
    ("!(assertion.sub == 'a')", False),
    ("assertion.sub != 'a'", False),
    ("assertion.sub == assertion.sub", False),
    ("assertion.sub.matches('^repo:o/.*$')", False),
    ("(assertion.sub == 'a' || true)", False),
    ("assertion.sub == 'a' && (", False),
    ("", False),
    # red9b finding 6: CEL's conditional binds loosest, so the pin below is inside `false && ...` only
    ("assertion.repository_owner != '' ? true : false && assertion.sub == 'a'", False),
    ("(true ? true : false && assertion.sub == 'a')", False),
    ("assertion.sub == 'a' && assertion.x == 'b' ? true : true", False),
    ("assertion.sub == 'a' && (assertion.ref == 'main' ? true : false)", True),  # the conditional is one term
    ("assertion.sub == 'a' && assertion.aud == 'x?y:z'", True),  # `?` and `:` inside a string literal
    ("assertion.sub == 'a' && assertion.x.?y.orValue('') == ''", True),  # optional selection, not a conditional
])
def test_condition_pins_subject(condition, pinned):
    assert condition_pins_subject(condition) is pinned


def test_binding_type_list_matches_installed_provider():
    import runpy
    from pathlib import Path

    script = runpy.run_path(str(Path(__file__).resolve().parents[2] / "scripts" / "refresh_gcp_iam_types.py"))
    assert script["OUT"].read_text().split() == script["binding_types"]()
