"""AGID-GCP-035 over gRPC: the stack creates its GCP resources in the organisation's own projects (red19 r19-5: a
secret holding the stack's config secret went to another project through gcp:project, a provider or `project`)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

SECRET = "gcp:secretmanager/secret:Secret"
PROVIDER = "pulumi:providers:gcp"
PROJECT = "gcp:organizations/project:Project"


def res(type_: str, name: str, props: dict, deps: dict | None = None) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, property_dependencies=deps)


def flagged(pack, *resources: StackResource, level: str | None = "mandatory") -> list[str]:
    return sorted(d.urn.rsplit("::", 1)[-1] for d in pack.analyze_stack(list(resources))
                  if d.policy_name == "AGID-GCP-035" and (level is None or d.enforcement_level == level))


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownGcpProjects": ["acme-dev", "123456789"], "ownGcpOrganizations": ["4242"]}})
    yield pack
    pack.configure({})


def test_a_resource_or_provider_in_another_project_is_a_mandatory_violation(own_pack) -> None:
    assert flagged(own_pack, res(SECRET, "s", {"secretId": "x", "project": "evil-project"})) == ["s"]
    assert flagged(own_pack, res(PROVIDER, "default", {"project": "evil-project"})) == ["default"]
    assert flagged(own_pack, res(PROJECT, "p", {"projectId": "fresh", "orgId": "999"})) == ["p"]
    assert flagged(own_pack, res(SECRET, "s", {"secretId": "x", "project": "projects/acme-dev-evil"})) == ["s"]


def test_own_projects_by_id_number_or_created_under_an_own_organization_pass(own_pack) -> None:
    assert flagged(own_pack, res(SECRET, "s", {"secretId": "x", "project": "acme-dev"}),
                   res(PROVIDER, "default", {"project": "projects/123456789"}), level=None) == []
    created = res(PROJECT, "p", {"projectId": "agents-sandbox", "orgId": "4242"})
    assert flagged(own_pack, created, res(SECRET, "s", {"secretId": "x", "project": "agents-sandbox"})) == []
    later = res(SECRET, "later", {"secretId": "x", "project": UNKNOWN}, {"project": [created.urn]})
    assert flagged(own_pack, created, later, level=None) == []
    assert flagged(own_pack, res(SECRET, "s", {"secretId": "x"}), level=None) == []  # the provider's project


def test_nothing_listed_is_cannot_tell_and_an_unknown_project_is_reported(pack) -> None:
    assert flagged(pack, res(SECRET, "s", {"secretId": "x", "project": "acme-dev"})) == ["s"]
    [unknown] = [d for d in pack.analyze_stack([res(SECRET, "u", {"secretId": "x", "project": UNKNOWN})])
                 if d.policy_name == "AGID-GCP-035"]
    assert "cannot check until known: u.project" in unknown.message
