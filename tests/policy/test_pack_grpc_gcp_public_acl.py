"""AGID-GCP-014 over gRPC: public or owning ACL entries on Cloud Storage and BigQuery (red4, issue 11).

Outside review: BucketAccessControl / ObjectAccessControl / DefaultObjectAccessControl with entity allUsers,
BucketACL / ObjectACL / DefaultObjectACL with roleEntities "READER:allUsers" or predefinedAcl publicRead passed
`agentid preview` (exit 0): only IAM bindings to allUsers were judged (AGID-GCP-003).
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

BUCKET_AC = "gcp:storage/bucketAccessControl:BucketAccessControl"
OBJECT_AC = "gcp:storage/objectAccessControl:ObjectAccessControl"
DEFAULT_AC = "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"
OBJECT_ACL = "gcp:storage/objectACL:ObjectACL"
DEFAULT_ACL = "gcp:storage/defaultObjectACL:DefaultObjectACL"
DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess"
DATASET = "gcp:bigquery/dataset:Dataset"
PRIVATE = ["OWNER:project-owners-123", "OWNER:project-editors-123", "READER:project-viewers-123",
           "READER:user-agent-bq@p1.iam.gserviceaccount.com"]


# (case, type, flagged props, level, message fragment, look-alike props)
CASES = [
    ("bucket-ac-all-users", BUCKET_AC, {"bucket": "b1", "entity": "allUsers", "role": "READER"}, "anyone on the internet",
     {"bucket": "b1", "entity": "user-agent-bq@p1.iam.gserviceaccount.com", "role": "READER"}),
    ("object-ac-authenticated", OBJECT_AC, {"bucket": "b1", "object": "o", "entity": "allAuthenticatedUsers",
                                            "role": "READER"}, "anyone with a Google account",
     {"bucket": "b1", "object": "o", "entity": "group-readers@example.com", "role": "READER"}),
    ("default-ac-respelt", DEFAULT_AC, {"bucket": "b1", "entity": "ALLUSERS", "role": "READER"}, "ALLUSERS",
     {"bucket": "b1", "entity": "project-viewers-123", "role": "READER"}),
    ("bucket-acl-role-entity", BUCKET_ACL, {"bucket": "b1", "roleEntities": PRIVATE + ["READER:allUsers"]},
     "roleEntities[4]", {"bucket": "b1", "roleEntities": PRIVATE}),
    ("bucket-acl-predefined", BUCKET_ACL, {"bucket": "b1", "predefinedAcl": "publicReadWrite"},
     "predefinedAcl publicReadWrite", {"bucket": "b1", "predefinedAcl": "projectPrivate"}),
    ("bucket-acl-default", BUCKET_ACL, {"bucket": "b1", "roleEntities": PRIVATE, "defaultAcl": "publicRead"},
     "defaultAcl publicRead", {"bucket": "b1", "roleEntities": PRIVATE, "defaultAcl": "private"}),
    ("object-acl-predefined", OBJECT_ACL, {"bucket": "b1", "object": "o", "predefinedAcl": "authenticatedRead"},
     "anyone with a Google account reads", {"bucket": "b1", "object": "o", "predefinedAcl": "bucketOwnerRead"}),
    ("object-acl-xml-spelling", OBJECT_ACL, {"bucket": "b1", "object": "o", "predefinedAcl": "public-read"},
     "predefinedAcl public-read", {"bucket": "b1", "object": "o", "predefinedAcl": "bucket-owner-full-control"}),
    ("default-acl-entities", DEFAULT_ACL, {"bucket": "b1", "roleEntities": ["READER:allAuthenticatedUsers"]},
     "allAuthenticatedUsers", {"bucket": "b1", "roleEntities": ["READER:project-viewers-123"]}),
    ("bucket-owner-user", BUCKET_AC, {"bucket": "b1", "entity": "user-contractor@example.net", "role": "OWNER"},
     "OWNER, which changes the ACL", {"bucket": "b1", "entity": "user-contractor@example.net", "role": "WRITER"}),
    ("bucket-acl-owner-domain", BUCKET_ACL, {"bucket": "b1", "roleEntities": PRIVATE + ["OWNER:domain-example.net"]},
     "domain-example.net", {"bucket": "b1", "roleEntities": PRIVATE + ["READER:domain-example.net"]}),
    ("dataset-access-all-users", DATASET_ACCESS, {"datasetId": "d", "role": "READER", "iamMember": "allUsers"},
     "anyone on the internet", {"datasetId": "d", "role": "READER", "userByEmail": "analyst@example.com"}),
    ("dataset-access-special", DATASET_ACCESS, {"datasetId": "d", "role": "roles/bigquery.dataViewer",
                                                "specialGroup": "allAuthenticatedUsers"}, "anyone with a Google account",
     {"datasetId": "d", "role": "roles/bigquery.dataViewer", "specialGroup": "projectReaders"}),
    ("dataset-access-owner", DATASET_ACCESS, {"datasetId": "d", "role": "roles/bigquery.dataOwner",
                                              "groupByEmail": "ext@example.net"}, "roles/bigquery.dataOwner, which holds bigquery.datasets.setIamPolicy",
     {"datasetId": "d", "role": "roles/bigquery.dataOwner", "specialGroup": "projectOwners"}),
    ("dataset-accesses", DATASET, {"datasetId": "d", "accesses": [
        {"role": "OWNER", "specialGroup": "projectOwners"}, {"role": "READER", "iamMember": "allAuthenticatedUsers"}]},
     "accesses[1].iamMember", {"datasetId": "d", "accesses": [
         {"role": "OWNER", "specialGroup": "projectOwners"}, {"role": "READER", "domain": "example.com"},
         {"view": {"projectId": "p1", "datasetId": "d2", "tableId": "v"}}]}),
]


@pytest.mark.parametrize("case,type_,flagged,fragment,look_alike", CASES, ids=[c[0] for c in CASES])
def test_public_or_owning_entry_blocks_and_look_alike_passes(pack, case, type_, flagged, fragment, look_alike):
    assert_flagged_and_look_alike(pack, case, type_, flagged, "AGID-GCP-014", "mandatory", look_alike)
    [diag] = pack.analyze(type_, case, urn(type_, case), flagged)
    assert fragment in diag.message


def test_owner_entry_is_an_escalation_finding(pack):
    [diag] = pack.analyze(BUCKET_AC, "o", urn(BUCKET_AC, "o"), {"bucket": "b1", "entity": "group-x@example.com",
                                                                 "role": "FULL_CONTROL"})
    assert "[escalation]" in diag.message and "allUsers included" in diag.message


@pytest.mark.parametrize("type_,props,level,fragment", [
    (BUCKET_ACL, {"bucket": "b1", "predefinedAcl": "everyone"}, "mandatory", "is not a predefined ACL"),
    (BUCKET_ACL, {"bucket": "b1", "roleEntities": ["allUsers"]}, "mandatory", "is not ROLE:entity"),
    (BUCKET_AC, {"bucket": "b1", "entity": "user-x@example.com", "role": "ADMIN"}, "mandatory", "not READER, WRITER"),
    (BUCKET_AC, {"bucket": "b1", "entity": "allUsers", "role": UNKNOWN}, "mandatory", "to allUsers"),
    (BUCKET_AC, {"bucket": "b1", "entity": UNKNOWN, "role": "READER"}, "advisory", "cannot check until known: entity"),
    (BUCKET_ACL, {"bucket": "b1", "predefinedAcl": UNKNOWN}, "advisory", "predefinedAcl"),
    (DATASET_ACCESS, {"datasetId": "d", "role": "READER", "userByEmail": "a@example.com", "domain": "example.com"},
     "mandatory", "BigQuery takes one member"),
    (DATASET, {"datasetId": "d", "accesses": [{"role": "READER"}]}, "mandatory", "names no member"),
    (DATASET, {"datasetId": "d", "accesses": UNKNOWN}, "advisory", "accesses"),
])
def test_unknown_and_unreadable_never_pass(pack, type_, props, level, fragment):
    diags = [d for d in pack.analyze(type_, "x", urn(type_, "x"), props) if d.policy_name == "AGID-GCP-014"]
    assert [d.enforcement_level for d in diags] == [level] and fragment in diags[0].message, [d.message for d in diags]
