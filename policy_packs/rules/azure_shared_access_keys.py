"""AGID-AZ-024: Azure messaging and data services accept Entra ID tokens only, and no SAS authorization rule is made.

Service Bus, Event Hubs, Relay and Notification Hubs authorization rules and Container Registry tokens each mint
shared access keys / passwords: static credentials that bypass RBAC and the agent's identity (`Manage` rights control
the whole entity). Services accept such keys or local accounts, their built-in root key included, unless a setting
turns them off (LOCAL_AUTH: the input path, and whether Azure's default when it is omitted allows keys):
  Service Bus / Event Hubs namespaces, Cosmos DB, App Configuration, SignalR, Web PubSub, Event Grid topics / domains /
  partner namespaces: `disableLocalAuth` true; IoT Hub: `properties.disableLocalAuth` true (its iothubowner SAS
  policy); Azure Cache for Redis: `disableAccessKeyAuthentication` true; AKS: `disableLocalAccounts` true (the
  clusterAdmin kubeconfig); Container Registry: `adminUserEnabled` not true (the admin user's passwords); Batch:
  `allowedAuthenticationModes` without SharedKey (omitted allows it); Log Analytics workspaces:
  `features.disableLocalAuth` true; Azure Maps: `properties.disableLocalAuth` true; Communication Services and
  Automation accounts: `disableLocalAuth` true; App Service FTP / SCM basic publishing credentials
  (`web:WebAppFtpAllowed`, `WebAppScmAllowed` and their slots): `allow` false; Bot Service bots:
  `properties.disableLocalAuth` true (channel secrets); Machine Learning computes: `properties.disableLocalAuth` true;
  Playwright workspaces (`azureplaywrightservice:Account`, `loadtestservice:PlaywrightWorkspace`): `localAuth` not
  Enabled; Machine Learning online / serverless endpoints: `properties.authMode` an Entra token mode (not Key /
  KeyAndAAD).
  Storage SFTP local users (`storage:LocalUser`) with an SSH password, SSH keys or the shared key; API Management
  subscriptions scoped to all APIs.
  Not here: Application Insights' instrumentation key (ingestion only: it writes telemetry, reads nothing).
Sources: https://learn.microsoft.com/en-us/azure/service-bus-messaging/disable-local-authentication,
https://learn.microsoft.com/en-us/azure/event-grid/authenticate-with-access-keys-shared-access-signatures,
https://learn.microsoft.com/en-us/azure/iot-hub/authenticate-authorize-azure-ad,
https://learn.microsoft.com/en-us/azure/azure-cache-for-redis/cache-azure-active-directory-for-authentication,
https://learn.microsoft.com/en-us/azure/aks/manage-local-accounts-managed-azure-ad,
https://learn.microsoft.com/en-us/azure/container-registry/container-registry-authentication#admin-account,
https://learn.microsoft.com/en-us/azure/container-registry/container-registry-repository-scoped-permissions,
https://learn.microsoft.com/en-us/azure/batch/batch-aad-auth,
https://learn.microsoft.com/en-us/azure/azure-monitor/logs/azure-ad-authentication-logs,
https://learn.microsoft.com/en-us/azure/azure-maps/azure-maps-authentication,
https://learn.microsoft.com/en-us/azure/communication-services/concepts/authentication,
https://learn.microsoft.com/en-us/azure/automation/disable-local-authentication,
https://learn.microsoft.com/en-us/azure/app-service/configure-basic-auth-disable,
https://learn.microsoft.com/en-us/azure/bot-service/policy-reference ("Bot Service should have local authentication
methods disabled"), https://learn.microsoft.com/en-us/azure/machine-learning/policy-reference ("Azure Machine Learning
Computes should have local authentication methods disabled"),
https://learn.microsoft.com/en-us/azure/playwright-testing/how-to-manage-authentication,
https://learn.microsoft.com/en-us/azure/machine-learning/how-to-authenticate-online-endpoint.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown, value_at

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
    "azure-native:containerregistry:Token",  # a repository-scoped token: passwords for docker login
)
_DISABLE_LOCAL_AUTH = ("disableLocalAuth", True, "its access keys (the root key included)")
# type -> (input path, dotted; the value that turns keys off, or a callable judging the value; what stays on otherwise)
LOCAL_AUTH = {
    "azure-native:servicebus:Namespace": _DISABLE_LOCAL_AUTH,
    "azure-native:eventhub:Namespace": _DISABLE_LOCAL_AUTH,
    "azure-native:cosmosdb:DatabaseAccount": _DISABLE_LOCAL_AUTH,
    "azure-native:appconfiguration:ConfigurationStore": _DISABLE_LOCAL_AUTH,
    "azure-native:signalrservice:SignalR": _DISABLE_LOCAL_AUTH,
    "azure-native:webpubsub:WebPubSub": _DISABLE_LOCAL_AUTH,
    "azure-native:eventgrid:Topic": _DISABLE_LOCAL_AUTH,
    "azure-native:eventgrid:Domain": _DISABLE_LOCAL_AUTH,
    "azure-native:eventgrid:PartnerNamespace": _DISABLE_LOCAL_AUTH,
    "azure-native:iothub:IotHubResource": ("properties.disableLocalAuth", True, "its shared access policies (iothubowner)"),
    "azure-native:redis:Redis": ("disableAccessKeyAuthentication", True, "its access keys"),
    "azure-native:containerservice:ManagedCluster": ("disableLocalAccounts", True,
                                                     "its local cluster-admin account (az aks get-credentials --admin)"),
    "azure-native:containerregistry:Registry": ("adminUserEnabled", lambda value: value is None or value is False,
                                                "the admin user's passwords"),
    "azure-native:batch:BatchAccount": ("allowedAuthenticationModes",
                                        lambda value: isinstance(value, list) and "SharedKey" not in value,
                                        "SharedKey authentication with the account keys"),
    "azure-native:operationalinsights:Workspace": ("features.disableLocalAuth", True,
                                                   "its workspace keys (writing and, with the API, reading logs)"),
    "azure-native:maps:Account": ("properties.disableLocalAuth", True, "its shared keys and SAS tokens"),
    "azure-native:communication:CommunicationService": _DISABLE_LOCAL_AUTH,
    "azure-native:automation:AutomationAccount": ("disableLocalAuth", True,
                                                  "its webhooks' URLs and DSC registration keys (start runbooks as the "
                                                  "account's identity)"),
    # App Service basic publishing credentials: a user name and password for FTP / Kudu (deploy code that runs as
    # the app's managed identity). The resources exist to set `allow`; only false turns them off.
    # red11a r09 and its siblings in azure-native 3.29 (every input named disableLocalAuth / localAuth): a bot's
    # local authentication is its channel secrets (Direct Line / Web Chat keys: whoever holds one talks to the bot
    # as any user); a Machine Learning compute's (every compute type carries it) is its key authentication; a
    # Playwright workspace's are service access tokens (Azure's default when omitted: Disabled).
    "azure-native:botservice:Bot": ("properties.disableLocalAuth", True,
                                    "its channel secrets (Direct Line / Web Chat keys, each one talks to the bot as "
                                    "any user)"),
    "azure-native:machinelearningservices:Compute": ("properties.disableLocalAuth", True,
                                                     "its local (key) authentication"),
    # Machine Learning endpoints (red11a r30): authMode Key = two static keys, each invoking the model (and what its
    # deployment's identity reaches) without Entra ID; AMLToken / AADToken are Entra tokens. A serverless endpoint's
    # KeyAndAAD keeps the keys.
    "azure-native:machinelearningservices:OnlineEndpoint": (
        "properties.authMode", lambda value: isinstance(value, str) and value.lower() in ("amltoken", "aadtoken"),
        "its endpoint keys (authMode Key)"),
    "azure-native:machinelearningservices:ServerlessEndpoint": (
        "properties.authMode", lambda value: isinstance(value, str) and value.lower() == "aad",
        "its endpoint keys (authMode Key / KeyAndAAD)"),
    **{type_: ("localAuth", lambda value: value is None or (isinstance(value, str) and value.lower() == "disabled"),
               "its service access tokens")
       for type_ in ("azure-native:azureplaywrightservice:Account", "azure-native:loadtestservice:PlaywrightWorkspace")},
    **{f"azure-native:web:{name}": ("allow", lambda value: value is False,
                                    "its basic-auth publishing credentials (FTP / Kudu user name and password, which "
                                    "deploy code running as the app's identity)")
       for name in ("WebAppFtpAllowed", "WebAppFtpAllowedSlot", "WebAppScmAllowed", "WebAppScmAllowedSlot")},
}


# A storage account's SFTP local user is not an Entra identity: it signs in with a password Azure generates, an
# SSH key pair or the account's shared key, and holds the permission scopes it is given (red9a 10).
# https://learn.microsoft.com/en-us/azure/storage/blobs/secure-file-transfer-protocol-support-authorize-access
STORAGE_LOCAL_USER = "azure-native:storage:LocalUser"
_LOCAL_USER_CREDENTIALS = (("hasSshPassword", "an SSH password"), ("hasSharedKey", "the account's shared key"),
                           ("sshAuthorizedKeys", "SSH keys"))


def _local_user(resource: Resource):
    held = []
    for path, what in _LOCAL_USER_CREDENTIALS:
        value = resource.props.get(path)
        if is_unknown(value):
            yield Unknown(path)
            return
        if value is True or (isinstance(value, list) and value):
            held.append(what)
    if held:
        yield Violation(f"storage local user {resource.name} signs in with {', '.join(held)}: a static credential "
                        "outside Entra ID and RBAC")


# An API Management subscription is a key pair by design (APIM's model); one scoped to every API of the service
# (`/apis`, rather than one API or a product) is a static key to all of them (red9a 2). Source: Defender for
# Cloud "API Management subscriptions should not be scoped to all APIs",
# https://learn.microsoft.com/en-us/azure/api-management/api-management-subscriptions#scope-of-subscriptions
APIM_SUBSCRIPTION = "azure-native:apimanagement:Subscription"


def _apim_subscription(resource: Resource):
    scope = resource.props.get("scope")
    if is_unknown(scope):
        yield Unknown("scope")
    elif not isinstance(scope, str):
        yield Violation(f"API Management subscription {resource.name}: scope {scope!r} is not a scope path")
    elif scope.strip().rstrip("/").lower().endswith("/apis") or scope.strip().strip("/").lower() == "apis":
        yield Violation(f"API Management subscription {resource.name} is scoped to all APIs ({scope[:200]}): its keys "
                        "are a static credential to every API of the service")


def check(resource: Resource, config):
    if resource.type == STORAGE_LOCAL_USER:
        yield from _local_user(resource)
        return
    if resource.type == APIM_SUBSCRIPTION:
        yield from _apim_subscription(resource)
        return
    if resource.type in AUTHORIZATION_RULES:
        rights = resource.props.get("rights")
        if is_unknown(rights):
            yield Unknown("rights")
            return
        listed = ", ".join(r for r in rights if isinstance(r, str)) if isinstance(rights, list) else ""
        what = "registry token" if resource.type.endswith(":Token") else "authorization rule"
        yield Violation(f"{what} {resource.name} mints shared access keys"
                        + (f" with rights {listed}" if listed else "") + ": static credentials that bypass Entra ID "
                        "and RBAC")
        return
    path, safe, what = LOCAL_AUTH[resource.type]
    value = value_at(resource.props, path)
    if is_unknown(value):
        yield Unknown(path)
    elif not (safe(value) if callable(safe) else value is safe):
        state = "is not set (Azure's default allows keys)" if value is None else f"is {value!r}"
        service = resource.type.split(":")[1]
        yield Violation(f"{service} {resource.name}: {path} {state}, so {what} bypass Entra ID and RBAC")


RULE = Rule(
    id="AGID-AZ-024",
    title="azure-no-shared-access-keys",
    severity="critical",  # a static key is mandatory (issue 11): it bypasses the identity
    category="static-credential",
    description="No SAS authorization rules or registry tokens; Service Bus, Event Hubs, Event Grid, IoT Hub, Cosmos DB, App "
                "Configuration, SignalR, Web PubSub, Redis, AKS, Container Registry, Batch, Log Analytics, Maps, "
                "Communication Services, Automation, App Service publishing, Bot Service, Machine Learning computes "
                "and Playwright workspaces turn keys / local accounts off; no "
                "storage SFTP local users or API Management subscriptions to all APIs.",
    remediation="Delete the authorization rule and set disableLocalAuth: true; grant the agent's identity a data role "
                "(e.g. Azure Service Bus Data Sender) on the entity it uses.",
    url="https://learn.microsoft.com/en-us/azure/service-bus-messaging/disable-local-authentication",
    check=check,
    resource_types=(*AUTHORIZATION_RULES, *LOCAL_AUTH, STORAGE_LOCAL_USER, APIM_SUBSCRIPTION),
)
