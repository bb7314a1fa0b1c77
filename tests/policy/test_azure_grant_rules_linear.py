"""The Azure role-grant stack rules derive the stack's role definitions and principals once per stack, not once per
grant (issue 17: AGID-AZ-065 and AGID-AZ-013 rescanned the whole stack for every role assignment, quadratic in the
stack's size), and judge the same."""

from __future__ import annotations

import pytest

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN
from agentid_policy_packs.rules import azure_broad_vault_reads, azure_unknown_role
from agentid_policy_packs.rules.base import Resource

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
SECRET_READ = "Microsoft.KeyVault/vaults/secrets/getSecret/action"


def _stack(agents: int) -> list[Resource]:
    """Per agent: an identity, a custom role that reads vault secrets, and its assignment at subscription scope, both
    ids Outputs (unknown at preview) of the stack's own resources."""
    resources = []
    for index in range(agents):
        identity = Resource(IDENTITY, f"id{index}", f"urn:id{index}", {"name": f"id{index}"})
        role = Resource(DEFINITION, f"role{index}", f"urn:role{index}",
                        {"roleName": f"reader{index}", "permissions": [{"dataActions": [SECRET_READ]}],
                         "assignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000001"]})
        grant = Resource(ASSIGNMENT, f"grant{index}", f"urn:grant{index}",
                         {"roleDefinitionId": UNKNOWN, "principalId": UNKNOWN,
                          "scope": "/subscriptions/00000000-0000-0000-0000-000000000001"},
                         dependencies=(identity.urn, role.urn),
                         property_dependencies={"roleDefinitionId": (role.urn,), "principalId": (identity.urn,)})
        resources += [identity, role, grant]
    return resources


@pytest.mark.parametrize("rule", [azure_broad_vault_reads, azure_unknown_role])
def test_each_stack_is_scanned_once_for_its_definitions_and_principals(rule, monkeypatch):
    calls = []
    principals = azure_unknown_role._principals
    monkeypatch.setattr(azure_unknown_role, "_principals", lambda resources: calls.append(1) or principals(resources))
    outcomes = list(rule.check(_stack(30), rule.RULE.config))
    assert len(calls) == 1
    if rule is azure_broad_vault_reads:  # every grant reads vault secrets at subscription scope through its own role
        assert sorted(o.urn for o in outcomes) == sorted(f"urn:grant{i}" for i in range(30))
        assert all("custom role reader" in o.message and "getSecret" in o.message for o in outcomes)
