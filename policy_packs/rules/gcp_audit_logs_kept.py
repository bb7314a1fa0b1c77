"""AGID-GCP-027: the stack exempts no identity from Cloud Audit Logs and drops no audit log entries.

Every credential use must stay traceable. Google Cloud writes Admin Activity audit logs always, but Data Access
logs (who read which secret, object or table, which token was minted) only as the IAM audit configuration says,
and a log exclusion removes matching entries before the _Default sink stores them (red13 r13-20):
  - an audit configuration (`projects|folder|organizations` IAMAuditConfig, or `auditConfigs` in an IAMPolicy's
    policyData) with `exemptedMembers`: the reads of those principals (an agent's service account, say) are never
    logged (https://cloud.google.com/logging/docs/audit/configure-data-access#exempted-principals);
  - a log exclusion (`logging` ProjectExclusion, FolderExclusion, OrganizationExclusion, BillingAccountExclusion)
    whose filter can match audit log entries: a logName / @type / protoPayload naming Cloud Audit Logs, or the IAM,
    STS or IAM Credentials services (https://cloud.google.com/logging/docs/exclusions). A filter that names no audit
    log (noise reduction by resource type and severity) passes; one that cannot be read cannot be checked.
A disabled exclusion (`disabled: true`) excludes nothing.
"""

from __future__ import annotations

import json
import re

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

AUDIT_CONFIGS = ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "gcp:folder/iamAuditConfig:IamAuditConfig",
                 "gcp:organizations/iamAuditConfig:IamAuditConfig")
IAM_POLICIES = ("gcp:projects/iAMPolicy:IAMPolicy", "gcp:folder/iAMPolicy:IAMPolicy",
                "gcp:organizations/iAMPolicy:IAMPolicy")
EXCLUSIONS = ("gcp:logging/projectExclusion:ProjectExclusion", "gcp:logging/folderExclusion:FolderExclusion",
              "gcp:logging/organizationExclusion:OrganizationExclusion",
              "gcp:logging/billingAccountExclusion:BillingAccountExclusion")
# what in a Logging query language filter names audit log entries or the identity services' entries
_AUDIT = re.compile(r"cloudaudit|data_access|auditlog|protopayload|iam\.googleapis|sts\.googleapis|"
                    r"iamcredentials\.googleapis|serviceaccount|authenticationinfo|authorizationinfo", re.IGNORECASE)


def _exempted(configs, where: str, resource: Resource):
    if is_unknown(configs):
        yield Unknown(where)
        return
    for index, config in enumerate(configs if isinstance(configs, list) else []):
        if is_unknown(config):
            yield Unknown(f"{where}[{index}]")
            continue
        members = config.get("exemptedMembers") if isinstance(config, dict) else None
        if is_unknown(members):
            yield Unknown(f"{where}[{index}].exemptedMembers")
        elif members:
            shown = ", ".join(str(m)[:80] for m in members[:3]) if isinstance(members, list) else str(members)[:80]
            log_type = config.get("logType", "?")
            yield Violation(f"{resource.name} exempts {shown} from {log_type} audit logs ({where}[{index}]."
                            "exemptedMembers): what they read or mint is never logged, so their credential use cannot "
                            "be traced")


def check(resource: Resource, config):
    if resource.type in AUDIT_CONFIGS:
        yield from _exempted(resource.props.get("auditLogConfigs"), "auditLogConfigs", resource)
    elif resource.type in IAM_POLICIES:
        data = resource.props.get("policyData")
        if is_unknown(data):
            yield Unknown("policyData")
            return
        try:
            policy = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            return  # unreadable policyData is the IAM rules' (AGID-GCP-011) finding
        audit = policy.get("auditConfigs") if isinstance(policy, dict) else None
        for index, entry in enumerate(audit if isinstance(audit, list) else []):
            if isinstance(entry, dict):
                yield from _exempted(entry.get("auditLogConfigs"), f"policyData.auditConfigs[{index}].auditLogConfigs",
                                     resource)
    elif resource.type in EXCLUSIONS:
        disabled, text = resource.props.get("disabled"), resource.props.get("filter")
        if disabled is True:
            return
        if is_unknown(text) or is_unknown(disabled):
            yield Unknown("filter" if is_unknown(text) else "disabled")
        elif not isinstance(text, str):
            yield Violation(f"{resource.name}: cannot check: filter is not a Logging query")
        elif _AUDIT.search(text):
            yield Violation(f"{resource.name} excludes log entries matching {text[:160]!r}, which names audit logs or "
                            "the identity services: those entries (who read what, which token was minted) are "
                            "dropped before the _Default sink stores them")


RULE = Rule(
    id="AGID-GCP-027",
    title="gcp-audit-logs-kept",
    severity="high",
    # mandatory: an untraceable identity is the goal of an attacker and never a need of an agent; a cost-driven
    # exclusion of an audited service's reads carries a reviewed waiver
    enforcement="mandatory",
    category="inventory",
    description="No principal is exempted from Cloud Audit Logs (IAMAuditConfig / IAMPolicy auditConfigs "
                "exemptedMembers) and no log exclusion drops audit or identity-service entries.",
    remediation="Remove exemptedMembers and audit-log filters from exclusions; reduce log volume by resource type or "
                "severity, or route audit logs to a cheaper bucket instead of excluding them.",
    url="https://cloud.google.com/logging/docs/audit/configure-data-access#exempted-principals",
    check=check,
    resource_types=(*AUDIT_CONFIGS, *IAM_POLICIES, *EXCLUSIONS),
)
