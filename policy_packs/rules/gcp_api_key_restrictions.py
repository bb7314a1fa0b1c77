"""AGID-GCP-010: Google Cloud API keys are restricted to named APIs and not bound to a service account.

A `gcp:projects/apiKey:ApiKey` holds a bearer key string (in the stack's state). Two findings:
  - no `restrictions.apiTargets` (or an empty list): "If no restrictions are specified, all targets are
    allowed" (pulumi-gcp's ApiKeyRestrictionsArgs), so the key calls every API enabled in the project,
    Gemini and Vertex AI included, and bills the project (broad-grant);
  - `serviceAccountEmail` set: the key is bound to that service account and authenticates as it to the
    APIs that accept bound keys: a static credential of an identity, like a service-account key
    (static-credential).
Application restrictions (referrers, IPs, apps) are not demanded: agents rarely have fixed addresses.
A restrictions object the pack cannot read is a violation; a value unknown at preview is "cannot check until known".
Sources: https://cloud.google.com/docs/authentication/api-keys#api_key_restrictions,
https://cloud.google.com/docs/authentication/api-keys#bound-sa
"""

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

API_KEY = "gcp:projects/apiKey:ApiKey"


def check(resource: Resource, config):
    account = resource.props.get("serviceAccountEmail")
    if is_unknown(account):
        yield Unknown("serviceAccountEmail")
    elif account:
        yield Violation(f"{resource.name} is bound to service account {account}: the key string authenticates as "
                        "that account, a static credential that lives until the key is deleted; give the agent a "
                        "federated identity instead", category="static-credential")
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
    description="Google Cloud API keys list the APIs they may call (restrictions.apiTargets) and are not bound to a "
                "service account.",
    remediation="Add restrictions.apiTargets with the one service (e.g. generativelanguage.googleapis.com); drop "
                "serviceAccountEmail and give the agent a federated identity; keep the key string in Secret Manager.",
    url="https://cloud.google.com/docs/authentication/api-keys#api_key_restrictions",
    check=check,
    resource_types=(API_KEY,),
)
