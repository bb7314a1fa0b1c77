"""AGID-GCP-026: an organization policy never switches off an identity guardrail of the organization.

Organization Policy constraints are how a Google Cloud organization refuses, everywhere below it, what no IAM
review catches one change at a time: service-account keys (iam.disableServiceAccountKeyCreation), roles for
identities of other domains (iam.allowedPolicyMemberDomains), identity pools trusting any issuer or AWS account,
default service accounts made Editor, public buckets. A stack that sets a policy lowering one of them, on its
organization, a folder or its project, lets the next change do what the organization had refused (red13 r13-3:
`enforce: FALSE` on iam.disableServiceAccountKeyCreation and `allowAll` on iam.allowedPolicyMemberDomains passed).
Which constraints guard identities, and which way, is data: policy_packs/analysis/gcp_guardrail_constraints.yaml.
Lowering is
  - a boolean constraint not enforced: `spec.rules[].enforce` false (also under a condition: it is off there), a
    legacy `booleanPolicy.enforced` false;
  - a list constraint allowing every value: `spec.rules[].allowAll`, a legacy `listPolicy.allow.all`;
  - allowed values MERGED into the parent's list (`spec.inheritFromParent` / legacy `listPolicy.inheritFromParent`
    true with allowed values: "values are added to those of the parent"); values replacing the parent's are the
    organization's own list, not judged here;
  - `spec.reset` / legacy `restorePolicy.default`: Google's default behaviour, which for these constraints on
    organizations created before 2024 is not enforced.
Source: https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "gcp_guardrail_constraints.yaml"
ORG_POLICY = "gcp:orgpolicy/policy:Policy"
LEGACY = ("gcp:projects/organizationPolicy:OrganizationPolicy", "gcp:folder/organizationPolicy:OrganizationPolicy",
          "gcp:organizations/policy:Policy")


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def constraints() -> dict[str, dict[str, str]]:
    """analysis/gcp_guardrail_constraints.yaml: constraint name -> {kind: boolean|list, guards: text}."""
    return _data()["constraints"]


def guard_of(name: str) -> dict[str, str] | None:
    """The reviewed entry of a constraint; for an unreviewed one under an identity prefix (iam.*), an entry whose
    kind `any` counts every relaxation (boolean or list) as lowering; None for other constraints."""
    if name in constraints():
        return constraints()[name]
    if any(name.startswith(prefix) for prefix in _data().get("unreviewed_prefixes", ())):
        return {"kind": "any", "guards": "the organization set on this identity constraint (not reviewed here: cannot "
                                         "check what relaxing it allows)"}
    return None


def _true(value: Any) -> bool:
    """A policy flag as the API takes it: a bool, or the strings "TRUE"/"true" (orgpolicy v2 enforce/allowAll)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def constraint_of(resource: Resource) -> Any:
    """The constraint's name (`iam.disableServiceAccountKeyCreation`), the unknown sentinel, or None."""
    if resource.type == ORG_POLICY:
        name = resource.props.get("name")
        return name if is_unknown(name) or not isinstance(name, str) else name.strip().rsplit("/", 1)[-1]
    name = resource.props.get("constraint")
    return name if is_unknown(name) or not isinstance(name, str) else name.strip().removeprefix("constraints/")


def _lowered_v2(spec: dict[str, Any], kind: str):
    """(input path, how it lowers the constraint) of each lowering in an orgpolicy v2 spec; Unknown where unknown."""
    if is_unknown(spec.get("reset")):
        yield Unknown("spec.reset")
    elif _true(spec.get("reset")):
        yield "spec.reset", "resets it to Google's default behaviour"
    rules = spec.get("rules")
    if is_unknown(rules):
        yield Unknown("spec.rules")
        return
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if is_unknown(rule):
            yield Unknown(f"spec.rules[{index}]")
            continue
        if not isinstance(rule, dict):
            continue
        where = f"spec.rules[{index}]"
        for key in ("enforce", "allowAll"):
            if is_unknown(rule.get(key)):
                yield Unknown(f"{where}.{key}")
        if kind in ("boolean", "any") and _false(rule.get("enforce")):
            yield f"{where}.enforce", "does not enforce it" + (" where its condition holds" if rule.get("condition") else "")
        if kind in ("list", "any") and _true(rule.get("allowAll")):
            yield f"{where}.allowAll", "allows every value"
        allowed = (rule.get("values") or {}).get("allowedValues") if isinstance(rule.get("values"), dict) else None
        if kind in ("list", "any") and allowed and _true(spec.get("inheritFromParent")):
            yield f"{where}.values.allowedValues", "adds allowed values to the parent's list (spec.inheritFromParent)"


def _lowered_legacy(props: dict[str, Any], kind: str):
    restore = props.get("restorePolicy")
    if is_unknown(restore):
        yield Unknown("restorePolicy")
    elif isinstance(restore, dict) and _true(restore.get("default")):
        yield "restorePolicy.default", "restores Google's default behaviour"
    boolean = props.get("booleanPolicy")
    if is_unknown(boolean) or (isinstance(boolean, dict) and is_unknown(boolean.get("enforced"))):
        yield Unknown("booleanPolicy.enforced")
    elif kind in ("boolean", "any") and isinstance(boolean, dict) and _false(boolean.get("enforced")):
        yield "booleanPolicy.enforced", "does not enforce it"
    listed = props.get("listPolicy")
    if is_unknown(listed):
        yield Unknown("listPolicy")
        return
    if kind not in ("list", "any") or not isinstance(listed, dict):
        return
    allow = listed.get("allow")
    if is_unknown(allow):
        yield Unknown("listPolicy.allow")
    elif isinstance(allow, dict):
        if _true(allow.get("all")):
            yield "listPolicy.allow.all", "allows every value"
        elif allow.get("values") and _true(listed.get("inheritFromParent")):
            yield "listPolicy.allow.values", "adds allowed values to the parent's list (listPolicy.inheritFromParent)"


def check(resource: Resource, config):
    name = constraint_of(resource)
    if is_unknown(name):
        yield Unknown("name" if resource.type == ORG_POLICY else "constraint")
        return
    entry = guard_of(name) if isinstance(name, str) else None
    if entry is None:
        return
    if resource.type == ORG_POLICY:
        spec = resource.props.get("spec")
        if is_unknown(spec):
            yield Unknown("spec")
            return
        found = _lowered_v2(spec, entry["kind"]) if isinstance(spec, dict) else ()
    else:
        found = _lowered_legacy(resource.props, entry["kind"])
    for outcome in found:
        if isinstance(outcome, Unknown):
            yield outcome
            continue
        path, how = outcome
        yield Violation(f"{resource.name} sets the organization policy {name} so that it {how} ({path}): the "
                        f"guardrail that {entry['guards']} no longer holds there, for this change or the next")


RULE = Rule(
    id="AGID-GCP-026",
    title="gcp-org-policy-guardrail-kept",
    severity="high",
    # mandatory: an agent stack has no business lowering the organization's identity guardrails; an organization
    # changing its own policy does it with a reviewed waiver
    enforcement="mandatory",
    category="escalation",
    description="Organization policies set by the stack never switch off an identity guardrail (service-account key "
                "creation/upload, allowed member domains, identity pool providers, default service-account grants, "
                "public access prevention, ...).",
    remediation="Leave the organization's constraint enforced; a workload that needs an exception gets it from the "
                "organization's own policy change, reviewed there (or a waiver naming this resource).",
    url="https://cloud.google.com/resource-manager/docs/organization-policy/org-policy-constraints",
    check=check,
    resource_types=(ORG_POLICY, *LEGACY),
)
