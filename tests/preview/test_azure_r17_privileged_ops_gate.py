"""r17-4 (issue 11), end to end: `agentid preview` blocks custom roles holding the Azure credential reads, code
execution and identity binding AGID-AZ-012/013 did not list (an HDInsight gateway password, Machine Configuration
assignments, VM writes with gallery applications, Image Builder runs, AKS trusted access, Bastion shareable links),
and a read-only look-alike and a rotation that returns nothing in the same program pass. Pack-level shapes:
tests/policy/test_pack_grpc_azure_privileged_ops.py."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azure_native as azn
group = azn.resources.ResourceGroup("agents", resource_group_name="agents")
agent = azn.managedidentity.UserAssignedIdentity("agent", resource_group_name=group.name)
def custom(name, actions):
    rd = azn.authorization.RoleDefinition("def-" + name, role_name="r17-" + name, scope=group.id,
        assignable_scopes=[group.id], permissions=[{"actions": actions}])
    azn.authorization.RoleAssignment(name, scope=group.id, role_definition_id=rd.id,
        principal_id=agent.principal_id, principal_type="ServicePrincipal")
custom("hdinsight", ["Microsoft.HDInsight/clusters/getGatewaySettings/action"])
custom("machine-config", ["Microsoft.GuestConfiguration/guestConfigurationAssignments/write"])
custom("vm-write", ["Microsoft.Compute/virtualMachines/write"])
custom("image-builder", ["Microsoft.VirtualMachineImages/imageTemplates/run/action"])
custom("trusted-access", ["Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write"])
custom("bastion-links", ["Microsoft.Network/bastionHosts/createShareableLinks/action"])
# look-alikes: reads, and a publishing-password rotation that returns nothing
custom("reader", ["Microsoft.HDInsight/clusters/read", "Microsoft.Compute/virtualMachines/read",
                  "Microsoft.GuestConfiguration/guestConfigurationAssignments/read"])
custom("rotate", ["microsoft.web/sites/newpassword/action", "Microsoft.AVS/privateClouds/rotateVcenterPassword/action"])
'''

FLAGGED = ["bastion-links", "hdinsight", "image-builder", "machine-config", "trusted-access", "vm-write"]


def test_r17_4_privileged_operations_block_and_look_alikes_pass(project) -> None:
    report = failed_report(project, PROGRAM)
    assert mandatory(report, "AGID-AZ-012") == ["def-" + name for name in FLAGGED]
    assert mandatory(report, "AGID-AZ-013") == FLAGGED
    flagged = {v["resourceName"] for v in report["violations"] if v["mandatory"]}
    assert not flagged & {"reader", "def-reader", "rotate", "def-rotate"}, flagged
