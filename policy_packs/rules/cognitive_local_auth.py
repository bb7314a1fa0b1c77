"""AGID-AZ-023: Azure OpenAI / AI services (Cognitive Services) and AI Search accept Entra ID tokens only.

Both enable local (API key) authentication unless `disableLocalAuth` is true: a key is a static credential that
bypasses RBAC and the agent's identity, and anyone holding it can call the service.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

COGNITIVE_ACCOUNT = "azure-native:cognitiveservices:Account"
SEARCH_SERVICE = "azure-native:search:Service"


def check(resource: Resource, config):
    if resource.type == COGNITIVE_ACCOUNT:
        properties = resource.props.get("properties")
        if is_unknown(properties):
            yield Unknown("properties")
            return
        path, value = "properties.disableLocalAuth", properties.get("disableLocalAuth") if isinstance(properties, dict) else None
        kind = resource.props.get("kind")
        what = f"{kind} account" if isinstance(kind, str) and not is_unknown(kind) else "Cognitive Services account"
    else:
        path, value, what = "disableLocalAuth", resource.props.get("disableLocalAuth"), "AI Search service"
    if is_unknown(value):
        yield Unknown(path)
    elif value is not True:
        state = "is not set (Azure's default allows keys)" if value is None else f"is {value!r}"
        yield Violation(f"{what} {resource.name}: {path} {state}, so API keys bypass Entra ID and RBAC")


RULE = Rule(
    id="AGID-AZ-023",
    title="ai-services-no-local-auth",
    severity="critical",  # a static key is mandatory (issue 11): it bypasses the identity
    category="static-credential",
    description="Azure OpenAI / AI services accounts and AI Search services disable local (API key) authentication.",
    remediation="Set properties.disableLocalAuth (search: disableLocalAuth) to true and grant the agent's identity a "
                "data role such as Cognitive Services OpenAI User on the account.",
    url="https://learn.microsoft.com/en-us/azure/ai-services/disable-local-auth",
    check=check,
    resource_types=(COGNITIVE_ACCOUNT, SEARCH_SERVICE),
)
