"""AGID-AZ-051 over gRPC: an azure-native RoleManagementPolicy (PIM settings of an Azure role at a scope) that
loosens activation (red9a n24c: MFA and approval dropped for Owner at a subscription passed), and look-alikes that
keep a check or leave the setting to the current policy; and AGID-AZ-052, a privileged role linked to a PIM policy the
stack does not define (RoleManagementPolicyAssignment). Rule ids and shapes as in Microsoft's REST sample
https://learn.microsoft.com/en-us/rest/api/authorization/privileged-role-policy-rest-sample (our own values)."""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules.azure_pim_role_policy import Unreadable, duration_seconds
from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc import urn
from tests.policy.ruletools import UNKNOWN

POLICY = "azure-native:authorization:RoleManagementPolicy"
SCOPE = "/subscriptions/11111111-1111-1111-1111-111111111111"
ACTIVATION = {"caller": "EndUser", "level": "Assignment", "operations": ["All"]}


def enablement(*enabled, rule_id="Enablement_EndUser_Assignment", target=ACTIVATION):
    return {"ruleType": "RoleManagementPolicyEnablementRule", "id": rule_id, "enabledRules": list(enabled),
            "target": target}


def approval(required, rule_id="Approval_EndUser_Assignment"):
    return {"ruleType": "RoleManagementPolicyApprovalRule", "id": rule_id, "target": ACTIVATION,
            "setting": {"isApprovalRequired": required, "isApprovalRequiredForExtension": False,
                        "isRequestorJustificationRequired": True, "approvalMode": "SingleStage", "approvalStages": []}}


def context(enabled, claim="c1"):
    return {"ruleType": "RoleManagementPolicyAuthenticationContextRule", "id": "AuthenticationContext_EndUser_Assignment",
            "isEnabled": enabled, "claimValue": claim, "target": ACTIVATION}


def expiration(rule_id, required=True, duration=None):
    rule = {"ruleType": "RoleManagementPolicyExpirationRule", "id": rule_id, "isExpirationRequired": required}
    return rule | ({"maximumDuration": duration} if duration is not None else {})


def notification(recipient="Admin", level="All", defaults=True, recipients=(), rule_id=None):
    return {"ruleType": "RoleManagementPolicyNotificationRule",
            "id": rule_id or f"Notification_{recipient}_EndUser_Assignment", "notificationType": "Email",
            "recipientType": recipient, "notificationLevel": level, "isDefaultRecipientsEnabled": defaults,
            "notificationRecipients": list(recipients)}


NO_CHECK = [enablement("Justification"), approval(False)]


def judged(pack, rules, level=None):
    props = {"scope": SCOPE, "roleManagementPolicyName": "570c3619-7688-4b34-b290-2b8bb3ccab2a",
             **({"rules": rules} if rules is not None else {})}
    return flagged_names(pack, "AGID-AZ-051", (POLICY, "pim", props), level)


@pytest.mark.parametrize("rules", [
    NO_CHECK,
    [enablement(), approval(False), context(False)],
    [*NO_CHECK, context(True, claim="")],  # an enabled context with no claim demands nothing
    [enablement("Justification", rule_id="", target=ACTIVATION), approval(False)],  # slot from the target
    [enablement("multifactorauthentication ", rule_id="Enablement_Admin_Assignment"), *NO_CHECK],  # admin side only
    [expiration("Expiration_EndUser_Assignment", duration="PT24H")],
    [expiration("Expiration_EndUser_Assignment", duration="P1DT1M")],
    [expiration("Expiration_EndUser_Assignment", required=False)],
    [expiration("Expiration_Admin_Assignment", required=False)],
    [notification(level="None")],
    [notification(defaults=False)],
    # issue 11: eligibility held for good (or over a year) is never re-approved
    [expiration("Expiration_Admin_Eligibility", required=False)],
    [expiration("Expiration_Admin_Eligibility", duration="P366D")],
    # two rules for one setting fail closed, whichever comes last
    [enablement("Justification"), enablement("MultiFactorAuthentication"), approval(False)],
    [enablement(), approval(False), approval(True)],
    [enablement(), approval(False), context(True), context(False)],
], ids=["no-mfa-no-approval", "empty-enablement-context-off", "context-without-claim", "slot-from-target",
        "mfa-only-for-admins", "activation-24h", "activation-1d1m", "activation-no-end", "permanent-active",
        "admin-notice-none", "admin-notice-nobody", "permanent-eligibility", "eligibility-366d",
        "mfa-dropped-then-kept", "approval-dropped-then-kept", "context-on-then-off"])
def test_loosened_activation_blocks(pack, rules):
    assert judged(pack, rules, "mandatory") == ["pim"]


