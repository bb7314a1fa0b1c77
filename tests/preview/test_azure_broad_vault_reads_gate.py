"""End to end (`agentid preview`): a role whose dataActions read Key Vault secrets, assigned on the program's
resource group (`scope=group.id`), blocks (AGID-AZ-065, issue 11); the same role on the program's vault
(`scope=vault.id`) passes. The mocks answer a ResourceGroup's id as Azure does (/subscriptions/SUB/resourceGroups/
NAME): before, its id read as one provider resource's and the resource-group grant passed as a single resource."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azure_native as azn
SECRETS_USER = "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"
group = azn.resources.ResourceGroup("agents", resource_group_name="agents")
vault = azn.keyvault.Vault("kv", resource_group_name=group.name, vault_name="kv-agents",
    properties={"tenant_id": "00000000-0000-0000-0000-000000000000", "sku": {"family": "A", "name": "standard"},
                "enable_rbac_authorization": True})
agent = azn.managedidentity.UserAssignedIdentity("agent", resource_group_name=group.name)
def grant(name, scope):
    azn.authorization.RoleAssignment(name, scope=scope, role_definition_id=SECRETS_USER,
                                     principal_id=agent.principal_id, principal_type="ServicePrincipal")
grant("every-vault", group.id)
grant("one-vault", vault.id)  # look-alike: the one vault the tool reads
'''


def test_secret_reads_on_the_resource_group_block_and_on_the_vault_pass(project) -> None:
    assert mandatory(failed_report(project, PROGRAM), "AGID-AZ-065") == ["every-vault"]
