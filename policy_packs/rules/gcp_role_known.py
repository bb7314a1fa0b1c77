"""AGID-GCP-011 (stack): every role a Google Cloud IAM binding grants is one the pack can read.

The other GCP rules judge a role by what it holds: a predefined role by the catalogue
(components/data/gcp_roles.json.gz, every predefined role Google lists, see agentid_components.gcp_catalog), a
custom role by its definition in the same stack (gcp.projects.IAMCustomRole / gcp.organizations.IAMCustomRole).
A role that is neither - a custom role defined outside the stack (`organizations/123/roles/superRole`,
`projects/other/roles/x`), a predefined name the catalogue does not list (a new, misspelt or invented
`roles/...`) - may hold setIamPolicy or actAs at any level: it cannot be checked, so it is a violation (fail
closed), as AGID-AZ-011 treats an Azure role definition the pack cannot read. A role name known only during
deployment is "cannot check until known" (the other rules report it).

A custom role the stack defines is read only as far as its permission names are known: a name the catalogue does
not list (`iam.workloadIdentityPoolProviders.update` for Google's
`iam.googleapis.com/workloadIdentityPoolProviders.update`, a misspelt or new permission) is matched by no
escalation entry, so the role could hold anything under that name: the binding is flagged "cannot check", at every
level and for any member, as an unknown predefined role is (red5 finding 5).
A binding is judged by the stack's custom role only when it depends on it (red7a finding 8): `role=role.name`
(or depends_on). A binding naming `projects/P/roles/ID` as a literal, with a stack IAMCustomRole of that id
beside it but no dependency, grants whatever role of that id the project already has: creating the stack's
fails (the id is taken) while the binding, created in parallel, stays. So it is "cannot check" too.
Role names: https://cloud.google.com/iam/docs/roles-overview#role-types.
"""

from __future__ import annotations

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import Binding, binding_types, level_of

from .base import Resource, Rule, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles, custom_role_resources
from .gcp_bindings import each_binding


def _why_unknown(role: str) -> str:
    if role.startswith("roles/"):
        hint = gcp_catalog.suggest_role(role)
        return ("it is not a predefined role of the kit's catalogue" + (f" (did you mean {hint}?)" if hint else "")
                + f"; catalogue: {gcp_catalog.source()}")
    return "it is a custom role this stack does not define, so what it holds is not visible to the pack"


def _unknown_permissions(permissions: object) -> list[str]:
    """The permission names of a custom role the catalogue does not list (patterns are AGID-GCP-007's)."""
    if not isinstance(permissions, list):
        return []  # not known until deployment: AGID-GCP-005 / -007 report it
    return [p for p in permissions if isinstance(p, str) and not any(c in p for c in "*?[")
            and not gcp_catalog.is_permission(p)]


def _why_unknown_permissions(unknown: list[str]) -> str:
    named = []
    for permission in unknown[:3]:
        hint = gcp_catalog.suggest_permission(permission)
        named.append(permission + (f" (did you mean {hint}?)" if hint else ""))
    more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
    return (f"it holds {', '.join(named)}{more}, which the kit's catalogue does not list, so whether it escalates "
            f"cannot be judged; catalogue: {gcp_catalog.source()}")


def check(resources: list[Resource], config):
    defined = _custom_roles(resources)
    definitions = custom_role_resources(resources)
    for resource in resources:
        if resource.type not in binding_types():
            continue
        for outcome in each_binding(resource):
            if not isinstance(outcome, Binding):
                continue  # unknown / unreadable bindings are reported by AGID-GCP-002 and -005
            role = outcome.role.strip()
            if role in defined and definitions[role].urn not in resource.dependencies:
                yield Violation(f"{resource.name} grants custom role {role} at {level_of(resource.type)} level to "
                                f"{', '.join(outcome.members) or 'nobody yet'}: cannot check what role {role} holds: "
                                f"it names the role by a literal id and does not depend on this stack's "
                                f"{definitions[role].name}, so a role of that id the {role.split('/')[0][:-1]} "
                                f"already has is the one granted: bind {definitions[role].name}'s name output "
                                f"(role=<role>.name)", resource.urn)
                continue
            if role in defined:
                if unknown := _unknown_permissions(defined[role]):
                    yield Violation(f"{resource.name} grants custom role {role} at {level_of(resource.type)} level to "
                                    f"{', '.join(outcome.members) or 'nobody yet'}: cannot check what role {role} "
                                    f"holds: {_why_unknown_permissions(unknown)}", resource.urn)
                continue
            if gcp_catalog.role_info(role) is not None or gcp_catalog.is_basic_role(role):
                continue
            yield Violation(f"{resource.name} grants {role!r} at {level_of(resource.type)} level to "
                            f"{', '.join(outcome.members) or 'nobody yet'}: cannot check what role {role} holds: "
                            f"{_why_unknown(role)}", resource.urn)


RULE = Rule(
    id="AGID-GCP-011",
    title="gcp-role-known",
    severity="critical",
    category="unparseable",
    description="Every role an IAM binding grants is a predefined role of the catalogue or a custom role defined in "
                "the same stack whose permissions the catalogue lists, so what it holds can be judged.",
    remediation="Define the custom role in this stack (gcp.projects.IAMCustomRole / gcp.organizations.IAMCustomRole) "
                "so its permissions are judged, spell each permission as Google lists it, or bind a predefined role by "
                "its exact name.",
    url="https://cloud.google.com/iam/docs/roles-overview#role-types",
    check=check,
    stack=True,
    reads=binding_types() + CUSTOM_ROLE_TYPES,
)