@pytest.mark.parametrize("rules", [
    None,
    [],
    [enablement("MultiFactorAuthentication"), approval(False)],  # MFA kept: approval off is Azure's default
    [enablement("Justification"), approval(True)],
    [*NO_CHECK, context(True)],
    [enablement("Justification")],  # approval not set here: the current policy keeps it
    [approval(False)],  # MFA not set here
    [enablement("Justification", rule_id="Enablement_Admin_Assignment"), approval(False)],
    [expiration("Expiration_EndUser_Assignment", duration="PT8H"), expiration("Expiration_EndUser_Assignment",
                                                                              duration="PT30M")],
    [expiration("Expiration_Admin_Eligibility", duration="P365D")],  # PIM's default: a year, then re-approved
    [expiration("Expiration_Admin_Assignment", duration="P365D")],
    [notification(recipient="Requestor", level="None"), notification(defaults=False, recipients=["sec@example.com"])],
    [{"ruleType": "RoleManagementPolicyPimOnlyModeRule", "id": "PIMOnlyMode_Admin_Assignment",
      "pimOnlyModeSettings": {"mode": "Enabled"}}],
], ids=["not-managed", "no-rules", "mfa-kept", "approval-kept", "context-kept", "approval-untouched",
        "mfa-untouched", "admin-enablement", "short-activation", "eligibility-one-year", "bounded-active",
        "other-notices", "pim-only-mode"])
def test_policies_keeping_a_check_pass(pack, rules):
    assert judged(pack, rules) == []


@pytest.mark.parametrize("rules", [
    UNKNOWN,
    [UNKNOWN],
    [{**approval(False), "setting": {"isApprovalRequired": UNKNOWN}}, enablement()],
    [enablement(UNKNOWN), approval(False)],
    [expiration("Expiration_EndUser_Assignment", duration=UNKNOWN)],
], ids=["rules", "rule", "approval", "enabled-rule", "duration"])
def test_values_unknown_at_preview_cannot_be_checked(pack, rules):
    assert judged(pack, rules) == ["pim"]


@pytest.mark.parametrize("rules", [
    "Enablement_EndUser_Assignment",
    ["MultiFactorAuthentication"],
    [{"ruleType": "RoleManagementPolicyMagicRule", "id": "Magic_EndUser_Assignment"}],
    [{"ruleType": "RoleManagementPolicyApprovalRule", "id": "Approval", "setting": {"isApprovalRequired": False}}],
    [{**approval(False), "setting": {"isApprovalRequired": "false"}}, enablement()],
    [{**approval(False), "setting": "NoApproval"}, enablement()],
    [expiration("Expiration_EndUser_Assignment", duration="P1M")],
    [expiration("Expiration_EndUser_Assignment", duration=28800)],
], ids=["not-a-list", "not-an-object", "unknown-type", "no-slot", "string-flag", "string-setting", "month-duration",
        "number-duration"])
def test_unreadable_rules_block(pack, rules):
    assert judged(pack, rules, "mandatory") == ["pim"]


def test_durations_are_read_as_iso_8601():
    assert duration_seconds("PT8H") == 28800
    assert duration_seconds("P1DT2H30M15S") == 95415
    assert duration_seconds("pt90m") == 5400
    for text in ("P", "PT", "8H", "P1Y", "P1W", "PT-1H"):
        with pytest.raises(Unreadable):
            duration_seconds(text)


# --- AGID-AZ-052 (stack): a privileged role linked to a PIM policy the stack does not define -----------------------

LINK = "azure-native:authorization:RoleManagementPolicyAssignment"
OWNER = f"{SCOPE}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = f"{SCOPE}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
EXISTING = f"{SCOPE}/providers/Microsoft.Authorization/roleManagementPolicies/0b1f6a1e-3b7e-4a44-9d5e-6f0c9a7e2b11"


OWN_NAME = "6a3f1bd4-2d7e-4e44-8b7a-1f1b7a0c9e11"
OWN = f"{SCOPE}/providers/Microsoft.Authorization/roleManagementPolicies/{OWN_NAME}"


def links_flagged(pack, role, depends_on_policy=False, level=None, policy_id=EXISTING, extra=()):
    policy = StackResource(POLICY, "policy", urn(POLICY, "policy"),
                           {"scope": SCOPE, "roleManagementPolicyName": OWN_NAME,
                            "rules": [enablement("MultiFactorAuthentication")]})
    link = StackResource(LINK, "link", urn(LINK, "link"), {"scope": SCOPE, "roleDefinitionId": role,
                                                           "policyId": policy_id},
                         dependencies=([policy.urn] if depends_on_policy else []) + [r.urn for r in extra])
    return [name for name, _ in stack_findings(pack, "AGID-AZ-052", [policy, *extra, link], level)]


