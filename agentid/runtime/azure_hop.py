"""The Azure hop: an Entra access token for the service an Azure tool's grant touches, from the agent's own identity.

The agent's identity is an azure-core TokenCredential from azure-identity:
`WorkloadIdentityCredential` where a federated token file is set
(AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID: AKS workload
identity, or any OIDC workload federated to the agent's identity), otherwise
`ManagedIdentityCredential` (the user-assigned identity the components create,
AZURE_CLIENT_ID). The token is asked for `RESOURCE/.default`, where RESOURCE is
the audience of the service the tool's actions belong to (the data plane's for
data actions, Azure Resource Manager's for control-plane actions), so a token
minted for one service is useless at another. The role assignment at the tool's
scope still bounds what the token can do. With one identity per agent that
identity holds every Azure tool's role; with `azure_identity_per_tool` each
tool's role is held by an identity of its own (its client id in the
inventory's `azure.roles[].identity`), and the broker asks that identity, so an
Azure token holds one tool's role.

Checked before use: the token must be a JWT whose `aud` is one value, the
resource asked for or that resource's well-known first-party application id
(FIRST_PARTY_APP_IDS; any other GUID, a list, no `aud` or an opaque token is
refused), and it must not be expired. azure-identity retries transient failures itself.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from agentid.runtime.oauth import IssuedToken, OAuthError, origin, shown_url, token_scopes

# Provider namespace of a data action -> the audience of its data plane. Sources: Microsoft Learn,
# "Authorize access to blobs/queues using Microsoft Entra ID" (https://storage.azure.com/),
# "Key Vault authentication" (https://vault.azure.net), "App Configuration: Microsoft Entra ID"
# (https://azconfig.io), "Service Bus / Event Hubs: authenticate an application with Microsoft Entra ID"
# (https://servicebus.azure.net, https://eventhubs.azure.net), "Azure OpenAI: role-based access control"
# (https://cognitiveservices.azure.com), "Azure Monitor: Log Analytics API" (https://api.loganalytics.io).
DATA_PLANE_AUDIENCES = {
    "microsoft.storage": "https://storage.azure.com",
    "microsoft.keyvault": "https://vault.azure.net",
    "microsoft.appconfiguration": "https://azconfig.io",
    "microsoft.servicebus": "https://servicebus.azure.net",
    "microsoft.eventhub": "https://eventhubs.azure.net",
    "microsoft.cognitiveservices": "https://cognitiveservices.azure.com",
    "microsoft.operationalinsights": "https://api.loganalytics.io",
}
RESOURCE_MANAGER = "https://management.azure.com"  # control-plane (ARM) operations
# The application id Entra may put in `aud` instead of the resource URI (v2 tokens), for the resources whose
# first-party app id is well known (Microsoft Learn, "Verify first-party Microsoft applications in sign-in
# reports"). A GUID audience not listed for the tool's resource is refused: any GUID would include Microsoft
# Graph's (00000003-0000-0000-c000-000000000000), a token for another service.
FIRST_PARTY_APP_IDS = {
    RESOURCE_MANAGER: "797f4846-ba00-4fd7-ba43-dac1f8f63013",  # Windows Azure Service Management API
    "https://storage.azure.com": "e406a681-f3d4-42a8-90b6-c2b029497af1",  # Azure Storage
    "https://vault.azure.net": "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",  # Azure Key Vault
}


@dataclass(frozen=True)
class AzureTool:
    tool: str
    resource: str  # the token audience: a data plane or Azure Resource Manager
    scope: str  # the ARM id the tool's role is assigned at (the Cedar target prefix)
    client_id: str | None = None  # the tool's own managed identity (azure_identity_per_tool); None: the agent's

    @classmethod
    def from_spec(cls, tool: Any) -> "AzureTool":
        return cls(tool=tool.name, resource=resource_for(tool.azure.actions, tool.azure.data_actions), scope=tool.azure.scope)


def resource_for(actions: list[str], data_actions: list[str]) -> str:
    """The one token audience a tool's operations need; ValueError when they span services or one is unknown."""
    audiences = {RESOURCE_MANAGER} if actions else set()
    for operation in data_actions:
        namespace = operation.split("/", 1)[0].lower()
        if namespace not in DATA_PLANE_AUDIENCES:
            raise ValueError(f"no known data-plane audience for {operation} (known: {', '.join(sorted(DATA_PLANE_AUDIENCES))})")
        audiences.add(DATA_PLANE_AUDIENCES[namespace])
    if len(audiences) != 1:
        raise ValueError(f"the tool's operations need tokens for {len(audiences)} services ({', '.join(sorted(audiences))}): split it")
    return audiences.pop()


