"""AGID-AZ-013 (stack): every assigned role can be judged: a built-in role of the snapshot or a role defined here.

AGID-AZ-010 judges built-in roles by their definitions (snapshot of `az role definition list`) and AGID-AZ-012
judges custom roles defined in the stack. An assignment of any other role id (a custom role made outside the
stack, or a built-in role newer than the snapshot) cannot be judged here: it is reported, never passed silently.

An assignment of a custom role the stack defines is judged here with THAT definition's permissions, as AGID-AZ-010
judges a built-in one: every control-plane operation (`*`) or a privileged capability (components/data/
azure_capabilities.yaml, the assignment's ABAC `condition` applied) is a violation at the assignment. The role is
the stack's when the assignment's roleDefinitionId names its GUID (its roleDefinitionId input, or its known id) and
the assignment is created after it (iam_links.ordered_after, issue 11: a stack `RoleDefinition` given an EXISTING
custom role's GUID fails to create, and an assignment naming that GUID without waiting for it assigns the existing
role: "cannot check"), or,
when roleDefinitionId is unknown at preview (`role_definition_id=definition.id` of a role created in the same run),
when iam_links.output_sources proves it is that definition's Output: the assignment depends on stack role
definitions and nothing else (another dependency may be the Output a constant hides behind:
`vault.id.apply(lambda _: OWNER_ID)` with `depends_on=[narrow_role]`), except the stack identities an unknown
`principalId` may come from (`principal_id=identity.principal_id`). An unknown roleDefinitionId with no such source
is "cannot check until known" (AGID-AZ-010 leaves it to this rule, which can follow the link); so is one beside an
unknown `scope` (`scope=account.id`: any dependency may be the scope's, or the Output an Owner id hides behind). A
constant hidden behind the principal's own Output stays undetectable at preview when the engine sends no
propertyDependencies; where it sends them, roleDefinitionId's own are the dependency list judged (exact). Under
`agentid preview` (its mocks know every id) and at `pulumi up` it is the literal it is.
"""

from __future__ import annotations

from typing import NamedTuple

from agentid_components import azure_catalog
from agentid_policy_packs.analysis import RoleDefinitionError, parse_role_definition
from agentid_policy_packs.analysis.azure_roles import role_effects
from agentid_policy_packs.analysis.values import is_unknown, unknown_path

from .azure_broad_custom_role import ROLE_DEFINITION
from .azure_privileged_role import ROLE_GRANTS
from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, ordered_after, output_sources


def _defined(resources: list[Resource]) -> dict[str, list[Resource]]:
    """GUID -> the role definitions of the stack with it (their `roleDefinitionId` input, or their known id)."""
    ids: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.type != ROLE_DEFINITION:
            continue
        found = set()
        for value in (resource.props.get("roleDefinitionId"), known_state(resource).get("id")):
            if isinstance(value, str) and not is_unknown(value) and azure_catalog.role_id_of(value):
                found.add(azure_catalog.role_id_of(value))
        for role_id in found:
            ids.setdefault(role_id, []).append(resource)
    return ids


# identities whose principal id an assignment's principalId may be the Output of: user-assigned identities, Entra
# principals, and any resource holding a system-assigned identity (`identity.principalId`)
PRINCIPAL_TYPES = ("azure-native:managedidentity:UserAssignedIdentity", "azuread:index/servicePrincipal:ServicePrincipal",
                   "azuread:index/group:Group", "azuread:index/user:User")


def _principals(resources: list[Resource]) -> list[Resource]:
    def system_assigned(resource: Resource) -> bool:
        identity = resource.props.get("identity")
        kind = identity.get("type") if isinstance(identity, dict) else None
        return isinstance(kind, str) and "systemassigned" in kind.replace(" ", "").lower()
    return [r for r in resources if r.type in PRINCIPAL_TYPES or system_assigned(r)]


def linked_definitions(grant: Resource, resources: list[Resource], definitions: list[Resource],
                       principals: list[Resource] | None = None) -> list[Resource]:
    """The stack role definitions an unknown roleDefinitionId of `grant` is proven the Output of (iam_links.
    output_sources on that input, a principalId unknown too explained by the stack identities); [] when unproven.
    `principals`: `_principals(resources)` when the caller has it (one per stack, not one per grant)."""
    # a principalId unknown too may be the Output of a stack identity: that dependency is explained by it
    if is_unknown(grant.props.get("principalId")):
        holders = _principals(resources) if principals is None else principals
    else:
        holders = []
    sources = output_sources(grant, definitions + holders, ("id", "name", "principalId", "identity.principalId"),
                             input="roleDefinitionId")  # its own propertyDependencies, where the engine sent them
    return [s for s in sources or () if s.type == ROLE_DEFINITION]


class StackRoles(NamedTuple):
    """What every role grant of one stack is judged against, derived once per stack (issue 17: derived again for each
    grant, it made the Azure grant rules quadratic in the stack's size)."""

    defined: dict[str, list[Resource]]  # `_defined`
    definitions: list[Resource]  # the stack's role definitions
    principals: list[Resource]  # `_principals`


