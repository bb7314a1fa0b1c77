"""AGID-AZ-042 over gRPC: code the deployment runs on Azure machines or in deployment scripts (red7b f16/f20: a run
command and a Custom Script extension reading the jumpbox's managed-identity token from IMDS, and an AzureCliScript
running `az role assignment create --role Owner`, passed `agentid preview`)."""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-042"
STEAL = "curl -s -H Metadata:true 'http://169.254.169.254/metadata/identity/oauth2/token?resource=https://management.azure.com/'"


def findings(pack, type_, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(type_, "x", urn(type_, "x"), props) if d.policy_name == RULE]


@pytest.mark.parametrize("type_,props,message", [
    ("azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
     {"resourceGroupName": "platform", "vmName": "jumpbox", "source": {"script": STEAL}},
     "run command x runs a script on VM jumpbox at deployment, as the machine's managed identities, which the gate cannot judge"),
    ("azure-native:compute:VirtualMachineScaleSetVMRunCommand",
     {"resourceGroupName": "platform", "vmScaleSetName": "agents", "instanceId": "0", "source": {"script": STEAL}},
     "run command x runs a script on scale set agents at deployment"),
    ("azure-native:hybridcompute:MachineRunCommand", {"resourceGroupName": "rg", "machineName": "onprem-1", "source": {"script": "id"}},
     "run command x runs a script on Arc machine onprem-1"),
    ("azure-native:compute:VirtualMachineExtension",
     {"resourceGroupName": "platform", "vmName": "jumpbox", "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript",
      "typeHandlerVersion": "2.1", "settings": {"commandToExecute": STEAL}},
     "extension x (Microsoft.Azure.Extensions/CustomScript) runs a script or resets credentials on VM jumpbox"),
    ("azure-native:compute:VirtualMachineScaleSetExtension",
     {"resourceGroupName": "rg", "vmScaleSetName": "agents", "publisher": "microsoft.compute", "type": "customScriptExtension"},
     "extension x (microsoft.compute/customScriptExtension)"),
    ("azure-native:compute:VirtualMachineExtension",
     {"resourceGroupName": "rg", "vmName": "jumpbox", "publisher": "Microsoft.OSTCExtensions", "type": "VMAccessForLinux",
      "protectedSettings": {"username": "admin", "ssh_key": "ssh-ed25519 AAAA"}},
     "extension x (Microsoft.OSTCExtensions/VMAccessForLinux)"),
    ("azure-native:resources:AzureCliScript",
     {"resourceGroupName": "rg", "kind": "AzureCLI", "azCliVersion": "2.60.0", "retentionInterval": "PT1H",
      "scriptContent": "az role assignment create --role Owner --assignee 4444 --scope /subscriptions/1"},
     "deployment script x runs AzureCliScript code at deployment as its identity, which the gate cannot judge"),
    ("azure-native:resources:AzurePowerShellScript",
     {"resourceGroupName": "rg", "kind": "AzurePowerShell", "azPowerShellVersion": "11.0", "retentionInterval": "PT1H",
      "scriptContent": "New-AzRoleAssignment"},
     "deployment script x runs AzurePowerShellScript code at deployment"),
])
def test_code_run_at_deployment_blocks(pack, type_, props, message):
    [(level, found)] = findings(pack, type_, props)
    assert level == "mandatory" and message in found, found


@pytest.mark.parametrize("publisher,kind", [
    ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent"),
    ("Microsoft.Azure.ActiveDirectory", "AADSSHLoginForLinux"),
    ("Microsoft.Azure.Security.Monitoring", "AzureSecurityLinuxAgent"),
])
def test_agent_extensions_pass_and_unknown_publishers_wait(pack, publisher, kind):
    props = {"resourceGroupName": "rg", "vmName": "vm", "publisher": publisher, "type": kind, "typeHandlerVersion": "1.0"}
    assert findings(pack, "azure-native:compute:VirtualMachineExtension", props) == []
