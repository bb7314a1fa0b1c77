"""issue 11 (red20 r20-3) over gRPC: Microsoft Graph application permissions the kit did not know were advisory only
(AGID-AZ-054) when Graph's service principal was named by its object id, and the privileged catalogue missed
DeviceManagementScripts.ReadWrite.All, Policy.ReadWrite.CrossTenantAccess, Synchronization.ReadWrite.All and
Policy.ReadWrite.ApplicationConfiguration.

Now: those four are in entra_privileged.yaml, and every tier-0 / tier-1 write of the azure-tiering snapshot
(graph_app_role_tiers.yaml) is privileged, so AGID-AZ-021 blocks them however Graph's service principal is spelled;
an id still unknown on a resource service principal the pack cannot read (object id literal, an Output of other
resources, Exchange / SharePoint) is AGID-AZ-066 mandatory "cannot check", as a known privileged id would block.
Look-alikes: reviewed reads, tier-1 reads are not privileged, a role of the stack's own API, a resource traced to the
stack's own service principal (AGID-AZ-054 advisory only).
"""

from __future__ import annotations

import pytest
import yaml

from agentid.analyzer_client import StackResource
from agentid_policy_packs.analysis import entra
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION = "azuread:index/application:Application"
VAULT = "azure-native:keyvault:Vault"
GRAPH_SP_OBJECT_ID = "5f1e0c9a-3b7d-4c2e-9a8f-1d2e3f4a5b6c"  # one tenant's Graph service principal: a literal
EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
NOT_KNOWN = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"  # made up: in no catalogue
R20_3 = {
    "9255e99d-faf5-445e-bbf7-cb71482737c4": "DeviceManagementScripts.ReadWrite.All",
    "338163d7-f101-4c92-94ba-ca46fe52447c": "Policy.ReadWrite.CrossTenantAccess",
    "9b50c33d-700f-43b1-b2eb-87e89b703581": "Synchronization.ReadWrite.All",
    "BE74164B-CFF1-491C-8741-E671CB536E13": "Policy.ReadWrite.ApplicationConfiguration",  # any GUID spelling
}
TIERED = {
    "5eb59dd3-1da2-4329-8733-9dabdc435916": "AdministrativeUnit.ReadWrite.All",  # tier 0
    "25f85f3c-f66c-4205-8cd5-de92dd7f0cec": "Policy.ReadWrite.AuthenticationFlows",  # tier-1 write
    "77f3a031-c388-4f99-b373-dc68676a979e": "User.RevokeSessions.All",  # tier-1 write (not ReadWrite-named)
}


def res(type_, name, props, depends=(), prop_deps=None):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[urn(t, n) for t, n in depends],
                         property_dependencies=prop_deps)


def grant(role_id, target=GRAPH_SP_OBJECT_ID, depends=(), prop_deps=None):
    return res(ASSIGNMENT, "grant", {"appRoleId": role_id, "principalObjectId": "p", "resourceObjectId": target},
               depends, prop_deps)


def findings(pack, resources):
    """(rule, level, name) of every Graph app-role diagnostic the pack gives the stack."""
    rules = ("AGID-AZ-021", "AGID-AZ-053", "AGID-AZ-054", "AGID-AZ-066")
    found = [(d.policy_name, d.enforcement_level, r.name) for r in resources
             for d in pack.analyze(r.type, r.name, r.urn, r.properties)]
    found += [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1]) for d in pack.analyze_stack(resources)]
    return sorted(f for f in found if f[0] in rules)


@pytest.mark.parametrize(("role_id", "value"), [*R20_3.items(), *TIERED.items()])
def test_r20_3_and_tiered_permissions_block_on_a_literal_graph_object_id(pack, role_id, value) -> None:
    assert findings(pack, [grant(role_id)]) == [("AGID-AZ-021", "mandatory", "grant")]
    [message] = [d.message for d in pack.analyze(ASSIGNMENT, "grant", urn(ASSIGNMENT, "grant"), grant(role_id).properties)
                 if d.policy_name == "AGID-AZ-021"]
    assert value in message, message


@pytest.mark.parametrize("role_id", [*R20_3, *TIERED])
def test_they_block_on_graph_looked_up_in_the_stack_too(pack, role_id) -> None:
    graph = res(SERVICE_PRINCIPAL, "graph", {"clientId": entra.graph_app_id(), "useExisting": True})
    found = findings(pack, [graph, grant(role_id, UNKNOWN, [(SERVICE_PRINCIPAL, "graph")])])
    assert found == [("AGID-AZ-021", "mandatory", "grant")]


