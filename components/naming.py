"""Names of the cloud objects an agent compiles to.

One place, so the components that create them, the inventory that documents
them and the CLI that revokes them always agree.
"""

import hashlib

MANAGED_BY = "agent-identity-kit"

# Tag keys every identity-bearing resource carries (the policy pack checks them).
TAG_AGENT = "agent"
TAG_OWNER = "owner"
TAG_ENVIRONMENT = "environment"
TAG_REVIEW_BY = "review-by"
TAG_MANAGED_BY = "managed-by"
INVENTORY_TAG_KEYS = (TAG_AGENT, TAG_OWNER, TAG_REVIEW_BY)

# Inline policy that `agentid revoke aws` writes to cut off live sessions.
REVOKE_POLICY_NAME = "agentid-revoke-sessions"


def aws_role_name(agent: str) -> str:
    return f"agent-{agent}"


def aws_session_policy_output(agent: str) -> str:
    """The stack output holding an agent's per-tool session policies."""
    return f"{agent}-session-policies"


def azure_identity_name(agent: str) -> str:
    return f"id-agent-{agent}"


def azure_role_name(agent: str, tool: str) -> str:
    return f"agent-{agent}-{tool}"


def oauth_client_name(agent: str) -> str:
    return f"agent-{agent}"


def azure_federated_credential_name(kind: str, issuer: str, subject: str) -> str:
    """Name of a federated identity credential (on a managed identity or an Entra app).

    Derived from what it trusts, not from its position in the spec, so reordering
    trust bindings renames nothing. Azure allows 3-120 of [A-Za-z0-9_-].
    """
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:12]
    return f"{kind.replace('_', '-')}-{digest}"


def entra_resource_app_name(audience: str) -> str:
    """Display name of the Entra application that represents an API or MCP server (one per audience)."""
    return "agentid-api-" + audience.removeprefix("https://").rstrip("/").replace("/", "-")
