"""AGID-GCP-024 over gRPC: a privileged role (basic, or holding an escalation permission) bound to a principal outside
the organisation (issue 11: roles/iam.serviceAccountTokenCreator on the stack's own service account for
user:attacker@gmail.com passed every rule). The module's pack is configured as the gate does it: the pack-wide `all`
entry lists the organisation's domain and project."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import stack_findings

RULE = "AGID-GCP-024"
OWN = {"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-prod"]}}
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
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
    # a role without escalation or credential-read permissions for an outsider is not this rule's (secret metadata)
    assert stack_findings(pack, RULE, [(SECRET_MEMBER, "s", {"secretId": "projects/acme-prod/secrets/db",
                                                               "role": "roles/secretmanager.viewer",
                                                               "member": "user:attacker@gmail.com"})]) == []
    # the public is AGID-GCP-003's, a role nobody defines AGID-GCP-011's
    assert stack_findings(pack, RULE, [sa_member("allUsers")]) == []
    assert stack_findings(pack, RULE, [sa_member("user:attacker@gmail.com", "projects/x/roles/unseen")]) == []


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


def test_a_custom_role_is_judged_by_its_definition(pack):
    def role(*permissions):
        return (CUSTOM_ROLE, "cr", {"project": "acme-prod", "roleId": "r", "title": "r",
                                    "permissions": list(permissions)})
    grant = (BUCKET_MEMBER, "grant", {"bucket": "b", "role": "projects/acme-prod/roles/r",
                                      "member": "user:x@evil.example"})
    assert [n for n, _ in stack_findings(pack, RULE, [role("storage.buckets.setIamPolicy"), grant])] == ["grant"]
    assert stack_findings(pack, RULE, [role("storage.objects.get"), grant]) == []


def test_with_no_own_domain_listed_a_user_cannot_be_told_inside():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        [(_, message)] = stack_findings(running, RULE, [ACCOUNT, sa_member("user:alice@acme.example")], "mandatory")
        assert "cannot tell: the gate lists no own domain (ownGcpDomains)" in message
        # the stack's own service account is inside whatever the gate lists
        assert stack_findings(running, RULE, [ACCOUNT, sa_member(
            "serviceAccount:agent@acme-prod.iam.gserviceaccount.com")]) == []


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
