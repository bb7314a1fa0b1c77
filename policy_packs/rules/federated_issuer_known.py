"""AGID-GEN-003: workload identity federation trusts only issuers a platform runs or the gate operator lists.

An exact subject (`repo:acme/app:environment:prod`, `system:serviceaccount:ns:sa`) means one workload only
under one issuer: whoever serves an issuer's discovery document and JWKS signs any subject they like. A
federated identity credential (Azure managed identity, Entra application) or a Google Workload Identity
Federation provider or an AWS IAM OIDC provider trusting `https://evil.example.net` therefore lets that server's
owner become the identity (of every role trusting that provider).
Known issuers (GitHub Actions, GitLab.com, Google, Entra tenants, AKS / EKS / GKE cluster issuers) are data
(analysis/oidc_issuers.yaml, each with its source); issuers the operator runs (a SPIRE OIDC discovery provider,
a self-managed cluster) are listed in this rule's `trustedIssuers` config by the GATE: `agentid preview
--trusted-issuer URL`, or the base branch's waivers.yaml `policyPackConfig` (a pull request's own config may only
shorten the list, strictness "subset"), never in the judged stack. Mandatory (high): an unknown issuer blocks.
Caveat: a cluster-issuer pattern proves the platform holds the keys, not that the cluster is yours.
An Entra ID tenant's issuer (`https://login.microsoftonline.com/TENANT/v2.0`, `https://sts.windows.net/TENANT/`, an
AKS cluster's issuer naming its TENANT, and their national-cloud twins: login.microsoftonline.us, login.chinacloudapi.cn,
login.partner.microsoftonline.cn, sts.chinacloudapi.cn, the retired login.microsoftonline.de, oic.prod-aks.azure.us/.cn;
compared without case or trailing '/') is Microsoft's word that a principal of THAT tenant asked: any application
or managed identity of another tenant then signs in as this identity (red7b f08). It passes only for the stack's own
tenants: this rule's `ownTenantIds` (set by the gate, strictness "subset"), the stack config's `azure-native:tenantId`
/ `azuread:tenantId` / `azure:tenantId` (the tenant the stack deploys into), and under `agentid preview` the tenant
the gate's mocks give the stack's identities (AGENTID_MOCK_TENANTS). Workforce pool providers sign in PEOPLE of a
company's (or a partner's) IdP, so their tenant is not judged.
An IAM SAML provider is judged the same way by its IdP's entityID (the issuer of its assertions, from
samlMetadataDocument; red9a #7: a provider built from any metadata, trusted by a role, passed): Entra's
`https://sts.windows.net/TENANT/` passes for the stack's own tenants, any other IdP (ADFS, a stranger's) only when the
gate lists its https entityID in trustedIssuers (an http or URN entityID, e.g. Okta's `http://www.okta.com/ID`, cannot
be listed there: waive the provider). Metadata without a readable entityID cannot be judged.
Sources: https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml.html,
https://cloud.google.com/iam/docs/workload-identity-federation.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, https_url
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

DATA = Path(__file__).resolve().parent.parent / "analysis" / "oidc_issuers.yaml"
AZURE_TYPES = (
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential",
)
GCP_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
# Workforce pool providers sign people in through an IdP's OIDC issuer the same way (oidc.issuerUri)
GCP_WORKFORCE_PROVIDER = "gcp:iam/workforcePoolProvider:WorkforcePoolProvider"
GCP_PROVIDERS = (GCP_PROVIDER, GCP_WORKFORCE_PROVIDER)
# An IAM OIDC identity provider: every role trusting `oidc-provider/HOST` trusts what that issuer signs (`url`,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html)
AWS_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
# An IAM SAML provider: every role trusting `saml-provider/NAME` takes the assertions its IdP signs
SAML_PROVIDER = "aws:iam/samlProvider:SamlProvider"
# The IdP's EntityDescriptor entityID in SAML 2.0 metadata (OASIS saml-metadata-2.0-os section 2.3.2), read without
# an XML parser (no entity expansion) from the first 256 KiB: IAM takes metadata documents up to 10,000,000 characters
# but the root element comes first
_ENTITY_ID = re.compile(r"<(?:[\w.-]+:)?EntityDescriptor\b[^>]{0,2048}?\bentityID\s*=\s*(['\"])([^'\"<>]{1,1024})\1", re.DOTALL)
_METADATA_SCANNED = 256 * 1024
# AgentCore gateways and runtimes take callers' JWTs from the issuer of their customJwtAuthorizer.discoveryUrl
AGENTCORE = ("aws:bedrock/agentcoreGateway:AgentcoreGateway", "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime")
_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
# Stack config keys naming the Entra tenant the stack deploys into (Pulumi azure-native, azuread, classic azure providers)
TENANT_CONFIG_KEYS = ("azure-native:tenantId", "azuread:tenantId", "azure:tenantId")
MOCK_TENANTS_ENV = "AGENTID_MOCK_TENANTS"  # set by the gate for its packs only: the tenant its mocks invent


@lru_cache(maxsize=1)
def _known() -> tuple[re.Pattern[str], ...]:
    # without case: every host is a platform's (DNS ignores case) and a tenant id is a GUID in any case, so
    # `HTTPS://LOGIN.MICROSOFTONLINE.US/TENANT/V2.0` is that tenant's issuer too, never an unknown one to waive
    return tuple(re.compile(entry["pattern"], re.IGNORECASE) for entry in data_yaml.load(DATA)["issuers"])


def own_tenants(config) -> frozenset[str]:
    """Entra tenant ids (lower case) the stack's identities belong to: the gate's ownTenantIds, the stack config's
    tenantId of the Azure providers (PULUMI_CONFIG, which the engine gives policy packs), the gate's mock tenant."""
    found = {item for item in config.get("ownTenantIds", []) if isinstance(item, str)}
    try:
        stack_config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        stack_config = {}
    if isinstance(stack_config, dict):
        found.update(value for key in TENANT_CONFIG_KEYS if isinstance(value := stack_config.get(key), str))
    found.update(os.environ.get(MOCK_TENANTS_ENV, "").split(","))
    return frozenset(tenant.strip().lower() for tenant in found if tenant.strip())