def stack_roles(resources: list[Resource]) -> StackRoles:
    return StackRoles(_defined(resources), [r for r in resources if r.type == ROLE_DEFINITION], _principals(resources))


def assigned_custom_roles(grant: Resource, resources: list[Resource], stack: StackRoles | None = None
                          ) -> list[tuple[Resource, str]] | None:
    """The stack custom role definitions `grant` assigns, each with how it names it (its GUID, its id Output); None
    when it assigns no role of the stack as far as can be told (a built-in role, an unknown one: AGID-AZ-013's).
    `stack`: `stack_roles(resources)` when the caller judges several grants of the stack."""
    stack = stack or stack_roles(resources)
    role = grant.props.get("roleDefinitionId")
    if is_unknown(role):
        found = linked_definitions(grant, resources, stack.definitions, stack.principals)
        return [(d, f"its id Output, {d.name}") for d in found] or None
    role_id = azure_catalog.role_id_of(role) if isinstance(role, str) else None
    defined = stack.defined
    if role_id in defined and azure_catalog.builtin_role(role_id) is None:
        return [(d, f"role id {role_id}") for d in defined[role_id] if ordered_after(grant, d)] or None
    return None


def _custom_grant(grant: Resource, definition: Resource, how: str):
    """The outcome of `grant` giving the stack's custom role `definition`: judged by its permissions."""
    permissions = definition.props.get("permissions")
    label = definition.props.get("roleName")
    label = label if isinstance(label, str) and not is_unknown(label) else definition.name
    path = unknown_path(permissions)
    if path is not None or permissions is None:
        yield Unknown(f"{definition.name}.permissions{'.' + path if path else ''} (the role {grant.name} assigns)",
                      grant.urn)
        return
    try:
        parsed = parse_role_definition({"permissions": permissions, "assignableScopes": []})
    except RoleDefinitionError as error:
        yield Violation(f"{ROLE_GRANTS[grant.type]} {grant.name}: cannot check the custom role {label} it assigns "
                        f"({how}): {error}", grant.urn)
        return
    condition = grant.props.get("condition")
    effects = role_effects(parsed.permissions, condition if isinstance(condition, str) else None)
    everything = any("*" in p.actions for p in parsed.permissions)
    if not (everything or effects):
        return
    parts = (["perform every control-plane operation of every provider"] if everything else []) + \
        [e.describe() for e in effects if not (everything and e.pattern == "*")]
    scope = grant.props.get("scope")
    at = f" at scope {scope}" if isinstance(scope, str) and not is_unknown(scope) else ""
    categories = [e.capability.category for e in effects]
    category = "admin" if everything or "admin" in categories else ("escalation" if "escalation" in categories
                                                                     else categories[0])
    yield Violation(f"{ROLE_GRANTS[grant.type]} {grant.name}{at} grants a privileged role: the custom role {label} "
                    f"defined in this stack ({how}) can " + "; ".join(parts), grant.urn, category=category)


def check(resources: list[Resource], config):
    defined, definitions, principals = stack_roles(resources)
    for resource in resources:
        if resource.type not in ROLE_GRANTS:
            continue
        role = resource.props.get("roleDefinitionId")
        if is_unknown(role):
            found = linked_definitions(resource, resources, definitions, principals)
            if not found:
                yield Unknown("roleDefinitionId", resource.urn)
            for definition in found:
                yield from _custom_grant(resource, definition, f"its id Output, {definition.name}")
            continue
        if not isinstance(role, str):
            continue  # AGID-AZ-010 reports a missing or ill-typed roleDefinitionId
        role_id = azure_catalog.role_id_of(role)
        if role_id in defined and azure_catalog.builtin_role(role_id) is None:
            ordered = [definition for definition in defined[role_id] if ordered_after(resource, definition)]
            if not ordered:
                names = ", ".join(definition.name for definition in defined[role_id])
                yield Violation(f"{ROLE_GRANTS[resource.type]} {resource.name}: cannot check role {role_id}: the stack's "
                                f"role {names} has that id, but {resource.name} does not depend on it: were its create "
                                "to fail (the id taken by an existing role), this would assign the existing role",
                                resource.urn)
            for definition in ordered:
                yield from _custom_grant(resource, definition, f"role id {role_id}")
            continue
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
    description="Every assigned role is a built-in role the snapshot knows or a custom role defined in the stack "
                "(by its GUID or its id Output), so its permissions can be judged; a stack custom role that can do "
                "everything or holds a privileged capability is not assigned.",
    remediation="Define the custom role in the same stack (agentid_components.azure does), or refresh the built-in role "
                "snapshot with scripts/refresh_azure_catalog.py --az.",
    url="https://learn.microsoft.com/en-us/cli/azure/role/definition#az-role-definition-list",
    check=check,
    stack=True,
    reads=(*ROLE_GRANTS, ROLE_DEFINITION),
)
