"""AGID-GCP-025 beyond Secret Manager and KMS (r15-6, issue 11), over gRPC.

roles/redis.admin and a custom role with redis.instances.getAuthString (every Memorystore AUTH string),
roles/run.viewer and roles/cloudfunctions.viewer (every service's and function's environment variable VALUES, where
deployments put secrets) bound at project level to the stack's agent passed: gcp_credential_reads.yaml held three
permissions. It now holds the sweep of the permission snapshot (each entry with what it returns and its source).
Look-alikes that pass: the same roles on one service or function (resource-level binding), a human member, a
read-only sibling without the permission (roles/redis.viewer, roles/run.invoker).
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_gcp_credential_reads import RULE, flagged, member

AGENT = "serviceAccount:agent-triage@proj-one.iam.gserviceaccount.com"


def message(pack, *resources) -> str:
    from agentid.analyzer_client import StackResource
    from tests.policy.test_pack_grpc import urn

    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in resources]
    [found] = [d for d in pack.analyze_stack(stack) if d.policy_name == RULE]
    assert found.enforcement_level == "mandatory"
    return found.message


@pytest.mark.parametrize("role, permission", [
    ("roles/redis.admin", "redis.instances.getAuthString"),
    ("roles/run.viewer", "run.services.get"),
    ("roles/run.viewer", "run.jobs.get"),
    ("roles/cloudfunctions.viewer", "cloudfunctions.functions.get"),
    ("roles/composer.viewer", "composer.environments.get"),
    ("roles/appengine.appViewer", "appengine.versions.get"),
])
def test_project_wide_reads_of_auth_strings_and_environment_values_block(pack, role, permission):
    text = message(pack, member(role))
    assert f"grant grants {role} to agent principal {AGENT} at project level" in text and permission in text, text


def test_a_custom_role_with_get_auth_string_blocks(pack):
    role = ("gcp:projects/iAMCustomRole:IAMCustomRole", "redis-auth", {"project": "proj-one", "roleId": "redisAuth",
                                                                       "permissions": ["redis.instances.getAuthString"]})
    text = message(pack, role, member("projects/proj-one/roles/redisAuth"))
    assert "redis.instances.getAuthString (the AUTH string of every Memorystore for Redis instance)" in text


@pytest.mark.parametrize("resource", [
    ("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", "grant",
     {"project": "proj-one", "location": "us-central1", "name": "triage", "role": "roles/run.viewer", "member": AGENT}),
    ("gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember", "grant",
     {"project": "proj-one", "location": "us-central1", "cloudFunction": "triage", "role": "roles/cloudfunctions.viewer",
      "member": AGENT}),
    member("roles/redis.viewer"),
    member("roles/run.invoker"),
    member("roles/redis.admin", member_="user:alice@example.com"),
], ids=["one service", "one function", "redis viewer", "run invoker", "a human"])
def test_bounded_or_non_credential_look_alikes_pass(pack, resource):
    assert flagged(pack, resource) == []
