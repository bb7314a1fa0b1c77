"""AGID-AZ-041 over gRPC: Azure Lighthouse delegations of privileged roles to another tenant (red7b f04: Owner and
User Access Administrator for tenant 9999... on the subscription passed `agentid preview`)."""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn

DEFINITION = "azure-native:managedservices:RegistrationDefinition"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
MONITORING_READER = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"
TENANT = "99999999-9999-9999-9999-999999999999"


def definition(*authorizations, eligible=()) -> dict:
    return {"scope": "/subscriptions/00000000-0000-0000-0000-000000000001", "properties": {
        "registrationDefinitionName": "msp", "managedByTenantId": TENANT,
        "authorizations": list(authorizations), "eligibleAuthorizations": list(eligible)}}


def findings(pack, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(DEFINITION, "msp", urn(DEFINITION, "msp"), props) if d.policy_name == "AGID-AZ-041"]


@pytest.mark.parametrize("authorization,eligible,shown", [
    ({"principalId": "p1", "roleDefinitionId": CONTRIBUTOR}, False, "perform every control-plane operation"),
    ({"principalId": "p1", "roleDefinitionId": READER}, True, None),  # eligible Reader: the look-alike below
    ({"principalId": "p1", "roleDefinitionId": OWNER}, True, "Owner"),  # eligible (just-in-time) Owner
    # UAA may hand its delegated roles to managed identities: a delegated Contributor is Contributor
    ({"principalId": "p2", "roleDefinitionId": UAA, "delegatedRoleDefinitionIds": [CONTRIBUTOR]}, False, "Contributor"),
])
def test_a_privileged_role_for_the_managing_tenant_blocks(pack, authorization, eligible, shown):
    props = definition(eligible=[authorization]) if eligible else definition(authorization)
    found = findings(pack, props)
    if shown is None:
        assert found == []
        return
    assert found and all(level == "mandatory" for level, _ in found)
    assert any(shown in message and f"of tenant {TENANT}" in message for _, message in found), found


def test_reader_and_monitoring_roles_pass_and_an_unknown_role_fails_closed(pack):
    assert findings(pack, definition({"principalId": "p1", "roleDefinitionId": READER},
                                     {"principalId": "p2", "roleDefinitionId": MONITORING_READER})) == []
    [(level, message)] = findings(pack, definition({"principalId": "p1", "roleDefinitionId": "11111111-2222-3333-4444-555555555555"}))
    assert level == "mandatory" and message == (
        "[unparseable] Lighthouse definition msp: properties.authorizations[0] role '11111111-2222-3333-4444-555555555555' "
        f"is not a built-in role the catalogue knows, so what tenant {TENANT} gets cannot be judged")


def test_the_red7b_definition_names_owner_for_the_foreign_principal(pack):
    found = findings(pack, definition({"principalId": "33333333-3333-3333-3333-333333333333", "roleDefinitionId": OWNER}))
    assert [message.split(":", 1)[0] for _, message in found] == [
        f"[admin] Lighthouse definition msp gives 33333333-3333-3333-3333-333333333333 of tenant {TENANT} (authorizations) "
        "a privileged role over the scope it is assigned to"]
