"""AGID-GCP-021 (stack): a Privileged Access Manager entitlement to a powerful role needs someone else's approval.

A PAM entitlement (`gcp.privilegedaccessmanager.Entitlement`) lets each eligible principal
(`eligibleUsers[].principals`) grant itself the entitlement's role bindings
(`privilegedAccess.gcpIamAccess.roleBindings[].role`) on the entitlement's project, folder or organization, for up
to `maxRequestDuration`, whenever it asks (https://cloud.google.com/iam/docs/pam-overview,
https://cloud.google.com/iam/docs/pam-create-entitlements). Without an approval workflow a request is granted at
once: eligibility is the role binding itself, held on demand. So each eligible principal x role is judged as the
binding it becomes, like AGID-GCP-002 / -003 / -005 / -007 judge IAM bindings:
  - a basic role (roles/owner, roles/editor, roles/viewer);
  - a predefined role holding an escalation permission (components/data/gcp_iam.yaml `escalation_permissions`), or a
    custom role of the stack holding one; a role neither predefined nor defined in the stack is "cannot check";
  - an eligible principal that is the public (allUsers, allAuthenticatedUsers, principalSet://goog/public:all,
    domain:gmail.com), for any role.
The one bound is `approvalWorkflow.manualApprovals`: every step names approvers, none of them the public, and needs
at least one approval. PAM refuses an approval by the requester ("You can't approve your own request",
https://cloud.google.com/iam/docs/pam-approve-deny-grants), so such a workflow always puts another person between
the request and the role. A role condition (`conditionExpression`) is not read as a bound: conditions on
resource names or time do not shrink an Owner grant to something safe (AGID-GCP-002 reads none either). The Azure
twin is AGID-AZ-049. Values unknown at preview are "cannot check until known"; an unreadable shape is a violation.
"""

from __future__ import annotations

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import public_reach
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .stack_inputs import Stop, judged, objects, strings

# pulumi-gcp registers the type with a lower-case resource name (privilegedaccessmanager/entitlement.py)
ENTITLEMENT_TYPES = ("gcp:privilegedaccessmanager/entitlement:entitlement",)


def role_power(role: str, custom: dict[str, object]) -> str | None:
    """Why holding `role` on a project, folder or organization is privileged (basic, escalation, cannot check), or
    None. `custom`: the stack's custom roles (name -> permissions)."""
    role = role.strip()
    if gcp_catalog.is_basic_role(role):
        return "a basic role: nearly every permission of every service"
    if role in custom:
        permissions = custom[role]
        if is_unknown(permissions) or not isinstance(permissions, list):
            return "cannot check: the custom role's permissions are not known"
        found = [(p, why) for p in permissions if isinstance(p, str) and (why := gcp_catalog.escalation_reason(p))]
    else:
        info = gcp_catalog.role_info(role)
        if info is None:
            return "cannot check: the role is neither predefined nor defined in this stack"
        found = gcp_catalog.role_escalations(info)
    if found:
        permission, why = found[0]
        return f"it holds {permission}, which {why}"
    return None


def _approval_bound(resource: Resource) -> bool:
    """Does every request need an approval from someone else? (manual approvals: steps, each with non-public
    approvers and at least one approval needed)"""
    approvals = value_at(resource.props, "approvalWorkflow.manualApprovals")
    if approvals is None:
        return False
    if is_unknown(approvals):
        raise Stop(Unknown("approvalWorkflow.manualApprovals", resource.urn))
    steps = objects(resource, "approvalWorkflow.manualApprovals.steps", value_at(approvals, "steps"))
    if not steps:
        return False
    for index, step in enumerate(steps):
        path = f"approvalWorkflow.manualApprovals.steps[{index}]"
        approvers = strings(resource, f"{path}.approvers.principals", value_at(step, "approvers.principals"))
        needed = step.get("approvalsNeeded", 1)
        if is_unknown(needed):
            raise Stop(Unknown(f"{path}.approvalsNeeded", resource.urn))
        if not approvers or any(public_reach(a) for a in approvers):
            return False
        if not isinstance(needed, (int, float)) or isinstance(needed, bool) or needed < 1:
            return False
    return True


def _judge(resource: Resource, custom: dict[str, object]):
    eligible = [principal for index, entry in enumerate(
                    objects(resource, "eligibleUsers", resource.props.get("eligibleUsers")))
                for principal in strings(resource, f"eligibleUsers[{index}].principals", entry.get("principals"))]
    bindings = objects(resource, "privilegedAccess.gcpIamAccess.roleBindings",
                        value_at(resource.props, "privilegedAccess.gcpIamAccess.roleBindings"))
    target = value_at(resource.props, "privilegedAccess.gcpIamAccess.resource")
    where = target if isinstance(target, str) and not is_unknown(target) else resource.props.get("parent", "?")
    reasons = []
    for index, binding in enumerate(bindings):
        role = binding.get("role")
        if is_unknown(role):
            raise Stop(Unknown(f"privilegedAccess.gcpIamAccess.roleBindings[{index}].role", resource.urn))
        if not isinstance(role, str):
            raise Stop(Violation(f"{resource.name}: cannot check: privilegedAccess.gcpIamAccess.roleBindings"
                                  f"[{index}].role is not a role name", resource.urn))
        power = role_power(role, custom)
        if power:
            reasons.append(f"{role} ({power})")
    public = [f"{p} ({reach})" for p in eligible if (reach := public_reach(p))]
    if (not reasons and not public) or _approval_bound(resource):
        return
    what = "; ".join(reasons) if reasons else "its roles"
    who = ", ".join(public) if public else ", ".join(eligible) or "nobody yet"
    yield Violation(f"{resource.name}: PAM entitlement lets {who} grant themselves {what} on {where} with no approval "
                    "by someone else: eligibility is the role binding itself", resource.urn)


def check(resources: list[Resource], config):
    custom = None
    for resource in resources:
        if resource.type not in ENTITLEMENT_TYPES:
            continue
        if custom is None:
            custom = _custom_roles(resources)
        yield from judged(_judge(resource, custom))


RULE = Rule(
    id="AGID-GCP-021",
    title="gcp-pam-entitlement-approved",
    severity="critical",
    category="escalation",
    description="A Privileged Access Manager entitlement granting a basic role, a role with escalation permissions "
                "or a role to the public requires approval by named, non-public approvers.",
    remediation="Add approvalWorkflow.manualApprovals with a step whose approvers are named people or groups (PAM "
                "refuses self-approval), or entitle a predefined role without escalation permissions.",
    url="https://cloud.google.com/iam/docs/pam-create-entitlements",
    check=check,
    stack=True,
    reads=(*ENTITLEMENT_TYPES, *CUSTOM_ROLE_TYPES),
)
