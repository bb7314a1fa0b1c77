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
  - an eligible principal outside the organisation, the public (allUsers, allAuthenticatedUsers,
    principalSet://goog/public:all, domain:gmail.com) included, for any role (below).
The one bound is `approvalWorkflow.manualApprovals`: every step names approvers, all of them the organisation's, and
needs at least one approval. PAM refuses an approval by the requester ("You can't approve your own request",
https://cloud.google.com/iam/docs/pam-approve-deny-grants), so such a workflow always puts another person between
the request and the role, provided that person is the organisation's: an approver outside it (issue 11:
`user:attacker@gmail.com`, `group:x@evil.example`, `domain:gmail.com`, a foreign workforce pool, another project's
service account) lets an outsider approve grants, so a step naming one bounds nothing. An eligible principal outside
the organisation is a violation for any role, approval or not: the entitlement hands the organisation's roles to an
outsider on request. Inside is what the gate knows (rules/gcp_own.py: the gate's ownGcpDomains / ownGcpProjects /
ownGcpOrganizations, the stack's own service accounts and workforce pools); with nothing listed a user or group
"cannot tell" (fail closed). A principal unknown at preview is an own service account when it is provably the Output
of one the stack defines (iam_links.output_sources), else "cannot check until known". A role condition
(`conditionExpression`) is not read as a bound: conditions on resource names or time do not shrink an Owner grant to
something safe (AGID-GCP-002 reads none either). The Azure twin is AGID-AZ-049. Values unknown at preview are
"cannot check until known"; an unreadable shape is a violation.
"""

from __future__ import annotations

from typing import Any

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import OwnGcp, outside_org
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .gcp_own import (ACCOUNT_TYPE, CONFIG, CONFIG_SCHEMA, STRICTNESS, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE,
                      account_email, own_gcp)
from .iam_links import output_sources
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


def _principals(resource: Resource, path: str, value: Any, accounts: list[Resource]) -> list[str]:
    """The principal identifiers at `path`; an element unknown at preview stands for the stack service account it
    is provably the Output of (its e-mail, or its name when that is not known either), else Stop(Unknown)."""
    if not isinstance(value, list):
        return strings(resource, path, value)
    found = []
    for index, item in enumerate(value):
        if is_unknown(item):
            top = path.split(".", 1)[0].split("[", 1)[0]  # eligibleUsers / approvalWorkflow: its propertyDependencies
            sources = output_sources(resource, accounts, ("email", "member"), input=top)
            if not sources:
                raise Stop(Unknown(f"{path}[{index}]", resource.urn))
            found += [f"serviceAccount:{account_email(s) or s.name}" for s in sources]
        elif isinstance(item, str):
            found.append(item)
        else:
            raise Stop(Violation(f"{resource.name}: cannot check: {path}[{index}] is not a string", resource.urn))
    return found


def _approval_bound(resource: Resource, own: OwnGcp, accounts: list[Resource], outsiders: list[str]) -> bool:
    """Does every request need an approval from someone else of the organisation? (manual approvals: steps, each
    with approvers all inside the organisation and at least one approval needed). Approvers outside it are added to
    `outsiders` as "principal (why)"."""
    approvals = value_at(resource.props, "approvalWorkflow.manualApprovals")
    if approvals is None:
        return False
    if is_unknown(approvals):
        raise Stop(Unknown("approvalWorkflow.manualApprovals", resource.urn))
    steps = objects(resource, "approvalWorkflow.manualApprovals.steps", value_at(approvals, "steps"))
    if not steps:
        return False
    bound = True
    for index, step in enumerate(steps):
        path = f"approvalWorkflow.manualApprovals.steps[{index}]"
        approvers = _principals(resource, f"{path}.approvers.principals", value_at(step, "approvers.principals"),
                                accounts)
        needed = step.get("approvalsNeeded", 1)
        if is_unknown(needed):
            raise Stop(Unknown(f"{path}.approvalsNeeded", resource.urn))
        foreign = [f"{a} ({why})" for a in approvers if (why := outside_org(a, own))]
        outsiders += foreign
        if not approvers or foreign:
            bound = False
        if not isinstance(needed, (int, float)) or isinstance(needed, bool) or needed < 1:
            bound = False
    return bound


def _judge(resource: Resource, custom: dict[str, object], own: OwnGcp, accounts: list[Resource]):
    eligible = [principal for index, entry in enumerate(
                    objects(resource, "eligibleUsers", resource.props.get("eligibleUsers")))
                for principal in _principals(resource, f"eligibleUsers[{index}].principals", entry.get("principals"),
                                             accounts)]
    bindings = objects(resource, "privilegedAccess.gcpIamAccess.roleBindings",
                        value_at(resource.props, "privilegedAccess.gcpIamAccess.roleBindings"))
    target = value_at(resource.props, "privilegedAccess.gcpIamAccess.resource")
    where = target if isinstance(target, str) and not is_unknown(target) else resource.props.get("parent", "?")
    reasons, roles = [], []
    for index, binding in enumerate(bindings):
        role = binding.get("role")
        if is_unknown(role):
            raise Stop(Unknown(f"privilegedAccess.gcpIamAccess.roleBindings[{index}].role", resource.urn))
        if not isinstance(role, str):
            raise Stop(Violation(f"{resource.name}: cannot check: privilegedAccess.gcpIamAccess.roleBindings"
                                  f"[{index}].role is not a role name", resource.urn))
        roles.append(role)
        power = role_power(role, custom)
        if power:
            reasons.append(f"{role} ({power})")
    what = "; ".join(reasons) if reasons else ", ".join(roles) or "its roles"
    outside = [f"{p} ({why})" for p in eligible if (why := outside_org(p, own))]
    if outside:
        yield Violation(f"{resource.name}: PAM entitlement makes {', '.join(outside)} eligible for {what} on {where}: "
                        "a principal outside the organisation may request the organisation's roles", resource.urn)
        return
    approvers: list[str] = []
    bound = _approval_bound(resource, own, accounts, approvers)
    if not reasons or bound:
        return
    who = ", ".join(eligible) or "nobody yet"
    by = f"; its approvers include {', '.join(approvers)}, who may approve grants" if approvers else ""
    yield Violation(f"{resource.name}: PAM entitlement lets {who} grant themselves {what} on {where} with no approval "
                    f"by someone else of the organisation{by}: eligibility is the role binding itself", resource.urn)


def check(resources: list[Resource], config):
    custom = None
    for resource in resources:
        if resource.type not in ENTITLEMENT_TYPES:
            continue
        if custom is None:
            custom = _custom_roles(resources)
            own = own_gcp(resources, config)
            accounts = [r for r in resources if r.type == ACCOUNT_TYPE]
        yield from judged(_judge(resource, custom, own, accounts))


RULE = Rule(
    id="AGID-GCP-021",
    title="gcp-pam-entitlement-approved",
    severity="critical",
    category="escalation",
    description="A Privileged Access Manager entitlement makes only principals of the organisation eligible, and one "
                "granting a basic role or a role with escalation permissions requires approval by named approvers of "
                "the organisation.",
    remediation="Add approvalWorkflow.manualApprovals with a step whose approvers are named people or groups of your "
                "organisation (PAM refuses self-approval), or entitle a predefined role without escalation "
                "permissions; list your domains and projects in the base branch's waivers.yaml policyPackConfig "
                "(all: ownGcpDomains / ownGcpProjects) or with agentid preview --own-gcp-domain / --own-gcp-project.",
    url="https://cloud.google.com/iam/docs/pam-create-entitlements",
    check=check,
    stack=True,
    reads=(*ENTITLEMENT_TYPES, *CUSTOM_ROLE_TYPES, ACCOUNT_TYPE, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE),
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
)
