"""Names of the cloud objects an agent compiles to.

One place, so the components that create them, the inventory that documents
them and the CLI that revokes them always agree.

Physical names carry a *name suffix*: by default the Pulumi stack the program
runs in (config `agent-identity-kit:nameSuffix` overrides it), so `dev` and
`prod` of the same agents in one AWS account or one Entra tenant never name
the same role, identity, role definition (and its GUID), trust anchor, Cognito
client or Entra application. An empty suffix gives the names of kit versions
before the suffix existed (for stacks deployed with them).

Every name is fitted to its cloud's length and character limits (`fit`): a
name that would be too long keeps its start and ends in a hash of the whole,
so two long names stay distinct.
"""

import hashlib
import re

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

# --- the suffix -----------------------------------------------------------------

NAME_SUFFIX_MAX = 24
# What every cloud below accepts in a name: lower-case letters, digits, inner hyphens.
_SUFFIX = re.compile(r"^([a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?)?$")


class NameSuffixError(ValueError):
    """A configured name suffix no cloud name could carry."""


def check_suffix(suffix: str) -> str:
    """`suffix` itself, or NameSuffixError: 0-24 of lower-case letters, digits and inner hyphens.

    The intersection of the character sets below (IAM's `[\\w+=,.@-]`, Roles Anywhere's
    `[ a-zA-Z0-9-_]`, Cognito domains' `[a-z0-9-]`, Azure managed identities' `[a-zA-Z0-9_-]`).
    """
    if not isinstance(suffix, str) or not _SUFFIX.match(suffix):
        raise NameSuffixError(
            f"nameSuffix '{suffix}' is not valid: 0-{NAME_SUFFIX_MAX} lower-case letters, digits and inner hyphens "
            "(e.g. dev, prod-eu)"
        )
    return suffix


def stack_suffix(stack: str) -> str:
    """The default suffix for a Pulumi stack name (which may hold `A-Z _ .` and be up to 100 characters).

    Lower-cased, other characters folded to '-'; longer than 24 characters, cut and ended with a hash of
    the whole stack name, so two long stack names still differ.
    """
    folded = re.sub(r"[^a-z0-9]+", "-", stack.lower()).strip("-") or "stack"
    if folded != stack or len(folded) > NAME_SUFFIX_MAX:  # folded or cut: a hash keeps 'Dev' apart from 'dev'
        digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
        folded = f"{folded[:NAME_SUFFIX_MAX - 7].rstrip('-')}-{digest}"
    return check_suffix(folded)


def fit(name: str, limit: int, joiner: str = "-") -> str:
    """`name` if it has at most `limit` characters, else its start, `joiner` and 8 hex of its SHA-256.

    `joiner` is '-' except where the cloud refuses hyphens (GCP custom role ids: '_').
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:limit - 9].rstrip('-_ ')}{joiner}{digest}"


def was_cut(fitted: str, limit: int) -> bool:
    """Whether `fitted`, a result of `fit(..., limit)`, is a cut name: exactly `limit` long and ending in the
    joiner and 8 hex digits (a whole name of that exact shape is taken for a cut one: only the note differs)."""
    return len(fitted) == limit and re.search(r"[-_][0-9a-f]{8}$", fitted) is not None


def _with(name: str, suffix: str) -> str:
    return f"{name}-{suffix}" if suffix else name


# --- AWS objects of an agent (components/aws) ----------------------------------

# IAM role and policy names: [\w+=,.@-], roles 1-64, managed policies 1-128 characters.
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, .../API_CreatePolicy.html
AWS_ROLE_NAME_MAX = 64
AWS_POLICY_NAME_MAX = 128
# Roles Anywhere profile and trust anchor names: 1-255 of [ a-zA-Z0-9-_].
# https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateTrustAnchor.html
ROLES_ANYWHERE_NAME_MAX = 255
# Cognito user pool and app client names: 1-128 of [\w\s+=,.@-].
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html
COGNITO_NAME_MAX = 128
# Cognito domain prefixes: 1-63 of [a-z0-9-], starting and ending alphanumeric.
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolDomain.html
COGNITO_DOMAIN_MAX = 63


def aws_role_name(agent: str, suffix: str = "") -> str:
    return fit(_with(f"agent-{agent}", suffix), AWS_ROLE_NAME_MAX)


def aws_boundary_policy_name(agent: str, suffix: str = "") -> str:
    """The managed policy the kit creates as the agent role's permissions boundary."""
    return fit(_with(f"agent-{agent}", suffix) + "-boundary", AWS_POLICY_NAME_MAX)


def aws_tool_policy_name(tool: str) -> str:
    """The inline policy holding one tool's statements (never clashes with REVOKE_POLICY_NAME).

    Scoped to its role, whose name carries the suffix already.
    """
    return f"tool-{tool}"


def aws_roles_anywhere_profile_name(agent: str, suffix: str = "") -> str:
    return fit(_with(f"agent-{agent}", suffix), ROLES_ANYWHERE_NAME_MAX)


def aws_trust_anchor_name(trust_domain: str, suffix: str = "") -> str:
    """One Roles Anywhere trust anchor per SPIFFE trust domain (a DNS name; its dots become '-')."""
    return fit(_with("spiffe-" + re.sub(r"[^a-zA-Z0-9-]+", "-", trust_domain), suffix), ROLES_ANYWHERE_NAME_MAX)


