"""AGID-AWS-020: no policy allows a known privilege-escalation method on its own.

The methods (about 120: escalation and credential access) are data (policy_packs/analysis/escalation_methods.yaml), judged
against resource constraints, denies and conditions such as iam:PassedToService.
Combinations split across several policies of one role are AGID-AWS-021's; a
policy granting `*` on everything is AGID-AWS-010's alone (same root cause).
"""

from agentid_policy_packs.analysis import Finding, PolicyDocument, broad_grant_findings, escalation_findings
from agentid_policy_packs.analysis.escalation import labelled

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES, ROLE

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
from .identity_policy import judge_identity_policies


def summarize(findings: list[Finding]) -> list[Finding]:
    """One finding naming every method, so a policy granting `*` is one violation, not sixty."""
    if not findings:
        return []
    methods = ", ".join(f.code.split(":", 1)[1] for f in findings)
    return [Finding("escalation", f"allows {len(findings)} privilege-escalation method(s): {methods}. "
                    f"First: {findings[0].message}", category="escalation")]


def _judge(document: PolicyDocument, holder: str | None) -> list[Finding]:
    if any(finding.code == "full-admin" for finding in broad_grant_findings(document)):
        # Every escalation method follows from full admin, which AGID-AWS-010 already reports:
        # one root cause, one violation.
        return []
    return summarize(escalation_findings(labelled("", document.statements), holder=holder))


def holder_role(resource: Resource) -> str | None:
    """The role a RolePolicy or a role's inline policies are attached to (its own target); None if unknown."""
    value = resource.props.get("role") if resource.type == ROLE_POLICY else \
        resource.props.get("name") if resource.type == ROLE else None
    if not isinstance(value, str) or is_unknown(value) or not value:
        return None
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def check(resource: Resource, config):
    holder = holder_role(resource)
    yield from judge_identity_policies(resource, lambda document, _: _judge(document, holder))


RULE = Rule(
    id="AGID-AWS-020",
    title="aws-no-privilege-escalation",
    severity="critical",
    category="escalation",
    description="No identity policy allows a known privilege-escalation combination.",
    remediation="Scope iam:PassRole to named roles with iam:PassedToService, scope IAM writes to named resources "
                "(or drop them), and never grant code or command execution on compute the agent does not own.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
)
