"""AGID-AZ-013 (stack): every assigned role can be judged: a built-in role of the snapshot or a role defined here.

AGID-AZ-010 judges built-in roles by their definitions (snapshot of `az role definition list`) and AGID-AZ-012
judges custom roles defined in the stack. An assignment of any other role id (a custom role made outside the
stack, or a built-in role newer than the snapshot) cannot be judged here: it is reported, never passed silently.
"""

from __future__ import annotations

from agentid_components import azure_catalog
from agentid_policy_packs.analysis.values import is_unknown

from .azure_broad_custom_role import ROLE_DEFINITION
from .azure_privileged_role import ROLE_GRANTS
from .base import Resource, Rule, Violation


def _defined_ids(resources: list[Resource]) -> set[str]:
    """GUIDs of the role definitions in the stack (their `roleDefinitionId` input)."""
    ids = set()
    for resource in resources:
        value = resource.props.get("roleDefinitionId") if resource.type == ROLE_DEFINITION else None
        if isinstance(value, str) and not is_unknown(value) and azure_catalog.role_id_of(value):
            ids.add(azure_catalog.role_id_of(value))
    return ids


def check(resources: list[Resource], config):
    defined = _defined_ids(resources)
    for resource in resources:
        if resource.type not in ROLE_GRANTS:
            continue
        role = resource.props.get("roleDefinitionId")
        if not isinstance(role, str) or is_unknown(role):
            continue  # AGID-AZ-010 reports a missing, unknown or ill-typed roleDefinitionId
        role_id = azure_catalog.role_id_of(role)
        if role_id is None:
            yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: roleDefinitionId {role!r} does not name a role "
                            "(want /subscriptions/SUB/providers/Microsoft.Authorization/roleDefinitions/GUID)",
                            resource.urn)
        elif role_id not in defined and azure_catalog.builtin_role(role_id) is None:
            yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: cannot check role {role_id}: it is neither a built-in "
                            f"role of the snapshot ({azure_catalog.roles_source()}) nor a role defined in this stack",
                            resource.urn)


RULE = Rule(
    id="AGID-AZ-013",
    title="azure-assigned-role-judgeable",
    severity="high",
    # mandatory: a grant whose content the pack cannot see may be anything (an administrator role, a
    # policy or permission set of `*`), so it fails closed as the GCP and Kubernetes twins do (AGID-GCP-011,
    # AGID-K8S-006); a reviewed outside grant passes with a waiver that names it
    enforcement="mandatory",
    category="unparseable",
    description="Every assigned role is a built-in role the snapshot knows or a custom role defined in the stack, "
                "so its permissions can be judged.",
    remediation="Define the custom role in the same stack (agentid_components.azure does), or refresh the built-in role "
                "snapshot with scripts/refresh_azure_catalog.py --az.",
    url="https://learn.microsoft.com/en-us/cli/azure/role/definition#az-role-definition-list",
    check=check,
    stack=True,
    reads=(*ROLE_GRANTS, ROLE_DEFINITION),
)
