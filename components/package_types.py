"""The agent spec as the component package's typed args (GENERATED: do not edit).

Rendered from the pydantic models in `agentid_components.spec` by
`python -m agentid_components.package_codegen`; a test keeps it current.
Pulumi's component provider host reads these annotations and docstrings into
the package schema. No `from __future__ import annotations` here: the host
needs the annotations as objects, not strings.
"""

from enum import Enum
from typing import Any, NotRequired, TypedDict


class AwsGrant(TypedDict):
    """AWS permissions of one tool: exact actions on exact ARNs."""

    actions: list[str]
    """exact IAM actions, e.g. dynamodb:Query"""

    resources: list[str]
    """ARNs the actions may touch; '*' only for actions that accept no resource (e.g. sts:GetCallerIdentity)"""

    conditions: NotRequired[dict[str, dict[str, Any]]]
    """IAM condition block added to the tool's statements; default: empty"""


class AzureGrant(TypedDict):
    """Azure permissions of one tool: exact operations at one resource or resource-group scope."""

    actions: NotRequired[list[str]]
    """control-plane operations; default: empty"""

    data_actions: NotRequired[list[str]]
    """data-plane operations; default: empty"""

    scope: str
    """ARM id of the resource (or resource group) the role is assigned at"""


class OAuthGrantProvider(str, Enum):
    """One of: cognito, entra, oidc."""

    COGNITO = 'cognito'

    ENTRA = 'entra'

    OIDC = 'oidc'


class OAuthGrant(TypedDict):
    """Scopes on one API or MCP server, obtained with the OAuth 2.1 client-credentials grant."""

    audience: str
    """the resource server or MCP server URL (the token's audience)"""

    scopes: list[str]
    """scopes the tool needs on that server"""

    provider: NotRequired[OAuthGrantProvider]
    """authorization server: Amazon Cognito, Microsoft Entra ID, or any OAuth 2.1 / OpenID server found by discovery from `issuer` (RFC 8414); default: `cognito`"""

    issuer: NotRequired[str]
    """oidc only: the authorization server's issuer URL (its metadata is at ISSUER/.well-known/...)"""

    client_id: NotRequired[str]
    """oidc only: the agent's client id at that server (default: the agent's name); it authenticates with a signed client assertion (RFC 7523), never a secret"""


class BedrockModels(TypedDict):
    """Amazon Bedrock: InvokeModel (and Converse) on exact model or inference-profile ARNs."""

    models: list[str]
    """exact ARNs: foundation-model (arn:aws:bedrock:REGION::foundation-model/ID), inference-profile, application-inference-profile, provisioned-model...; a cross-region inference profile also needs its foundation model in every region it routes to"""

    streaming: NotRequired[bool]
    """also InvokeModelWithResponseStream (and ConverseStream); default: `False`"""


class AzureOpenAI(TypedDict):
    """Azure OpenAI: exact data actions at one Cognitive Services account, with an Entra token (no API key)."""

    account: str
    """ARM id of the Microsoft.CognitiveServices/accounts resource (the role's scope)"""

    data_actions: list[str]
    """exact Microsoft.CognitiveServices/accounts/OpenAI/... data actions, e.g. Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"""


class AnthropicFederation(TypedDict):
    """Claude API workload identity federation: the agent's OIDC token exchanged for a short-lived access token."""

    organization_id: str
    """UUID of the Anthropic organization"""

    federation_rule_id: str
    """the federation rule that admits the agent's token (fdrl_...)"""

    service_account_id: str
    """the service account the token acts as (svac_...)"""

    workspace_id: NotRequired[str]
    """workspace to scope the token to (wrkspc_... or default)"""


class OpenAIFederation(TypedDict):
    """OpenAI API workload identity federation: the agent's OIDC token exchanged for a short-lived access token."""

    identity_provider_id: str
    """the OpenAI Workload Identity Provider configured for the agent's issuer"""

    service_account_id: str
    """the OpenAI service account the token acts as"""


class LlmGrant(TypedDict):
    """The model hop: exactly one model provider, each reached without a static API key."""

    bedrock: NotRequired[BedrockModels]
    """Amazon Bedrock models (the agent's AWS role, per-tool session)"""

    azure_openai: NotRequired[AzureOpenAI]
    """Azure OpenAI (an Entra token of the agent's identity)"""

    anthropic: NotRequired[AnthropicFederation]
    """Claude API through workload identity federation"""

    openai: NotRequired[OpenAIFederation]
    """OpenAI API through workload identity federation"""


class GcpGrant(TypedDict):
    """Google Cloud permissions of one tool: exact permissions (a custom role) or predefined roles at one resource."""

    permissions: NotRequired[list[str]]
    """exact IAM permissions, e.g. storage.objects.get (compiled into one custom role); default: empty"""

    roles: NotRequired[list[str]]
    """predefined roles, e.g. roles/pubsub.publisher; default: empty"""

    resource: str
    """full resource name of the one resource granted on: a bucket (//storage.googleapis.com/projects/_/buckets/B), dataset, secret, topic, subscription, service account, or the project (//cloudresourcemanager.googleapis.com/projects/P) only for permissions with no narrower resource"""


class Tool(TypedDict):
    """One tool the agent calls, with exactly one kind of grant."""

    name: str
    """DNS label, unique within the agent"""

    description: NotRequired[str]
    """what the tool does, for the inventory; default: empty"""

    aws: NotRequired[AwsGrant]
    """AWS IAM grant (see tools[].aws)"""

    azure: NotRequired[AzureGrant]
    """Azure RBAC grant (see tools[].azure)"""

    oauth: NotRequired[OAuthGrant]
    """OAuth 2.1 / MCP grant (see tools[].oauth)"""

    llm: NotRequired[LlmGrant]
    """model provider grant (see tools[].llm): Bedrock compiles to the tool's `aws` grant and Azure OpenAI to its `azure` grant (both shown in the inventory); Anthropic and OpenAI federate the agent's OIDC token"""

    gcp: NotRequired[GcpGrant]
    """Google Cloud IAM grant (see tools[].gcp)"""


