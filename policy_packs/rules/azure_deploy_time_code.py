"""AGID-AZ-042: the deployment runs no code on Azure machines or in deployment scripts the gate cannot judge.

A run command (`compute.VirtualMachineRunCommandByVirtualMachine`, `VirtualMachineScaleSetVMRunCommand`,
`hybridcompute.MachineRunCommand`), a script-running VM extension (Custom Script, Run Command, VM Access, DSC, on
VMs, scale sets, scale-set VMs and Arc machines) and a deployment script (`resources.AzureCliScript`,
`AzurePowerShellScript`) run code at deployment time as an identity: the machine's managed identities (a script
reads their tokens from IMDS, http://169.254.169.254/metadata/identity/oauth2/token) or the script's own. What the
code does (`az role assignment create --role Owner`, sending a token away) is text the gate cannot judge, so, as
AGID-AWS-040 does for CloudFormation, these fail closed. Other extensions (monitoring agents, Entra sign-in, ...)
run their publisher's code with settings and pass.
Sources: https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview,
https://learn.microsoft.com/en-us/azure/virtual-machines/extensions/custom-script-linux,
https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/deployment-script-template,
Stratus Red Team azure.execution.vm-run-command / vm-custom-script-extension.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

RUN_COMMANDS = ("azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
                "azure-native:compute:VirtualMachineScaleSetVMRunCommand", "azure-native:hybridcompute:MachineRunCommand")
EXTENSIONS = ("azure-native:compute:VirtualMachineExtension", "azure-native:compute:VirtualMachineScaleSetExtension",
              "azure-native:compute:VirtualMachineScaleSetVMExtension", "azure-native:hybridcompute:MachineExtension")
SCRIPTS = ("azure-native:resources:AzureCliScript", "azure-native:resources:AzurePowerShellScript")
# (publisher, type) of the extensions whose settings are code or that reset credentials (lower case)
CODE_EXTENSIONS = frozenset({
    ("microsoft.azure.extensions", "customscript"), ("microsoft.compute", "customscriptextension"),
    ("microsoft.ostcextensions", "customscriptforlinux"), ("microsoft.ostcextensions", "customscript"),
    ("microsoft.cplat.core", "runcommandlinux"), ("microsoft.cplat.core", "runcommandwindows"),
    ("microsoft.cplat.core", "runcommandhandlerlinux"), ("microsoft.cplat.core", "runcommandhandlerwindows"),
    ("microsoft.compute", "vmaccessagent"), ("microsoft.ostcextensions", "vmaccessforlinux"),
    ("microsoft.powershell", "dsc"), ("microsoft.azure.automation.hybridworker", "hybridworkerforlinux"),
    ("microsoft.azure.automation.hybridworker", "hybridworkerforwindows"),
})
# the input naming the machine each kind runs on, for the message
_MACHINE = {"vmName": "VM", "vmScaleSetName": "scale set", "machineName": "Arc machine"}


def _target(resource: Resource) -> str:
    for field, kind in _MACHINE.items():
        value = resource.props.get(field)
        if isinstance(value, str):
            return f"{kind} {value[:80]}"
    return "its machine"


def check(resource: Resource, config):
    if resource.type in SCRIPTS:
        yield Violation(f"deployment script {resource.name} runs {resource.type.rsplit(':', 1)[-1]} code at deployment "
                        "as its identity, which the gate cannot judge: declare what it creates as Pulumi resources")
        return
    if resource.type in RUN_COMMANDS:
        yield Violation(f"run command {resource.name} runs a script on {_target(resource)} at deployment, as the machine's "
                        "managed identities, which the gate cannot judge")
        return
    publisher, kind = resource.props.get("publisher"), resource.props.get("type")
    for field, value in (("publisher", publisher), ("type", kind)):
        if is_unknown(value):
            yield Unknown(field)
            return
    if not isinstance(publisher, str) or not isinstance(kind, str):
        yield Violation(f"extension {resource.name}: publisher / type are not strings, so what it runs cannot be judged",
                        category="unparseable")
        return
    if (publisher.strip().lower(), kind.strip().lower()) in CODE_EXTENSIONS:
        yield Violation(f"extension {resource.name} ({publisher}/{kind}) runs a script or resets credentials on "
                        f"{_target(resource)} at deployment, as the machine's managed identities, which the gate cannot judge")


RULE = Rule(
    id="AGID-AZ-042",
    title="azure-no-deploy-time-code",
    severity="critical",
    category="escalation",
    description="No run command, script-running VM extension (Custom Script, Run Command, VM Access, DSC) or deployment "
                "script runs code at deployment as a machine's or script's identity.",
    remediation="Bake the code into the image or the workload the stack deploys (judged with its identity), and declare "
                "role assignments and other changes as Pulumi resources instead of scripting them.",
    url="https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview",
    check=check,
    resource_types=RUN_COMMANDS + EXTENSIONS + SCRIPTS,
)
