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
VERSION = "gcp:secretmanager/secretVersion:SecretVersion"


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
    assert flagged(own_pack, created, res(SECRET, "s", {"secretId": "x", "project": "agents-sandbox"},
                                          {"project": [created.urn]})) == []
    later = res(SECRET, "later", {"secretId": "x", "project": UNKNOWN}, {"project": [created.urn]})
    assert flagged(own_pack, created, later, level=None) == []
    assert flagged(own_pack, res(SECRET, "s", {"secretId": "x"}), level=None) == []  # the provider's project


def test_nothing_listed_is_cannot_tell_and_an_unknown_project_is_reported(pack) -> None:
    assert flagged(pack, res(SECRET, "s", {"secretId": "x", "project": "acme-dev"})) == ["s"]
    [unknown] = [d for d in pack.analyze_stack([res(SECRET, "u", {"secretId": "x", "project": UNKNOWN})])
                 if d.policy_name == "AGID-GCP-035"]
    assert "cannot check until known: u.project" in unknown.message


def test_a_created_project_vouches_only_for_its_own_output_never_a_literal_id(own_pack) -> None:
    # red23 r20-8: project ids are global; a literal id equal to the created Project's may be an existing project of
    # the author's, written to before the Project's create fails with ALREADY_EXISTS
    created = res(PROJECT, "adopt", {"projectId": "attacker-proj", "orgId": "4242"})
    literal = res(SECRET, "drop", {"secretId": "x", "project": "attacker-proj"})
    assert flagged(own_pack, created, literal) == ["drop"]
    [violation] = [d for d in own_pack.analyze_stack([created, literal]) if d.policy_name == "AGID-GCP-035"]
    assert "not an Output of the Project this stack creates" in violation.message
    version = res(VERSION, "leak", {"secret": "projects/attacker-proj/secrets/x"})
    assert flagged(own_pack, created, version) == ["leak"]
    # the look-alike: project=proj.project_id, known under the gate's mocks, its dependency naming the Project
    by_output = res(SECRET, "s", {"secretId": "x", "project": "attacker-proj"}, {"project": [created.urn]})
    child = res(VERSION, "v", {"secret": "projects/attacker-proj/secrets/x"}, {"secret": [created.urn]})
    assert flagged(own_pack, created, by_output, child, level=None) == []
    # an Output of the Project whose value is another id vouches for nothing
    other = res(SECRET, "o", {"secretId": "x", "project": "evil-project"}, {"project": [created.urn]})
    assert flagged(own_pack, created, other) == ["o"]


@pytest.mark.parametrize(("type_", "key", "value"), [
    (VERSION, "secret", "projects/attacker-proj/secrets/drop"),
    (VERSION, "secret", "//secretmanager.googleapis.com/projects/attacker-proj/secrets/drop"),
    ("gcp:kms/cryptoKey:CryptoKey", "keyRing", "projects/attacker-proj/locations/global/keyRings/r"),
    ("gcp:secretmanager/secretIamMember:SecretIamMember", "secretId", "projects/attacker-proj/secrets/s"),
    ("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "repository",
     "projects/attacker-proj/locations/eu/repositories/r"),
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "cryptoKeyId", "attacker-proj/global/ring/key"),
    ("gcp:kms/keyRingIAMMember:KeyRingIAMMember", "keyRingId", "projects/attacker-proj/locations/global/keyRings/r"),
])
def test_a_child_under_another_projects_parent_is_a_mandatory_violation(own_pack, type_, key, value) -> None:
    # red23 r20-2: the parent id, not `project`, says where the child is created
    assert flagged(own_pack, res(type_, "child", {key: value, "project": "acme-dev"})) == ["child"]
    own = value.replace("attacker-proj", "acme-dev")
    assert flagged(own_pack, res(type_, "child", {key: own}), level=None) == []


def test_a_bare_parent_or_an_output_of_a_stack_resource_is_in_a_judged_project(own_pack) -> None:
    assert flagged(own_pack, res(VERSION, "v", {"secret": "drop-id"}), level=None) == []  # the provider's project
    own_secret = res(SECRET, "own", {"secretId": "x", "project": "acme-dev"})
    by_output = res(VERSION, "v", {"secret": UNKNOWN}, {"secret": [own_secret.urn]})
    assert flagged(own_pack, own_secret, by_output, level=None) == []
    stray = res(VERSION, "stray", {"secret": UNKNOWN}, {"secret": [urn(SECRET, "not-in-stack")]})
    [unknown] = [d for d in own_pack.analyze_stack([stray]) if d.policy_name == "AGID-GCP-035"]
    assert "cannot check until known: stray.secret" in unknown.message
    # a subscription's topic only refers to the topic (subscriptions may be in another project than their topic)
    sub = res("gcp:pubsub/subscription:Subscription", "sub", {"name": "s", "topic": "projects/partner/topics/t"})
    assert flagged(own_pack, sub, level=None) == []


def test_gcp_033_takes_a_created_project_as_own_for_its_output_only(own_pack) -> None:
    created = res(PROJECT, "adopt", {"projectId": "fresh-r20", "orgId": "4242"})
    secret = res(SECRET, "s", {"secretId": "x", "project": "fresh-r20"}, {"project": [created.urn]})
    literal = res(SECRET, "lit", {"secretId": "x", "project": "fresh-r20"})

    def egress(*resources) -> list[str]:
        return sorted(d.urn.rsplit("::", 1)[-1] for d in own_pack.analyze_stack([created, *resources])
                      if d.policy_name == "AGID-GCP-033")
    assert egress(secret, res(VERSION, "v", {"secret": UNKNOWN}, {"secret": [secret.urn]})) == []
    assert egress(res(VERSION, "v", {"secret": "projects/fresh-r20/secrets/x"}, {"secret": [created.urn]})) == []
    assert egress(literal, res(VERSION, "v", {"secret": UNKNOWN}, {"secret": [literal.urn]})) == ["v"]
    assert egress(res(VERSION, "v", {"secret": "projects/fresh-r20/secrets/x"})) == ["v"]


def test_a_wildcard_project_in_a_service_account_name_is_the_accounts_project(own_pack) -> None:
    member = "gcp:serviceaccount/iAMMember:IAMMember"
    foreign = res(member, "m", {"serviceAccountId": "projects/-/serviceAccounts/ci@attacker-proj.iam.gserviceaccount.com",
                                "role": "roles/iam.serviceAccountUser", "member": "user:ops@acme.example"})
    assert flagged(own_pack, foreign) == ["m"]
    own = res(member, "m", {"serviceAccountId": "projects/-/serviceAccounts/ci@acme-dev.iam.gserviceaccount.com",
                            "role": "roles/iam.serviceAccountUser", "member": "user:ops@acme.example"})
    assert flagged(own_pack, own, level=None) == []
