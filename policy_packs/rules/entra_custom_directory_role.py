"""AGID-AZ-032: no custom Entra directory role holds a privileged resource action.

An `azuread.CustomDirectoryRole` lists `permissions[].allowedResourceActions`. Actions that let the holder take
another identity's permissions (add credentials or owners to applications and service principals), grant roles
or app permissions, consent for the whole tenant, reset users' sign-in, redirect apps' tokens or provisioning, or
manage group membership make the role as strong as the built-in roles AGID-AZ-020 flags; they are data
(policy_packs/analysis/entra_privileged.yaml: Microsoft's "privileged" label, `microsoft_privileged_actions`, our
escalation list, `directory_actions`, and `consent_for_all`). An action counts for every action its `allEntities` /
`allProperties` / `allTasks` wildcards grant as Entra reads them (`servicePrincipals/allProperties/update` holds
`servicePrincipals/credentials/update`), an entity subtype (`groups.security`) as its entity (red11a r08).
A custom role that is disabled (`enabled: false`) cannot be assigned and is not flagged. Whoever is assigned the
role, at tenant scope or in an administrative unit, holds those actions (AGID-AZ-020 judges the assignments of
built-in roles).
Source: https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/custom-create
"""

from __future__ import annotations

from collections.abc import Mapping

from agentid_policy_packs.analysis.entra import privileged_directory_action
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

CUSTOM_DIRECTORY_ROLE = "azuread:index/customDirectoryRole:CustomDirectoryRole"


def check(resource: Resource, config):
    if resource.props.get("enabled") is False:
        return
    permissions = resource.props.get("permissions")
    if is_unknown(permissions):
        yield Unknown("permissions")
        return
    if not isinstance(permissions, list):
        yield Violation(f"{resource.name}: cannot check: permissions is a {type(permissions).__name__}, not a list of "
                        "{allowedResourceActions: [...]}")
        return
    for index, permission in enumerate(permissions):
        actions = permission.get("allowedResourceActions") if isinstance(permission, Mapping) else None
        if is_unknown(actions):
            yield Unknown(f"permissions[{index}].allowedResourceActions")
            continue
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            yield Violation(f"{resource.name}: cannot check: permissions[{index}].allowedResourceActions is not a list "
                            "of action strings")
            continue
        for action in actions:
            why = privileged_directory_action(action)
            if why:
                yield Violation(f"{resource.name} permissions[{index}] allows {action}: its holder {why}")


RULE = Rule(
    id="AGID-AZ-032",
    title="entra-custom-role-not-privileged",
    severity="critical",
    category="escalation",
    description="Custom Entra directory roles hold no privileged resource action, wildcards included (application or "
                "service-principal credentials and owners, role assignments, app-role grants, tenant-wide consent, "
                "reply URLs, provisioning secrets, user passwords, group membership, user and device attributes "
                "dynamic membership rules read).",
    remediation="Keep the custom role to read actions and updates of the objects the agent manages that no dynamic "
                "group rule reads; credentials, owners, role assignments and the attributes dynamic groups are built "
                "on stay with people through PIM.",
    url="https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions",
    check=check,
    resource_types=(CUSTOM_DIRECTORY_ROLE,),
)
