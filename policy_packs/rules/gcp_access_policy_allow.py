"""AGID-GCP-022 (stack): IAM v3 access policies grant no escalation permissions and nothing to the public.

An IAM v3 access policy (`gcp.iam.OrganizationAccessPolicy` / `FolderAccessPolicy` / `ProjectAccessPolicy`) holds
rules of effect DENY or ALLOW; an ALLOW rule "will grant access if it evaluates to true"
(https://cloud.google.com/iam/docs/reference/rest/v3/organizations.locations.accessPolicies, AccessPolicyRule.Effect;
pulumi-gcp's own example uses ALLOW). Bound by a policy binding of kind ACCESS (`*PolicyBinding`), its ALLOW rules
give their `principals` the rule's `operation.permissions` on the binding's target, like a role binding gives a
role's permissions. So an ALLOW rule is judged like a grant (AGID-GCP-003 / -005 / -007):
  - a permission that escalates (components/data/gcp_iam.yaml `escalation_permissions`: token minting,
    setIamPolicy, role writes, code as service accounts, ...; a wildcard covering one counts), unless the rule's
    `excludedPermissions` names it;
  - a principal that is the public (principalSet://goog/public:all, allUsers, allAuthenticatedUsers, a consumer
    mail domain).
Permissions are written `SERVICE_FQDN/RESOURCE.VERB` (`iam.googleapis.com/serviceAccounts.getAccessToken`) as in deny
policies (https://cloud.google.com/iam/docs/deny-permissions-support); the IAM v1 name drops `.googleapis.com`
(cloudresourcemanager.googleapis.com is `resourcemanager`). DENY rules only take permissions away: not judged. A
condition on the rule is not read as a bound. A policy binding of kind ACCESS naming an access policy the stack does
not define binds rules the pack cannot see: "cannot check". An effect other than ALLOW or DENY, or an unreadable
shape, is a violation; a value unknown at preview is "cannot check until known".
"""

from __future__ import annotations

from typing import Any

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import public_reach
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .stack_inputs import Stop, judged, strings

ACCESS_POLICIES = ("gcp:iam/organizationAccessPolicy:OrganizationAccessPolicy",
                   "gcp:iam/folderAccessPolicy:FolderAccessPolicy",
                   "gcp:iam/projectAccessPolicy:ProjectAccessPolicy")
POLICY_BINDINGS = ("gcp:iam/organizationsPolicyBinding:OrganizationsPolicyBinding",
                   "gcp:iam/foldersPolicyBinding:FoldersPolicyBinding",
                   "gcp:iam/projectsPolicyBinding:ProjectsPolicyBinding")
# service FQDN prefixes whose IAM v1 permission prefix differs from the FQDN's first label
_V1_SERVICE = {"cloudresourcemanager": "resourcemanager"}


def v1_permission(permission: str) -> str:
    """`iam.googleapis.com/serviceAccounts.getAccessToken` -> `iam.serviceAccounts.getAccessToken`; wildcards kept
    (`iam.googleapis.com/*` -> `iam.*`, `*` -> `*`); a name without `/` is taken as a v1 name already."""
    text = permission.strip()
    service, slash, rest = text.partition("/")
    if not slash:
        return text
    label = service.removesuffix(".googleapis.com")
    return f"{_V1_SERVICE.get(label, label)}.{rest}"


def _rule_findings(resource: Resource, path: str, rule: Any) -> list[str]:
    if not isinstance(rule, dict):
        raise Stop(Violation(f"{resource.name}: cannot check: {path} is not an object", resource.urn))
    effect = rule.get("effect")
    if is_unknown(effect):
        raise Stop(Unknown(f"{path}.effect", resource.urn))
    if isinstance(effect, str) and effect.strip().upper() == "DENY":
        return []
    if not (isinstance(effect, str) and effect.strip().upper() == "ALLOW"):
        raise Stop(Violation(f"{resource.name}: cannot check: {path}.effect is {effect!r}, not ALLOW or DENY",
                              resource.urn))
    principals = strings(resource, f"{path}.principals", rule.get("principals"))
    permissions = strings(resource, f"{path}.operation.permissions", value_at(rule, "operation.permissions"))
    excluded = {v1_permission(p) for p in strings(resource, f"{path}.operation.excludedPermissions",
                                                    value_at(rule, "operation.excludedPermissions"))}
    found = []
    for permission in permissions:
        name = v1_permission(permission)
        reason = None if name in excluded else gcp_catalog.escalation_reason(name)
        if reason:
            found.append(f"{permission} ({reason})")
    public = [f"{p} ({reach})" for p in principals if (reach := public_reach(p))]
    if public:
        found.append(f"to {', '.join(public)}")
    if found:
        return [f"{path} ALLOWs {', '.join(principals) or 'nobody yet'}: {'; '.join(found)}"]
    return []


def _access_policy(resource: Resource):
    rules = value_at(resource.props, "details.rules")
    if is_unknown(rules):
        raise Stop(Unknown("details.rules", resource.urn))
    if rules is not None and not isinstance(rules, list):
        raise Stop(Violation(f"{resource.name}: cannot check: details.rules is not a list", resource.urn))
    for index, rule in enumerate(rules or []):
        for finding in _rule_findings(resource, f"details.rules[{index}]", rule):
            yield Violation(f"{resource.name}: access policy {finding}; bound by a policy binding it is a grant "
                            "like a role binding", resource.urn)


def _policy_ids(resources: list[Resource]) -> set[str]:
    return {policy_id.strip().lower() for resource in resources if resource.type in ACCESS_POLICIES
            if isinstance(policy_id := resource.props.get("accessPolicyId"), str)}


def _binding(resource: Resource, own: set[str]):
    kind, policy = resource.props.get("policyKind"), resource.props.get("policy")
    if is_unknown(kind):
        raise Stop(Unknown("policyKind", resource.urn))
    if is_unknown(policy):
        return  # the name output of an access policy of this stack: judged on that policy
    if not isinstance(policy, str):
        raise Stop(Violation(f"{resource.name}: cannot check: policy is not a policy name", resource.urn))
    access = (isinstance(kind, str) and kind.strip().upper() == "ACCESS") or "/accesspolicies/" in policy.lower()
    if access and policy.strip().rstrip("/").rsplit("/", 1)[-1].lower() not in own:
        yield Violation(f"{resource.name} binds access policy {policy}, which the stack does not define: cannot check "
                        "what its ALLOW rules grant", resource.urn)


def check(resources: list[Resource], config):
    own = None
    for resource in resources:
        if resource.type in ACCESS_POLICIES:
            yield from judged(_access_policy(resource))
        elif resource.type in POLICY_BINDINGS:
            own = _policy_ids(resources) if own is None else own
            yield from judged(_binding(resource, own))


RULE = Rule(
    id="AGID-GCP-022",
    title="gcp-access-policy-allow-bounded",
    severity="critical",
    category="escalation",
    description="No IAM v3 access policy ALLOW rule grants escalation permissions or grants to the public, and no "
                "ACCESS policy binding attaches an access policy the stack does not define.",
    remediation="Grant with a predefined role on the one resource the workload needs; use access policies for DENY "
                "rules, or keep ALLOW rules to permissions without escalation for named principals.",
    url="https://cloud.google.com/iam/docs/reference/rest/v3/organizations.locations.accessPolicies",
    check=check,
    stack=True,
    reads=(*ACCESS_POLICIES, *POLICY_BINDINGS),
)
