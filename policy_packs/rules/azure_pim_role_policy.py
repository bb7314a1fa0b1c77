"""AGID-AZ-051: a PIM policy for an Azure role keeps a check on activation and no standing or long access.

`azure-native:authorization:RoleManagementPolicy` rewrites the Privileged Identity Management settings of one Azure
role at one scope (each role at each scope has one policy; the stack names it by its GUID). Its `rules` are a list
discriminated by `ruleType`; a rule's `id` (`<Kind>_<Caller>_<Level>`, e.g. `Enablement_EndUser_Assignment`) or its
`target` (`caller` EndUser/Admin, `level` Assignment/Eligibility) says which setting it is. Caller EndUser + level
Assignment is ACTIVATION: what an eligible principal must pass to become active. Judged loosenings:

- activation without a check: the activation enablement rule names no `MultiFactorAuthentication`, the activation
  approval rule sets `setting.isApprovalRequired` false, and no activation authentication-context rule is enabled
  with a claim. Eligibility then is standing access for whoever holds the eligible session (red9a n24c). Approval
  off alone is Microsoft's default for Azure roles and is not flagged while MFA or a context stays; justification
  and ticket fields are typed by whoever holds the session and stop nothing, so dropping them is not judged.
- activation without an end, or longer than MAX_ACTIVATION (8 h, the PIM default for Azure roles; the portal
  allows up to 24 h): `Expiration_EndUser_Assignment` with `isExpirationRequired` false or a longer
  `maximumDuration` (ISO 8601 duration).
- permanent active assignments: `Expiration_Admin_Assignment` with `isExpirationRequired` false lets an
  administrator (or an agent acting as one) grant the role with no end date, bypassing activation altogether.
- activations nobody hears of: the admin notification of activation (`Notification_Admin_EndUser_Assignment`)
  with `notificationLevel` None, or default recipients off and no other recipient.

- eligibility without an end, or longer than a year (PIM's longest bounded choice for Azure roles):
  `Expiration_Admin_Eligibility` with `isExpirationRequired` false or a longer `maximumDuration` (issue 11: an
  Owner / User Access Administrator eligibility held for good is never re-approved; the activation checks still
  apply, but whoever holds the eligible identity keeps the path to the role forever).
Two rules for one activation setting (the list is the stack's; which one Azure keeps is not documented) fail closed:
any that drops MFA or approval drops it, and an authentication context counts only when none of its rules turns it
off.

Not judged: admin-side enablement rules.
A rule the stack omits keeps the role's current setting (Azure PATCH semantics: "existing properties that aren't
included maintain their previous values"), so it is not judged. The policy's inputs do not name its role (only
`scope` and the policy GUID), so every loosening counts as one on a privileged role: cannot tell, flag.
A value unknown at preview is "cannot check"; a shape the rule cannot read is a violation naming the path.

Sources: https://learn.microsoft.com/en-us/rest/api/authorization/privileged-role-policy-rest-sample (rule ids and
shapes), https://learn.microsoft.com/en-us/rest/api/authorization/role-management-policies/update,
https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-resource-roles-configure-role-settings
(defaults: activation 8 h, at most 24 h), https://learn.microsoft.com/en-us/graph/api/unifiedrolemanagementpolicyrule-update.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

POLICY = "azure-native:authorization:RoleManagementPolicy"
MAX_ACTIVATION_SECONDS = 8 * 3600
RULE_TYPES = {"RoleManagementPolicyApprovalRule", "RoleManagementPolicyAuthenticationContextRule",
              "RoleManagementPolicyEnablementRule", "RoleManagementPolicyExpirationRule",
              "RoleManagementPolicyNotificationRule", "RoleManagementPolicyPimOnlyModeRule"}
ACTIVATION = ("enduser", "assignment")
ACTIVE_ASSIGNMENT = ("admin", "assignment")
ELIGIBLE_ASSIGNMENT = ("admin", "eligibility")
# eligible assignments: PIM's default and longest bounded choice for Azure roles is one year ("Expire eligible
# assignments after: 15 days, 1, 3, 6 months, 1 year")
MAX_ELIGIBILITY_SECONDS = 365 * 24 * 3600
# ISO 8601 durations as ARM writes them (P365D, PT8H, PT30M, P1DT2H); weeks, months and years are not TimeSpans
_DURATION = re.compile(r"^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,9})(?:\.\d+)?S)?)?$", re.IGNORECASE)


class Unreadable(ValueError):
    """A rule shape or value this check cannot read."""


def duration_seconds(text: str) -> int:
    """Seconds of an ISO 8601 duration `P[nD][T[nH][nM][nS]]`; Unreadable otherwise (months and years have no fixed
    length, and Azure's TimeSpan takes days at most)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip().upper() in ("P", "PT"):
        raise Unreadable(f"maximumDuration {text[:40]!r} is not an ISO 8601 duration of days, hours, minutes, seconds")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _slot(rule: dict, path: str) -> tuple[str, str]:
    """(caller, level) lower-cased from the rule's `id` suffix, else from its `target`."""
    rule_id = rule.get("id")
    if isinstance(rule_id, str):
        parts = rule_id.strip().lower().split("_")
        if len(parts) >= 3 and parts[-1] in ("assignment", "eligibility") and parts[-2] in ("enduser", "admin"):
            return parts[-2], parts[-1]
    target = rule.get("target")
    if isinstance(target, dict) and isinstance(target.get("caller"), str) and isinstance(target.get("level"), str):
        return target["caller"].strip().lower(), target["level"].strip().lower()
    raise Unreadable(f"{path} names neither a known rule id (<Kind>_<EndUser|Admin>_<Assignment|Eligibility>) nor "
                     "target.caller and target.level")


def _value(rule: dict, path: str, *keys: str):
    """rule[keys...]; an Unknown is raised through as a path."""
    value = rule
    for depth, key in enumerate(keys):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise Unreadable(f"{path}.{'.'.join(keys[:depth])} is {type(value).__name__}, not an object")
        value = value.get(key)
        if is_unknown(value):
            raise _Pending(f"{path}.{'.'.join(keys)}")
    return value


class _Pending(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _flag(value, path: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Unreadable(f"{path} is {type(value).__name__}, not true or false")


def loosenings(rules: list) -> Iterator[str]:
    """What the listed rules loosen, in words; raises Unreadable or _Pending."""
    mfa_dropped = approval_dropped = False
    context_on = context_off = False
    for index, rule in enumerate(rules):
        path = f"rules[{index}]"
        if is_unknown(rule):
            raise _Pending(path)
        if not isinstance(rule, dict):
            raise Unreadable(f"{path} is {type(rule).__name__}, not a rule object")
        rule_type = _value(rule, path, "ruleType")
        if rule_type not in RULE_TYPES:
            raise Unreadable(f"{path}.ruleType {str(rule_type)[:60]!r} is not one of {', '.join(sorted(RULE_TYPES))}")
        if any(is_unknown(rule.get(key)) for key in ("id", "target")):
            raise _Pending(f"{path}.{'id' if is_unknown(rule.get('id')) else 'target'}")
        slot = _slot(rule, path)
        if rule_type == "RoleManagementPolicyEnablementRule" and slot == ACTIVATION:
            enabled = _value(rule, path, "enabledRules")
            if not isinstance(enabled, list) or any(is_unknown(item) for item in enabled):
                if isinstance(enabled, list):
                    raise _Pending(f"{path}.enabledRules")
                raise Unreadable(f"{path}.enabledRules is not a list of rule names")
            # two rules for one setting: whichever Azure applies, fail closed (any that drops MFA drops it)
            mfa_dropped = mfa_dropped or not any(isinstance(i, str) and i.strip().lower() == "multifactorauthentication"
                                                 for i in enabled)
        elif rule_type == "RoleManagementPolicyApprovalRule" and slot == ACTIVATION:
            required = _flag(_value(rule, path, "setting", "isApprovalRequired"), f"{path}.setting.isApprovalRequired")
            approval_dropped = approval_dropped or required is False
        elif rule_type == "RoleManagementPolicyAuthenticationContextRule" and slot == ACTIVATION:
            enabled = _flag(_value(rule, path, "isEnabled"), f"{path}.isEnabled")
            claim = _value(rule, path, "claimValue")
            on = enabled is True and isinstance(claim, str) and bool(claim.strip())
            context_on, context_off = context_on or on, context_off or not on
        elif rule_type == "RoleManagementPolicyExpirationRule" and slot in (ACTIVATION, ACTIVE_ASSIGNMENT,
                                                                          ELIGIBLE_ASSIGNMENT):
            yield from _expiration(rule, path, slot)
        elif rule_type == "RoleManagementPolicyNotificationRule" and slot == ACTIVATION:
            yield from _silent_activation(rule, path)
    if mfa_dropped and approval_dropped and (context_off or not context_on):
        yield ("activation requires neither MFA, approval nor an authentication context: eligible principals become "
               "active with no second check")


def _expiration(rule: dict, path: str, slot: tuple[str, str]) -> Iterator[str]:
    required = _flag(_value(rule, path, "isExpirationRequired"), f"{path}.isExpirationRequired")
    what = {ACTIVATION: "activations", ACTIVE_ASSIGNMENT: "active assignments"}.get(slot, "eligible assignments")
    if required is False:
        yield (f"{what} need no end date ({path}.isExpirationRequired false)"
               + {ACTIVATION: "", ACTIVE_ASSIGNMENT: ": the role can be granted as standing access, skipping activation"}
               .get(slot, ": eligibility for the role is held for good, never re-approved"))
        return
    if slot == ACTIVE_ASSIGNMENT:
        return  # a bounded active assignment: its length is an administrator's choice, not an activation's
    duration = _value(rule, path, "maximumDuration")
    if duration is None:
        return
    if not isinstance(duration, str):
        raise Unreadable(f"{path}.maximumDuration is {type(duration).__name__}, not an ISO 8601 duration")
    if slot == ACTIVATION and duration_seconds(duration) > MAX_ACTIVATION_SECONDS:
        yield (f"activations last up to {duration} ({path}.maximumDuration), longer than "
               f"{MAX_ACTIVATION_SECONDS // 3600} h")
    elif slot == ELIGIBLE_ASSIGNMENT and duration_seconds(duration) > MAX_ELIGIBILITY_SECONDS:
        yield (f"eligible assignments last up to {duration} ({path}.maximumDuration), longer than "
               f"{MAX_ELIGIBILITY_SECONDS // 86400} days")


def _silent_activation(rule: dict, path: str) -> Iterator[str]:
    recipient = _value(rule, path, "recipientType")
    if not (isinstance(recipient, str) and recipient.strip().lower() == "admin"):
        return  # requestor and approver notices do not alert the role's administrators
    level = _value(rule, path, "notificationLevel")
    defaults = _flag(_value(rule, path, "isDefaultRecipientsEnabled"), f"{path}.isDefaultRecipientsEnabled")
    recipients = _value(rule, path, "notificationRecipients")
    if isinstance(recipients, list) and any(is_unknown(item) for item in recipients):
        raise _Pending(f"{path}.notificationRecipients")
    others = [r for r in recipients if isinstance(r, str) and r.strip()] if isinstance(recipients, list) else []
    if isinstance(level, str) and level.strip().lower() == "none":
        yield f"administrators are not told of activations ({path}.notificationLevel None)"
    elif defaults is False and not others:
        yield (f"administrators are not told of activations ({path}: default recipients off and no other "
               "recipient)")


def check(resource: Resource, config):
    rules = resource.props.get("rules")
    if rules is None:
        return  # no rule set here: the role's current policy stays
    if is_unknown(rules):
        yield Unknown("rules")
        return
    if not isinstance(rules, list):
        yield Violation(f"{resource.name}: rules is {type(rules).__name__}, not a list: cannot check what activating "
                        "the role demands", category="unparseable")
        return
    try:
        found = list(loosenings(rules))
    except _Pending as pending:
        yield Unknown(pending.path)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: {error}: cannot check what the PIM policy loosens", category="unparseable")
        return
    if found:
        scope = resource.props.get("scope")
        yield Violation(f"{resource.name}: PIM policy {resource.props.get('roleManagementPolicyName') or '?'} at "
                        f"{scope if isinstance(scope, str) else '?'} (its role cannot be read from the policy, so it "
                        f"counts as privileged) loosens activation: {'; '.join(found)}")


RULE = Rule(
    id="AGID-AZ-051",
    title="azure-pim-activation-checked",
    severity="critical",
    category="escalation",
    description="A PIM policy for an Azure role (RoleManagementPolicy) may not drop MFA, approval and the "
                "authentication context together on activation, allow activations, active or eligible assignments "
                "without an end, allow activations over 8 hours or eligibility over a year, or stop telling "
                "administrators of activations.",
    remediation="Keep MultiFactorAuthentication (or approval, or an authentication context) in the activation rules, "
                "isExpirationRequired true, activations at most PT8H and eligibility at most P365D; manage PIM "
                "policies outside the agent's stack.",
    url="https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-resource-roles-configure-role-settings",
    check=check,
    resource_types=(POLICY,),
)