@pytest.mark.parametrize("role", [OWNER, "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
                                  f"{SCOPE}/providers/Microsoft.Authorization/roleDefinitions/"
                                  "0f0e0d0c-0b0a-4909-8807-060504030201"],
                         ids=["owner", "user-access-administrator-bare-guid", "custom"])
def test_privileged_or_unknown_role_linked_to_an_unseen_policy_blocks(pack, role):
    assert links_flagged(pack, role, level="mandatory") == ["link"]


def test_links_to_a_stack_policy_or_of_a_plain_role_pass(pack):
    # the stack policy named by its ARM id (scope + roleManagementPolicyName, any case), or by its id as an Output
    assert links_flagged(pack, OWNER, depends_on_policy=True, policy_id=OWN.upper()) == []
    assert links_flagged(pack, OWNER, depends_on_policy=True, policy_id=UNKNOWN) == []
    assert links_flagged(pack, READER) == []


def test_depending_on_a_stack_policy_does_not_link_another(pack):
    """issue 11: Owner linked to an EXISTING PIM policy (a literal id, or a constant behind another resource's Output)
    with `depends_on=[the stack's harmless policy]` passed: the dependency is no link. The literal blocks, the unknown
    cannot be checked until known (look-alikes above: the stack policy by id or as its own Output pass)."""
    assert links_flagged(pack, OWNER, depends_on_policy=True, level="mandatory") == ["link"]


def test_a_literal_id_of_the_stack_policy_links_it_only_when_created_after_it(pack):
    """issue 11 (typed decoy): the stack's MFA policy under the name of an existing, edited policy fails to create
    (azure-native: "cannot create already existing subresource"), and a link naming that id without waiting for it
    links Owner to the existing policy. Look-alike: the same link depending on the policy passes (above)."""
    assert links_flagged(pack, OWNER, policy_id=OWN, level="mandatory") == ["link"]
    marker = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    policy = StackResource(POLICY, "policy", urn(POLICY, "policy"), {"scope": SCOPE, "roleManagementPolicyName": OWN_NAME})
    link = StackResource(LINK, "link", urn(LINK, "link"), {"scope": SCOPE, "roleDefinitionId": OWNER,
                                                           "policyId": UNKNOWN}, dependencies=[policy.urn, marker.urn])
    found = stack_findings(pack, "AGID-AZ-052", [policy, marker, link])
    # a stack rule's "cannot check" carries no URN: the message names the resource
    assert [m.endswith("cannot check until known: link.policyId is computed during preview") for _, m in found] \
        == [True], found
    # with no stack policy at all the same unknown link cannot be checked either
    alone = StackResource(LINK, "alone", urn(LINK, "alone"), {"scope": SCOPE, "roleDefinitionId": OWNER, "policyId": UNKNOWN})
    assert [m.endswith("cannot check until known: alone.policyId is computed during preview")
            for _, m in stack_findings(pack, "AGID-AZ-052", [alone])] == [True]


def test_an_unknown_role_cannot_be_checked(pack):
    """A stack rule's "cannot check" names the resource in its message (the SDK's stack unknown carries no URN)."""
    link = StackResource(LINK, "link", urn(LINK, "link"), {"scope": SCOPE, "roleDefinitionId": UNKNOWN,
                                                           "policyId": EXISTING})
    [(_, message)] = stack_findings(pack, "AGID-AZ-052", [link])
    assert message.endswith("cannot check until known: link.roleDefinitionId is computed during preview")


def test_the_policy_ids_own_property_dependencies_decide(pack):
    """Where the engine sends propertyDependencies, policyId's decide (a `depends_on` never appears there): the stack
    policy's id beside another dependency passes; a bucket's Output with depends_on the stack policy cannot be checked."""
    marker = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    policy = StackResource(POLICY, "policy", urn(POLICY, "policy"), {"scope": SCOPE, "roleManagementPolicyName": OWN_NAME})

    def link(source):
        return StackResource(LINK, "link", urn(LINK, "link"), {"scope": SCOPE, "roleDefinitionId": OWNER, "policyId": UNKNOWN},
                             dependencies=[policy.urn, marker.urn], property_dependencies={"policyId": [source.urn]})

    assert stack_findings(pack, "AGID-AZ-052", [policy, marker, link(policy)]) == []
    assert [m.endswith("cannot check until known: link.policyId is computed during preview")
            for _, m in stack_findings(pack, "AGID-AZ-052", [policy, marker, link(marker)])] == [True]