def aws_platform_trust_anchor_name(trust_domain: str) -> str:
    """The platform stack's one Roles Anywhere trust anchor for a SPIFFE trust domain (one per account: no suffix)."""
    return aws_trust_anchor_name(trust_domain)


def oauth_client_name(agent: str, suffix: str = "") -> str:
    """The agent's Cognito app client and its Entra application (display name), see ENTRA_DISPLAY_NAME_MAX."""
    return fit(_with(f"agent-{agent}", suffix), ENTRA_DISPLAY_NAME_MAX)


def cognito_user_pool_name(project: str, stack: str) -> str:
    return fit(f"agentid-{project}-{stack}", COGNITO_NAME_MAX)


def cognito_domain_prefix(project: str, stack: str) -> str:
    """Default Cognito hosted-domain prefix (lower-case letters, digits, hyphens; no 'aws'/'cognito')."""
    return fit(re.sub(r"[^a-z0-9-]+", "-", f"agentid-{project}-{stack}".lower()).strip("-"), COGNITO_DOMAIN_MAX)


# --- Azure objects of an agent (components/azure) --------------------------------

# User-assigned managed identity names: 3-128 of [a-zA-Z0-9_-], starting alphanumeric.
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity
AZURE_IDENTITY_NAME_MAX = 128
# Custom role names (`roleName`) are unique per tenant, at most 512 characters.
# https://learn.microsoft.com/azure/role-based-access-control/custom-roles#custom-role-properties
AZURE_ROLE_NAME_MAX = 512
# Entra application display names: kept to 120 characters, the portal's limit (conservative for Graph).
# https://learn.microsoft.com/graph/api/resources/application
ENTRA_DISPLAY_NAME_MAX = 120


def azure_identity_name(agent: str, suffix: str = "") -> str:
    return fit(_with(f"id-agent-{agent}", suffix), AZURE_IDENTITY_NAME_MAX)


def azure_tool_identity_name(agent: str, tool: str, suffix: str = "") -> str:
    """The per-tool managed identity of `azure_identity_per_tool` agents (Azure allows 3-128 characters)."""
    return fit(_with(f"id-agent-{agent}-{tool}", suffix), AZURE_IDENTITY_NAME_MAX)


def azure_role_name(agent: str, tool: str, suffix: str = "") -> str:
    return fit(_with(f"agent-{agent}-{tool}", suffix), AZURE_ROLE_NAME_MAX)


def azure_guid_parts(*parts: str, suffix: str = "") -> tuple[str, ...]:
    """The parts a deterministic GUID (role definition, role assignment) is derived from: with the suffix,
    so dev's and prod's GUIDs differ; without one, the GUIDs of kit versions before the suffix."""
    return (*parts, suffix) if suffix else parts


def azure_federated_credential_name(kind: str, issuer: str, subject: str) -> str:
    """Name of a federated identity credential (on a managed identity or an Entra app).

    Derived from what it trusts, not from its position in the spec, so reordering
    trust bindings renames nothing. Azure allows 3-120 of [A-Za-z0-9_-]; scoped to its
    identity or application, whose name carries the suffix already.
    """
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:12]
    return f"{kind.replace('_', '-')}-{digest}"


def entra_resource_app_name(audience: str, suffix: str = "") -> str:
    """Display name of the Entra application that represents an API or MCP server (one per audience)."""
    base = "agentid-api-" + audience.removeprefix("https://").rstrip("/").replace("/", "-")
    return fit(_with(base, suffix), ENTRA_DISPLAY_NAME_MAX)


# --- Google Cloud objects of an agent (components/gcp) -----------------------------

# Service account ids: 6-30 of [a-z0-9-], a letter first, no hyphen last
# (https://cloud.google.com/iam/docs/service-accounts-create#creating).
GCP_SERVICE_ACCOUNT_ID_MAX = 30
# Custom role ids: 3-64 of [a-zA-Z0-9_.] (https://cloud.google.com/iam/docs/creating-custom-roles#creating).
GCP_CUSTOM_ROLE_ID_MAX = 64
# Workload Identity Federation pool and provider ids: 4-32 of [a-z0-9-], the prefix 'gcp-' reserved
# (https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools/create).
GCP_POOL_ID_MAX = 32


def gcp_service_account_id(agent: str, suffix: str = "") -> str:
    """The agent's service account id, `agent-AGENT-SUFFIX` cut to 30 (a hash of the whole name kept)."""
    return fit(_with(f"agent-{agent}", suffix), GCP_SERVICE_ACCOUNT_ID_MAX)


def gcp_custom_role_id(agent: str, tool: str, suffix: str = "") -> str:
    """One custom role a tool, `agentid_AGENT_TOOL_SUFFIX` ('-' becomes '_', which role ids need) cut to 64."""
    return fit(_with(f"agentid_{agent}_{tool}", suffix).replace("-", "_"),
               GCP_CUSTOM_ROLE_ID_MAX, joiner="_")


def gcp_pool_id(prefix: str, platform: str, suffix: str = "") -> str:
    """A Workload Identity Federation pool a platform and stack, `PREFIX-PLATFORM-SUFFIX` cut to 32."""
    return fit(_with(f"{prefix}-{platform}", suffix), GCP_POOL_ID_MAX)


def gcp_provider_id(platform: str, issuer: str) -> str:
    """A pool provider an issuer, named from the issuer (4-32 of [a-z0-9-]).

    Provider ids are unique within their pool, whose id carries the stack's suffix already.
    """
    return f"{platform}-{hashlib.sha256(issuer.encode()).hexdigest()[:12]}"
