"""AGID-AZ-024: Azure messaging and data services accept Entra ID tokens only, and no SAS authorization rule is made.

Service Bus, Event Hubs, Relay and Notification Hubs authorization rules each mint a pair of shared access keys:
static credentials that bypass RBAC and the agent's identity (`Manage` rights control the whole entity). The
namespaces (and Cosmos DB, App Configuration, SignalR, Web PubSub) accept such keys, their built-in root key
included, unless `disableLocalAuth` is true.
Source: https://learn.microsoft.com/en-us/azure/service-bus-messaging/disable-local-authentication
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

AUTHORIZATION_RULES = (
    "azure-native:servicebus:NamespaceAuthorizationRule",
    "azure-native:servicebus:QueueAuthorizationRule",
    "azure-native:servicebus:TopicAuthorizationRule",
    "azure-native:eventhub:NamespaceAuthorizationRule",
    "azure-native:eventhub:EventHubAuthorizationRule",
    "azure-native:relay:NamespaceAuthorizationRule",
    "azure-native:relay:HybridConnectionAuthorizationRule",
    "azure-native:relay:WCFRelayAuthorizationRule",
    "azure-native:notificationhubs:NamespaceAuthorizationRule",
    "azure-native:notificationhubs:NotificationHubAuthorizationRule",
)
# services whose top-level `disableLocalAuth` input turns their access keys off
LOCAL_AUTH = (
    "azure-native:servicebus:Namespace",
    "azure-native:eventhub:Namespace",
    "azure-native:cosmosdb:DatabaseAccount",
    "azure-native:appconfiguration:ConfigurationStore",
    "azure-native:signalrservice:SignalR",
    "azure-native:webpubsub:WebPubSub",
)


def check(resource: Resource, config):
    if resource.type in AUTHORIZATION_RULES:
        rights = resource.props.get("rights")
        if is_unknown(rights):
            yield Unknown("rights")
            return
        listed = ", ".join(r for r in rights if isinstance(r, str)) if isinstance(rights, list) else ""
        yield Violation(f"authorization rule {resource.name} mints shared access keys"
                        + (f" with rights {listed}" if listed else "") + ": static credentials that bypass Entra ID "
                        "and RBAC")
        return
    value = resource.props.get("disableLocalAuth")
    if is_unknown(value):
        yield Unknown("disableLocalAuth")
    elif value is not True:
        state = "is not set (Azure's default allows keys)" if value is None else f"is {value!r}"
        service = resource.type.split(":")[1]
        yield Violation(f"{service} {resource.name}: disableLocalAuth {state}, so its access keys (the root key "
                        "included) bypass Entra ID and RBAC")


RULE = Rule(
    id="AGID-AZ-024",
    title="azure-no-shared-access-keys",
    severity="critical",  # a static key is mandatory (issue 11): it bypasses the identity
    category="static-credential",
    description="No SAS authorization rules; Service Bus, Event Hubs, Cosmos DB, App Configuration, SignalR and Web "
                "PubSub set disableLocalAuth to true.",
    remediation="Delete the authorization rule and set disableLocalAuth: true; grant the agent's identity a data role "
                "(e.g. Azure Service Bus Data Sender) on the entity it uses.",
    url="https://learn.microsoft.com/en-us/azure/service-bus-messaging/disable-local-authentication",
    check=check,
    resource_types=(*AUTHORIZATION_RULES, *LOCAL_AUTH),
)
