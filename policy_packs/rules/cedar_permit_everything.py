"""AGID-AWS-065: a Cedar policy the stack deploys does not permit every caller every action.

Amazon Bedrock AgentCore Policy (`bedrock.AgentcorePolicy`, `definition.cedar.statement`) decides, at a gateway,
which caller may call which tool; Amazon Verified Permissions (`verifiedpermissions.Policy`,
`definition.static.statement`) decides an application's requests. Cedar denies by default, so a single permit with
an unconstrained principal AND an unconstrained action (`permit(principal, action, resource);`, or `principal is
T` / `resource is T` scopes, which only name a type) and no effective condition (none, or `when { true }` /
`unless { false }`) undoes the policy store: every authenticated caller may call every tool, present and future
(red11a r27: `validationMode IGNORE_ALL_FINDINGS` does not stop it either). The statement is read with cedarpy
(`policies_to_json_str`, the Cedar policy JSON format: scope `op` "All" / "is" / "==" / "in"); a statement cedarpy
cannot parse cannot be judged (a violation). A forbid is never broad. Templates (verifiedpermissions.PolicyTemplate,
template-linked policies) are bounded by the principal and resource each link names and are not judged here.
Sources: https://docs.cedarpolicy.com/policies/syntax-policy.html, https://docs.cedarpolicy.com/policies/json-format.html,
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/policy-scope.html.
"""

from __future__ import annotations

import json
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

AGENTCORE_POLICY = "aws:bedrock/agentcorePolicy:AgentcorePolicy"
AVP_POLICY = "aws:verifiedpermissions/policy:Policy"
STATEMENT = {AGENTCORE_POLICY: "definition.cedar.statement", AVP_POLICY: "definition.static.statement"}
MAX_STATEMENT_CHARS = 10_000  # AgentCore and Verified Permissions policy size quotas are 10,000 bytes or less
_UNCONSTRAINED = ("All", "is")


def _no_condition(conditions: list[dict[str, Any]]) -> bool:
    """True when every condition is the literal `when { true }` / `unless { false }` (or there is none)."""
    return all(isinstance(c, dict) and c.get("body") == {"Value": c.get("kind") == "when"} for c in conditions)


def broad_permits(text: str) -> list[str]:
    """Ids of the permits in Cedar `text` that let any principal take any action; raises ValueError when cedarpy
    cannot parse it."""
    import cedarpy  # only where a Cedar policy is judged

    try:
        policies = json.loads(cedarpy.policies_to_json_str(text))
    except (ValueError, RuntimeError) as error:  # cedarpy raises ValueError with Cedar's parse diagnostics
        raise ValueError(str(error).splitlines()[0][:200] if str(error) else "not Cedar") from None
    return [policy_id for policy_id, policy in sorted(policies.get("staticPolicies", {}).items())
            if policy.get("effect") == "permit" and policy.get("principal", {}).get("op") in _UNCONSTRAINED
            and policy.get("action", {}).get("op") == "All" and _no_condition(policy.get("conditions", []))]


def check(resource: Resource, config):
    path = STATEMENT[resource.type]
    if resource.type == AVP_POLICY and value_at(resource.props, "definition.templateLinked") is not None:
        return  # bounded by the link's principal and resource
    text = value_at(resource.props, path)
    if is_unknown(text):
        yield Unknown(path)
        return
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_STATEMENT_CHARS:
        yield Violation(f"{resource.name}: cannot check: {path} is not a Cedar policy of at most "
                        f"{MAX_STATEMENT_CHARS} characters")
        return
    try:
        broad = broad_permits(text)
    except ValueError as error:
        yield Violation(f"{resource.name}: cannot check: {path} is not Cedar cedarpy can read ({error})")
        return
    if broad:
        yield Violation(f"{resource.name}: its Cedar statement permits any principal every action with no condition "
                        f"({', '.join(broad)}): every caller may do everything the policy store guards; name the "
                        "actions (tools) and bound the principal or add a `when` condition")


RULE = Rule(
    id="AGID-AWS-065",
    title="cedar-no-permit-everything",
    severity="critical",
    category="broad-grant",
    description="Cedar policies of AgentCore policy engines and Verified Permissions policy stores do not permit any "
                "principal every action without a condition.",
    remediation="Write one permit per tool (action == AgentCore::Action::\"Target___tool\") for the principals that "
                "need it, with a `when` condition on the caller; keep validationMode FAIL_ON_ANY_FINDINGS.",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/policy-scope.html",
    check=check,
    resource_types=tuple(STATEMENT),
)
