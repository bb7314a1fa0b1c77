"""Image and package writes on Google Cloud registries, over gRPC (issue 11; red7a `artifact_writer`).

Cloud Run, GKE, Cloud Functions and VMs run what they pull as their own service accounts, so pushing images is code
as them: roles/artifactregistry.writer / repoAdmin / admin (uploadArtifacts, tags.update) at project, folder or
organization level is AGID-GCP-005; on a repository the stack does not create, or on a legacy Container Registry
bucket (artifacts.PROJECT.appspot.com), AGID-GCP-017. A writer on the one repository the stack creates (and the
binding depends on) passes, and so do readers anywhere.
Sources: https://cloud.google.com/artifact-registry/docs/access-control#roles,
https://cloud.google.com/container-registry/docs/access-control.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
ORG_BINDING = "gcp:organizations/iAMBinding:IAMBinding"
PROJECT_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
REPO_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
REPO_POLICY = "gcp:artifactregistry/repositoryIamPolicy:RepositoryIamPolicy"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
CI = "serviceAccount:ci@acme-dev.iam.gserviceaccount.com"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def mandatory(pack, rule_id: str, type_: str, props: dict) -> list[str]:
    return [d.message for d in pack.analyze(type_, "m", urn(type_, "m"), props)
            if d.policy_name == rule_id and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("type_, where, role, permission", [
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/artifactregistry.writer", "it holds artifactregistry."),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/artifactregistry.repoAdmin", "artifactregistry."),
    (PROJECT_MEMBER, {"project": "acme-dev"}, "roles/artifactregistry.createOnPushWriter", "artifactregistry."),
    (FOLDER_MEMBER, {"folder": "folders/123"}, "roles/artifactregistry.writer", "on every target in the folder"),
])
def test_registry_writers_above_one_repository_block(pack, type_, where, role, permission):
    [found] = mandatory(pack, "AGID-GCP-005", type_, where | {"role": role, "member": CI})
    assert permission in found and "run as their service accounts" in found, found


def test_admin_at_organization_blocks_and_readers_pass(pack):
    members = {"orgId": "123456789", "role": "roles/artifactregistry.admin", "members": [CI]}
    assert mandatory(pack, "AGID-GCP-005", ORG_BINDING, members)
    for role in ("roles/artifactregistry.reader", "roles/artifactregistry.serviceAgent"):
        assert mandatory(pack, "AGID-GCP-005", PROJECT_MEMBER, {"project": "acme-dev", "role": role, "member": CI}) \
            == [], role


def test_custom_role_with_upload_at_project_blocks(pack):
    role = StackResource(PROJECT_ROLE, "pusher", urn(PROJECT_ROLE, "pusher"), {
        "project": "acme-dev", "roleId": "pusher", "title": "p",
        "permissions": ["artifactregistry.repositories.get", "artifactregistry.tags.update"]})
    binding = StackResource(PROJECT_MEMBER, "b", urn(PROJECT_MEMBER, "b"), {
        "project": "acme-dev", "role": "projects/acme-dev/roles/pusher", "member": CI}, dependencies=[role.urn])
    [(name, message)] = stack_findings(pack, "AGID-GCP-007", [role, binding], "mandatory")
    assert name == "b" and "artifactregistry.tags.update" in message


def _repo(name: str = "agent-images") -> StackResource:
    return StackResource(REPOSITORY, name, urn(REPOSITORY, name),
                         {"repositoryId": name, "location": "europe-west1", "format": "DOCKER", "project": "acme-dev"})


def _member(name: str, repository, role: str = "roles/artifactregistry.writer", deps=()) -> StackResource:
    return StackResource(REPO_MEMBER, name, urn(REPO_MEMBER, name), {
        "project": "acme-dev", "location": "europe-west1", "repository": repository, "role": role, "member": CI},
        dependencies=list(deps))


def test_writer_on_an_existing_repository_blocks(pack):
    """The repository Cloud Run deploys from is not in the stack: who runs its images is not visible."""
    found = stack_findings(pack, "AGID-GCP-017", [
        _member("prod", "prod-images"),
        _member("prod-full", "projects/acme-dev/locations/europe-west1/repositories/prod-images",
                role="roles/artifactregistry.repoAdmin"),
    ], "mandatory")
    assert [name for name, _ in found] == ["prod", "prod-full"]
    assert ("grants roles/artifactregistry.writer on repository prod-images, which this stack does not create"
            in found[0][1]) and "artifactregistry.repositories.uploadArtifacts" in found[0][1]


def test_writer_on_the_stacks_own_repository_passes(pack):
    repo = _repo()
    assert stack_findings(pack, "AGID-GCP-017", [
        repo, _member("own-output", UNKNOWN, deps=[repo.urn]),
        _member("own-id", "agent-images", deps=[repo.urn]),
        _member("own-full", "projects/acme-dev/locations/europe-west1/repositories/agent-images", deps=[repo.urn]),
    ]) == []


def test_literal_id_of_the_stacks_repository_without_dependency_blocks(pack):
    """A decoy: the stack's repository of that id fails to create (taken), the binding on the existing one stays;
    a dependency on a stack repository of ANOTHER id does not make a literal id the stack's either."""
    repo, other = _repo(), _repo("other")
    found = stack_findings(pack, "AGID-GCP-017", [
        repo, other, _member("literal", "agent-images"), _member("wrong-dep", "agent-images", deps=[other.urn])],
        "mandatory")
    assert [name for name, _ in found] == ["literal", "wrong-dep"]


