"""AGID-AZ-052 (stack): a privileged Azure role is linked only to a PIM policy the stack defines.

`azure-native:authorization:RoleManagementPolicyAssignment` (`scope`, `roleDefinitionId`, `policyId`) makes the role
at the scope follow the PIM policy `policyId`. Linking Owner at a subscription to an existing policy whose rules
need no MFA or approval loosens every activation of it, and the pack cannot see that policy's rules: "cannot check"
(fail closed). A policy the stack writes is judged by AGID-AZ-051, so the link passes when `policyId` names a stack
RoleManagementPolicy: its ARM id `SCOPE/providers/Microsoft.Authorization/roleManagementPolicies/NAME` from the
policy's `scope` and `roleManagementPolicyName` (any case) or its known id (after deployment, or the gate mocks'), when
the link is created after that policy (iam_links.ordered_after: a stack policy over an existing, edited one fails to
create, "cannot create already existing subresource", and a link not waiting for it links the existing one), or an
id unknown at preview that iam_links.output_sources proves is the policy's Output (the assignment depends on stack
policies and nothing else). A `depends_on` a stack policy beside a literal id of an existing one, or a constant behind
another resource's Output, proves nothing (issue 11).
Roles judged as AGID-AZ-010 judges an assignment: a built-in role holding every operation or a capability of
azure_capabilities.yaml is privileged; a role id that is not built in (custom, another tenant's, a typo) cannot be
told apart from one, so it counts too. A known built-in role without such capabilities (Reader) passes.
Source: https://learn.microsoft.com/en-us/rest/api/authorization/role-management-policy-assignments/create
"""

from __future__ import annotations

from agentid_components import azure_catalog
from agentid_policy_packs.analysis.values import is_unknown

from .azure_privileged_role import privileged_message
from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, ordered_after, output_sources

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


def _policy_ids(policy: Resource) -> set[str]:
    """The known ids of a stack RoleManagementPolicy, lower case: the ARM id its scope and name give it, and its `id`
    where the engine (after deployment) or the gate's mocks know it."""
    state = known_state(policy)
    ids = {state.get("id")}
    scope, name = policy.props.get("scope"), policy.props.get("roleManagementPolicyName")
    if isinstance(scope, str) and isinstance(name, str) and not is_unknown(scope) and not is_unknown(name):
        ids.add(f"{scope.strip().rstrip('/')}/providers/Microsoft.Authorization/roleManagementPolicies/{name.strip()}")
    return {i.strip().lower() for i in ids if isinstance(i, str) and not is_unknown(i)}


def _names_stack_policy(assignment: Resource, policies: list[Resource]) -> bool | None:
    """Whether `policyId` names a stack policy; None when it is unknown and no stack policy is proven its source."""
    value = assignment.props.get("policyId")
    if is_unknown(value):
        return True if output_sources(assignment, policies, ("id",), "policyId") else None
    # only a policy the link is created after (issue 11, typed decoy: azure-native refuses to create a policy over an
    # existing one whose rules are not the defaults, and a link not waiting for it links the existing policy)
    return isinstance(value, str) and any(value.strip().lower() in _policy_ids(p) and ordered_after(assignment, p)
                                          for p in policies)


def check(resources: list[Resource], config):
    policies = [resource for resource in resources if resource.type == POLICY]
    for resource in resources:
        if resource.type != ASSIGNMENT:
            continue
        linked = _names_stack_policy(resource, policies)
        if linked:
            continue
        role = resource.props.get("roleDefinitionId")
        if role is None or is_unknown(role):
            yield Unknown(f"{resource.name}.roleDefinitionId", resource.urn)
            continue
        why = _role_words(role)
        if why is None:
            continue
        if linked is None:
            yield Unknown(f"{resource.name}.policyId", resource.urn)
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
