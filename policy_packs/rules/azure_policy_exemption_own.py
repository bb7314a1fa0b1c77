"""AGID-AZ-064 (stack): the stack exempts resources only from policy assignments it defines itself.

An Azure Policy exemption (`authorization.PolicyExemption`) switches a policy assignment off for a scope: its Deny,
DeployIfNotExists and Audit effects no longer apply there. An assignment the stack does not define is the
organization's guardrail (deny public storage, require private endpoints, forbid local auth, restrict role
assignments), usually assigned at a management group above the subscription; exempting the stack's scope from it
lets this change, or the next one, do what the organization refused (red13 r13-14: a Waiver exemption, with no
expiry, of a management-group assignment passed). `exemptionCategory` (Waiver / Mitigated) and `expiresOn` do not
change that: the organization's own exemption process is the place, or a gate waiver naming this resource.
An assignment is the stack's when `policyAssignmentId` equals the id of an `authorization.PolicyAssignment` of the
stack as far as it is known (the id the gate's mocks give it), or, unknown at preview, when iam_links.output_sources
proves it is such an assignment's id Output.
Source: https://learn.microsoft.com/en-us/azure/governance/policy/concepts/exemption-structure
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources

EXEMPTION = "azure-native:authorization:PolicyExemption"
ASSIGNMENTS = ("azure-native:authorization:PolicyAssignment",)


def _ids(assignments: list[Resource]) -> set[str]:
    values = (known_state(assignment).get("id") for assignment in assignments)
    return {value.strip().lower() for value in values if isinstance(value, str) and not is_unknown(value)}


def check(resources: list[Resource], config):
    assignments = [resource for resource in resources if resource.type in ASSIGNMENTS]
    own = _ids(assignments)
    for resource in (r for r in resources if r.type == EXEMPTION):
        assignment = resource.props.get("policyAssignmentId")
        if is_unknown(assignment):
            if output_sources(resource, assignments, ("id",)) is None:
                yield Unknown(f"{resource.name}.policyAssignmentId", resource.urn)
            continue
        if not isinstance(assignment, str):
            yield Violation(f"{resource.name}: cannot check: policyAssignmentId is not an id", resource.urn)
            continue
        if assignment.strip().lower() in own:
            continue
        scope = resource.props.get("scope")
        where = f" for {scope[:160]}" if isinstance(scope, str) and not is_unknown(scope) else ""
        yield Violation(f"{resource.name} exempts{where} from the policy assignment {assignment.strip()[:200]!r}, "
                        "which this stack does not define: the organization's guardrail (its deny and audit "
                        "effects) no longer applies there, for this change or the next", resource.urn)


RULE = Rule(
    id="AGID-AZ-064",
    title="azure-policy-exemption-own",
    severity="high",
    # mandatory: an agent stack lowering the organization's guardrails needs the organization's review (a waiver)
    enforcement="mandatory",
    category="escalation",
    description="Azure Policy exemptions name only policy assignments the same stack defines: the organization's "
                "guardrails are not switched off from an agent's stack.",
    remediation="Comply with the assignment, or have its owners exempt the scope through their own reviewed change "
                "(or a gate waiver naming this exemption).",
    url="https://learn.microsoft.com/en-us/azure/governance/policy/concepts/exemption-structure",
    check=check,
    stack=True,
    reads=(EXEMPTION, *ASSIGNMENTS),
)
