"""The Google Cloud hop: a per-tool access token of the agent's service account, downscoped for Cloud Storage.

The agent's workload holds Application Default Credentials: in the kit's setup an `external_account` credential
configuration (Workload Identity Federation: the workload's GitHub / Kubernetes / SPIFFE token exchanged at
Google's STS). From it, per tool:

1. `impersonated_credentials.Credentials`: an access token of the agent's service account (the account the
   components create, `agent-NAME@PROJECT.iam.gserviceaccount.com`) for `lifetime` seconds: the agent's
   max_credential_minutes (Google accepts up to 3,600 s without the lifetime-extension organization policy).
2. For a tool whose resource is a Cloud Storage bucket, a Credential Access Boundary narrows that token to the one
   bucket and the predefined Storage roles covering the tool's grant (`downscoped.Credentials`: the GCP
   counterpart of an AWS session policy; https://cloud.google.com/iam/docs/downscoping-short-lived-credentials).
   A boundary can only name predefined roles (`inRole:roles/storage.objectViewer`), so a tool declared with
   exact permissions is bounded by the smallest set of catalogued, non-escalating Storage roles that covers
   them. Other resources are bounded by the IAM binding at the resource alone (IAM grants the account each
   tool's roles; Credential Access Boundaries exist only for Cloud Storage).

google-auth does the protocol (the IAM Credentials API and the STS token exchange); `request` is a
`google.auth.transport.Request`, injectable so tests answer without a network.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from agentid_components import gcp_catalog, naming

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
MAX_LIFETIME_SECONDS = 3600
STORAGE_ROLES = ("roles/storage.objectViewer", "roles/storage.objectCreator", "roles/storage.objectUser")


class GcpHopError(RuntimeError):
    """The tool cannot get a Google Cloud token (no grant, no boundary covering it, a refused exchange)."""


@dataclass(frozen=True)
class GcpTool:
    tool: str
    resource: str  # full resource name (the Cedar target)
    boundary_roles: tuple[str, ...]  # predefined Storage roles of the Credential Access Boundary; () for no boundary

    @classmethod
    def from_spec(cls, tool: Any) -> "GcpTool":
        grant = tool.gcp
        parsed = gcp_catalog.parse_resource(grant.resource)
        if parsed is None or parsed.kind != "bucket":
            return cls(tool.name, grant.resource, ())
        return cls(tool.name, grant.resource, boundary_roles(grant.roles, grant.permissions))


def boundary_roles(roles: list[str] | tuple[str, ...], permissions: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The predefined Storage roles a Credential Access Boundary names for a bucket tool: its roles as declared,
    plus the fewest of STORAGE_ROLES whose permissions cover its exact permissions; raise GcpHopError if none do."""
    chosen = tuple(roles)
    if not permissions:
        return chosen
    for size in range(1, len(STORAGE_ROLES) + 1):
        for combination in itertools.combinations(STORAGE_ROLES, size):
            infos = [gcp_catalog.role_info(role) for role in combination]
            if all(any(info.grants(p) for info in infos) for p in permissions):
                return tuple(dict.fromkeys(chosen + combination))
    raise GcpHopError(f"no predefined Cloud Storage role covers {', '.join(permissions)}: a Credential Access "
                      "Boundary can only name predefined roles")


def service_account_email(agent: str, project: str) -> str:
    return f"{naming.gcp_service_account_id(agent)}@{project}.iam.gserviceaccount.com"


class GcpHop:
    """Per-tool Google access tokens for one agent. `source`: the workload's google.auth credentials
    (default: `google.auth.default()`, the external-account configuration)."""

    def __init__(self, agent: str, project: str, tools: dict[str, GcpTool], lifetime_seconds: int,
                 source: Any = None, request: Any = None):
        if not 1 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
            raise GcpHopError(f"lifetime {lifetime_seconds} s is outside 1..{MAX_LIFETIME_SECONDS} s")
        self.agent, self.tools, self.lifetime_seconds = agent, tools, lifetime_seconds
        self.email = service_account_email(agent, project)
        self._source, self._request = source, request

    def credentials(self, tool: str) -> Any:
        """google.auth credentials for `tool` (not yet refreshed): impersonated, then downscoped for a bucket."""
        from google.auth import downscoped, impersonated_credentials

        if tool not in self.tools:
            raise GcpHopError(f"agent '{self.agent}' has no gcp tool '{tool}' (it has: {', '.join(sorted(self.tools))})")
        spec = self.tools[tool]
        source = self._source
        if source is None:
            import google.auth

            source, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
        credentials = impersonated_credentials.Credentials(
            source_credentials=source, target_principal=self.email, target_scopes=[CLOUD_PLATFORM],
            lifetime=self.lifetime_seconds)
        if spec.boundary_roles:
            rule = downscoped.AccessBoundaryRule(
                available_resource=spec.resource,
                available_permissions=[f"inRole:{role}" for role in spec.boundary_roles])
            credentials = downscoped.Credentials(
                source_credentials=credentials,
                credential_access_boundary=downscoped.CredentialAccessBoundary(rules=[rule]))
        return credentials

    def token(self, tool: str) -> tuple[str, Any]:
        """(access token, expiry) for `tool`; raise GcpHopError when Google refuses."""
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        credentials = self.credentials(tool)
        try:
            credentials.refresh(self._request or Request())
        except exceptions.GoogleAuthError as error:
            raise GcpHopError(f"agent '{self.agent}', tool '{tool}': Google refused the token: {str(error)[:200]}") from None
        return credentials.token, credentials.expiry