def authority_problem(authority: str | None) -> str | None:
    """Why the workload's federated token must not go to `authority` (AZURE_AUTHORITY_HOST), or None.

    azure-identity sends the token file's content (the workload's OIDC token, valid at every federation that trusts
    its issuer) to that host and checks only that it is https; the broker accepts Entra ID's own authority hosts
    (azure.identity.AzureAuthorityHosts: public, US Government, China clouds), or none set (the public cloud).
    """
    from azure.identity import AzureAuthorityHosts

    if not authority:
        return None
    hosts = {value for name, value in vars(AzureAuthorityHosts).items() if not name.startswith("_")}
    text = authority.strip().rstrip("/")
    url = text if "://" in text else f"https://{text}"  # azure-identity's reading: a bare host is https
    found = origin(url)
    if found is None or found[0] != "https" or found[1] not in hosts or found[2] != 443 or urlsplit(url).path:
        return (f"is {shown_url(url)!r}: the workload's federated token goes only to Entra ID's authority hosts "
                f"({', '.join(sorted(hosts))}), never to another host")
    return None


def environment_credential(client_id: str | None = None) -> Any:
    """azure-identity's credential for this workload: federated token file if set, else the managed identity.

    `client_id`: a tool's own identity (azure_identity_per_tool): the same federated token file is exchanged
    for that identity's token (each per-tool identity trusts the same subjects), or the managed-identity
    endpoint is asked for that user-assigned identity. None: AZURE_CLIENT_ID, the agent's identity.
    """
    from azure.identity import ManagedIdentityCredential, WorkloadIdentityCredential

    if os.environ.get("AZURE_FEDERATED_TOKEN_FILE"):
        problem = authority_problem(os.environ.get("AZURE_AUTHORITY_HOST"))
        if problem is not None:
            raise OAuthError(f"AZURE_AUTHORITY_HOST {problem}", "foreign_endpoint")
        return WorkloadIdentityCredential(client_id=client_id) if client_id else WorkloadIdentityCredential()
    return ManagedIdentityCredential(client_id=client_id or os.environ.get("AZURE_CLIENT_ID"))


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def check_audience(audience: Any, resource: str) -> None:
    """OAuthError unless `audience` (a token's `aud`) is exactly one value: `resource` (a trailing slash aside) or
    that resource's first-party application id. A list, a missing `aud` or another service's id is refused."""
    accepted = {resource.rstrip("/")} | ({FIRST_PARTY_APP_IDS[resource.rstrip("/")]}
                                         if resource.rstrip("/") in FIRST_PARTY_APP_IDS else set())
    if not isinstance(audience, str) or audience.rstrip("/").lower() not in {a.lower() for a in accepted}:
        raise OAuthError(f"the Entra token's audience {audience!r} is not {resource}"
                         + (f" (or its application id {FIRST_PARTY_APP_IDS[resource.rstrip('/')]})"
                            if resource.rstrip("/") in FIRST_PARTY_APP_IDS else ""), "wrong_audience")


def azure_fetch(credential: Any, tool: AzureTool, wall_clock: Callable[[], float], hop: Any) -> Callable[[dict[str, Any]], IssuedToken]:
    def fetch(record: dict[str, Any]) -> IssuedToken:
        record.update(audience=tool.resource, identity=type(credential).__name__, scopes=f"{tool.resource}/.default",
                      identity_client_id=tool.client_id or "agent")

        def call() -> IssuedToken:
            try:
                answer = credential.get_token(f"{tool.resource}/.default")
            except Exception as error:  # noqa: BLE001 - azure-identity raises several kinds; one refusal each
                raise OAuthError(f"{type(credential).__name__} could not get a token for {tool.resource}: "
                                 f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}", "azure_identity") from None
            from agentid.runtime import redaction

            redaction.remember(answer.token)
            claims = _claims(answer.token)
            if not claims:
                raise OAuthError("the Entra token is opaque: its audience cannot be checked, so it is refused", "opaque_token")
            check_audience(claims.get("aud"), tool.resource)
            lifetime = float(answer.expires_on) - wall_clock()
            if lifetime <= 0:
                raise OAuthError("the Entra token is already expired", "expired_token")
            return IssuedToken(
                access_token=answer.token,
                token_type="Bearer",
                audience=(tool.resource,),
                scopes=tuple(token_scopes(claims, {})),
                server_lifetime_seconds=lifetime,
                issuer=str(claims.get("iss") or "entra"),
                claims=claims,
            )

        return hop.retrying(record, call)

    return fetch
