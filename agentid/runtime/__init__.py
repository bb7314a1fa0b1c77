"""Runtime library for agent code: per-tool, short-lived credentials for every hop, with an audit trail.

`CredentialBroker.credential(tool, ...)` returns what the tool needs: an STS
session (AWS), a bearer token (OAuth 2.1, MCP) or an Entra-style token
(azure-core TokenCredential). No Pulumi import; boto3, httpx, cedarpy and the
MCP SDK are imported when first needed.
"""

from agentid.runtime.audit_log import AuditLog
from agentid.runtime.broker import (
    AmbientCredentials,
    BrokerError,
    CredentialBroker,
    ToolCredentials,
    WebIdentityToken,
    base_identity_from_environment,
)
from agentid.runtime.authorization import Authorizer
from agentid.runtime.bearer import BearerToken
from agentid.runtime.grants import AgentGrants, GrantsError
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT, WorkloadTokenAssertion
from agentid.runtime.retry import RetryPolicy

__all__ = [
    "AgentGrants",
    "AmbientCredentials",
    "AuditLog",
    "Authorizer",
    "BearerToken",
    "BrokerError",
    "CredentialBroker",
    "GrantsError",
    "OAuthTool",
    "PrivateKeyJWT",
    "RetryPolicy",
    "ToolCredentials",
    "WebIdentityToken",
    "WorkloadTokenAssertion",
    "base_identity_from_environment",
]
