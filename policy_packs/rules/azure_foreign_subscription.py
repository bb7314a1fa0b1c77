"""AGID-AZ-060: access and data the stack hands to Azure subscriptions go only to the stack's own subscriptions.

Some azure-native inputs let a SUBSCRIPTION in without any role assignment: a Private Link service visible to and
auto-approved for subscriptions (`"*"`: every subscription of every tenant connects privately to the service behind
it), an AKS trusted-access binding giving a resource's system identity roles in the cluster (`sourceResourceId`),
shared capacity reservations, and diagnostic settings streaming logs (Key Vault access logs, Entra sign-in and audit
logs, a subscription's activity log) to a workspace, storage account, event hub or service bus of a subscription
(red11a r12, r17: each passed with another subscription). The inputs are data: `subscriptions` of
analysis/azure_foreign_directories.yaml.

Own subscriptions, as AGID-AZ-045's own tenants: this rule's `ownSubscriptionIds` (set by the gate; a pull request
may only shorten it), the stack config's `azure-native:subscriptionId`, the gate's mock subscription
(get_client_config), and the subscription of the resource itself where one of its own inputs names it by ARM id (a
diagnostic setting's `resourceUri`, a Private Link service's subnet): the deployer can only configure a resource of
its own subscription. Anything else is "cannot tell whether subscription S is yours" (fail closed); `"*"` is every
subscription; a value unknown at preview is "cannot check until known".
Sources: see analysis/azure_foreign_directories.yaml (Private Link service visibility, AKS trusted access, Azure
Monitor diagnostic settings).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown, values_at

from .azure_foreign_tenant_principal import data
from .base import Resource, Rule, Unknown, Violation
from .federated_issuer_known import own_ids

MOCK_SUBSCRIPTIONS_ENV = "AGENTID_MOCK_SUBSCRIPTIONS"  # set by the gate: the subscription its mocks deploy to
SUBSCRIPTION_CONFIG_KEYS = ("azure-native:subscriptionId", "azure-native:config:subscriptionId")
_ARM_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)(?:/|$)", re.IGNORECASE)


def _subscription(value: str) -> str | None:
    """The subscription id an ARM id or a bare subscription id names (lower case), else None."""
    text = value.strip()
    match = _ARM_SUBSCRIPTION.match(text)
    candidate = match[1] if match else text
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        return None


def own_subscriptions(resource: Resource, config, own_paths: list[str]) -> frozenset[str]:
    """Subscription ids (lower case) of the stack's own: ownSubscriptionIds, azure-native:subscriptionId, the gate's
    mock subscription, and the subscriptions the resource's `own_paths` inputs name by ARM id."""
    found = own_ids(config, "ownSubscriptionIds", SUBSCRIPTION_CONFIG_KEYS, MOCK_SUBSCRIPTIONS_ENV)
    for path in own_paths:
        found.update(value for _, value in values_at(resource.props, path)
                     if isinstance(value, str) and not is_unknown(value))
    return frozenset(sub for item in found if item.strip() and (sub := _subscription(item)))


def _values(resource: Resource, path: str) -> list[tuple[str, Any]]:
    """Each value at `path`: a list input gives one per item."""
    found = []
    for where, value in values_at(resource.props, path):
        if isinstance(value, list):
            found += [(f"{where}[{index}]", item) for index, item in enumerate(value)]
        else:
            found.append((where, value))
    return found


def check(resource: Resource, config):
    entry = data()["subscriptions"][resource.type]
    own = None
    for path in entry["paths"]:
        for where, value in _values(resource, path):
            if is_unknown(value):
                yield Unknown(where)
                continue
            if value == "*":
                yield Violation(f"{resource.name} opens {entry['grants']} to every subscription of every tenant "
                                f"({where} \"*\")")
                continue
            subscription = _subscription(value) if isinstance(value, str) else None
            if subscription is None:
                yield Violation(f"{resource.name}: {where} is {str(value)[:120]!r}, neither a subscription id nor an "
                                "Azure resource id: cannot tell whose subscription gets " + entry["grants"])
                continue
            own = own if own is not None else own_subscriptions(resource, config, entry.get("own", []))
            if subscription not in own:
                yield Violation(f"{resource.name} gives {entry['grants']} to subscription {subscription} ({where}), "
                                "which is not one of the stack's own subscriptions (ownSubscriptionIds, the stack's "
                                "azure-native:subscriptionId, the resource's own): cannot tell whose it is")


RULE = Rule(
    id="AGID-AZ-060",
    title="azure-foreign-subscription",
    severity="critical",
    category="public-access",
    description="Private Link service visibility / auto-approval, AKS trusted access, shared capacity and diagnostic "
                "settings (Key Vault, Entra sign-in and audit logs, activity logs) name only the stack's own "
                "subscriptions, never \"*\".",
    remediation="Name your own subscriptions (list them in the base branch's waivers.yaml policyPackConfig "
                "AGID-AZ-060 ownSubscriptionIds, or set azure-native:subscriptionId); send logs to a workspace or "
                "storage account of your own subscription; never use \"*\" for Private Link visibility or "
                "auto-approval.",
    url="https://learn.microsoft.com/en-us/azure/private-link/private-link-service-overview#control-service-access",
    check=check,
    resource_types=tuple(data()["subscriptions"]),
    config={"ownSubscriptionIds": []},
    config_schema={"ownSubscriptionIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                          "description": "Azure subscription ids of the stack's own, besides the "
                                                         "stack's azure-native:subscriptionId (set by the gate)"}},
    config_strictness={"ownSubscriptionIds": "subset"},
)
