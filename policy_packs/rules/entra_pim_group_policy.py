"""AGID-AZ-049: a PIM for Groups policy keeps a check on activation (approval, MFA or an authentication context).

`azuread.GroupRoleManagementPolicy` sets the PIM policy of one group role (`roleId` "member" or "owner"). Its
`activationRules` decide what an ELIGIBLE principal must pass to become an ACTIVE member or owner: approval
(`requireApproval`), Entra MFA (`requireMultifactorAuthentication`) or a Conditional Access authentication
context (`requireConditionalAccessContext`). With all three off, eligibility is standing membership: anyone
holding the eligible account (a stolen session, an agent's token) activates it with no second check, and an
owner then manages the membership too. Approval and MFA must both be set false here to count as dropped; the
authentication context counts only when named. Groups managed with PIM are the ones that hold privileged directory or
Azure roles, so a stack loosening that policy weakens the guard of those roles (red9a 21). A setting the stack
omits keeps the group's current policy (not judged); a value unknown at preview is "cannot check".
Sources: https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/groups-role-settings
("On activation, require: None / Azure MFA / Microsoft Entra Conditional Access authentication context",
"Require approval to activate"),
https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups,
https://www.pulumi.com/registry/packages/azuread/api-docs/grouprolemanagementpolicy/
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

POLICY = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"
# activationRules input -> what it demands on activation; each is a check only when set (true / a context id)
CHECKS = {
    "requireApproval": "approval",
    "requireMultifactorAuthentication": "MFA",
    "requireConditionalAccessContext": "a Conditional Access authentication context",
}
# the alternative to MFA in the same portal choice ("On activation, require"): a check only when the stack names one;
# with approval and MFA turned off explicitly, an omitted context is not assumed to be there
CONTEXT = "requireConditionalAccessContext"


def check(resource: Resource, config):
    rules = resource.props.get("activationRules")
    if rules is None:
        return  # activation settings not managed here: the group's current policy stays
    if is_unknown(rules):
        yield Unknown("activationRules")
        return
    if not isinstance(rules, dict):
        yield Violation(f"{resource.name}: activationRules is {type(rules).__name__}, not an object: cannot check "
                        "what activating the group role demands")
        return
    dropped = []
    for key in CHECKS:
        value = rules.get(key)
        if is_unknown(value):
            yield Unknown(f"activationRules.{key}")
            return
        if value is True or (isinstance(value, str) and value.strip()):
            return  # activation keeps a check
        if value is None and key != CONTEXT:
            return  # not set here: the group's current policy keeps whatever it demands
        if value is not None:
            dropped.append(key)
    role = resource.props.get("roleId")
    yield Violation(f"{resource.name}: PIM for Groups policy of group {resource.props.get('groupId')} role "
                    f"{role if isinstance(role, str) else '?'} turns off {', '.join(dropped)}: eligible principals "
                    "become active without approval, MFA or an authentication context")


RULE = Rule(
    id="AGID-AZ-049",
    title="entra-pim-group-activation-checked",
    severity="critical",
    category="escalation",
    description="A PIM for Groups policy (GroupRoleManagementPolicy) may not turn off approval, MFA and the "
                "authentication context together on activating the member or owner role.",
    remediation="Keep requireMultifactorAuthentication (or requireApproval, or a Conditional Access authentication "
                "context) on the group's activation rules; manage PIM policies outside the agent's stack.",
    url="https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/groups-role-settings",
    check=check,
    resource_types=(POLICY,),
)
