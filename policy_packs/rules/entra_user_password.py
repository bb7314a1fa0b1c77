"""AGID-AZ-003: the stack creates no Entra user with a password it sets.

An `azuread.User` with `password` is an account whose password the program (and the state file) holds: whoever reads
either signs in as the user, from anywhere, until someone changes it, and `disablePasswordExpiration` means never.
A literal in the source is the worst case, a generated or secret value still lives in the state. Agents are
workload identities (a managed identity or an application with a federated credential, AGID-AZ-001/030), never
users; people get their accounts from the identity team's process (invitations, HR provisioning), not an agent's
stack. A user without `password` in the inputs (e.g. a guest from `azuread.Invitation`) is not this rule's.
Sources: https://learn.microsoft.com/en-us/graph/api/resources/passwordprofile,
https://www.pulumi.com/registry/packages/azuread/api-docs/user/ (password, disablePasswordExpiration).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

USER = "azuread:index/user:User"


def check(resource: Resource, config):
    password = resource.props.get("password")
    if password is None:
        return
    how = "a value known only at deployment" if is_unknown(password) else "a password the program sets"
    never = " that never expires (disablePasswordExpiration)" if resource.props.get("disablePasswordExpiration") is True else ""
    yield Violation(f"Entra user {resource.name} is created with {how}{never}: the program and its state hold a static "
                    "credential that signs in as the user")


RULE = Rule(
    id="AGID-AZ-003",
    title="entra-no-user-password",
    severity="critical",
    category="static-credential",
    description="The stack creates no Entra ID user with a password it sets (a static credential in the program and state).",
    remediation="Give the agent a managed identity or an application with a federated credential; create people's "
                "accounts through the identity team's process (invitations, HR provisioning), not in an agent's stack.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identities-overview",
    check=check,
    resource_types=(USER,),
)
