"""AGID-AZ-049: a PIM for Groups policy keeps a check on activation (approval, MFA or an authentication context).

`azuread.GroupRoleManagementPolicy` sets the PIM policy of one group role (`roleId` "member" or "owner"). Its
`activationRules` decide what an ELIGIBLE principal must pass to become an ACTIVE member or owner: approval
(`requireApproval`), Entra MFA (`requireMultifactorAuthentication`) or a Conditional Access authentication
context (`requireConditionalAccessContext`). With all three off, eligibility is standing membership: anyone
holding the eligible account (a stolen session, an agent's token) activates it with no second check, and an
owner then manages the membership too. Approval and MFA must both be set false here to count as dropped; the
authentication context counts only when named. Groups managed with PIM are the ones that hold privileged directory or
Azure roles, so a stack loosening that policy weakens the guard of those roles (red9a 21). A setting the stack
omits keeps the group's current policy (not judged); a value unknown at preview is "cannot check". As for Azure roles
(AGID-AZ-051), activations longer than 8 hours (`activationRules.maximumDuration`), and active or eligible assignments
that need no end date (`activeAssignmentRules` / `eligibleAssignmentRules.expirationRequired` false: standing
membership, or eligibility never re-approved; issue 11) are loosenings too.
Sources: https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/groups-role-settings
("On activation, require: None / Azure MFA / Microsoft Entra Conditional Access authentication context",
"Require approval to activate"),
https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/concept-pim-for-groups,
https://www.pulumi.com/registry/packages/azuread/api-docs/grouprolemanagementpolicy/
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .azure_pim_role_policy import MAX_ACTIVATION_SECONDS, Unreadable, duration_seconds
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


def _no_check(rules) -> list[str] | Unknown | None:
    """The activation checks the stack turns off when it leaves none (approval, MFA, context), an Unknown, or None."""
    dropped = []
    for key in CHECKS:
        value = rules.get(key)
        if is_unknown(value):
            return Unknown(f"activationRules.{key}")
        if value is True or (isinstance(value, str) and value.strip()):
            return None  # activation keeps a check
        if value is None and key != CONTEXT:
            return None  # not set here: the group's current policy keeps whatever it demands
        if value is not None:
            dropped.append(key)
    return dropped


def _durations(resource: Resource):
    """Outcomes for activations longer than MAX_ACTIVATION, and active or eligible assignments with no end (issue 11:
    eligibility held for good is never re-approved; a permanent active assignment skips activation)."""
    activation = resource.props.get("activationRules")
    duration = activation.get("maximumDuration") if isinstance(activation, dict) else None
    if is_unknown(duration):
        yield Unknown("activationRules.maximumDuration")
    elif isinstance(duration, str):
        try:
            if duration_seconds(duration) > MAX_ACTIVATION_SECONDS:
                yield f"activations last up to {duration} (activationRules.maximumDuration), longer than " \
                      f"{MAX_ACTIVATION_SECONDS // 3600} h"
        except Unreadable as error:
            yield Violation(f"{resource.name}: activationRules.{error}: cannot check how long activations last")
    for key, what in (("activeAssignmentRules", "active assignments: the role can be held as standing membership, "
                                                "skipping activation"),
                      ("eligibleAssignmentRules", "eligible assignments: eligibility for the role is held for good, "
                                                  "never re-approved")):
        rules = resource.props.get(key)
        required = rules.get("expirationRequired") if isinstance(rules, dict) else None
        if is_unknown(rules) or is_unknown(required):
            yield Unknown(key if is_unknown(rules) else f"{key}.expirationRequired")
        elif rules is not None and not isinstance(rules, dict):
            yield Violation(f"{resource.name}: {key} is {type(rules).__name__}, not an object: cannot check it")
        elif required is False:
            yield f"{what.split(':')[0]} need no end date ({key}.expirationRequired false):{what.split(':', 1)[1]}"


def check(resource: Resource, config):
    rules = resource.props.get("activationRules")
    role = resource.props.get("roleId")
    where = (f"{resource.name}: PIM for Groups policy of group {resource.props.get('groupId')} role "
             f"{role if isinstance(role, str) else '?'}")
    loosened = []
    if is_unknown(rules):
        yield Unknown("activationRules")
    elif rules is not None and not isinstance(rules, dict):
        yield Violation(f"{resource.name}: activationRules is {type(rules).__name__}, not an object: cannot check "
                        "what activating the group role demands")
    elif rules is not None:
        dropped = _no_check(rules)
        if isinstance(dropped, Unknown):
            yield dropped
        elif dropped is not None:
            loosened.append(f"turns off {', '.join(dropped)}: eligible principals become active without approval, MFA "
                            "or an authentication context")
    for outcome in _durations(resource):
        if isinstance(outcome, str):
            loosened.append(outcome)
        else:
            yield outcome
    if loosened:
        yield Violation(f"{where} {'; '.join(loosened)}")


RULE = Rule(
    id="AGID-AZ-049",
    title="entra-pim-group-activation-checked",
    severity="critical",
    category="escalation",
    description="A PIM for Groups policy (GroupRoleManagementPolicy) may not turn off approval, MFA and the "
                "authentication context together on activating the member or owner role, allow activations over 8 "
                "hours, or active or eligible assignments without an end.",
    remediation="Keep requireMultifactorAuthentication (or requireApproval, or a Conditional Access authentication "
                "context) on the group's activation rules, maximumDuration at most PT8H and expirationRequired true; "
                "manage PIM policies outside the agent's stack.",
    url="https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/groups-role-settings",
    check=check,
    resource_types=(POLICY,),
)
