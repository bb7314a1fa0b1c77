"""AGID-AZ-052 (stack): a privileged Azure role is linked only to a PIM policy the stack defines.

`azure-native:authorization:RoleManagementPolicyAssignment` (`scope`, `roleDefinitionId`, `policyId`) makes the role
at the scope follow the PIM policy `policyId`. Linking Owner at a subscription to an existing policy whose rules
need no MFA or approval loosens every activation of it, and the pack cannot see that policy's rules: "cannot check"
(fail closed). A policy the stack writes is judged by AGID-AZ-051, so the link passes when the assignment depends on
a stack RoleManagementPolicy (a policy id is an output: unknown at preview, a generated id in the gate's mocks).
Roles judged as AGID-AZ-010 judges an assignment: a built-in role holding every operation or a capability of
azure_capabilities.yaml is privileged; a role id that is not built in (custom, another tenant's, a typo) cannot be
told apart from one, so it counts too. A known built-in role without such capabilities (Reader) passes.
Source: https://learn.microsoft.com/en-us/rest/api/authorization/role-management-policy-assignments/create
"""

from __future__ import annotations

from agentid_components import azure_catalog
from agentid_policy_packs.analysis.values import is_unknown

from .azure_federated_unseen_identity import depended_on
from .azure_privileged_role import privileged_message
from .base import Resource, Rule, Unknown, Violation

ASSIGNMENT = "azure-native:authorization:RoleManagementPolicyAssignment"
POLICY = "azure-native:authorization:RoleManagementPolicy"


def _role_words(role: object) -> str | None:
    """Why the role counts, or None for a known built-in role without privileged capabilities."""
    if not isinstance(role, str):
        return "its roleDefinitionId is not a string"
    if azure_catalog.builtin_role(role) is None:
        return f"{role[:160]!r} is not a built-in role, so what it grants cannot be told"
    found = privileged_message(role, None)
    return found[0] if found else None


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    for resource in resources:
        if resource.type != ASSIGNMENT or depended_on(resource, by_urn, (POLICY,)):
            continue
        role = resource.props.get("roleDefinitionId")
        if role is None or is_unknown(role):
            yield Unknown(f"{resource.name}.roleDefinitionId", resource.urn)
            continue
        why = _role_words(role)
        if why is None:
            continue
        policy, scope = resource.props.get("policyId"), resource.props.get("scope")
        yield Violation(f"{resource.name} links the role at {str(scope)[:160]} to PIM policy {str(policy)[:200]}, which "
                        f"this stack does not define, so what activating the role demands cannot be checked: {why}",
                        resource.urn)


RULE = Rule(
    id="AGID-AZ-052",
    title="azure-pim-policy-link-own-policy",
    severity="critical",
    category="unparseable",
    description="A RoleManagementPolicyAssignment links a privileged (or unknown) Azure role only to a PIM policy the "
                "same stack defines, so the activation rules it gets are judged (AGID-AZ-051).",
    remediation="Define the RoleManagementPolicy in this stack and reference it (policy_id=policy.id), or leave PIM "
                "policy links of privileged roles to the tenant's administrators.",
    url="https://learn.microsoft.com/en-us/rest/api/authorization/role-management-policy-assignments/create",
    check=check,
    stack=True,
    reads=(ASSIGNMENT, POLICY),
)
