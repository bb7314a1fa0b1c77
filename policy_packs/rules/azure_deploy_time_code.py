"""AGID-AZ-042: the deployment runs no code on Azure machines or in deployment scripts the gate cannot judge.

A run command (`compute.VirtualMachineRunCommandByVirtualMachine`, `VirtualMachineScaleSetVMRunCommand`,
`hybridcompute.MachineRunCommand`), a script-running VM extension (Custom Script, Run Command, VM Access, DSC, on
VMs, scale sets, scale-set VMs and Arc machines) and a deployment script (`resources.AzureCliScript`,
`AzurePowerShellScript`) run code at deployment time as an identity: the machine's managed identities (a script
reads their tokens from IMDS, http://169.254.169.254/metadata/identity/oauth2/token) or the script's own. What the
code does (`az role assignment create --role Owner`, sending a token away) is text the gate cannot judge, so, as
AGID-AWS-040 does for CloudFormation, these fail closed. Extensions are judged by an ALLOW-list (issue 11):
those reviewed as running only their publisher's code with settings (monitoring agents, Entra sign-in, antimalware,
dependency agent, Machine Configuration agent, ...: `reviewed_extensions`, each with its source) pass; the known
script runners are flagged as such; any other publisher/type (third-party, new, or unknown at preview) is "cannot
check" at this rule's mandatory level. The same verdict applies to every extension a VMSS, Batch pool, Service
Fabric managed node type, Compute Fleet or bulk action carries inline (`inline_extensions`). The same holds for a custom Machine Configuration (guest
configuration) package (`contentUri`: a zip run as LocalSystem / root on VMs, scale sets, Arc and vSphere machines;
built-in packages, named without it, pass) and a GitOps Flux configuration of scope `cluster` (the default; Flux v1
SourceControlConfiguration `operatorScope` likewise): every manifest of the source is applied with cluster-admin
rights and none is seen by the gate (red11a r12, r16). The types and their deciding inputs are data:
analysis/azure_code_runners.yaml (with sources); AGID-AZ-059 judges the other runners by their target.
Sources: https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview,
https://learn.microsoft.com/en-us/azure/virtual-machines/extensions/custom-script-linux,
https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/deployment-script-template,
Stratus Red Team azure.execution.vm-run-command / vm-custom-script-extension.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis import azure_code_runners as code

from .base import Resource, Rule, Unknown, Violation

# the input naming the machine each kind runs on, for the message
_MACHINE = {"vmName": "VM", "vmScaleSetName": "scale set", "vmssName": "scale set", "machineName": "Arc machine",
            "virtualMachineName": "VM", "privateCloudName": "private cloud", "clusterName": "cluster", "name": "machine"}


def _target(resource: Resource) -> str:
    for field, kind in _MACHINE.items():
        value = resource.props.get(field)
        if isinstance(value, str):
            return f"{kind} {value[:80]}"
    return "its target"


def _extension(name: str, publisher, kind, where: str) -> Iterator[Violation]:
    """AGID-AZ-042's verdict on one extension (a resource, or an item of an inline extension list), by the allow-list."""
    verdict = code.extension_verdict(publisher, kind)
    if verdict is code.UNKNOWN_INPUT:
        # mandatory, not the SDK's advisory "unknown": an extension chosen at deployment may be any script runner
        yield Violation(f"extension {name}: cannot check until known: its publisher / type is computed during "
                        f"preview, and an extension not reviewed may run any code on {where}")
    elif verdict == code.UNREADABLE:
        yield Violation(f"extension {name}: publisher / type are not strings, so what it runs cannot be judged",
                        category="unparseable")
    elif verdict == code.CODE:
        yield Violation(f"extension {name} ({publisher}/{kind}) runs a script or resets credentials on {where} at "
                        "deployment, as the machine's managed identities, which the gate cannot judge")
    elif verdict == code.UNREVIEWED:
        yield Violation(f"extension {name} ({publisher}/{kind}) on {where}: cannot check: it is not one reviewed as "
                        "running no caller-supplied code (reviewed_extensions in analysis/azure_code_runners.yaml), "
                        "so it may run what its settings say as the machine's managed identities")


def _inline(resource: Resource) -> Iterator[Violation]:
    for path, publisher, kind in code.inline_extension_items(resource.type, resource.props):
        yield from _extension(f"{path} of {resource.name}", publisher, kind, f"the machines of {resource.name}")


def check(resource: Resource, config):
    if resource.type in code.inline_extensions():
        yield from _inline(resource)
        if resource.type not in code.runners():
            return
    found = code.unjudged(resource.type, resource.props)
    entry = code.runners()[resource.type]
    if entry.get("unjudged") == "code_extension":
        yield from _extension(resource.name, *code.extension_kind(resource.type, resource.props), _target(resource))
        return
    if found is code.UNKNOWN_INPUT:
        yield Unknown(code.unjudged_path(resource.type))
        return
    if not found:
        return
    if "target" not in entry:
        yield Violation(f"deployment script {resource.name} runs {resource.type.rsplit(':', 1)[-1]} code at deployment "
                        "as its identity, which the gate cannot judge: declare what it creates as Pulumi resources")
    elif entry["unjudged"] == "always":
        yield Violation(f"{entry['noun']} {resource.name} runs {entry['what']} on {_target(resource)} at deployment, as "
                        f"{entry['as']}, which the gate cannot judge")
    else:
        yield Violation(f"{resource.name} runs {entry['what']} on {_target(resource)} (its "
                        f"{code.unjudged_path(resource.type)} decides), as the target's managed identities, code the "
                        "gate cannot judge")


RULE = Rule(
    id="AGID-AZ-042",
    title="azure-no-deploy-time-code",
    severity="critical",
    category="escalation",
    description="No run command, VM extension not reviewed as running only its publisher's code (Custom Script, Run "
                "Command, VM Access, DSC, any unreviewed one; also inline in scale sets and pools), custom "
                "guest configuration package, cluster-scope GitOps (Flux) configuration or deployment script runs "
                "code at deployment as a machine's, cluster's or script's identity.",
    remediation="Bake the code into the image or the workload the stack deploys (judged with its identity), and declare "
                "role assignments and other changes as Pulumi resources instead of scripting them.",
    url="https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview",
    check=check,
    resource_types=tuple(dict.fromkeys((*(t for t, entry in code.runners().items() if "unjudged" in entry),
                                        *code.inline_extensions()))),
)
