"""AGID-AZ-067: every azure-native provider deploys into one of the organisation's own Azure subscriptions.

An azure-native resource with a resource group (a Key Vault and its secrets, a storage account and its blobs, a
managed identity, a role assignment at resource-group scope named by the provider's subscription) is created in its
provider's `subscriptionId`: an explicit `azure_native.Provider(subscription_id=...)`, or the default provider the
engine builds from the stack file's `azure-native:subscriptionId`
(https://www.pulumi.com/registry/packages/azure-native/api-docs/provider/). A pull request that points either at a
subscription its author holds deploys the stack there with the deployer's own identity, which that subscription's
owner can simply grant a role (a guest or multi-tenant service principal is let in by a role assignment): the
secrets the stack writes into Key Vault, the blobs it uploads land outside the organisation (red19 r19-5, the Azure
twin of AGID-GCP-035; AGID-PRV-004 judges the TENANT a provider signs in to, not the subscription inside it).

Own subscriptions are the gate's to say: `ownSubscriptionIds` (pack-wide; `agentid preview --own-subscription S` or
the base branch's waivers.yaml policyPackConfig `all:`; a pull request may only shorten the list) and the gate's mock
subscription. Never the stack file's `azure-native:subscriptionId`, which the pull request chooses (red19 r19-2's
lesson for tenants: it would vouch for the very subscription it moves the stack into). None listed is "cannot tell"
(a violation), as for every own list; a value that is not a subscription id is "cannot tell"; a value unknown at
preview is "cannot check until known". A provider with no `subscriptionId` deploys into the runner's configured
subscription (ARM_SUBSCRIPTION_ID, the az CLI's default): the deploy job's own, not judged.
Not here: extension resources created at another subscription's ARM scope (`scope`, `resourceUri`), which name
where they are created themselves; AGID-AZ-060 judges the destinations that hand data or access to a subscription.
"""

from __future__ import annotations

import uuid

from agentid_policy_packs.analysis.values import is_unknown

from .azure_foreign_subscription import MOCK_SUBSCRIPTIONS_ENV
from .base import Resource, Rule, Unknown, Violation
from .federated_issuer_known import own_ids

PROVIDER_TYPE = "pulumi:providers:azure-native"
# provider package -> the stack-config keys this rule reads on the default provider (default_providers.py builds it)
DEPLOY_CONFIG_KEYS: dict[str, tuple[str, ...]] = {"azure-native": ("subscriptionId",)}
SETTING = "ownSubscriptionIds"


def subscription_id(value: str) -> str | None:
    """The subscription id (lower case) a bare id or `/subscriptions/ID` names; None for anything else."""
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith("/subscriptions/"):
        text = text[len("/subscriptions/"):].rstrip("/")
    try:
        return str(uuid.UUID(text)) if len(text) == 36 else None
    except ValueError:
        return None


def own_subscriptions(config) -> frozenset[str]:
    """The gate's ownSubscriptionIds and its mock subscription (lower case); never the stack config's."""
    found = own_ids(config, SETTING, (), MOCK_SUBSCRIPTIONS_ENV)
    return frozenset(sub for item in found if isinstance(item, str) and (sub := subscription_id(item)))


def check(resource: Resource, config):
    value = resource.props.get("subscriptionId")
    if value is None or value == "":
        return
    if is_unknown(value):
        yield Unknown(f"{resource.name}.subscriptionId")
        return
    subscription = subscription_id(value) if isinstance(value, str) else None
    if subscription is None:
        yield Violation(f"{resource.name}: subscriptionId {str(value)[:80]!r} is not a subscription id: cannot tell "
                        "which subscription the provider deploys into")
        return
    listed = {s for item in config.get(SETTING, []) if isinstance(item, str) and (s := subscription_id(item))}
    if subscription in own_subscriptions(config):
        return
    why = (f"not one of ownSubscriptionIds ({', '.join(sorted(listed))})" if listed else
           "the gate lists no own subscriptions (ownSubscriptionIds), so it cannot tell whose it is")
    yield Violation(f"{resource.name} deploys every resource it creates into subscription {subscription}, {why}: the "
                    "deployer's identity would write the stack's Key Vault secrets, blobs and identities into a "
                    "subscription the organisation may not hold")


RULE = Rule(
    id="AGID-AZ-067",
    title="azure-provider-in-own-subscription",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Every azure-native provider, explicit or the default one built from the stack file's "
                "azure-native:subscriptionId, deploys into a subscription the gate lists as the organisation's "
                "(ownSubscriptionIds), never one the pull request names.",
    remediation="Deploy into your own subscriptions and list them with agentid preview --own-subscription (or the "
                "base branch's waivers.yaml policyPackConfig all: ownSubscriptionIds); leave subscriptionId unset "
                "to deploy into the runner's own; a reviewed deployment into a partner subscription needs a waiver "
                "naming the provider.",
    url="https://www.pulumi.com/registry/packages/azure-native/api-docs/provider/",
    check=check,
    resource_types=(PROVIDER_TYPE,),
    config={SETTING: []},
    config_schema={SETTING: {"type": "array", "items": {"type": "string"}, "default": [],
                             "description": "Azure subscription ids of the organisation (set by the gate)"}},
    config_strictness={SETTING: "subset"},
)