@pytest.mark.parametrize("role_id", [
    "df021288-bdef-4463-88db-98f22de89214",  # User.Read.All (reviewed)
    "18a4783c-866b-4cc7-a460-3d5e5662c884",  # Application.ReadWrite.OwnedBy: tier 0 there, reviewed here (ours wins)
    "883ea226-0bf2-4a8f-9f9d-92c9162a727d",  # Sites.Selected: tier 1, reviewed here
])
def test_reviewed_permissions_pass(pack, role_id) -> None:
    assert findings(pack, [grant(role_id)]) == []


@pytest.mark.parametrize("role_id", [
    "6b7d71aa-70aa-4810-a8d9-5d9fb2830017",  # Chat.Read.All: tier-1 read, not reviewed -> still cannot check
    "884b599e-4d48-43a5-ba94-15c414d00588",  # DeviceLocalCredential.Read.All (LAPS passwords): tier-1 read
    NOT_KNOWN,
])
def test_an_unknown_or_unreviewed_read_on_an_unreadable_resource_blocks_as_cannot_check(pack, role_id) -> None:
    assert findings(pack, [grant(role_id)]) == [("AGID-AZ-066", "mandatory", "grant")]
    [(_, message)] = stack_findings(pack, "AGID-AZ-066", [grant(role_id)])
    assert "cannot be checked" in message and GRAPH_SP_OBJECT_ID in message


def test_an_output_of_another_resource_is_unreadable(pack) -> None:
    """`vault.id.apply(lambda _: GRAPH_SP_OBJECT_ID)`: the value is unknown at preview, its source no service principal."""
    vault = res(VAULT, "vault", {"vaultName": "v"})
    own = res(SERVICE_PRINCIPAL, "agent-sp", {"clientId": UNKNOWN})
    laundered = grant(NOT_KNOWN, UNKNOWN, [(VAULT, "vault"), (SERVICE_PRINCIPAL, "agent-sp")],
                      {"resourceObjectId": [vault.urn], "principalObjectId": [own.urn]})
    assert findings(pack, [vault, own, laundered]) == [("AGID-AZ-066", "mandatory", "grant")]
    # no propertyDependencies sent: every dependency counts, the vault among them
    assert findings(pack, [vault, own, grant(NOT_KNOWN, UNKNOWN, [(VAULT, "vault"), (SERVICE_PRINCIPAL, "agent-sp")])]) \
        == [("AGID-AZ-066", "mandatory", "grant")]


def test_exchange_looked_up_in_the_stack_is_unreadable_for_roles(pack) -> None:
    exchange = res(SERVICE_PRINCIPAL, "exo", {"clientId": EXCHANGE, "useExisting": True, "objectId": GRAPH_SP_OBJECT_ID})
    assert findings(pack, [exchange, grant(NOT_KNOWN)]) == [("AGID-AZ-066", "mandatory", "grant")]


def test_a_resource_traced_to_the_stacks_own_service_principal_stays_advisory(pack) -> None:
    api = res(SERVICE_PRINCIPAL, "api-sp", {"clientId": UNKNOWN})
    traced = grant(NOT_KNOWN, UNKNOWN, [(SERVICE_PRINCIPAL, "api-sp")], {"resourceObjectId": [api.urn]})
    assert findings(pack, [api, traced]) == [("AGID-AZ-054", "advisory", "grant")]
    other_api = res(SERVICE_PRINCIPAL, "api-sp", {"clientId": "11111111-2222-3333-4444-555555555555",
                                                  "objectId": GRAPH_SP_OBJECT_ID})
    assert findings(pack, [other_api, grant(NOT_KNOWN)]) == [("AGID-AZ-054", "advisory", "grant")]


def test_a_role_the_stack_defines_on_a_literal_resource_passes(pack) -> None:
    app = res(APPLICATION, "api", {"displayName": "api", "appRoles": [{"id": NOT_KNOWN, "value": "tickets.read"}]})
    assert findings(pack, [app, grant(NOT_KNOWN)]) == []


def test_the_tier_snapshot_names_its_source_and_agrees_with_the_hand_kept_list() -> None:
    with open(entra.Path(entra.__file__).with_name("graph_app_role_tiers.yaml"), encoding="utf-8") as handle:
        snapshot = yaml.safe_load(handle)
    assert snapshot["source"].startswith("https://github.com/emiliensocchi/azure-tiering/blob/")
    assert len(snapshot["source_commit"]) == 40 and snapshot["source_date"]
    tiers = snapshot["app_roles"]
    assert {entry["tier"] for entry in tiers.values()} == {0, 1} and len(tiers) > 300
    with open(entra.Path(entra.__file__).with_name("entra_privileged.yaml"), encoding="utf-8") as handle:
        kept = yaml.safe_load(handle)
    for role_id, entry in kept["graph_app_roles"].items():  # same id, same permission (a typo would show here)
        if role_id in tiers and "api" not in entry:
            assert tiers[role_id]["value"] == entry["value"], role_id
    for role_id, value in kept["graph_reviewed_app_roles"].items():
        assert tiers.get(role_id, {"value": value})["value"] == value, role_id
