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
  - the `_Default` sink (project, folder, organization, billing account) disabled, or given a filter or exclusions
    that drop Data Access audit or identity-service entries, and the `_Default` bucket kept shorter than its
    30 days (red14 r14-8).
A disabled exclusion (`disabled: true`) excludes nothing.
"""

from __future__ import annotations

import json
import re

from agentid_policy_packs.analysis.gcp_iam import POLICY_FIELDS
from agentid_policy_packs.analysis.struct_keys import FieldClash, struct_fields
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

AUDIT_CONFIGS = ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "gcp:folder/iamAuditConfig:IamAuditConfig",
                 "gcp:organizations/iamAuditConfig:IamAuditConfig")
IAM_POLICIES = ("gcp:projects/iAMPolicy:IAMPolicy", "gcp:folder/iAMPolicy:IAMPolicy",
                "gcp:organizations/iAMPolicy:IAMPolicy")
EXCLUSIONS = ("gcp:logging/projectExclusion:ProjectExclusion", "gcp:logging/folderExclusion:FolderExclusion",
              "gcp:logging/organizationExclusion:OrganizationExclusion",
              "gcp:logging/billingAccountExclusion:BillingAccountExclusion")
SINKS = ("gcp:logging/projectSink:ProjectSink", "gcp:logging/folderSink:FolderSink",
         "gcp:logging/organizationSink:OrganizationSink", "gcp:logging/billingAccountSink:BillingAccountSink")
BUCKETS = ("gcp:logging/projectBucketConfig:ProjectBucketConfig", "gcp:logging/folderBucketConfig:FolderBucketConfig",
           "gcp:logging/organizationBucketConfig:OrganizationBucketConfig",
           "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig")
# the sink and bucket every resource has, which store Data Access audit logs (_Required keeps only Admin Activity,
# System Event and Access Transparency logs, and cannot be changed): https://cloud.google.com/logging/docs/routing/overview
DEFAULT = "_Default"
DEFAULT_RETENTION_DAYS = 30  # the _Default bucket's retention unless changed
# what in a Logging query language filter names audit log entries or the identity services' entries
_AUDIT = re.compile(r"cloudaudit|data_access|auditlog|protopayload|iam\.googleapis|sts\.googleapis|"
                    r"iamcredentials\.googleapis|serviceaccount|authenticationinfo|authorizationinfo", re.IGNORECASE)
# in the _Default sink's own filter: what names data-access logs or the identities (its default filter names only the
# activity / system-event logs _Required keeps)
_DEFAULT_SINK_DROPS = re.compile(r"data_access|iam\.googleapis|sts\.googleapis|iamcredentials\.googleapis|"
                                 r"serviceaccount|principalemail|authenticationinfo|authorizationinfo", re.IGNORECASE)


def _exempted(configs, where: str, resource: Resource):
    if is_unknown(configs):
        yield Unknown(where)
        return
    for index, config in enumerate(configs if isinstance(configs, list) else []):
        if is_unknown(config):
            yield Unknown(f"{where}[{index}]")
            continue
        try:
            config = struct_fields(config, ("logType", "exemptedMembers")) if isinstance(config, dict) else config
        except FieldClash as clash:
            yield Violation(f"{resource.name}: cannot check {where}[{index}]: {clash}")
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


def _default_sink(resource: Resource):
    """The _Default sink (red14 r14-8): disabled, or given a filter or exclusions that drop audit or identity entries,
    it stops storing Data Access audit logs. Its own default filter only leaves out what _Required keeps
    (`NOT LOG_ID("cloudaudit.googleapis.com/activity")` ...), which names no data_access log nor identity service."""
    name = resource.props.get("name")
    if is_unknown(name):
        yield Unknown("name")
        return
    if name != DEFAULT:
        return
    disabled = resource.props.get("disabled")
    if is_unknown(disabled):
        yield Unknown("disabled")
    elif disabled is True:
        yield Violation(f"{resource.name} disables the _Default log sink: Data Access audit logs (who read what, "
                        "which token was minted) are no longer stored")
    text = resource.props.get("filter")
    if is_unknown(text):
        yield Unknown("filter")
    elif isinstance(text, str) and _DEFAULT_SINK_DROPS.search(text):
        yield Violation(f"{resource.name} gives the _Default log sink the filter {text[:160]!r}, which names Data "
                        "Access audit logs or the identity services: what it leaves out is no longer stored")
    exclusions = resource.props.get("exclusions")
    if is_unknown(exclusions):
        yield Unknown("exclusions")
        return
    for index, exclusion in enumerate(exclusions if isinstance(exclusions, list) else []):
        if not isinstance(exclusion, dict) or exclusion.get("disabled") is True:
            continue
        text = exclusion.get("filter")
        if is_unknown(text):
            yield Unknown(f"exclusions[{index}].filter")
        elif isinstance(text, str) and _AUDIT.search(text):
            yield Violation(f"{resource.name} excludes from the _Default log sink the entries matching {text[:160]!r} "
                            f"(exclusions[{index}]), which names audit logs or the identity services: they are no "
                            "longer stored")


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
        try:  # read as the Go provider reads it: keys in any case (red18 r18-7: "AuditConfigs" passed)
            policy = struct_fields(policy, POLICY_FIELDS) if isinstance(policy, dict) else policy
            audit = policy.get("auditConfigs") if isinstance(policy, dict) else None
            entries = [struct_fields(e, ("service", "auditLogConfigs")) if isinstance(e, dict) else e
                       for e in (audit if isinstance(audit, list) else [])]
        except FieldClash as clash:
            yield Violation(f"{resource.name}: cannot check its audit configuration: policyData {clash}")
            return
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield from _exempted(entry.get("auditLogConfigs"), f"policyData.auditConfigs[{index}].auditLogConfigs",
                                     resource)
    elif resource.type in SINKS:
        yield from _default_sink(resource)
    elif resource.type in BUCKETS:
        bucket, days = resource.props.get("bucketId"), resource.props.get("retentionDays")
        if is_unknown(bucket) or (bucket == DEFAULT and is_unknown(days)):
            yield Unknown("bucketId" if is_unknown(bucket) else "retentionDays")
        elif bucket == DEFAULT and isinstance(days, (int, float)) and days < DEFAULT_RETENTION_DAYS:
            yield Violation(f"{resource.name} keeps the _Default log bucket's entries {int(days)} day(s) (default "
                            f"{DEFAULT_RETENTION_DAYS}): Data Access audit logs, who read what and minted which token, "
                            "are gone before anyone looks")
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
    resource_types=(*AUDIT_CONFIGS, *IAM_POLICIES, *EXCLUSIONS, *SINKS, *BUCKETS),
)
