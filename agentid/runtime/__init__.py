"""Runtime library for agent code: per-tool, short-lived AWS credentials with an audit trail.

No Pulumi import; boto3 is imported when credentials are first needed.
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
from agentid.runtime.grants import AgentGrants, GrantsError
from agentid.runtime.retry import RetryPolicy

__all__ = [
    "AgentGrants",
    "AmbientCredentials",
    "AuditLog",
    "BrokerError",
    "CredentialBroker",
    "GrantsError",
    "RetryPolicy",
    "ToolCredentials",
    "WebIdentityToken",
    "base_identity_from_environment",
]
