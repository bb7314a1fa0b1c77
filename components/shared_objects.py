"""Objects an AWS account or an Entra tenant holds once, created by two agent stacks: they collide.

A stack that neither references a platform stack (config `platformStack`) nor names the existing object creates
it itself: the GitHub Actions OIDC provider and one OIDC provider per IRSA issuer (IAM keeps one provider per
issuer URL in an account: CreateOpenIDConnectProvider fails with EntityAlreadyExists), and one Entra API
application per audience (an identifier URI is unique in a tenant). Two stacks of one account or tenant that both
do so cannot both deploy. `collisions` names each such object with both stacks, for `agentid inventory --stack`
and `agentid validate --stack`. Stacks whose provider config pins them to different accounts
(`aws:allowedAccountIds`) or tenants (`azuread:tenantId`, `azure-native:tenantId`) do not collide.
Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from agentid_components.spec import Agent

NAMESPACE = "agent-identity-kit"  # settings.NAMESPACE (not imported: it loads pulumi)
GITHUB_ISSUER_HOST = "token.actions.githubusercontent.com"


@dataclass(frozen=True)
class SharedObject:
    realm: str  # "aws" (one account) or "entra" (one tenant)
    key: str  # what the realm keeps unique
    description: str
    remedy: str


def _config_map(config: Mapping[str, str], key: str) -> Mapping:
    try:
        value = json.loads(config.get(f"{NAMESPACE}:{key}") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def created_objects(agents: list[Agent], config: Mapping[str, str]) -> list[SharedObject]:
    """The once-per-account/tenant objects a stack with `config` (qualified keys -> values as the program gets
    them) creates for `agents`."""
    platform = bool(config.get(f"{NAMESPACE}:platformStack"))
    found: dict[tuple[str, str], SharedObject] = {}
    aws_bindings = [b for agent in agents if "aws" in agent.clouds for b in agent.trust if b.usable_on("aws")]
    if any(b.github_actions for b in aws_bindings) and not platform and not config.get(f"{NAMESPACE}:awsGithubOidcProviderArn"):
        found[("aws", GITHUB_ISSUER_HOST)] = SharedObject(
            "aws", GITHUB_ISSUER_HOST, f"the GitHub Actions OIDC provider ({GITHUB_ISSUER_HOST})",
            "move it to the platform stack (platform: github_actions: true; config platformStack in each agent "
            "stack) or reference it (awsGithubOidcProviderArn)")
    known_issuers = _config_map(config, "awsKubernetesOidcProviderArns")
    for binding in aws_bindings:
        k8s = binding.kubernetes
        if k8s is not None and k8s.cluster is None and k8s.issuer not in known_issuers:
            host = k8s.issuer.removeprefix("https://").rstrip("/")
            found[("aws", host)] = SharedObject(
                "aws", host, f"the IRSA OIDC provider of {k8s.issuer}",
                "create it once and reference it in each stack (awsKubernetesOidcProviderArns)")
    known_apps = _config_map(config, "azureApiApplications")
    for agent in agents:
        for tool in agent.tools:
            oauth = tool.oauth
            if oauth is not None and oauth.provider == "entra" and not platform and oauth.audience not in known_apps:
                found[("entra", oauth.audience)] = SharedObject(
                    "entra", oauth.audience, f"the Entra API application of {oauth.audience}",
                    "move it to the platform stack (platform: apis with provider entra; config platformStack in each "
                    "agent stack) or reference it (azureApiApplications)")
    return list(found.values())


def _realm_id(realm: str, config: Mapping[str, str]) -> frozenset[str] | None:
    """The accounts / tenant the stack's provider config pins it to, or None when it does not say."""
    if realm == "aws":
        try:
            accounts = json.loads(config.get("aws:allowedAccountIds") or "null")
        except ValueError:
            return None
        return frozenset(map(str, accounts)) if isinstance(accounts, list) and accounts else None
    tenant = config.get("azuread:tenantId") or config.get("azure-native:tenantId")
    return frozenset([tenant.lower()]) if tenant else None


def collisions(stacks: list[tuple[str, list[Agent], Mapping[str, str]]]) -> list[str]:
    """One line per shared object two of `stacks` (name, agents, config) would both create in one account or
    tenant (or may: a stack whose config does not pin its account or tenant counts as the same)."""
    first: dict[tuple[str, str], tuple[str, Mapping[str, str]]] = {}
    lines = []
    for name, agents, config in stacks:
        for shared in created_objects(agents, config):
            earlier = first.setdefault((shared.realm, shared.key), (name, config))
            if earlier[0] == name:
                continue
            mine, theirs = _realm_id(shared.realm, config), _realm_id(shared.realm, earlier[1])
            if mine is not None and theirs is not None and not mine & theirs:
                continue  # pinned to different accounts / tenants
            where = "AWS account" if shared.realm == "aws" else "Entra tenant"
            lines.append(f"stacks {earlier[0]} and {name} both create {shared.description}, which one {where} holds "
                         f"once: {shared.remedy}")
    return lines
