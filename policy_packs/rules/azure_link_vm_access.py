"""AGID-AZ-057 (advisory): no link alone reaches a VM's sign-in, outside Entra ID, RBAC and Conditional Access.

  - Azure Bastion `enableShareableLink` true (`network:BastionHost`): whoever holds a shareable link reaches the VM's
    RDP / SSH sign-in page through Bastion without an Azure account, role or MFA, and the links do not expire; a
    Contributor on the Bastion host can mint one for any VM in its reach (red11a r11);
  - Azure Lab Services `securityProfile.openAccess` Enabled (`labservices:Lab`): anyone with the lab's registration
    link registers and gets a lab VM (which may sit in the organisation's virtual network).
Advisory, not mandatory: Microsoft documents that a shareable link "doesn't contain any credentials" - the VM's own
user name and password or SSH key are still asked for - so the link removes the identity layer in front of the
machine rather than being a credential to it. Omitted = Azure's default (off) and passes.
Sources: https://learn.microsoft.com/en-us/azure/bastion/shareable-link,
https://learn.microsoft.com/en-us/azure/lab-services/how-to-configure-student-usage (open registration).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

BASTION = "azure-native:network:BastionHost"
LAB = "azure-native:labservices:Lab"
# type -> (input path, the value that opens link-only access, what it opens)
LINK_ACCESS = {
    BASTION: ("enableShareableLink", lambda value: value is True,
              "anyone holding a shareable link reaches the VMs' RDP / SSH sign-in through Bastion without an Azure "
              "account, role or MFA (links do not expire)"),
    LAB: ("securityProfile.openAccess", lambda value: isinstance(value, str) and value.lower() == "enabled",
          "anyone holding the lab's registration link registers and gets a lab VM"),
}


def check(resource: Resource, config):
    path, opens, what = LINK_ACCESS[resource.type]
    value = value_at(resource.props, path)
    if is_unknown(value):
        yield Unknown(path)
    elif opens(value):
        yield Violation(f"{resource.name}: {path} is {value!r}: {what}")


RULE = Rule(
    id="AGID-AZ-057",
    title="azure-no-link-only-vm-access",
    severity="medium",
    category="public-access",
    description="No Bastion shareable links or open Lab Services registration: a link alone reaches VM sign-in outside "
                "Entra ID, RBAC and Conditional Access.",
    remediation="Leave enableShareableLink off and give people Reader on the Bastion host, the VM and its NIC (Entra "
                "sign-in with Conditional Access); restrict the lab to listed users (openAccess Disabled).",
    url="https://learn.microsoft.com/en-us/azure/bastion/shareable-link",
    check=check,
    resource_types=tuple(LINK_ACCESS),
)
