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


def azure_identity_name(agent: str) -> str:
    return f"id-agent-{agent}"


def azure_tool_identity_name(agent: str, tool: str) -> str:
    """The per-tool managed identity of `azure_identity_per_tool` agents (Azure allows 3-128 characters)."""
    return f"id-agent-{agent}-{tool}"


AZURE_IDENTITY_NAME_MAX = 128


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


# --- AWS objects of an agent (components/aws) ----------------------------------

AWS_ROLE_NAME_MAX = 64  # IAM role names are 1-64 characters


def aws_boundary_policy_name(agent: str) -> str:
    """The managed policy the kit creates as the agent role's permissions boundary."""
    return f"agent-{agent}-boundary"


def aws_tool_policy_name(tool: str) -> str:
    """The inline policy holding one tool's statements (never clashes with REVOKE_POLICY_NAME)."""
    return f"tool-{tool}"


def aws_roles_anywhere_profile_name(agent: str) -> str:
    return f"agent-{agent}"


def aws_trust_anchor_name(agent: str, spiffe_id: str) -> str:
    """One Roles Anywhere trust anchor per agent and SPIFFE ID, named from what it trusts."""
    digest = hashlib.sha256(spiffe_id.encode()).hexdigest()[:8]
    return f"agent-{agent}-{digest}"


def aws_platform_trust_anchor_name(trust_domain: str) -> str:
    """The platform's one Roles Anywhere trust anchor for a SPIFFE trust domain (names: 1-255 of [ a-zA-Z0-9-_])."""
    return "spiffe-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in trust_domain)[:200]


def cognito_user_pool_name(project: str, stack: str) -> str:
    return f"agentid-{project}-{stack}"


def cognito_domain_prefix(project: str, stack: str) -> str:
    """Default Cognito hosted-domain prefix (lower-case letters, digits, hyphens; no 'aws'/'cognito')."""
    return f"agentid-{project}-{stack}".lower().replace("_", "-")[:63].strip("-")


# --- Google Cloud objects of an agent (components/gcp) --------------------------


def _bounded(text: str, limit: int, seed: str) -> str:
    """`text` if it fits in `limit` characters, else its head and a digest of `seed` (stable, still unique)."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(seed.encode()).hexdigest()[:8]
    return f"{text[:limit - 9].rstrip('-_')}-{digest}" if "-" in text else f"{text[:limit - 9]}_{digest}"


def gcp_service_account_id(agent: str) -> str:
    """The agent's service account id: 6-30 of [a-z0-9-], starting with a letter
    (https://cloud.google.com/iam/docs/service-accounts-create#creating)."""
    return _bounded(f"agent-{agent}", 30, agent)


def gcp_custom_role_id(agent: str, tool: str) -> str:
    """One custom role a tool: 3-64 of [a-zA-Z0-9_.] (https://cloud.google.com/iam/docs/creating-custom-roles)."""
    return _bounded(f"agentid_{agent}_{tool}".replace("-", "_"), 64, f"{agent}\n{tool}")


def gcp_pool_id(prefix: str, platform: str) -> str:
    """A Workload Identity Federation pool a platform: 4-32 of [a-z0-9-], not starting with 'gcp-'."""
    return f"{prefix}-{platform}"


def gcp_provider_id(platform: str, issuer: str) -> str:
    """A pool provider an issuer, named from the issuer (4-32 of [a-z0-9-])."""
    return f"{platform}-{hashlib.sha256(issuer.encode()).hexdigest()[:12]}"
