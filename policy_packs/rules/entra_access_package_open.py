"""AGID-AZ-047: an entitlement-management access package policy open to a whole population requires approval.

An `azuread.AccessPackageAssignmentPolicy` whose `requestorSettings.scopeType` lets everyone of a population
request the package (every external user, every connected organisation's users, every member or guest of the
directory) and whose `approvalSettings.approvalRequired` is not true (the provider's default is false) hands the
package's resources (group memberships, possibly of role-assignable or Azure-role-holding groups, app roles,
SharePoint sites) to anyone who asks, for the policy's duration (red9a 5: every external user, no approval, into an
existing admin group, for a year). Requests turned off (`requestsAccepted: false`) or a specific requestor list
(`Specific*Subjects`, `NoSubjects`) pass.
Sources: https://learn.microsoft.com/en-us/entra/id-governance/entitlement-management-access-package-request-policy,
https://learn.microsoft.com/en-us/graph/api/resources/accesspackageassignmentrequestorsettings.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ASSIGNMENT_POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
OPEN_SCOPES = frozenset({"allexternalsubjects", "allconfiguredconnectedorganizationsubjects",
                         "allexistingconnectedorganizationsubjects", "allexistingdirectorysubjects",
                         "allexistingdirectorymemberusers"})


def _setting(props, block: str, key: str):
    value = props.get(block)
    if is_unknown(value):
        return value
    return value.get(key) if isinstance(value, dict) else None


def check(resource: Resource, config):
    props = resource.props
    scope = _setting(props, "requestorSettings", "scopeType")
    accepted = _setting(props, "requestorSettings", "requestsAccepted")
    approval = _setting(props, "approvalSettings", "approvalRequired")
    for path, value in (("requestorSettings.scopeType", scope), ("requestorSettings.requestsAccepted", accepted),
                        ("approvalSettings.approvalRequired", approval)):
        if is_unknown(value):
            yield Unknown(path)
            return
    if not isinstance(scope, str) or scope.strip().lower() not in OPEN_SCOPES or accepted is False or approval is True:
        return
    yield Violation(f"access package policy {resource.name} lets {scope} request the package with no approval: "
                    "anyone of that population gets its groups, app roles and sites")


RULE = Rule(
    id="AGID-AZ-047",
    title="entra-access-package-approval",
    severity="critical",
    category="escalation",
    description="Access package assignment policies open to every external user, connected organisation or directory "
                "member require approval.",
    remediation="Set approvalSettings.approvalRequired (with named approvers), or limit requestorSettings to specific "
                "users or groups (SpecificDirectorySubjects).",
    url="https://learn.microsoft.com/en-us/entra/id-governance/entitlement-management-access-package-request-policy",
    check=check,
    resource_types=(ASSIGNMENT_POLICY,),
)
