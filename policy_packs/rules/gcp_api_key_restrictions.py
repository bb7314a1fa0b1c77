"""AGID-GCP-010: Google Cloud API keys are restricted to named APIs.

A `gcp:projects/apiKey:ApiKey` holds a bearer key string (in the stack's state); that it exists at all is
AGID-GCP-015's finding (a static credential, mandatory, bound to a service account or not). This rule says
what to fix when a key must stay: with no `restrictions.apiTargets` (or an empty list), "If no restrictions
are specified, all targets are allowed" (pulumi-gcp's ApiKeyRestrictionsArgs), so the key calls every API
enabled in the project, Gemini and Vertex AI included, and bills the project (broad-grant).
Application restrictions (referrers, IPs, apps) are not demanded: agents rarely have fixed addresses.
A restrictions object the pack cannot read is a violation; a value unknown at preview is "cannot check until known".
Source: https://cloud.google.com/docs/authentication/api-keys#api_key_restrictions
"""

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

API_KEY = "gcp:projects/apiKey:ApiKey"


def check(resource: Resource, config):
    restrictions = resource.props.get("restrictions")
    if is_unknown(restrictions):
        yield Unknown("restrictions")
        return
    if restrictions is not None and not isinstance(restrictions, Mapping):
        yield Violation(f"{resource.name}: cannot check: restrictions is a {type(restrictions).__name__}, not an object")
        return
    targets = (restrictions or {}).get("apiTargets")
    if is_unknown(targets):
        yield Unknown("restrictions.apiTargets")
        return
    if targets is not None and not isinstance(targets, list):
        yield Violation(f"{resource.name}: cannot check: restrictions.apiTargets is a {type(targets).__name__}, "
                        "not a list")
        return
    if not targets:
        yield Violation(f"{resource.name} has no restrictions.apiTargets: the key calls every API enabled in the "
                        "project (Gemini, Vertex AI, Maps, ...); list the one service it is for")
        return
    for index, target in enumerate(targets):
        if is_unknown(target) or (isinstance(target, Mapping) and is_unknown(target.get("service"))):
            yield Unknown(f"restrictions.apiTargets[{index}].service")
        elif not isinstance(target, Mapping) or not isinstance(target.get("service"), str) or not target["service"]:
            yield Violation(f"{resource.name}: cannot check: restrictions.apiTargets[{index}] names no service")


RULE = Rule(
    id="AGID-GCP-010",
    title="gcp-api-key-restricted",
    severity="high",
    category="broad-grant",
    description="Google Cloud API keys list the APIs they may call (restrictions.apiTargets).",
    remediation="Add restrictions.apiTargets with the one service (e.g. generativelanguage.googleapis.com); keep the key string in Secret Manager.",
    url="https://cloud.google.com/docs/authentication/api-keys#api_key_restrictions",
    check=check,
    resource_types=(API_KEY,),
)
