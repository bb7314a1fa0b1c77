"""AGID-GCP-007: custom roles holding impersonation or escalation permissions are not bound at project, folder
or organization level - AGID-GCP-005's judgement for the roles a stack defines itself.

A custom role with resourcemanager.projects.setIamPolicy, iam.roles.update, iam.serviceAccountKeys.create,
iam.serviceAccounts.getAccessToken / actAs / signJwt ... (the escalation permissions of
components/data/gcp_iam.yaml) bound above one resource reaches every target below it, exactly like the
predefined role with the same permission (roles/resourcemanager.projectIamAdmin, roles/iam.roleAdmin,
roles/iam.serviceAccountKeyAdmin). The role is judged by its definition in the same stack
(gcp.projects.IAMCustomRole / gcp.organizations.IAMCustomRole). A binding whose role name is not known during
preview (`role=custom_role.name`) in a stack that defines such a role cannot be told apart: it is flagged
(fail closed). Source: https://cloud.google.com/iam/docs/understanding-custom-roles and
https://cloud.google.com/iam/docs/service-account-permissions.
"""

from __future__ import annotations

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import binding_types, bindings, level_of
from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles


def _escalations(permissions) -> list[tuple[str, str]]:
    if is_unknown(permissions) or not isinstance(permissions, list):
        return [("(permissions not known)", "cannot be checked")]
    return [(p, reason) for p in permissions if isinstance(p, str) and (reason := gcp_catalog.escalation_reason(p))]


def _role_unknown(resource: Resource) -> bool:
    try:
        bindings(dict(resource.props))
    except NotYetKnown as unknown:
        return "role" in unknown.path or "policyData" in unknown.path or "bindings" in unknown.path
    except Unreadable:
        return False  # AGID-GCP-005 reports it
    return False


def check(resources: list[Resource], config):
    escalating = {name: found for name, permissions in _custom_roles(resources).items()
                  if (found := _escalations(permissions))}
    if not escalating:
        return
    for resource in resources:
        if resource.type not in binding_types() or level_of(resource.type) == "resource":
            continue
        level = level_of(resource.type)
        if _role_unknown(resource):
            yield Violation(f"{resource.name} binds a role not known until deployment at {level} level, and this stack "
                            f"defines custom role(s) with escalation permissions ({', '.join(sorted(escalating))}): "
                            "cannot check: bind the role by its literal name", resource.urn)
            continue
        try:
            found = bindings(dict(resource.props))
        except (NotYetKnown, Unreadable):
            continue
        for binding in found:
            role = binding.role.strip()
            if role in escalating:
                permission, reason = escalating[role][0]
                yield Violation(f"{resource.name} grants custom role {role} at {level} level to "
                                f"{', '.join(binding.members)}: it holds {permission}, which {reason}, on every "
                                f"target in the {level}", resource.urn)


RULE = Rule(
    id="AGID-GCP-007",
    title="gcp-custom-role-no-unbounded-escalation",
    severity="critical",
    category="escalation",
    description="Custom roles defined in the stack that hold impersonation or escalation permissions are not bound "
                "at project, folder or organization level.",
    remediation="Drop the setIamPolicy / iam.roles.* / serviceAccountKeys.create / token permissions from the custom "
                "role, or bind it on the one service account or resource it needs.",
    url="https://cloud.google.com/iam/docs/understanding-custom-roles",
    check=check,
    stack=True,
    reads=tuple(t for t in binding_types() if level_of(t) != "resource") + CUSTOM_ROLE_TYPES,
)
