"""Issue 11 (1), Google Cloud: an agent reading every secret of a project, folder or organization is AGID-GCP-025,
mandatory (AGID-GCP-006 gave it only an advisory line, as AWS-012 did for GetSecretValue on `*`).

Flagged: roles/secretmanager.secretAccessor / cryptoKeyDecrypter / a custom role with secretmanager.versions.access
bound to an agent at project, folder or organization level (member, binding, whole policy), a time-only condition,
an OR in the condition. Look-alikes that pass: the same role on one secret, a condition naming the secret, a role
without credential reads, a principal that is not an agent's.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-025"
AGENT = "serviceAccount:agent-triage@proj-one.iam.gserviceaccount.com"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
ACCESSOR = "roles/secretmanager.secretAccessor"
PINNED = {"title": "one secret", "expression": 'resource.name.startsWith("projects/proj-one/secrets/triage-token")'}


def flagged(pack, *resources) -> list[tuple[str, str]]:
    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in resources]
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in pack.analyze_stack(stack)
                  if d.policy_name == RULE)


def member(role=ACCESSOR, condition=None, member_=AGENT) -> tuple:
    props = {"project": "proj-one", "role": role, "member": member_}
    return (PROJECT_MEMBER, "grant", {**props, "condition": condition} if condition else props)


BROAD = {
    "secret accessor on the project": member(),
    "KMS decrypter on the project": member("roles/cloudkms.cryptoKeyDecrypter"),
    "a time-only condition": member(condition={"title": "until", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'}),
    "an OR re-opens the pin": member(condition={"title": "x", "expression": PINNED["expression"] + " || true"}),
    "a condition unknown at preview": member(condition={"title": "x", "expression": UNKNOWN}),
    "on a folder": ("gcp:folder/iAMMember:IAMMember", "grant", {"folder": "folders/1", "role": ACCESSOR, "member": AGENT}),
    "on the organization (binding)": ("gcp:organizations/iAMBinding:IAMBinding", "grant", {
        "orgId": "123", "role": ACCESSOR, "members": ["group:ops@example.com", AGENT]}),
    "in a whole project policy": ("gcp:projects/iAMPolicy:IAMPolicy", "grant", {"project": "proj-one", "policyData": json.dumps(
        {"bindings": [{"role": "roles/logging.logWriter", "members": [AGENT]}, {"role": ACCESSOR, "members": [AGENT]}]})}),
    "an unlinked service account": member(member_="serviceAccount:x-runner@proj-two.iam.gserviceaccount.com"),
}


@pytest.mark.parametrize("case", list(BROAD))
def test_broad_credential_reads_of_an_agent_are_mandatory(pack, case):
    assert flagged(pack, BROAD[case]) == [("grant", "mandatory")]


def test_a_custom_role_with_secret_access_is_judged_by_its_definition(pack):
    role = ("gcp:projects/iAMCustomRole:IAMCustomRole", "reader", {"project": "proj-one", "roleId": "reads_secrets",
                                                                   "permissions": ["secretmanager.versions.access"]})
    assert flagged(pack, role, member("projects/proj-one/roles/reads_secrets")) == [("grant", "mandatory")]
    logs = ("gcp:projects/iAMCustomRole:IAMCustomRole", "reader", {"project": "proj-one", "roleId": "reads_secrets",
                                                                   "permissions": ["logging.logEntries.create"]})
    assert flagged(pack, logs, member("projects/proj-one/roles/reads_secrets")) == []


@pytest.mark.parametrize("resource", [
    ("gcp:secretmanager/secretIamMember:SecretIamMember", "grant", {"secretId": "projects/proj-one/secrets/triage-token",
                                                                   "role": ACCESSOR, "member": AGENT}),
    member(condition=PINNED),
    member(condition={"title": "tagged", "expression": 'resource.matchTag("123/agent", "triage")'}),
    member("roles/secretmanager.viewer"),  # metadata, not payloads
    member(member_="user:alice@example.com"),
], ids=["one secret", "condition naming the secret", "tag condition", "viewer", "a human"])
def test_bounded_or_non_credential_grants_pass(pack, resource):
    assert flagged(pack, resource) == []


def test_every_credential_permission_is_one_the_catalogue_knows_with_its_source():
    import yaml

    from agentid_components import gcp_catalog
    from agentid_policy_packs.rules.gcp_agent_credential_reads import CREDENTIAL_READS_FILE

    for entry in yaml.safe_load(CREDENTIAL_READS_FILE.read_text()):
        assert gcp_catalog.is_permission(entry["permission"]), entry
        assert entry["source"].startswith("https://cloud.google.com/") and entry["returns"], entry


# Issue 11: a stack service account with no `project` input is created in its provider's project: the explicit
# provider's `project`, else the stack's gcp:project (sent by the engine as the default provider's properties). It is
# the stack's own account (not an agent by its name, so not flagged) only when that project is one the gate lists.
PROVIDER = "pulumi:providers:gcp"
ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
READER = "serviceAccount:reader@acme-prod.iam.gserviceaccount.com"


def _stack(default_project, explicit_project=None):
    stack = [StackResource(PROVIDER, "default", urn(PROVIDER, "default"), {"project": default_project})]
    if explicit_project is not None:
        stack.append(StackResource(PROVIDER, "other", urn(PROVIDER, "other"), {"project": explicit_project}))
    stack.append(StackResource(ACCOUNT_TYPE, "sa", urn(ACCOUNT_TYPE, "sa"), {"accountId": "reader"},
                               provider=urn(PROVIDER, "other") if explicit_project is not None else None))
    stack.append(StackResource(PROJECT_MEMBER, "grant", urn(PROJECT_MEMBER, "grant"),
                               {"project": "acme-prod", "role": ACCESSOR, "member": READER}))
    return stack


@pytest.mark.parametrize("default_project, explicit_project, expected", [
    ("acme-prod", None, []),  # the default provider's project, listed: the stack's own reader
    ("attacker-proj", None, [("grant", "mandatory")]),  # not listed: reader@acme-prod is nobody the stack defines
    ("acme-prod", "attacker-proj", [("grant", "mandatory")]),  # created in the explicit provider's project
    ("attacker-proj", "acme-prod", []),
])
def test_an_account_with_no_project_is_in_its_providers_project(pack, default_project, explicit_project, expected):
    pack.configure({"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-prod"]}})
    try:
        stack = _stack(default_project, explicit_project)
        found = sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in pack.analyze_stack(stack)
                       if d.policy_name == RULE)
        assert found == expected
    finally:
        pack.configure({})
