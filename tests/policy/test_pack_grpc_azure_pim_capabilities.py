"""Custom Azure roles that write PIM policies or requests, or run deployment scripts (az20, issue 11), over gRPC.

`Microsoft.Authorization/roleManagementPolicies/write` (rewrite what activating a role demands) is the `pim-policy`
capability; `roleEligibilityScheduleRequests/write` and `roleAssignmentScheduleRequests/write` create eligible or
active assignments as `roleAssignments/write` does (`assign-roles`). Wildcards match as Azure matches them
(case-insensitive, `*` spanning segments). `Microsoft.Resources/deployments/write` and
`Microsoft.Resources/deploymentScripts/write` alone are reviewed as not privileged (components/data/
azure_capabilities.yaml `reviewed_not_privileged` says why); a deployment script with
`userAssignedIdentities/assign/action` is flagged, by `assign-identity`.
"""

from __future__ import annotations

import pytest
import yaml

from agentid_components import azure_catalog
from agentid_policy_packs.analysis import parse_role_definition, role_definition_findings
from tests.policy.test_pack_grpc_azure_escalation_capabilities import mandatory

POLICY_WRITE = "Microsoft.Authorization/roleManagementPolicies/write"
ELIGIBILITY = "Microsoft.Authorization/roleEligibilityScheduleRequests/write"
ACTIVATION = "Microsoft.Authorization/roleAssignmentScheduleRequests/write"
ASSIGN_IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"


@pytest.mark.parametrize("pattern, operation, words", [
    (POLICY_WRITE, POLICY_WRITE, "rewrite the PIM settings"),
    ("MICROSOFT.AUTHORIZATION/ROLEMANAGEMENTPOLICIES/WRITE", POLICY_WRITE, "rewrite the PIM settings"),
    ("Microsoft.Authorization/roleManagementPolicies/*", POLICY_WRITE, "rewrite the PIM settings"),
    ("Microsoft.Authorization/*/write", POLICY_WRITE, "rewrite the PIM settings"),
    ("*/write", POLICY_WRITE, "rewrite the PIM settings"),
    (ELIGIBILITY, ELIGIBILITY, "assign roles at its scope"),
    ("microsoft.authorization/roleEligibility*/write", ELIGIBILITY, "assign roles at its scope"),
    (ACTIVATION, ACTIVATION, "assign roles at its scope"),
])
def test_pim_policy_and_request_writers_block(pack, pattern, operation, words):
    messages = mandatory(pack, [pattern])
    assert any(words in m and operation in m for m in messages), messages


def test_pim_readers_pass(pack):
    assert mandatory(pack, ["Microsoft.Authorization/roleManagementPolicies/read",
                            "Microsoft.Authorization/roleManagementPolicyAssignments/read",
                            "Microsoft.Authorization/roleEligibilitySchedules/read",
                            "Microsoft.Authorization/roleAssignmentScheduleRequests/read"]) == []


def test_not_actions_remove_the_pim_write_from_a_wildcard():
    wildcard = {"actions": ["Microsoft.Authorization/roleManagementPolicies/*"], "notActions": []}
    assert [f.code for f in role_definition_findings(parse_role_definition({"permissions": [wildcard]}))] == [
        "azure-privileged-capability"]
    narrowed = {**wildcard, "notActions": ["microsoft.authorization/rolemanagementpolicies/write"]}
    assert role_definition_findings(parse_role_definition({"permissions": [narrowed]})) == []


def test_the_azure_cli_spelling_is_judged_the_same():
    """`agentid lint` reads `az role definition` JSON (PascalCase keys)."""
    role = parse_role_definition({"Name": "pim-editor", "IsCustom": True, "Actions": ["Microsoft.Authorization/*/Write"],
                                  "NotActions": [], "AssignableScopes": ["/subscriptions/x/resourceGroups/rg"]})
    messages = [f.message for f in role_definition_findings(role) if f.code == "azure-privileged-capability"]
    assert messages and "rewrite the PIM settings" in messages[0]


def reviewed() -> list[dict]:
    with open(azure_catalog.CAPABILITIES_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["reviewed_not_privileged"]


def test_reviewed_operations_are_real_and_say_why():
    names = [entry["operation"] for entry in reviewed()]
    assert names == ["Microsoft.Resources/deployments/write", "Microsoft.Resources/deploymentScripts/write"]
    for entry in reviewed():
        assert azure_catalog.operation_plane(entry["operation"]) == "actions"
        assert entry["why"] and entry["source"].startswith("https://learn.microsoft.com/")


@pytest.mark.parametrize("operation", ["Microsoft.Resources/deployments/write",
                                       "Microsoft.Resources/deploymentScripts/write",
                                       "Microsoft.Resources/deployments/*"])
def test_deployments_and_scripts_alone_grant_nothing_more(pack, operation):
    """A deployment runs with the deployer's own rights; a script without an identity runs with none."""
    assert mandatory(pack, [operation, "Microsoft.Resources/deploymentScripts/read"]) == []


def test_a_deployment_script_with_an_identity_to_attach_blocks(pack):
    messages = mandatory(pack, ["Microsoft.Resources/deploymentScripts/write", ASSIGN_IDENTITY])
    assert any("managed identity" in m and ASSIGN_IDENTITY in m for m in messages), messages
    assert any(entry.get("with") == ASSIGN_IDENTITY for entry in reviewed())
