"""The `gcp` tool grant: each refusal with its exact path and message, and the look-alikes that pass."""

from __future__ import annotations

import pytest

from tests.spec.test_validation import errors_of, valid_agent

BUCKET = "//storage.googleapis.com/projects/_/buckets/reports-bucket"
PROJECT = "//cloudresourcemanager.googleapis.com/projects/proj-one"


def gcp_errors(grant: dict, trust: list | None = None) -> list[str]:
    agent = valid_agent()
    agent["tools"] = [{"name": "t", "gcp": grant}]
    if trust is not None:
        agent["trust"] = trust
    return [e.split(": ", 1)[1] for e in errors_of({"agents": [agent]})]


@pytest.mark.parametrize("grant", [
    {"permissions": ["storage.objects.get", "storage.objects.create"], "resource": BUCKET},
    {"roles": ["roles/storage.objectViewer"], "resource": BUCKET},
    {"roles": ["roles/bigquery.jobUser"], "resource": PROJECT},
    {"permissions": ["logging.logEntries.create"], "resource": PROJECT},
    {"roles": ["roles/secretmanager.secretAccessor"], "resource": "//secretmanager.googleapis.com/projects/proj-one/secrets/api-key"},
    {"permissions": ["pubsub.subscriptions.consume"], "resource": "//pubsub.googleapis.com/projects/proj-one/subscriptions/jobs"},
])
def test_narrow_grants_pass(grant):
    assert gcp_errors(grant) == []


