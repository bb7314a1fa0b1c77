"""AGID-GCP-013 and AGID-GCP-005 over gRPC: admin-class roles judged by the permissions they hold (red4, issue 11).

Outside review: roles/storage.admin or roles/storage.legacyBucketOwner on a bucket, roles/secretmanager.admin on a
secret, roles/cloudkms.admin on a key ring, roles/pubsub.admin on a topic passed `agentid preview`: each holds
setIamPolicy on that resource, so its holder can grant anyone (allUsers included) access. roles/cloudfunctions.
developer on a project passed too: it replaces the code of functions that run as service accounts (Rhino Security
Labs' GCP privilege-escalation methods).
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

BUCKET = "gcp:storage/bucketIAMMember:BucketIAMMember"
SECRET = "gcp:secretmanager/secretIamMember:SecretIamMember"
KEY_RING = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
CRYPTO_KEY = "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"
TOPIC = "gcp:pubsub/topicIAMMember:TopicIAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
PROJECT_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
USER = "user:dev@example.com"
AGENT = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/repo:a/b:ref:x"


def one(pack, rule_id: str, type_: str, props: dict) -> list[tuple[str, str]]:
    """(level, message) of `rule_id` for one resource (a resource policy, run by Analyze)."""
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "r", urn(type_, "r"), props)
            if d.policy_name == rule_id]


def found(pack, rule_id: str, *resources) -> dict[str, tuple[str, str]]:
    diags = pack.analyze_stack([StackResource(t, n, urn(t, n), p) for t, n, p in resources])
    return {d.urn.rsplit("::", 1)[-1]: (d.enforcement_level, d.message) for d in diags if d.policy_name == rule_id}


ADMIN_ON_ONE = [
    (BUCKET, {"bucket": "b1", "role": "roles/storage.admin", "member": AGENT}, "storage.buckets.setIamPolicy"),
    (BUCKET, {"bucket": "b1", "role": "roles/storage.legacyBucketOwner", "member": USER}, "storage.buckets.setIamPolicy"),
    (SECRET, {"secretId": "s1", "role": "roles/secretmanager.admin", "member": USER},
     "secretmanager.secrets.setIamPolicy"),
    (KEY_RING, {"keyRingId": "projects/p1/locations/global/keyRings/r", "role": "roles/cloudkms.admin",
                "member": USER}, "cloudkms.keyRings.setIamPolicy"),
    (CRYPTO_KEY, {"cryptoKeyId": "projects/p1/locations/global/keyRings/r/cryptoKeys/k", "role": "roles/cloudkms.admin",
                  "members": [USER]}, "cloudkms.cryptoKeys.setIamPolicy"),
    (TOPIC, {"topic": "t1", "role": "roles/pubsub.admin", "member": USER}, "pubsub.topics.setIamPolicy"),
    (SA_MEMBER, {"serviceAccountId": "projects/p1/serviceAccounts/agent-x@p1.iam.gserviceaccount.com",
                 "role": "roles/iam.serviceAccountAdmin", "member": USER}, "iam.serviceAccounts.setIamPolicy"),
]


@pytest.mark.parametrize("type_,props,permission", ADMIN_ON_ONE, ids=[c[1]["role"] + "-" + c[0].rsplit(":", 1)[-1]
                                                                      for c in ADMIN_ON_ONE])
def test_role_holding_set_iam_policy_on_one_resource_blocks(pack, type_, props, permission):
    [(level, message)] = found(pack, "AGID-GCP-013", (type_, "admin", props)).values()
    assert level == "mandatory" and permission in message and props["role"] in message
    assert "grant any role on the resource to anyone" in message


@pytest.mark.parametrize("type_,props", [
    (BUCKET, {"bucket": "b1", "role": "roles/storage.objectViewer", "member": AGENT}),
    (BUCKET, {"bucket": "b1", "role": "roles/storage.legacyBucketReader", "member": USER}),
    (SECRET, {"secretId": "s1", "role": "roles/secretmanager.secretAccessor", "member": AGENT}),
    (CRYPTO_KEY, {"cryptoKeyId": "projects/p1/locations/global/keyRings/r/cryptoKeys/k",
                  "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [AGENT]}),
    (TOPIC, {"topic": "t1", "role": "roles/pubsub.publisher", "member": AGENT}),
])
def test_data_role_on_one_resource_passes(pack, type_, props):
    assert found(pack, "AGID-GCP-013", (type_, "reader", props)) == {}


def test_custom_role_is_judged_by_its_definition(pack):
    result = found(pack, "AGID-GCP-013",
                   (PROJECT_ROLE, "r", {"project": "p1", "roleId": "bucketAcl",
                                        "permissions": ["storage.objects.get", "storage.buckets.setIamPolicy"]}),
                   (PROJECT_ROLE, "ok", {"project": "p1", "roleId": "reader", "permissions": ["storage.objects.get"]}),
                   (PROJECT_ROLE, "later", {"project": "p1", "roleId": "later", "permissions": UNKNOWN}),
                   (BUCKET, "custom", {"bucket": "b1", "role": "projects/p1/roles/bucketAcl", "member": AGENT}),
                   (BUCKET, "custom-ok", {"bucket": "b1", "role": "projects/p1/roles/reader", "member": AGENT}),
                   (BUCKET, "custom-later", {"bucket": "b1", "role": "projects/p1/roles/later", "member": AGENT}))
    # the SDK reports a stack policy's unknowns once, advisory, without a resource ("can't run policy ...")
    assert sorted(result) == ["", "custom"]
    assert result["custom"][0] == "mandatory" and "storage.buckets.setIamPolicy" in result["custom"][1]
    assert result[""][0] == "advisory"
    assert "cannot check until known: permissions of custom role projects/p1/roles/later" in result[""][1]


@pytest.mark.parametrize("type_,member", [(PROJECT_MEMBER, USER), (PROJECT_MEMBER, AGENT), (FOLDER_MEMBER, USER),
                                          (PROJECT_MEMBER, "group:devs@example.com")])
def test_code_deployment_as_a_service_account_is_escalation_for_any_member(pack, type_, member):
    props = {"project": "p1", "folder": "folders/1", "role": "roles/cloudfunctions.developer", "member": member}
    [(level, message)] = one(pack, "AGID-GCP-005", type_, props)
    assert level == "mandatory" and "cloudfunctions.functions.create" in message


@pytest.mark.parametrize("role,permission", [("roles/run.developer", "run."), ("roles/cloudscheduler.admin",
                                                                             "cloudscheduler.jobs.create"),
                                             ("roles/composer.admin", "composer.environments.create")])
def test_other_runs_as_a_service_account_roles_are_escalation(pack, role, permission):
    [(level, message)] = one(pack, "AGID-GCP-005", PROJECT_MEMBER, {"project": "p1", "role": role, "member": USER})
    assert level == "mandatory" and permission in message


@pytest.mark.parametrize("role", ["roles/cloudfunctions.invoker", "roles/run.invoker", "roles/cloudfunctions.viewer"])
def test_calling_or_viewing_functions_at_project_is_not_escalation(pack, role):
    assert one(pack, "AGID-GCP-005", PROJECT_MEMBER, {"project": "p1", "role": role, "member": USER}) == []