def test_reader_on_an_existing_repository_passes(pack):
    assert stack_findings(pack, "AGID-GCP-017", [
        _member("pull", "prod-images", role="roles/artifactregistry.reader")]) == []


def test_repository_policy_document_is_read(pack):
    policy = '{"bindings": [{"role": "roles/artifactregistry.reader", "members": ["allAuthenticatedUsers"]},' \
             ' {"role": "roles/artifactregistry.writer", "members": ["group:ci@acme.example"]}]}'
    found = stack_findings(pack, "AGID-GCP-017", [StackResource(REPO_POLICY, "pol", urn(REPO_POLICY, "pol"), {
        "project": "acme-dev", "location": "europe-west1", "repository": "prod-images", "policyData": policy})])
    assert [name for name, _ in found] == ["pol"] and "group:ci@acme.example" in found[0][1]


@pytest.mark.parametrize("bucket", ["artifacts.acme-dev.appspot.com", "eu.artifacts.acme-dev.appspot.com",
                                    "US.Artifacts.acme-dev.appspot.com"])
@pytest.mark.parametrize("role", ["roles/storage.legacyBucketWriter", "roles/storage.objectAdmin",
                                  "roles/storage.objectCreator"])
def test_object_writes_on_a_container_registry_bucket_block(pack, bucket, role):
    found = stack_findings(pack, "AGID-GCP-017", [StackResource(BUCKET_MEMBER, "gcr", urn(BUCKET_MEMBER, "gcr"), {
        "bucket": bucket, "role": role, "member": CI})], "mandatory")
    assert [name for name, _ in found] == ["gcr"] and "storage.objects.create" in found[0][1]


@pytest.mark.parametrize("bucket, role", [
    ("artifacts.acme-dev.appspot.com", "roles/storage.objectViewer"),  # pulls only
    ("acme-artifacts", "roles/storage.objectAdmin"),                   # an ordinary bucket
    ("artifacts.acme-dev.appspot.com.evil.example", "roles/storage.objectAdmin"),  # not Google's domain
])
def test_container_registry_look_alikes_pass(pack, bucket, role):
    assert stack_findings(pack, "AGID-GCP-017", [StackResource(BUCKET_MEMBER, "b", urn(BUCKET_MEMBER, "b"), {
        "bucket": bucket, "role": role, "member": CI})]) == []


