"""AGID-AWS-065: a Cedar policy the stack deploys does not permit every caller every action.

Amazon Bedrock AgentCore Policy (`bedrock.AgentcorePolicy`, `definition.cedar.statement`) decides, at a gateway,
which caller may call which tool; Amazon Verified Permissions (`verifiedpermissions.Policy`,
`definition.static.statement`) decides an application's requests. Cedar denies by default, so a single permit with
an unconstrained principal AND an unconstrained action (`permit(principal, action, resource);`, or `principal is
T` / `resource is T` scopes, which only name a type) and no effective condition undoes the policy store: every
authenticated caller may call every tool, present and future (red11a r27: `validationMode IGNORE_ALL_FINDINGS` does
not stop it either). A condition is no bound when a caller who has nothing satisfies it: the permit alone is
evaluated by cedarpy (`is_authorized`) for a probe request (a principal and a resource of the scope's types, or
made-up ones, with no attributes, tags or parents, an action of its own and an empty context); an Allow means the
condition is a constant or a tautology (`when { true || false }`, `1 == 1`, `principal == principal`,
`context has x || !(context has x)`, `unless { principal has id && principal.id == "bob" }`: red20 r20-5). A
condition that reads an attribute, a tag or a membership the probe lacks errs or is false, so it denies and passes
here: it names something about the caller. The statement is read with cedarpy
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


_PROBE_ACTION = 'Action::"agentidProbe"'


def _probe_entity(scope: dict[str, Any], made_up: str) -> str:
    """The probe's principal or resource: of the type an `is` scope names, else a type no schema has."""
    kind = scope.get("entity_type") if scope.get("op") == "is" else None
    return f'{kind if isinstance(kind, str) and kind else made_up}::"agentid-probe"'


def _match_all_true(node: Any) -> Any:
    """`node` with every `x like "*"` (a pattern of wildcards only) as `true`: it holds for any string, and the
    probe, which has no attributes, would only err on `x` (red20 r20-5's `principal.id like "*"`)."""
    if isinstance(node, dict):
        like = node.get("like")
        if len(node) == 1 and isinstance(like, dict) and like.get("pattern") \
                and all(part == "Wildcard" for part in like["pattern"]):
            return {"Value": True}
        return {key: _match_all_true(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_match_all_true(item) for item in node]
    return node


def _no_condition(policy: dict[str, Any]) -> bool:
    """True when the permit's conditions (none, `when { true }`, or any constant or tautology) let a caller with no
    attributes, tags or parents through: cedarpy evaluates the policy alone for such a probe request."""
    import cedarpy  # only where a Cedar policy is judged

    conditions = policy.get("conditions", [])
    if all(isinstance(c, dict) and c.get("body") == {"Value": c.get("kind") == "when"} for c in conditions):
        return True
    probed = {**policy, "conditions": _match_all_true(conditions)}
    text = cedarpy.policies_from_json_str(json.dumps({"staticPolicies": {"p": probed}, "templates": {},
                                                      "templateLinks": []}))
    request = {"principal": _probe_entity(policy.get("principal", {}), "AgentidProbe::Principal"),
               "action": _PROBE_ACTION,
               "resource": _probe_entity(policy.get("resource", {}), "AgentidProbe::Resource"), "context": {}}
    return cedarpy.is_authorized(request, text, []).decision == cedarpy.Decision.Allow


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
            and policy.get("action", {}).get("op") == "All" and _no_condition(policy)]


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
                        f"that bounds the caller ({', '.join(broad)}): every caller may do everything the policy store guards; name the "
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