@pytest.mark.parametrize("grant, path, message", [
    ({"permissions": ["storage.object.get"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "unknown Google Cloud permission 'storage.object.get': did you mean 'storage.objects.get'?"),
    ({"permissions": ["storage.objects.*"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "wildcard permission 'storage.objects.*'"),
    ({"permissions": ["storage.buckets.setIamPolicy"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "storage.buckets.setIamPolicy rewrites who holds which role on the resource, itself included"),
    ({"permissions": ["iam.serviceAccounts.getAccessToken"],
      "resource": "//iam.googleapis.com/projects/proj-one/serviceAccounts/other-sa@proj-one.iam.gserviceaccount.com"},
     "tools[0].gcp.permissions[0]", "iam.serviceAccounts.getAccessToken mints access tokens of another service account"),
    ({"roles": ["roles/editor"], "resource": PROJECT}, "tools[0].gcp.roles[0]", "roles/editor is a basic role"),
    ({"roles": ["roles/storage.admin"], "resource": BUCKET}, "tools[0].gcp.roles[0]",
     "roles/storage.admin holds storage.buckets.setIamPolicy, which rewrites who holds"),
    ({"roles": ["roles/storage.objectViewr"], "resource": BUCKET}, "tools[0].gcp.roles[0]",
     "did you mean 'roles/storage.objectViewer'?"),
    ({"roles": ["projects/p/roles/mine"], "resource": BUCKET}, "tools[0].gcp.roles[0]", "is not a predefined role"),
    ({"permissions": ["storage.objects.get"], "resource": PROJECT}, "tools[0].gcp.permissions[0]",
     "storage.objects.get can be granted on one bucket: name that resource instead of the whole project"),
    ({"roles": ["roles/storage.objectViewer"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "roles/storage.objectViewer holds permissions grantable on one bucket"),
    ({"permissions": ["pubsub.topics.publish"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "pubsub.topics.publish cannot be granted on a bucket: it applies at topic"),
    ({"permissions": ["bigquery.jobs.create"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "bigquery.jobs.create cannot be granted on a bucket: it applies at the project only"),
    ({"roles": ["roles/pubsub.publisher"], "resource": BUCKET}, "tools[0].gcp.roles[0]", "roles/pubsub.publisher grants nothing on a bucket"),
    ({"roles": ["roles/logging.logWriter"], "resource": "//cloudresourcemanager.googleapis.com/organizations/123"},
     "tools[0].gcp.resource", "is an organization or folder"),
    ({"permissions": ["storage.objects.get"], "resource": "//storage.googleapis.com/projects/_/buckets/*"},
     "tools[0].gcp.resource", "wildcard resource"),
    ({"permissions": ["storage.objects.get"], "resource": "gs://reports-bucket"}, "tools[0].gcp.resource",
     "is not a full resource name the kit grants at"),
    ({"resource": BUCKET}, "tools[0].gcp", "a gcp grant needs at least one of permissions or roles"),
])
def test_refusals(grant, path, message):
    errors = gcp_errors(grant)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"agents[0].{path}: ") and message in errors[0], errors


def test_azure_hosted_trust_cannot_reach_gcp():
    errors = gcp_errors({"roles": ["roles/pubsub.publisher"], "resource": "//pubsub.googleapis.com/projects/proj-one/topics/events"},
                        trust=[{"azure_hosted": {"resource_id": "/subscriptions/11111111-2222-3333-4444-555555555555/"
                                                 "resourceGroups/rg/providers/Microsoft.Web/sites/app"}}])
    assert errors == ["agents[0].trust: the agent has Google Cloud tools but no trust binding usable on Google Cloud: "
                      "add github_actions, kubernetes, or spiffe with jwt_issuer (Workload Identity Federation)"]


def test_two_grants_on_one_tool_refused():
    agent = valid_agent()
    agent["tools"][0]["gcp"] = {"roles": ["roles/pubsub.publisher"], "resource": "//pubsub.googleapis.com/projects/proj-one/topics/events"}
    (error,) = errors_of({"agents": [agent]})
    assert "a tool needs exactly one of aws, azure, gcp, oauth or llm (found aws, gcp)" in error


# The catalogue is every predefined role (components/data/gcp_roles.json.gz): services beyond the ones the kit
# grants at are known, so their roles validate and their typos get a hint.
@pytest.mark.parametrize("grant", [
    {"roles": ["roles/run.invoker"], "resource": PROJECT},
    {"roles": ["roles/aiplatform.user"], "resource": PROJECT},
    {"roles": ["roles/storage.legacyObjectReader"], "resource": BUCKET},
])
def test_predefined_roles_of_every_service_are_known(grant):
    assert gcp_errors(grant) == []


@pytest.mark.parametrize("grant, path, message", [
    # a did-you-mean names only what validation then accepts: the closest role or permission is refused here,
    # so there is no hint (and no farther name in its place)
    ({"roles": ["roles/ownr"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "unknown or uncatalogued predefined role 'roles/ownr': list the tool's exact permissions instead"),
    ({"roles": ["roles/editr"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "unknown or uncatalogued predefined role 'roles/editr': list the tool's exact permissions instead"),
    ({"roles": ["roles/storage.admn"], "resource": BUCKET}, "tools[0].gcp.roles[0]",
     "unknown or uncatalogued predefined role 'roles/storage.admn': list the tool's exact permissions instead"),
    ({"permissions": ["storage.buckets.setIamPolicyy"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "unknown Google Cloud permission 'storage.buckets.setIamPolicyy' (not held by any predefined role in the "
     "kit's catalogue, components/data/gcp_roles.json.gz; refresh it with scripts/refresh_gcp_roles.py)"),
    ({"permissions": ["bigqury.tables.getData"], "resource": BUCKET}, "tools[0].gcp.permissions[0]",
     "unknown Google Cloud permission 'bigqury.tables.getData': did you mean 'bigquery.tables.getData'?"),
    ({"roles": ["roles/run.invokr"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "unknown or uncatalogued predefined role 'roles/run.invokr': did you mean 'roles/run.invoker'?"),
    # a real permission of a resource type the kit does not grant at may have a narrower home than the project
    ({"permissions": ["compute.instances.get"], "resource": PROJECT}, "tools[0].gcp.permissions[0]",
     "compute.instances.get is not known to be grantable only on the project (the kit grants at bucket, dataset, "
     "secret, topic, subscription, service account, project): the kit cannot grant it without reaching every "
     "resource of its type in the project"),
    # real predefined roles that hold escalation permissions (from the full catalogue, not a hand list)
    ({"roles": ["roles/iam.serviceAccountTokenCreator"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "roles/iam.serviceAccountTokenCreator holds iam.serviceAccounts.getAccessToken, which mints access tokens"),
    ({"roles": ["roles/iam.serviceAccountUser"], "resource": PROJECT}, "tools[0].gcp.roles[0]",
     "roles/iam.serviceAccountUser holds iam.serviceAccounts.actAs, which runs workloads as another service account"),
])
def test_catalogue_refusals_and_hints(grant, path, message):
    errors = gcp_errors(grant)
    assert errors == [f"agents[0].{path}: {message}"] or (
        len(errors) == 1 and errors[0].startswith(f"agents[0].{path}: {message}")), errors


def test_the_role_snapshot_names_its_source_and_licence():
    from agentid_components import gcp_catalog

    source = gcp_catalog.source()
    assert "iann0036/iam-dataset" in source and "MIT License" in source
    assert len(gcp_catalog.known_roles()) > 2000
    owner = gcp_catalog.role_info("roles/owner")
    assert owner.basic and owner.grants("resourcemanager.projects.setIamPolicy")
    assert gcp_catalog.role_info("roles/storage.objectViewer").permissions == (
        "resourcemanager.projects.get", "resourcemanager.projects.list", "storage.folders.get", "storage.folders.list",
        "storage.managedFolders.get", "storage.managedFolders.list", "storage.objects.get", "storage.objects.list")