def test_custom_role_not_known_yet_cannot_be_checked(pack):
    role = StackResource(PROJECT_ROLE, "r", urn(PROJECT_ROLE, "r"), {
        "project": "acme-dev", "roleId": "r", "title": "r", "permissions": UNKNOWN})
    found = stack_findings(pack, "AGID-GCP-017", [role, _member("m", "prod-images", role="projects/acme-dev/roles/r",
                                                                 deps=[role.urn])])
    # the SDK reports a stack rule's unknowns as one stack-level "cannot check until known"
    [(_, message)] = found
    assert "cannot check until known: permissions of custom role projects/acme-dev/roles/r" in message


BUCKET_ACCESS = "gcp:storage/bucketAccessControl:BucketAccessControl"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"


def test_writer_or_owner_acl_on_a_container_registry_bucket_blocks(pack):
    """Legacy ACLs write beside IAM while the bucket has no uniform bucket-level access."""
    found = stack_findings(pack, "AGID-GCP-017", [
        StackResource(BUCKET_ACCESS, "entry", urn(BUCKET_ACCESS, "entry"), {
            "bucket": "artifacts.acme-dev.appspot.com", "entity": "user-ci@acme.example", "role": "WRITER"}),
        StackResource(BUCKET_ACL, "list", urn(BUCKET_ACL, "list"), {
            "bucket": "asia.artifacts.acme-dev.appspot.com",
            "roleEntities": ["OWNER:project-owners-123", "owner:group-ci@acme.example"]}),
    ], "mandatory")
    assert [name for name, _ in found] == ["entry", "list"]
    assert "gives group-ci@acme.example OWNER on Container Registry bucket asia.artifacts.acme-dev.appspot.com" \
        in found[1][1] and "roleEntities[1]" in found[1][1]


def test_container_registry_acl_look_alikes_pass(pack):
    assert stack_findings(pack, "AGID-GCP-017", [
        StackResource(BUCKET_ACCESS, "reader", urn(BUCKET_ACCESS, "reader"), {
            "bucket": "artifacts.acme-dev.appspot.com", "entity": "user-ci@acme.example", "role": "READER"}),
        StackResource(BUCKET_ACL, "owners", urn(BUCKET_ACL, "owners"), {
            "bucket": "artifacts.acme-dev.appspot.com",
            "roleEntities": ["OWNER:project-owners-123", "OWNER:project-editors-123", "READER:project-viewers-123"]}),
        StackResource(BUCKET_ACCESS, "other", urn(BUCKET_ACCESS, "other"), {
            "bucket": "acme-releases", "entity": "user-ci@acme.example", "role": "WRITER"}),
    ]) == []


def test_depending_on_the_stacks_repository_does_not_explain_a_repository_another_output_may_hide(pack):
    """issue 11: a writer whose repository is a constant behind a bucket's Output (the existing prod-images) with
    `depends_on=[the stack's repository]` passed as the stack's. It is judged as a repository the stack does not
    create; the input's own propertyDependencies, where the engine sends them, decide (the stack repository's Output
    beside another dependency passes)."""
    repo = _repo()
    bucket = StackResource("gcp:storage/bucket:Bucket", "marker", urn("gcp:storage/bucket:Bucket", "marker"), {})
    hidden = _member("hidden", UNKNOWN, deps=[repo.urn, bucket.urn])
    by_input = _member("by-input", UNKNOWN, deps=[repo.urn, bucket.urn])
    by_input.property_dependencies = {"repository": [bucket.urn]}
    own = _member("own-by-input", UNKNOWN, deps=[repo.urn, bucket.urn])
    own.property_dependencies = {"repository": [repo.urn], "member": [bucket.urn]}
    found = stack_findings(pack, "AGID-GCP-017", [repo, bucket, hidden, by_input, own], "mandatory")
    assert [(name, "a repository known only at deployment that this stack does not create" in message)
            for name, message in found] == [("by-input", True), ("hidden", True)], found
