"""AGID-AZ-010: no role assignment grants a privileged built-in role, judged by what the role can do.

The role's definition comes from the snapshot of `az role definition list` (components/azure_catalog.py):
a role is privileged when it holds every control-plane operation (`*`: Owner, Contributor) or a capability
of components/data/azure_capabilities.yaml (assign roles, define roles, attach managed identities,
run commands on VMs, read account keys, Key Vault data wildcards, ...). An assignment-writer such as Role
Based Access Control Administrator passes when the assignment's ABAC `condition` lets it assign only known
roles without such capabilities. Role ids that are not built in are AGID-AZ-013's (custom roles are judged by
AGID-AZ-012 on their definition, and by AGID-AZ-013 where assigned), and so is a roleDefinitionId unknown at preview:
that stack rule can tell whether it is the Output of a role definition the stack creates.
"""

from agentid_policy_packs.analysis import assigned_role
from agentid_policy_packs.analysis.values import is_unknown

from agentid_components import azure_catalog

from .base import Resource, Rule, Unknown, Violation

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
PIM_ELIGIBILITY = "azure-native:authorization:PimRoleEligibilitySchedule"
# Resources that grant an Azure role (now, or on activation through PIM): roleDefinitionId, scope, condition.
ROLE_GRANTS = {ROLE_ASSIGNMENT: "role assignment", PIM_ELIGIBILITY: "eligible role assignment (PIM)"}


def privileged_message(role_definition_id: str, condition: str | None) -> tuple[str, str] | None:
    """(what the role can do, category) when the assigned built-in role is privileged; None otherwise."""
    verdict = assigned_role(role_definition_id, condition)
    if verdict.builtin is None or not (verdict.all_operations or verdict.effects):
        return None
    if verdict.all_operations:  # `*`: the capabilities are consequences, named briefly
        excluded = sorted({x for block in verdict.builtin.permissions for x in block["notActions"]})
        parts = ["perform every control-plane operation of every provider"
                 + (f" except {', '.join(excluded)}" if excluded else "")
                 + (" (" + ", ".join(e.capability.id for e in verdict.effects) + " included)" if verdict.effects else "")]
    else:
        parts = [effect.describe() for effect in verdict.effects]
    categories = [effect.capability.category for effect in verdict.effects]
    category = "admin" if verdict.all_operations or "admin" in categories else ("escalation" if "escalation" in categories
                                                                                 else categories[0])
    return f"the built-in role {verdict.builtin.name} ({verdict.role_id}) can " + "; ".join(parts), category


def check(resource: Resource, config):
    role = resource.props.get("roleDefinitionId")
    condition = resource.props.get("condition")
    if is_unknown(role):
        return  # the Output of a role definition the stack creates, or not: AGID-AZ-013 follows the link
    for field, value in (("roleDefinitionId", role), ("condition", condition)):
        if (field == "roleDefinitionId" and value is None) or is_unknown(value):
            yield Unknown(field)
            return
    if not isinstance(role, str):
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: roleDefinitionId is not a string", category="unparseable")
        return
    if condition is not None and not isinstance(condition, str):
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: condition is not a string", category="unparseable")
        return
    found = privileged_message(role, condition)
    if found:
        message, category = found
        scope = resource.props.get("scope")
        at = f" at {azure_catalog.parse_scope(scope).level.replace('_', '-')} scope {scope}" if isinstance(scope, str) else ""
        yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}{at} grants a privileged role: {message}", category=category)


RULE = Rule(
    id="AGID-AZ-010",
    title="azure-no-privileged-builtin-roles",
    severity="critical",
    category="admin",
    description="No role assignment (or PIM eligibility) grants a built-in role that can do everything, assign or define roles, take over "
                "managed identities, run code on VMs, read account keys or every Key Vault secret.",
    remediation="Assign a custom role with the tool's exact actions at the resource scope (agentid_components.azure); to "
                "delegate role assignment, add a condition that allows only named, non-privileged roles.",
    url="https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices#limit-privileged-administrator-role-assignments",
    check=check,
    resource_types=tuple(ROLE_GRANTS),
)