class GitHubActionsTrust(TypedDict):
    """A GitHub Actions workflow, through GitHub's OIDC tokens."""

    repository: str
    """OWNER/REPO, exact"""

    branch: NotRequired[str]
    """branch whose workflows may assume the identity"""

    environment: NotRequired[str]
    """GitHub environment (replaces the branch in the subject)"""


class KubernetesTrust(TypedDict):
    """A Kubernetes service account, through the cluster's OIDC issuer (or EKS Pod Identity)."""

    issuer: str
    """the cluster's service-account token issuer"""

    namespace: str
    """namespace of the service account, exact"""

    service_account: str
    """service account name, exact"""

    cluster: NotRequired[str]
    """EKS cluster name: use EKS Pod Identity on AWS instead of an OIDC (IRSA) trust"""


class SpiffeTrust(TypedDict):
    """A SPIFFE ID: X.509-SVIDs over mTLS (AWS Roles Anywhere) or JWT-SVIDs (Azure federation)."""

    trust_domain: str
    """e.g. prod.example.org"""

    path: str
    """workload path, e.g. /ns/data/sa/ingest"""

    ca_bundle: NotRequired[str]
    """PEM file of the trust domain's CA, relative to the spec file"""

    acm_pca_arn: NotRequired[str]
    """ACM Private CA that issues the SVIDs (instead of ca_bundle)"""

    jwt_issuer: NotRequired[str]
    """the trust domain's JWT-SVID issuer, for Azure federation"""


class AzureHostedTrust(TypedDict):
    """An Azure compute resource (VM, App Service, Container App...) the agent's managed identity is attached to."""

    resource_id: str
    """ARM id of the compute resource"""


class TrustBinding(TypedDict):
    """How the agent proves who it is: exactly one kind a binding."""

    github_actions: NotRequired[GitHubActionsTrust]
    """a GitHub Actions workflow (OIDC)"""

    kubernetes: NotRequired[KubernetesTrust]
    """a Kubernetes service account (OIDC or EKS Pod Identity)"""

    spiffe: NotRequired[SpiffeTrust]
    """a SPIFFE workload (X.509-SVID mTLS or JWT-SVID)"""

    azure_hosted: NotRequired[AzureHostedTrust]
    """an Azure compute resource holding the managed identity"""


class Agent(TypedDict):
    """One AI agent: who it is, who answers for it, what it may touch and how it proves itself."""

    name: str
    """DNS label, unique in the file"""

    owner: str
    """team or e-mail that answers for the agent"""

    purpose: str
    """what the agent is for, one sentence"""

    environment: str
    """e.g. dev, staging, prod"""

    review_by: str
    """date by which the owner re-approves the agent; once past, every check reports the agent as overdue (YYYY-MM-DD)"""

    max_credential_minutes: NotRequired[int]
    """lifetime of every credential and token, 1..60 minutes; default: `15`"""

    client_certificate: NotRequired[str]
    """PEM certificate bound to the agent's Entra application (public part only)"""

    cedar_policies: NotRequired[list[str]]
    """Cedar files (relative to the spec file) added to the per-call policies the broker generates from the tools: e.g. forbids for hours, users or targets (docs/runtime.md); default: empty"""

    azure_identity_per_tool: NotRequired[bool]
    """one user-assigned managed identity per Azure tool, holding only that tool's role and trusted through the same federated bindings, so an Azure token holds one tool's role (the counterpart of the AWS per-tool session policy); the broker asks each tool's token from its own identity; default: `False`"""

    tools: list[Tool]
    """the agent's tools and their grants"""

    trust: list[TrustBinding]
    """how the agent proves who it is"""


class PlatformApi(TypedDict):
    """One API or MCP server the agents obtain tokens for: its scopes on each authorization server."""

    audience: str
    """the resource server or MCP server URL (the tokens' audience)"""

    scopes: list[str]
    """every scope agents may be granted"""

    providers: NotRequired[list[str]]
    """where the API is registered: Cognito resource server, Entra application (app roles), or both; each one of: cognito, entra; default: `['cognito']`"""


class PlatformTrustDomain(TypedDict):
    """A SPIFFE trust domain whose X.509-SVIDs IAM Roles Anywhere accepts: its CA, as one trust anchor."""

    trust_domain: str
    """e.g. prod.example.org"""

    ca_bundle: NotRequired[str]
    """PEM text of the trust domain's CA certificates"""

    acm_pca_arn: NotRequired[str]
    """ACM Private CA that issues the SVIDs (instead)"""


class PlatformSpec(TypedDict):
    """The shared objects of one account and tenant."""

    github_actions: NotRequired[bool]
    """create the GitHub Actions OIDC provider; default: `True`"""

    cognito_domain: NotRequired[str]
    """Cognito hosted-domain prefix (default agentid-PROJECT-STACK); only when an API uses Cognito"""

    apis: NotRequired[list[PlatformApi]]
    """each: One API or MCP server the agents obtain tokens for: its scopes on each authorization server; default: empty"""

    spiffe_trust_domains: NotRequired[list[PlatformTrustDomain]]
    """each: A SPIFFE trust domain whose X.509-SVIDs IAM Roles Anywhere accepts: its CA, as one trust anchor; default: empty"""
