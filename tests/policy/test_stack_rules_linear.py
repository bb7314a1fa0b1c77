"""Stack rules that ask which stack application a literal id names stay linear in the fleet (issue 17).

AGID-AZ-033 (entra_privileged_app_owner) scanned every application for every service principal and owner, and
AGID-AZ-044 (azure_federated_unseen_identity) for every federated credential, each time deriving the candidate's
mock outputs again (iam_links.known_state): n x m derivations, ~0.6 s of the pack's CPU at 200 agents and 25
times that at 1,000. Now each resource's known state is derived once and the literal is looked up in an index.
The verdicts are the pack's over gRPC: a literal naming a stack application's mock id passes, a foreign one is
flagged (the look-alike), with the gate's invented accounts set as `agentid preview` sets them."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid.mock_provider import MOCK_ACCOUNT, name_uuid
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from agentid_policy_packs.rules import azure_federated_unseen_identity, entra_privileged_app_owner, iam_links
from agentid_policy_packs.rules.base import Resource
from tests.policy.test_pack_grpc import PACK, urn

APP = "azuread:index/application:Application"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
OWNER = "azuread:index/applicationOwner:ApplicationOwner"
FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
AGENT_SP = "0f0e0d0c-0b0a-0908-0706-050403020100"
FOREIGN = "9a9a9a9a-0000-4000-8000-000000000099"


def fleet(count: int) -> list[tuple[str, str, dict]]:
    """Per agent: an application, its service principal and an owner naming the app by its literal (mock) ids,
    and a federated credential on the app; plus one service principal and one credential of a foreign app."""
    items = []
    for index in range(count):
        name = f"app-{index}"
        object_id = name_uuid("object", name)
        items += [(APP, name, {"displayName": name}),
                  (SP, f"sp-{index}", {"clientId": name_uuid("client", name), "owners": [AGENT_SP]}),
                  (OWNER, f"owner-{index}", {"applicationId": f"/applications/{object_id}", "ownerObjectId": AGENT_SP}),
                  (FIC, f"fic-{index}", {"applicationId": f"/applications/{object_id}", "issuer": "https://x",
                                         "subject": "s", "audiences": ["api://AzureADTokenExchange"],
                                         "displayName": "d"})]
    items += [(SP, "foreign-sp", {"clientId": FOREIGN, "owners": [AGENT_SP]}),
              (FIC, "foreign-fic", {"applicationId": f"/applications/{FOREIGN}", "issuer": "https://x",
                                    "subject": "s", "audiences": ["api://AzureADTokenExchange"], "displayName": "d"})]
    return items


def derivations(monkeypatch, rule, count: int) -> tuple[int, list[str]]:
    monkeypatch.setenv(MOCK_ACCOUNTS_ENV, MOCK_ACCOUNT)
    calls = []
    original = iam_links.mock_outputs
    monkeypatch.setattr(iam_links, "mock_outputs", lambda *args: calls.append(1) or original(*args))
    resources = [Resource(type_, name, urn(type_, name), props) for type_, name, props in fleet(count)]
    flagged = sorted(resources_by_urn.name for finding in rule.check(resources, {})
                     for resources_by_urn in resources if resources_by_urn.urn == finding.urn)
    return len(calls), flagged


@pytest.mark.parametrize("rule", [entra_privileged_app_owner, azure_federated_unseen_identity])
def test_each_resource_known_state_is_derived_once(monkeypatch, rule):
    small, flagged_small = derivations(monkeypatch, rule, 20)
    large, flagged_large = derivations(monkeypatch, rule, 80)
    assert large <= 4 * small + 4, (small, large)  # linear: 4x the fleet, at most 4x the derivations
    assert large <= 80 * 4 + 2  # at most once a resource
    expected = ["foreign-sp"] if rule is entra_privileged_app_owner else ["foreign-fic"]
    assert flagged_small == flagged_large == expected


def test_literal_ids_of_stack_apps_pass_and_foreign_ones_are_flagged_over_grpc():
    resources = [StackResource(type_, name, urn(type_, name), props) for type_, name, props in fleet(3)]
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as pack:
        pack.info()
        found = pack.analyze_stack(resources)
    by_rule = sorted((d.policy_name, d.urn.rsplit("::", 1)[1], d.enforcement_level) for d in found
                     if d.policy_name in ("AGID-AZ-033", "AGID-AZ-044"))
    assert by_rule == [("AGID-AZ-033", "foreign-sp", "mandatory"), ("AGID-AZ-044", "foreign-fic", "mandatory")]
