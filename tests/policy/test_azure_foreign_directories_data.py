"""analysis/azure_foreign_directories.yaml (AGID-AZ-045 / AGID-AZ-060) against the installed pulumi-azure-native:

1. every judged path is an input of its type, step by step (a misspelt member would make the rules read nothing);
2. every resource type with an input named like a tenant id (`tenantId`, `*TenantId`), a subscription id
   (`subscriptionId`, `*SubscriptionId(s)`), a subscription list (`subscriptions`) or a trusted issuer (`idProvider`)
   is judged or listed under not_judged with a reason, exactly once: a provider upgrade adding one fails here until
   someone decides whether it lets another tenant or subscription in."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from agentid_policy_packs.rules.azure_foreign_tenant_principal import data
from agentid_policy_packs.rules.coverage import provider_tokens
from tests.policy.azure_sdk_inputs import input_paths, missing_step

_SIBLING = re.compile(r"^(tenantId|subscriptionIds?|subscriptions|idProvider)$|(TenantId|SubscriptionIds?)$")


def _judged() -> dict[str, list[str]]:
    tables = data()
    found: dict[str, list[str]] = {}
    for token, entry in tables["tenants"].items():
        found.setdefault(token, []).extend(entry["paths"])
    for table in ("issuers", "emails"):
        for token, paths in tables[table].items():
            found.setdefault(token, []).extend(paths)
    for token, entry in tables["subscriptions"].items():
        found.setdefault(token, []).extend(entry["paths"] + entry.get("own", []))
    return found


@pytest.mark.parametrize("token", sorted(_judged()))
def test_every_judged_input_exists(token):
    assert [(path, missing) for path in _judged()[token]
            if (missing := missing_step(token, path.replace("[]", "")))] == []


@lru_cache(maxsize=1)
def _sdk_types() -> set[str]:
    return {token for token in provider_tokens("pulumi_azure_native")
            if "/" not in token.split(":")[1] and input_paths(token, lambda name: bool(_SIBLING.search(name)), 5)}


def test_every_sdk_type_with_a_tenant_or_subscription_input_is_classified_once():
    listed = [token for tokens in data()["not_judged"].values() for token in tokens]
    classified = list(_judged()) + listed
    assert sorted(t for t in set(classified) if classified.count(t) > 1) == []
    assert sorted(_sdk_types() - set(classified)) == []
    assert sorted(set(listed) - _sdk_types()) == []  # a listed type that lost its input: drop it
