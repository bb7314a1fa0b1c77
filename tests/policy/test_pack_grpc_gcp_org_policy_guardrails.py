"""AGID-GCP-026 over gRPC (red13 r13-3): an organization policy the stack sets never switches off an identity guardrail.

Flagged (mandatory): orgpolicy v2 `enforce: FALSE` on iam.disableServiceAccountKeyCreation (also under a condition),
`allowAll` on iam.allowedPolicyMemberDomains, allowed values merged into the parent's list, `reset`; the legacy
project / folder / organization policies' booleanPolicy.enforced false, listPolicy.allow.all, restorePolicy.default.
Look-alikes: the same constraints enforced or restricted to the organization's own values (replacing the parent's),
a constraint that guards no identity, a dry-run spec.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-GCP-026"
V2 = "gcp:orgpolicy/policy:Policy"
PROJECT = "gcp:projects/organizationPolicy:OrganizationPolicy"
FOLDER = "gcp:folder/organizationPolicy:OrganizationPolicy"
ORG = "gcp:organizations/policy:Policy"


def v2(constraint: str, spec: dict, parent: str = "projects/agents-prod") -> tuple:
    return (V2, "guardrail", {"name": f"{parent}/policies/{constraint}", "parent": parent, "spec": spec})


def legacy(type_: str, constraint: str, **policy) -> tuple:
    where = {PROJECT: {"project": "agents-prod"}, FOLDER: {"folder": "folders/123"}, ORG: {"orgId": "123456"}}[type_]
    return (type_, "guardrail", {**where, "constraint": constraint, **policy})


FLAGGED = {
    "v2-enforce-false": v2("iam.disableServiceAccountKeyCreation", {"rules": [{"enforce": "FALSE"}]}),
    "v2-enforce-false-bool": v2("iam.managed.disableServiceAccountKeyCreation", {"rules": [{"enforce": False}]},
                                "organizations/123456"),
    "v2-conditional": v2("iam.disableServiceAccountKeyUpload", {"rules": [
        {"enforce": "TRUE"}, {"enforce": "FALSE", "condition": {"expression": "resource.matchTag('1/env', 'dev')"}}]}),
    "v2-allow-all": v2("iam.allowedPolicyMemberDomains", {"rules": [{"allowAll": "TRUE"}]}, "folders/123"),
    "v2-merged-values": v2("iam.workloadIdentityPoolProviders", {"inheritFromParent": True, "rules": [
        {"values": {"allowedValues": ["https://token.actions.githubusercontent.com"]}}]}),
    "v2-reset": v2("storage.publicAccessPrevention", {"reset": True}),
    # red14 r14-6: guardrails the first list missed, and any iam.* constraint nobody reviewed
    "v2-audit-exemption-guard": v2("iam.disableAuditLoggingExemption", {"rules": [{"enforce": "FALSE"}]}),
    "v2-key-expiry": v2("iam.serviceAccountKeyExpiryHours", {"rules": [{"allowAll": "TRUE"}]}),
    "v2-hmac": v2("storage.restrictAuthTypes", {"reset": True}),
    # red17: the managed successor of domain-restricted sharing is enforced or not (its principals are parameters)
    "v2-managed-allowed-members-off": v2("iam.managed.allowedPolicyMembers", {"rules": [{"enforce": "FALSE"}]}),
    "v2-unreviewed-iam": v2("iam.managed.someConstraintGoogleAddsLater", {"rules": [{"enforce": False}]}),
    "legacy-unreviewed-iam": legacy(PROJECT, "constraints/iam.someListConstraint", listPolicy={"allow": {"all": True}}),
    "legacy-project-boolean": legacy(PROJECT, "constraints/iam.disableServiceAccountKeyCreation",
                                     booleanPolicy={"enforced": False}),
    "legacy-folder-allow-all": legacy(FOLDER, "iam.allowedPolicyMemberDomains", listPolicy={"allow": {"all": True}}),
    "legacy-org-merged": legacy(ORG, "constraints/iam.allowedPolicyMemberDomains",
                                listPolicy={"inheritFromParent": True, "allow": {"values": ["C0xxxxxxx"]}}),
    "legacy-restore": legacy(PROJECT, "constraints/iam.automaticIamGrantsForDefaultServiceAccounts",
                             restorePolicy={"default": True}),
}
PASSING = {
    "v2-enforced": v2("iam.disableServiceAccountKeyCreation", {"rules": [{"enforce": "TRUE"}]}),
    "v2-own-domains": v2("iam.allowedPolicyMemberDomains", {"rules": [{"values": {"allowedValues": ["C03xgje4y"]}}]},
                         "organizations/123456"),
    "v2-other-constraint": v2("compute.vmExternalIpAccess", {"rules": [{"allowAll": "TRUE"}]}),
    "v2-managed-allowed-members-on": v2("iam.managed.allowedPolicyMembers", {"rules": [
        {"enforce": "TRUE", "parameters": '{"allowedMemberSubjects": ["principalSet://goog/cloudIdentityCustomerId/C03xgje4y"]}'}]}),
    "v2-unreviewed-iam-enforced": v2("iam.managed.someConstraintGoogleAddsLater", {"rules": [{"enforce": True}]}),
    "v2-dry-run-only": (V2, "guardrail", {"name": "projects/p/policies/iam.disableServiceAccountKeyCreation",
                                          "parent": "projects/p", "dryRunSpec": {"rules": [{"enforce": "FALSE"}]}}),
    "legacy-enforced": legacy(PROJECT, "constraints/iam.disableServiceAccountKeyCreation",
                              booleanPolicy={"enforced": True}),
    "legacy-own-list": legacy(ORG, "constraints/iam.allowedPolicyMemberDomains",
                              listPolicy={"allow": {"values": ["C03xgje4y"]}}),
}


@pytest.mark.parametrize("case", FLAGGED)
def test_a_lowered_identity_guardrail_is_flagged(pack, case):
    assert set(flagged_names(pack, RULE, FLAGGED[case], level="mandatory")) == {"guardrail"}


@pytest.mark.parametrize("case", PASSING)
def test_a_kept_guardrail_or_another_constraint_passes(pack, case):
    assert flagged_names(pack, RULE, PASSING[case]) == []


def test_an_unknown_constraint_or_spec_cannot_be_checked(pack):
    assert flagged_names(pack, RULE, (V2, "guardrail", {"name": UNKNOWN, "parent": "projects/p",
                                                         "spec": {"rules": [{"enforce": "FALSE"}]}})) == ["guardrail"]
    assert flagged_names(pack, RULE, v2("iam.disableServiceAccountKeyCreation", {"rules": [{"enforce": UNKNOWN}]})) \
        == ["guardrail"]
