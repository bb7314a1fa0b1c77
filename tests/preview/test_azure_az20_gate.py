"""red9a n24c and the az20 custom-role gaps end to end: `agentid preview` with the shipped CI flags blocks an
azure-native PIM policy that drops MFA and approval on activating a role (AGID-AZ-051), Owner linked to a PIM policy
the stack does not show (AGID-AZ-052) and a custom role that may rewrite PIM policies (AGID-AZ-012, capability
pim-policy). It passes the look-alikes in the same program: a policy that keeps MFA, Owner linked to that policy, and
a custom role that only deploys templates (an ARM deployment runs with the deployer's own rights)."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PIM_POLICIES_AND_ROLES = '''
import pulumi_azure_native as az
SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
RG = SUB + "/resourceGroups/rg"
TARGET = {"caller": "EndUser", "level": "Assignment", "operations": ["All"]}
def rules(*enabled):
    return [
        {"rule_type": "RoleManagementPolicyEnablementRule", "id": "Enablement_EndUser_Assignment",
         "enabled_rules": list(enabled), "target": TARGET},
        {"rule_type": "RoleManagementPolicyApprovalRule", "id": "Approval_EndUser_Assignment", "target": TARGET,
         "setting": {"is_approval_required": False, "approval_mode": "NoApproval"}},
        {"rule_type": "RoleManagementPolicyExpirationRule", "id": "Expiration_EndUser_Assignment",
         "is_expiration_required": True, "maximum_duration": "PT4H", "target": TARGET},
    ]
az.authorization.RoleManagementPolicy("owner-pim-open", scope=SUB,
    role_management_policy_name="570c3619-7688-4b34-b290-2b8bb3ccab2a", rules=rules("Justification"))
mfa = az.authorization.RoleManagementPolicy("owner-pim-mfa", scope=SUB,
    role_management_policy_name="6a3f1bd4-2d7e-4e44-8b7a-1f1b7a0c9e11", rules=rules("MultiFactorAuthentication"))
OWNER = SUB + "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
az.authorization.RoleManagementPolicyAssignment("owner-link-existing", scope=SUB, role_definition_id=OWNER,
    policy_id=SUB + "/providers/Microsoft.Authorization/roleManagementPolicies/0b1f6a1e-3b7e-4a44-9d5e-6f0c9a7e2b11")
az.authorization.RoleManagementPolicyAssignment("owner-link-own", scope=SUB, role_definition_id=OWNER, policy_id=mfa.id)
def role(name, actions):
    az.authorization.RoleDefinition(name, role_name=name, scope=RG, assignable_scopes=[RG],
        permissions=[{"actions": actions, "not_actions": []}])
role("pim-editor", ["Microsoft.Authorization/roleManagementPolicies/*"])
role("template-deployer", ["Microsoft.Resources/deployments/write", "Microsoft.Resources/deployments/read"])
'''


def test_loosened_pim_policy_and_pim_policy_writers_block(project) -> None:
    report = failed_report(project, PIM_POLICIES_AND_ROLES)
    assert mandatory(report, "AGID-AZ-051") == ["owner-pim-open"]
    assert mandatory(report, "AGID-AZ-052") == ["owner-link-existing"]
    assert mandatory(report, "AGID-AZ-012") == ["pim-editor"]
    blocked = {v["resourceName"] for v in report["violations"] if v["mandatory"]}
    assert not blocked & {"owner-pim-mfa", "owner-link-own", "template-deployer"}, blocked


GRAPH_PERMISSIONS = '''
import pulumi_azuread as ad
GRAPH = "00000003-0000-0000-c000-000000000000"
def app(name, role_id):
    return ad.Application(name, display_name=name, required_resource_accesses=[
        {"resource_app_id": GRAPH, "resource_accesses": [{"id": role_id, "type": "Role"}]}])
app("reads-users", "df021288-bdef-4463-88db-98f22de89214")
app("unknown-graph-permission", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")
ad.AppRoleAssignment("unnamed-role", app_role_id="1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
    principal_object_id="2c9a6f4e-8d1b-4f7a-9e3c-5b2d7a1f0e48", resource_object_id="7d3b1e5c-2a4f-4c8e-b6d9-0f1a3e5c7b29")
'''


def test_graph_permission_ids_the_kit_does_not_know_are_not_passed(project) -> None:
    """An unknown Graph application permission blocks (AGID-AZ-053); an unknown app role on a service principal named
    by an object id literal (Graph's differs per tenant) blocks as cannot check (AGID-AZ-066, red20 r20-3; it was
    AGID-AZ-054 advisory); User.Read.All passes."""
    report = failed_report(project, GRAPH_PERMISSIONS)
    assert mandatory(report, "AGID-AZ-053") == ["unknown-graph-permission"]
    assert mandatory(report, "AGID-AZ-066") == ["unnamed-role"]
    assert [v["resourceName"] for v in report["violations"] if v["policy"] == "AGID-AZ-054"] == []
    assert "reads-users" not in {v["resourceName"] for v in report["violations"] if v["mandatory"]}