def _normal(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def _issuer(resource: Resource):
    """The issuer URL input, None when the resource federates with no OIDC issuer (a GCP AWS/SAML provider)."""
    if resource.type in GCP_PROVIDERS:
        oidc = resource.props.get("oidc")
        if is_unknown(oidc):
            return oidc
        return oidc.get("issuerUri") if isinstance(oidc, dict) else None
    if resource.type in AGENTCORE:
        configuration = resource.props.get("authorizerConfiguration")
        if is_unknown(configuration):
            return configuration
        jwt = configuration.get("customJwtAuthorizer") if isinstance(configuration, dict) else None
        if is_unknown(jwt) or not isinstance(jwt, dict):
            return jwt if is_unknown(jwt) else None  # no JWT authorizer: AWS_IAM or NONE (AGID-AWS-037)
        url = jwt.get("discoveryUrl")
        return url.strip().removesuffix(_DISCOVERY_SUFFIX) if isinstance(url, str) else url
    if resource.type == SAML_PROVIDER:
        metadata = resource.props.get("samlMetadataDocument")
        if not isinstance(metadata, str):
            return metadata
        found = _ENTITY_ID.search(metadata[:_METADATA_SCANNED])
        return found.group(2) if found else ""
    if resource.type == AWS_PROVIDER:
        url = resource.props.get("url")
        # IAM takes the URL with or without its scheme; the issuer is https://HOST[/PATH] either way
        return url if not isinstance(url, str) or "://" in url else f"https://{url}"
    return resource.props.get("issuer")


def check(resource: Resource, config):
    issuer = _issuer(resource)
    if is_unknown(issuer):
        yield Unknown("oidc.issuerUri" if resource.type in GCP_PROVIDERS else "url" if resource.type == AWS_PROVIDER
                      else "samlMetadataDocument" if resource.type == SAML_PROVIDER
                      else "authorizerConfiguration.customJwtAuthorizer.discoveryUrl" if resource.type in AGENTCORE
                      else "issuer")
        return
    if issuer is None and resource.type in GCP_PROVIDERS + AGENTCORE:
        return  # a GCP AWS/SAML provider (AGID-GCP-004), an AgentCore resource without a JWT authorizer
    if not isinstance(issuer, str) or not issuer.strip():
        what = "its SAML metadata names no IdP entityID" if resource.type == SAML_PROVIDER else "the issuer is not a URL"
        yield Violation(f"{resource.name}: cannot check: {what}")
        return
    listed = {_normal(item) for item in config["trustedIssuers"] if isinstance(item, str)}
    normal = _normal(issuer)
    if normal in listed:
        # The gate refuses such an entry (pack_config, format https-url); `pulumi preview` does not check formats
        why = https_url.problem(normal)
        if why:
            yield Violation(f"{resource.name} trusts issuer {issuer[:200]!r}, listed in trustedIssuers, but the entry "
                            f"{why}: an issuer trusted by exact comparison must name one host, port and path")
        return
    match = next((found for pattern in _known() if (found := pattern.fullmatch(normal))), None)
    if match and (resource.type == GCP_WORKFORCE_PROVIDER or "tenant" not in match.re.groupindex):
        return
    if match:
        tenant = match.group("tenant")
        if tenant.lower() in own_tenants(config):
            return
        yield Violation(f"{resource.name} trusts tokens from Entra tenant {tenant} ({issuer[:200]!r}), which is not one "
                        "of the stack's own tenants (ownTenantIds, the stack's azure-native/azuread tenantId): any "
                        "application or managed identity of that tenant can sign in as this identity; list the tenant "
                        "in the base branch's waivers.yaml policyPackConfig AGID-GEN-003 ownTenantIds if it is yours")
        return
    yield Violation(f"{resource.name} trusts tokens from issuer {issuer[:200]!r}, which is neither a platform's issuer "
                    "(GitHub Actions, GitLab.com, Google, Entra, AKS/EKS/GKE) nor listed in the gate's trustedIssuers: "
                    "whoever serves its keys can sign the trusted subject; list an issuer you run with "
                    "`agentid preview --trusted-issuer URL` or in the base branch's waivers.yaml")


RULE = Rule(
    id="AGID-GEN-003",
    title="federated-issuer-known",
    severity="high",
    category="weak-trust",
    enforcement="mandatory",
    description="Federated identity credentials, Workload / Workforce Identity Federation providers and IAM OIDC and SAML providers "
                "trust a platform's OIDC issuer (an Entra tenant's only for the stack's own tenants) or one the gate "
                "operator lists in trustedIssuers.",
    remediation="Trust the platform's issuer (token.actions.githubusercontent.com, the cluster's OIDC issuer URL), or "
                "have the gate operator trust the issuer you run (e.g. your SPIRE OIDC discovery provider): `agentid preview "
                "--trusted-issuer URL`, or trustedIssuers in the base branch's waivers.yaml policyPackConfig.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations",
    check=check,
    resource_types=AZURE_TYPES + GCP_PROVIDERS + (AWS_PROVIDER, SAML_PROVIDER, *AGENTCORE),
    config={"trustedIssuers": [], "ownTenantIds": []},
    config_schema={"trustedIssuers": {"type": "array", "items": {"type": "string", "format": "https-url"}, "default": [],
                                      "description": "OIDC issuer URLs the gate operator runs (set by the gate)"},
                   "ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids whose issuers federated credentials may trust, besides "
                                                   "the stack's azure-native/azuread tenantId (set by the gate)"}},
    config_strictness={"trustedIssuers": "subset", "ownTenantIds": "subset"},
)
