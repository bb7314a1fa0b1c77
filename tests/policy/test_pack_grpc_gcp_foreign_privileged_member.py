"""AGID-GCP-024 over gRPC: a privileged role (basic, or holding an escalation permission) bound to a principal outside
the organisation (issue 11: roles/iam.serviceAccountTokenCreator on the stack's own service account for
user:attacker@gmail.com passed every rule). The module's pack is configured as the gate does it: the pack-wide `all`
entry lists the organisation's domain and project."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-024"
OWN = {"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-prod"]}}
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
GCP = "pulumi:providers:gcp"
ACCOUNT = ("gcp:serviceaccount/account:Account", "agent", {"accountId": "agent", "project": "acme-prod"})
AGENT = "projects/acme-prod/serviceAccounts/agent@acme-prod.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(OWN)
        yield running


def sa_member(member, role="roles/iam.serviceAccountTokenCreator"):
    return (SA_MEMBER, "grant", {"serviceAccountId": AGENT, "role": role, "member": member})


@pytest.mark.parametrize("member", [
    "user:attacker@gmail.com", "group:x@evil.example", "domain:evil.example", "user:x@acme.example.evil.com",
    "serviceAccount:x@other-project.iam.gserviceaccount.com",
    "principalSet://iam.googleapis.com/locations/global/workforcePools/foreign-pool/*",
    "principal://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/p/subject/s"])
def test_impersonating_the_stacks_account_from_outside_blocks(pack, member):
    [(name, message)] = stack_findings(pack, RULE, [ACCOUNT, sa_member(member)], "mandatory")
    assert name == "grant"
    assert message.endswith("a principal outside the organisation holds a privileged role")
    assert f"grants roles/iam.serviceAccountTokenCreator (it holds iam.serviceAccounts." in message
    assert member in message


@pytest.mark.parametrize("member", [
    "user:alice@acme.example", "group:sre@acme.example", "serviceAccount:ci@acme-prod.iam.gserviceaccount.com",
    "serviceAccount:agent@acme-prod.iam.gserviceaccount.com"])
def test_impersonation_by_the_organisations_own_passes_here(pack, member):
    assert stack_findings(pack, RULE, [ACCOUNT, sa_member(member)]) == []


def test_look_alikes_pass(pack):
    # the public is AGID-GCP-003's (and AGID-GCP-013's), not this rule's
    assert stack_findings(pack, RULE, [sa_member("allUsers")]) == []
    assert stack_findings(pack, RULE, [sa_member("allAuthenticatedUsers", "roles/iam.serviceAccountUser")]) == []
    # a reader's role for the organisation's own passes
    assert stack_findings(pack, RULE, [(SECRET_MEMBER, "s", {"secretId": "projects/acme-prod/secrets/db",
                                                               "role": "roles/secretmanager.viewer",
                                                               "member": "group:sre@acme.example"})]) == []


def test_a_role_nobody_defines_for_an_outsider_is_still_an_outside_grant(pack):
    # before issue 11's widening this passed here (only AGID-GCP-011 judged the unknown role); the member is outside
    [(name, message)] = stack_findings(pack, RULE, [sa_member("user:attacker@gmail.com", "projects/x/roles/unseen")],
                                       "mandatory")
    assert name == "grant" and message.endswith("holds a role on the organisation's resources"), message


def test_every_binding_shape_is_read(pack):
    binding = (SA_BINDING, "grant", {"serviceAccountId": AGENT, "role": "roles/iam.serviceAccountUser",
                                     "members": ["group:sre@acme.example", "group:x@evil.example"]})
    [(_, message)] = stack_findings(pack, RULE, [ACCOUNT, binding], "mandatory")
    assert "group:x@evil.example" in message and "group:sre@acme.example" not in message
    policy = (PROJECT_POLICY, "grant", {"project": "acme-prod", "policyData": (
        '{"bindings": [{"role": "roles/owner", "members": ["domain:evil.example"]},'
        ' {"role": "roles/owner", "members": ["domain:acme.example"]}]}')})
    [(_, message)] = stack_findings(pack, RULE, [policy], "mandatory")
    assert "grants roles/owner (a basic role: nearly every permission of every service) to domain:evil.example" in message
    bucket = (BUCKET_MEMBER, "grant", {"bucket": "b", "role": "roles/storage.admin", "member": "user:x@evil.example"})
    assert [name for name, _ in stack_findings(pack, RULE, [bucket], "mandatory")] == ["grant"]


@pytest.mark.parametrize("in_provider", [False, True], ids=["project-input", "provider-project"])
def test_a_custom_role_is_judged_by_its_definition(pack, in_provider):
    # with no `project` input the role is created in the provider's (gcp:project, sent as the default provider's
    # properties): the same role (issue 11)
    def role(*permissions):
        props = {"roleId": "r", "title": "r", "permissions": list(permissions)}
        if in_provider:
            return StackResource(CUSTOM_ROLE, "cr", urn(CUSTOM_ROLE, "cr"), props)
        return (CUSTOM_ROLE, "cr", {"project": "acme-prod", **props})
    provider = [StackResource(GCP, "default", urn(GCP, "default"), {"project": "acme-prod"})]
    grant = (BUCKET_MEMBER, "grant", {"bucket": "b", "role": "projects/acme-prod/roles/r",
                                      "member": "user:x@evil.example"})
    [(name, message)] = stack_findings(pack, RULE, [*provider, role("storage.buckets.setIamPolicy"), grant])
    assert name == "grant" and message.endswith("holds a privileged role"), message  # judged by its definition
    [(name, message)] = stack_findings(pack, RULE, [*provider, role("storage.objects.get"), grant], "mandatory")
    assert name == "grant" and message.endswith("holds a role on the organisation's resources"), message
    own = (BUCKET_MEMBER, "grant", {"bucket": "b", "role": "projects/acme-prod/roles/r", "member": "user:a@acme.example"})
    assert stack_findings(pack, RULE, [*provider, role("storage.buckets.setIamPolicy"), own]) == []


def test_with_no_own_domain_listed_a_user_cannot_be_told_inside():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        [(_, message)] = stack_findings(running, RULE, [ACCOUNT, sa_member("user:alice@acme.example")], "mandatory")
        assert "cannot tell: the gate lists no own domain (ownGcpDomains)" in message
        # the stack's own service account is inside only when its project is one the gate lists (red14 r14-3):
        # with no list, the stack naming acme-prod does not make it the organisation's
        [(_, message)] = stack_findings(running, RULE, [ACCOUNT, sa_member(
            "serviceAccount:agent@acme-prod.iam.gserviceaccount.com")], "mandatory")
        assert "of acme-prod, not one of ownGcpProjects" in message


KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"


@pytest.mark.parametrize("type_,props,permission", [
    (SECRET_MEMBER, {"secretId": "projects/acme-prod/secrets/db", "role": "roles/secretmanager.secretAccessor"},
     "secretmanager.versions.access"),
    (KEY_MEMBER, {"cryptoKeyId": "projects/acme-prod/locations/global/keyRings/r/cryptoKeys/k",
                  "role": "roles/cloudkms.cryptoKeyDecrypter"}, "cloudkms.cryptoKeyVersions.useToDecrypt"),
])
def test_a_credential_read_for_an_outsider_blocks_even_on_one_secret(pack, type_, props, permission):
    [(name, message)] = stack_findings(pack, RULE, [(type_, "read", {**props, "member": "user:attacker@gmail.com"})],
                                       "mandatory")
    assert name == "read" and f"(it holds {permission}, which returns" in message, message
    assert stack_findings(pack, RULE, [(type_, "read", {**props, "member": "user:alice@acme.example"})]) == []


# Issue 11: a reader's role for an outsider blocks on every resource, as the same grant spelled as a bucket ACL or a
# BigQuery access entry does (AGID-GCP-028); one finding a binding, not one for "privileged" and one for "outside".
DATASET_MEMBER = "gcp:bigquery/datasetIamMember:DatasetIamMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
READERS = [
    (BUCKET_MEMBER, {"bucket": "b", "role": "roles/storage.objectViewer"}),
    (DATASET_MEMBER, {"project": "acme-prod", "datasetId": "d", "role": "roles/bigquery.dataViewer"}),
    (PROJECT_MEMBER, {"project": "acme-prod", "role": "roles/logging.viewer"}),
    (SECRET_MEMBER, {"secretId": "projects/acme-prod/secrets/db", "role": "roles/secretmanager.viewer"}),
]
OUTSIDERS = ["user:attacker@gmail.com", "group:x@evil.example", "domain:evil.example",
             "serviceAccount:x@other-project.iam.gserviceaccount.com",
             "principalSet://iam.googleapis.com/locations/global/workforcePools/foreign-pool/*",
             "principal://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/p/subject/s"]


@pytest.mark.parametrize("type_,props", READERS, ids=lambda v: v if isinstance(v, str) else v["role"])
@pytest.mark.parametrize("member", OUTSIDERS)
def test_a_readers_role_for_an_outsider_blocks(pack, type_, props, member):
    [(name, message)] = stack_findings(pack, RULE, [(type_, "read", {**props, "member": member})], "mandatory")
    assert name == "read"
    assert f"read grants {props['role']} to {member} (outside the organisation" in message, message
    assert message.endswith("a principal outside the organisation holds a role on the organisation's resources")


@pytest.mark.parametrize("type_,props", READERS, ids=lambda v: v if isinstance(v, str) else v["role"])
@pytest.mark.parametrize("member", ["user:alice@acme.example", "group:sre@acme.example", "domain:acme.example",
                                    "serviceAccount:ci@acme-prod.iam.gserviceaccount.com"])
def test_a_readers_role_for_the_organisations_own_passes(pack, type_, props, member):
    assert stack_findings(pack, RULE, [(type_, "read", {**props, "member": member})]) == []


def test_a_privileged_outside_grant_gives_one_finding_not_two(pack):
    grant = (BUCKET_MEMBER, "grant", {"bucket": "b", "role": "roles/storage.admin", "member": "group:x@evil.example"})
    [(_, message)] = stack_findings(pack, RULE, [grant])
    assert message.endswith("holds a privileged role")


def test_a_readers_role_with_no_own_domain_listed_cannot_be_told_inside():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        grant = (DATASET_MEMBER, "read", {"project": "p", "datasetId": "d", "role": "roles/bigquery.dataViewer",
                                          "member": "group:sre@acme.example"})
        [(_, message)] = stack_findings(running, RULE, [grant], "mandatory")
        assert "cannot tell: the gate lists no own domain (ownGcpDomains)" in message


def test_a_service_agent_is_judged_by_its_project_as_before():
    # Google-managed service agents (service-NUMBER@gcp-sa-*, service-NUMBER@gs-project-accounts) are the project
    # NUMBER's: inside when the gate lists it, outside otherwise, now for a reader's role too (a CMEK or Pub/Sub
    # notification grant to the own project's storage agent needs the number in ownGcpProjects)
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-prod", "123456789012"]}})

        def grant(agent):
            return (PROJECT_MEMBER, "agent", {"project": "acme-prod", "role": "roles/pubsub.publisher",
                                              "member": f"serviceAccount:{agent}"})
        assert stack_findings(running, RULE, [grant("service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com")]) == []
        assert stack_findings(running, RULE, [grant("service-123456789012@gs-project-accounts.iam.gserviceaccount.com")]) == []
        [(name, message)] = stack_findings(running, RULE, [grant("service-999@gcp-sa-pubsub.iam.gserviceaccount.com")],
                                           "mandatory")
        assert name == "agent" and "outside the organisation as far as the gate knows" in message, message
