"""AGID-GCP-008 over gRPC: impersonation of a service account that is not the agent's, or by a whole set.

Before this rule an agent's service account holding roles/iam.serviceAccountTokenCreator (or serviceAccountUser,
serviceAccountKeyAdmin, workloadIdentityUser, a custom getAccessToken role) on the default compute service
account, and workloadIdentityUser / TokenCreator granted to a pool's every identity, an owner's every repository
or a domain, passed `agentid preview` with no finding.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
CUSTOM = "gcp:projects/iAMCustomRole:IAMCustomRole"
COMPUTE = "projects/p1/serviceAccounts/123456789-compute@developer.gserviceaccount.com"
OWN = "projects/p1/serviceAccounts/agent-x@p1.iam.gserviceaccount.com"
AGENT = "serviceAccount:agent-x@p1.iam.gserviceaccount.com"
POOL = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/agents-github"
SUBJECT = ("principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/agents-github/"
           "subject/repo:acme/x:environment:prod")


def flagged(pack, *resources) -> dict[str, str]:
    return dict(stack_findings(pack, "AGID-GCP-008", resources, "mandatory"))


@pytest.mark.parametrize("role", ["roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser",
                                  "roles/iam.serviceAccountKeyAdmin", "roles/iam.workloadIdentityUser"])
def test_agent_impersonating_a_foreign_service_account_blocks(pack, role):
    found = flagged(pack, (SA_MEMBER, "imp", {"serviceAccountId": COMPUTE, "role": role, "member": AGENT}))
    assert "not an agent's own" in found["imp"] and "123456789-compute" in found["imp"]
    # the same role on the agent's own service account, and a non-impersonation role on the foreign one, pass
    assert flagged(pack, (SA_MEMBER, "own", {"serviceAccountId": OWN, "role": role, "member": AGENT}),
                   (SA_MEMBER, "view", {"serviceAccountId": COMPUTE, "role": "roles/iam.serviceAccountViewer",
                                        "member": AGENT})) == {}


def test_custom_token_role_and_role_known_only_at_deployment_block(pack):
    found = flagged(pack,
                    (CUSTOM, "c", {"project": "p1", "roleId": "c", "permissions": ["iam.serviceAccounts.signJwt"]}),
                    (SA_MEMBER, "by-name", {"serviceAccountId": COMPUTE, "role": "projects/p1/roles/c", "member": AGENT}),
                    (SA_MEMBER, "by-output", {"serviceAccountId": COMPUTE, "role": UNKNOWN, "member": AGENT}),
                    (SA_MEMBER, "own-output", {"serviceAccountId": OWN, "role": UNKNOWN, "member": AGENT}))
    assert sorted(found) == ["by-name", "by-output"] and "cannot check" in found["by-output"]


@pytest.mark.parametrize("member", [POOL + "/*", POOL + "/attribute.repository_owner/acme", "domain:example.com"])
@pytest.mark.parametrize("role", ["roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator"])
def test_sets_impersonating_the_agent_account_block(pack, member, role):
    found = flagged(pack, (SA_BINDING, "set", {"serviceAccountId": OWN, "role": role, "members": [member]}))
    assert "every identity in that set" in found["set"]


@pytest.mark.parametrize("member", [SUBJECT, POOL + "/attribute.repository/acme/x"])
def test_one_subject_or_one_repository_passes(pack, member):
    assert flagged(pack, (SA_MEMBER, "one", {"serviceAccountId": OWN, "role": "roles/iam.workloadIdentityUser",
                                             "member": member})) == {}


def test_target_known_only_at_deployment_waits(pack):
    diags = pack.analyze_stack([StackResource(SA_MEMBER, "later", urn(SA_MEMBER, "later"), {
        "serviceAccountId": UNKNOWN, "role": "roles/iam.workloadIdentityUser", "member": SUBJECT})])
    assert [(d.policy_name, d.enforcement_level) for d in diags if d.policy_name == "AGID-GCP-008"] == [
        ("AGID-GCP-008", "advisory")]
    assert "cannot check until known: serviceAccountId" in [d.message for d in diags if d.policy_name == "AGID-GCP-008"][0]


# Agents are known by what the stack links, not by the `agent-` prefix (issue 16): an agent's account named
# `ci-runner` (a federated subject acts as it) impersonating the default compute account passed before.
ACCOUNT = "gcp:serviceaccount/account:Account"
RUNNER = "projects/p1/serviceAccounts/ci-runner@p1.iam.gserviceaccount.com"
RUNNER_MEMBER = "serviceAccount:ci-runner@p1.iam.gserviceaccount.com"


def test_agent_known_by_its_link_not_its_name_blocks(pack):
    found = flagged(pack,
                    (ACCOUNT, "runner", {"accountId": "ci-runner", "project": "p1"}),
                    (SA_MEMBER, "link", {"serviceAccountId": RUNNER, "role": "roles/iam.workloadIdentityUser",
                                         "member": SUBJECT}),
                    (SA_MEMBER, "escalate", {"serviceAccountId": COMPUTE, "member": RUNNER_MEMBER,
                                             "role": "roles/iam.serviceAccountTokenCreator"}))
    assert sorted(found) == ["escalate"] and "agent principal " + RUNNER_MEMBER in found["escalate"]


def test_same_account_without_a_link_is_not_an_agent(pack):
    # created by the stack, no federated principal acts as it: a deployment account, not an agent's
    assert flagged(pack,
                   (ACCOUNT, "runner", {"accountId": "ci-runner", "project": "p1"}),
                   (SA_MEMBER, "escalate", {"serviceAccountId": COMPUTE, "member": RUNNER_MEMBER,
                                            "role": "roles/iam.serviceAccountTokenCreator"})) == {}


def test_account_the_stack_neither_creates_nor_links_fails_closed(pack):
    stranger = "serviceAccount:bot@other-project.iam.gserviceaccount.com"
    found = flagged(pack, (SA_MEMBER, "escalate", {"serviceAccountId": COMPUTE, "member": stranger,
                                                   "role": "roles/iam.serviceAccountUser"}))
    assert "cannot tell whether it is an agent's" in found["escalate"] and "123456789-compute" in found["escalate"]
    # the stranger impersonating a linked agent account (e.g. a CI deploying it) is not this rule's concern
    assert flagged(pack,
                   (SA_MEMBER, "link", {"serviceAccountId": RUNNER, "role": "roles/iam.workloadIdentityUser",
                                        "member": SUBJECT}),
                   (SA_MEMBER, "deploy", {"serviceAccountId": RUNNER, "member": stranger,
                                          "role": "roles/iam.serviceAccountUser"})) == {}
