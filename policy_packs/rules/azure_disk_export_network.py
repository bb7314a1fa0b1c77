"""AGID-AZ-050 (advisory): managed disks and snapshots do not allow SAS export from every network.

A managed disk or snapshot can be exported: `beginGetAccess` hands out a SAS URL to its bytes (an OS disk holds
the VM's secrets, tokens and keys). `networkAccessPolicy` decides where that URL works: `AllowAll` (Azure's
DEFAULT, also when omitted) from any network, `AllowPrivate` only through a private endpoint of `diskAccessId`,
`DenyAll` not at all; `publicNetworkAccess: Disabled` likewise keeps the export off the internet. Azure Policy
"Managed disks should disable public network access" (8405fdab-1faf-48aa-b702-999c9c172094) audits the same.
Advisory: every default disk has it, and the SAS still needs a principal allowed Microsoft.Compute/disks/
beginGetAccess/action (that grant is the capability disk-export of AGID-AZ-010).
Sources: https://learn.microsoft.com/en-us/azure/virtual-machines/disks-enable-private-links-for-import-export-portal,
https://learn.microsoft.com/en-us/rest/api/compute/disks/create-or-update (NetworkAccessPolicy),
https://www.azadvertizer.net/azpolicyadvertizer/8405fdab-1faf-48aa-b702-999c9c172094.html
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

TYPES = ("azure-native:compute:Disk", "azure-native:compute:Snapshot")
CLOSED_POLICIES = ("DenyAll", "AllowPrivate")


def check(resource: Resource, config):
    policy = resource.props.get("networkAccessPolicy")
    public = resource.props.get("publicNetworkAccess")
    if is_unknown(policy) or is_unknown(public):
        yield Unknown("networkAccessPolicy" if is_unknown(policy) else "publicNetworkAccess")
        return
    if public == "Disabled" or policy in CLOSED_POLICIES:
        return
    said = "is omitted (Azure's default AllowAll)" if policy is None else f"is {str(policy)[:40]}"
    yield Violation(f"{resource.name}: networkAccessPolicy {said} and public network access is not Disabled: a SAS "
                    "export of the disk works from any network")


RULE = Rule(
    id="AGID-AZ-050",
    title="azure-disk-export-network",
    severity="medium",
    category="public-access",
    description="Managed disks and snapshots set networkAccessPolicy DenyAll or AllowPrivate (or publicNetworkAccess "
                "Disabled), so a SAS export does not work from any network.",
    remediation="Set networkAccessPolicy: DenyAll (or AllowPrivate with a diskAccessId) and publicNetworkAccess: "
                "Disabled on the disk or snapshot.",
    url="https://learn.microsoft.com/en-us/azure/virtual-machines/disks-enable-private-links-for-import-export-portal",
    check=check,
    resource_types=TYPES,
)
