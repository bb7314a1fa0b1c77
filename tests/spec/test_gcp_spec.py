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
     "roles/storage.admin holds storage.*, which rewrites who holds"),
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
