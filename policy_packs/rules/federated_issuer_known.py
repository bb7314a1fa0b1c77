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
A cluster-issuer pattern proves the platform holds the keys, not that the cluster (or Cognito pool, or Google account)
is yours: whose it is, is judged by AGID-GEN-006 (EKS on role trusts, federated credentials, WIF providers) and
AGID-GEN-009 (GKE projects, Cognito pools, Google subjects, EKS elsewhere).
An Entra ID tenant's issuer (`https://login.microsoftonline.com/TENANT/v2.0`, `https://sts.windows.net/TENANT/`, an
AKS cluster's issuer naming its TENANT, and their national-cloud twins: login.microsoftonline.us, login.chinacloudapi.cn,
login.partner.microsoftonline.cn, sts.chinacloudapi.cn, the retired login.microsoftonline.de, oic.prod-aks.azure.us/.cn;
compared without case or trailing '/') is Microsoft's word that a principal of THAT tenant asked: any application
or managed identity of another tenant then signs in as this identity (red7b f08). It passes only for the stack's own
tenants: this rule's or the pack-wide `ownTenantIds` (set by the gate: `--own-tenant`, the base branch's waivers.yaml;
strictness "subset"), and under `agentid preview` the tenant the gate's mocks give the stack's identities
(AGENTID_MOCK_TENANTS); never the stack config's `<package>:tenantId`, which the pull request chooses (red19 r19-2). Workforce pool providers sign in PEOPLE of a
company's (or a partner's) IdP, so their tenant is not judged.
SAML IdPs (an IAM SAML provider's samlMetadataDocument, a Cognito SAML identity provider's MetadataFile;
red9a #7: a provider built from any metadata, trusted by a role, passed) are judged by what their metadata says
(analysis.saml_metadata). The entityID is an IDENTIFIER of the IdP (`http://www.okta.com/exk...`, `urn:acme.auth0.com`,
an AD FS `http://HOST/adfs/services/trust`, Entra's `https://sts.windows.net/TENANT/`), never fetched: its scheme says
nothing about trust. The trust is the metadata's signing certificates, which the same pull request writes. What is
judgeable offline, then:
  - the metadata names an entityID and at least one signing certificate, each a parseable X.509 certificate with an
    RSA key of 2048+ bits or an elliptic-curve key (else "cannot check" / weak);
  - the IdP is one the gate vouches for: its entityID, in any URI form, in this rule's `trustedSamlEntityIds` (set by
    the gate, strictness "subset"), optionally followed by ` sha256:HEX` pins of its signing certificates, which every
    signing certificate must then match; or an Entra tenant of the stack's own (as for OIDC above); an https entityID
    listed in trustedIssuers counts too. A well-known IdP's entityID (analysis/saml_idps.yaml) is named in the finding
    with its tenant; an entityID the IdP gives EVERY customer (JumpCloud's default `JumpCloud`) passes only pinned.
    Without a pin the pass rests on the metadata's certificate being the IdP's: pin it where the IdP lets you.
AgentCore gateways, runtimes, harnesses and registries (AgentCore registry, Agent Registry) take callers' JWTs from the
issuer of their customJwtAuthorizer.discoveryUrl, judged like any issuer (where each type holds it: AGID-AWS-037).
`issuer_problem` is the issuer judgement alone, for rules judging other token brokers (AGID-AWS-067: a Cognito
identity pool's OIDC providers).
A Cognito identity provider whose metadata Cognito fetches (MetadataURL) trusts whoever serves that URL: it must be
https and listed in trustedIssuers (or the stack's own Entra tenant's federation metadata URL); a Cognito OIDC identity
provider's oidc_issuer is judged like any issuer above.
Sources: https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-saml-idp.html,
https://cloud.google.com/iam/docs/workload-identity-federation.
The other inbound token authorizers AGID-GEN-008 knows (load balancer authenticate-oidc, Easy Auth, Identity Platform,
AppSync Events, API definitions' JWT issuers, API Management validate-jwt) are judged on their literal issuers the same
way (unknown ones are AGID-GEN-008's "cannot check"). A service-account e-mail as an Endpoints / API Gateway
`x-google-issuer` is Google's issuer for that account: own only when its project (SA@PROJECT.iam, PROJECT@appspot,
NUMBER-compute@developer) is in the pack-wide ownGcpProjects AND `x-google-jwks_uri` is Google's robot metadata URL of
that same account (.../robot/v1/metadata/x509/SA or .../jwk/SA); keys anywhere else (or none named) are whoever serves
them; an issuer URL with an `x-google-jwks_uri` off its own host and not listed for it (inbound_token_issuers.yaml
`issuer_keys`) trusts whoever serves that URL. An API Management validate-jwt's `<issuer-signing-keys>` accept every token their holder signs, whatever its
issuer: a symmetric `<key>` written in the program is a shared secret (category static-credential), any other key an
issuer nobody runs (it cannot be listed in trustedIssuers: waive it with a reason).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, https_url
from agentid_policy_packs.analysis import saml_metadata
from agentid_policy_packs.analysis.values import UNKNOWN_STRING, is_unknown, values_at

from . import agentcore_gateway_authorizer
from .gcp_own import CONFIG_SCHEMA as GCP_OWN_SCHEMA
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
# A Cognito user pool's external IdP: SAML (providerDetails MetadataFile / MetadataURL) or OIDC (oidc_issuer)
COGNITO_IDP = "aws:cognito/identityProvider:IdentityProvider"
# Other AWS token brokers that take an OIDC issuer's tokens as a caller's identity (red11a r04, r35), with the input
# paths naming the issuer (`a[].b` walks a list): IAM Identity Center trusted token issuers (tokens exchanged for
# Identity Center users), Verified Access user trust providers (people let into applications), Verified Permissions
# identity sources (tokens whose claims become the Cedar principal), API Gateway HTTP API JWT authorizers, AppSync
# OIDC authorization, EKS OIDC identity provider configs (tokens become Kubernetes users and groups).
ISSUER_PATHS = {
    "aws:ssoadmin/trustedTokenIssuer:TrustedTokenIssuer": ("trustedTokenIssuerConfiguration.oidcJwtConfiguration.issuerUrl",),
    "aws:verifiedaccess/trustProvider:TrustProvider": ("oidcOptions.issuer", "nativeApplicationOidcOptions.issuer"),
    "aws:verifiedpermissions/identitySource:IdentitySource": ("configuration.openIdConnectConfiguration.issuer",),
    "aws:apigatewayv2/authorizer:Authorizer": ("jwtConfiguration.issuer",),
    "aws:appsync/graphQLApi:GraphQLApi": ("openidConnectConfig.issuer",
                                          "additionalAuthenticationProviders[].openidConnectConfig.issuer"),
    "aws:eks/identityProviderConfig:IdentityProviderConfig": ("oidc.issuerUrl",),
}
SAML_IDPS = Path(__file__).resolve().parent.parent / "analysis" / "saml_idps.yaml"
# The other inbound token authorizers AGID-GEN-008 knows (analysis/inbound_token_issuers.yaml `authorizers`: load
# balancer authenticate-oidc, Easy Auth, Identity Platform, AppSync Events, API definitions, API Management
# policies): an arbitrary issuer there lets whoever serves its keys sign in as any caller, as on the types above
# (inbound3: `aws.lb.ListenerRule` authenticate-oidc on https://evil.example.net passed GEN-003, -008 and -009). Read
# from the data file, not from that rule's module, which imports this one.
INBOUND_DATA = Path(__file__).resolve().parent.parent / "analysis" / "inbound_token_issuers.yaml"
# Entra's federation metadata URL for one tenant (and its national clouds), which Cognito may fetch
_ENTRA_METADATA_URL = re.compile(
    r"https://login\.(microsoftonline\.(com|us)|chinacloudapi\.cn|partner\.microsoftonline\.cn)/(?P<tenant>[0-9a-f-]{36})"
    r"/federationmetadata/2007-06/federationmetadata\.xml(\?appid=[0-9a-f-]{36})?", re.IGNORECASE)
# a trustedSamlEntityIds entry: the entityID (any URI, no whitespace, <= 1024 characters) and optional certificate pins
_PIN = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
# AgentCore gateways, runtimes, harnesses and registries take callers' JWTs from the issuer of their
# customJwtAuthorizer.discoveryUrl (AGID-AWS-037 knows where each type holds it)
AGENTCORE = tuple(agentcore_gateway_authorizer.JWT_AUTHORIZED)
_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
# Stack config keys naming the Entra tenant the stack deploys into (Pulumi azure-native, azuread, classic azure providers)
MOCK_TENANTS_ENV = "AGENTID_MOCK_TENANTS"  # set by the gate for its packs only: the tenant its mocks invent


def _inbound_types() -> tuple[str, ...]:
    from agentid_components import data_yaml as _yaml  # noqa: PLC0415

    judged_here = {*AZURE_TYPES, *GCP_PROVIDERS, AWS_PROVIDER, SAML_PROVIDER, COGNITO_IDP, *AGENTCORE, *ISSUER_PATHS}
    return tuple(t for t in _yaml.load(INBOUND_DATA)["authorizers"] if t not in judged_here)


INBOUND = _inbound_types()


def _inbound(resource: Resource, config):
    from . import inbound_multi_tenant_issuer as gen008  # noqa: PLC0415 - it imports this module

    key_urls = gen008.google_key_urls(resource)
    for where, issuer in gen008.literal_issuers(resource):  # unknown ones: AGID-GEN-008's "cannot check"
        if where in key_urls and "@" in issuer and "://" not in issuer:
            problem = service_account_problem(issuer, key_urls[where], config)
        else:
            problem = issuer_problem(issuer, config)
            if where in key_urls and (keys := key_url_problem(issuer, key_urls[where])):
                yield Violation(f"{resource.name} ({where}) {keys}")
        if problem:
            yield Violation(f"{resource.name} ({where}) {problem}")
    for where, kind, secret in gen008.signing_keys(resource):
        if kind == "symmetric" and secret is not None:
            yield Violation(f"{resource.name} ({where}) validates tokens with a symmetric key written in the "
                            "program: a shared secret anyone reading the program (or its state) can sign any token "
                            "with; keep it out of the program (a Key Vault-backed named value) or, better, trust an "
                            "issuer's openid-config", category="static-credential")
        else:
            held = ("a symmetric key (a named value or expression)" if kind == "symmetric" else "an asymmetric key")
            yield Violation(f"{resource.name} ({where}) accepts every token signed by {held}, whatever its issuer: "
                            "its holder is an issuer nobody runs for the gate and that cannot be listed in "
                            "trustedIssuers; trust an issuer's <openid-config> instead, or waive it with a reason")


@lru_cache(maxsize=1)
def _issuer_keys() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    return tuple((re.compile(entry["pattern"], re.IGNORECASE), frozenset(k.lower() for k in entry["keys"]))
                 for entry in data_yaml.load(INBOUND_DATA)["issuer_keys"])


def key_url_problem(issuer: str, url) -> str | None:
    """Why a validator told to take `issuer`'s keys from `url` (x-google-jwks_uri) trusts someone else; None when the
    URL is on the issuer's own host or listed for it (inbound_token_issuers.yaml `issuer_keys`)."""
    if not isinstance(url, str) or not url.strip():
        return "cannot check: its x-google-jwks_uri is not a URL, so which keys sign its tokens cannot be read"
    normal, keys = _normal(issuer), urllib.parse.unquote(url.strip()).rstrip("/").lower()
    try:
        same_host = (urllib.parse.urlsplit(keys).scheme == "https" and urllib.parse.urlsplit(normal).hostname is not None
                     and urllib.parse.urlsplit(keys).hostname == urllib.parse.urlsplit(normal).hostname
                     and urllib.parse.urlsplit(keys).port == urllib.parse.urlsplit(normal).port)
    except ValueError:
        same_host = False
    if same_host or any(pattern.fullmatch(normal) and keys in listed for pattern, listed in _issuer_keys()):
        return None
    return (f"takes the keys of issuer {issuer[:200]!r} from x-google-jwks_uri {url.strip()[:200]!r}, which is not "
            "where that issuer serves them: whoever serves that URL signs tokens claiming the issuer")


# A Google service account's e-mail (https://cloud.google.com/iam/docs/service-account-overview#identifiers): a
# user-managed account SA@PROJECT.iam.gserviceaccount.com, App Engine's PROJECT@appspot.gserviceaccount.com, Compute
# Engine's PROJECT_NUMBER-compute@developer.gserviceaccount.com
_SERVICE_ACCOUNT = re.compile(r"^(?:[a-z0-9-]+@(?P<project>[a-z0-9.:-]+)\.iam|(?P<appspot>[a-z0-9.:-]+)@appspot|"
                              r"(?P<number>[0-9]+)-compute@developer)\.gserviceaccount\.com$")
_ROBOT_KEYS = ("https://www.googleapis.com/robot/v1/metadata/x509/", "https://www.googleapis.com/robot/v1/metadata/jwk/")


def service_account_problem(email: str, jwks_uri, config) -> str | None:
    """Why trusting a Cloud Endpoints / API Gateway `x-google-issuer` that is a service-account e-mail is unsafe; None
    when the account is in an own project (ownGcpProjects, pack-wide) AND `x-google-jwks_uri` is Google's robot
    metadata URL for that same account (x509 or jwk form): then Google holds the keys and only that account's
    holders sign (https://cloud.google.com/endpoints/docs/openapi/service-account-authentication). Keys anywhere else
    are whoever serves them."""
    address = email.strip().lower()
    match = _SERVICE_ACCOUNT.fullmatch(address)
    if match is None:
        return (f"trusts tokens from issuer {email[:200]!r}, which is neither an issuer URL nor a Google service "
                "account's e-mail: whoever serves its keys signs the callers' tokens")
    project = match.group("project") or match.group("appspot") or match.group("number")
    if not isinstance(jwks_uri, str) or not jwks_uri.strip():
        keys = "names no x-google-jwks_uri, so which keys sign its tokens is not Google's robot metadata of the account"
    elif urllib.parse.unquote(jwks_uri.strip()).lower() not in {prefix + address for prefix in _ROBOT_KEYS}:
        keys = (f"takes its keys from x-google-jwks_uri {jwks_uri.strip()[:200]!r}, not Google's robot metadata of "
                "that account: whoever serves that URL signs the callers' tokens")
    else:
        keys = ""
    own = {str(p).strip().lower() for p in config.get("ownGcpProjects", []) or () if isinstance(p, str)}
    if not keys and project in own:
        return None
    whose = "" if project in own else (f"; project {project} is not one the gate lists (ownGcpProjects), so whoever "
                                       "holds that account's keys is nobody the gate knows" if own else
                                       f"; the gate lists no own projects (ownGcpProjects), so it cannot tell whether "
                                       f"project {project} is yours")
    return f"trusts tokens of service account {address[:200]}{': it ' + keys if keys else ''}{whose}"


@lru_cache(maxsize=1)
def _known() -> tuple[re.Pattern[str], ...]:
    # without case: every host is a platform's (DNS ignores case) and a tenant id is a GUID in any case, so
    # `HTTPS://LOGIN.MICROSOFTONLINE.US/TENANT/V2.0` is that tenant's issuer too, never an unknown one to waive
    return tuple(re.compile(entry["pattern"], re.IGNORECASE) for entry in data_yaml.load(DATA)["issuers"])


def own_ids(config, setting: str, stack_keys: tuple[str, ...], mock_env: str) -> set[str]:
    """The ids a stack calls its own, unnormalised: the rule's list setting (set by the gate), the values of
    `stack_keys` in the stack config (PULUMI_CONFIG, which the engine gives policy packs), and the gate's mock ids
    (comma-separated in `mock_env`, set for its packs only). Shared by own tenants and own subscriptions."""
    found = {item for item in config.get(setting, []) if isinstance(item, str)}
    try:
        stack_config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        stack_config = {}
    if isinstance(stack_config, dict):
        found.update(value for key in stack_keys if isinstance(value := stack_config.get(key), str))
    found.update(os.environ.get(mock_env, "").split(","))
    return found


def own_tenants(config) -> frozenset[str]:
    """Entra tenant ids (lower case) of the organisation: the gate's ownTenantIds (`--own-tenant`, the base branch's
    waivers.yaml; a pull request's stack file may only shorten the list) and the gate's mock tenant. Never the stack
    config's tenantId (red19 r19-2): the pull request chooses it, so it would vouch for the very tenant it moves the
    stack into, and an unused `azure:tenantId` made any tenant own for every rule."""
    found = own_ids(config, "ownTenantIds", (), MOCK_TENANTS_ENV)
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
        jwt = agentcore_gateway_authorizer.custom_jwt(resource)
        if isinstance(jwt, Unknown):
            return UNKNOWN_STRING
        if not isinstance(jwt, dict):
            return None  # no JWT authorizer: AWS_IAM or NONE (AGID-AWS-037)
        url = jwt.get("discoveryUrl")
        return url.strip().removesuffix(_DISCOVERY_SUFFIX) if isinstance(url, str) else url
    if resource.type == COGNITO_IDP:
        details = resource.props.get("providerDetails")
        return details.get("oidc_issuer") if isinstance(details, dict) else details
    if resource.type == AWS_PROVIDER:
        url = resource.props.get("url")
        # IAM takes the URL with or without its scheme; the issuer is https://HOST[/PATH] either way
        return url if not isinstance(url, str) or "://" in url else f"https://{url}"
    return resource.props.get("issuer")


@lru_cache(maxsize=1)
def _saml_idps() -> tuple[tuple[re.Pattern[str], dict], ...]:
    return tuple((re.compile(entry["pattern"], re.IGNORECASE), entry)
                 for entry in data_yaml.load(SAML_IDPS)["idps"])


def _trusted_entity_ids(config) -> dict[str, frozenset[str]]:
    """entityID -> the SHA-256 pins of its signing certificates (empty: not pinned), from trustedSamlEntityIds and
    the https entries of trustedIssuers. An entry whose pins do not parse trusts nothing (the gate refuses it)."""
    found: dict[str, frozenset[str]] = {}
    for item in config.get("trustedIssuers", []):
        if isinstance(item, str):
            found[item.strip()] = frozenset()
    for item in config.get("trustedSamlEntityIds", []):
        if not isinstance(item, str) or not item.split():
            continue
        entity, *pins = item.split()
        matched = [_PIN.match(pin) for pin in pins]
        if all(matched):
            found[entity] = frozenset(m.group(1).lower() for m in matched)
    return found


def _saml(resource: Resource, text: str, config, where: str):
    """A SAML IdP's metadata: see the module docstring."""
    metadata = saml_metadata.read(text)
    if not metadata.entity_id:
        yield Violation(f"{resource.name}: cannot check: its SAML metadata ({where}) names no IdP entityID")
        return
    entity = metadata.entity_id
    if not metadata.signing:
        yield Violation(f"{resource.name}: cannot check: the SAML metadata of {entity[:200]!r} carries no signing "
                        "certificate (KeyDescriptor use=\"signing\" with an X509Certificate in its IDPSSODescriptor), "
                        "and the signing certificate is what decides who may sign its assertions")
        return
    problems = [certificate.problem for certificate in metadata.signing if certificate.problem]
    if problems:
        yield Violation(f"{resource.name} trusts SAML IdP {entity[:200]!r}, but {problems[0]}: whoever can sign with "
                        "it signs anyone in; use the IdP's current RSA 2048+ or EC signing certificate")
        return
    known = next(((found, entry) for pattern, entry in _saml_idps() if (found := pattern.fullmatch(entity.rstrip("/")))),
                 None)
    trusted = _trusted_entity_ids(config)
    pins = trusted.get(entity, trusted.get(_normal(entity)))
    if pins is not None:
        unpinned = [c.sha256 for c in metadata.signing if pins and c.sha256 not in pins]
        if unpinned:
            yield Violation(f"{resource.name} trusts SAML IdP {entity[:200]!r} with signing certificate SHA-256 "
                            f"{unpinned[0]}, which is not one the gate pinned for that IdP (trustedSamlEntityIds): "
                            "whoever holds its key signs anyone in")
        elif known and known[1].get("shared") and not pins:
            yield Violation(f"{resource.name} trusts SAML IdP {entity[:200]!r}, the entityID {known[1]['name']} gives "
                            "every customer: listing it binds nothing; pin its signing certificate in "
                            "trustedSamlEntityIds (`ENTITYID sha256:HEX`)")
        return
    if known and known[1].get("entra"):
        tenant = known[0].group("tenant")
        if tenant.lower() in own_tenants(config):
            return
        yield Violation(f"{resource.name} trusts SAML assertions of Entra tenant {tenant} ({entity[:200]!r}), which is "
                        "not one of the organisation's own tenants (ownTenantIds, set by the gate): "
                        "list the tenant in the base branch's waivers.yaml policyPackConfig AGID-GEN-003 ownTenantIds "
                        "if it is yours")
        return
    if known:
        groups = known[0].groupdict()
        which = f" (tenant {groups['tenant']})" if groups.get("tenant") else f" (app {groups['app']})" \
            if groups.get("app") else ""
        named = f"the {known[1]['name']} IdP{which}"
    else:
        named = "an IdP nobody here vouches for"
    yield Violation(f"{resource.name} trusts SAML assertions from {entity[:200]!r}, {named}, which the gate does not "
                    "list: whoever holds the metadata's signing key signs anyone in; list the entityID (any URI form, "
                    "e.g. Okta's http://www.okta.com/ID) with its certificate pin in the base branch's waivers.yaml "
                    "policyPackConfig AGID-GEN-003 trustedSamlEntityIds")


def _cognito_saml(resource: Resource, details, config):
    """A Cognito SAML identity provider: metadata inline (MetadataFile) or fetched by Cognito (MetadataURL)."""
    metadata, url = details.get("MetadataFile"), details.get("MetadataURL")
    if is_unknown(metadata) or (metadata is None and is_unknown(url)):
        yield Unknown("providerDetails.MetadataFile" if is_unknown(metadata) else "providerDetails.MetadataURL")
        return
    if isinstance(metadata, str) and metadata.strip():
        yield from _saml(resource, metadata, config, "providerDetails.MetadataFile")
        return
    if not isinstance(url, str) or not url.strip():
        yield Violation(f"{resource.name}: cannot check: a SAML identity provider needs providerDetails MetadataFile "
                        "or MetadataURL")
        return
    listed = {_normal(item) for item in config["trustedIssuers"] if isinstance(item, str)}
    entra = _ENTRA_METADATA_URL.fullmatch(url.strip())
    if _normal(url) in listed and not https_url.problem(_normal(url)):
        return
    if entra and entra.group("tenant").lower() in own_tenants(config):
        return
    yield Violation(f"{resource.name} trusts SAML metadata fetched from {url[:200]!r}: whoever serves that URL chooses "
                    "the signing certificate Cognito accepts; use the metadata of your own Entra tenant, or have the "
                    "gate list the https URL in trustedIssuers")


def _issuers_at(resource: Resource, config):
    for path, issuer in (found for path in ISSUER_PATHS[resource.type] for found in values_at(resource.props, path)):
        if is_unknown(issuer):
            yield Unknown(path)
        elif not isinstance(issuer, str) or not issuer.strip():
            yield Violation(f"{resource.name}: cannot check: {path} is not an issuer URL")
        elif problem := issuer_problem(issuer, config):
            yield Violation(f"{resource.name} {problem}")


def check(resource: Resource, config):
    if resource.type in INBOUND:
        yield from _inbound(resource, config)
        return
    if resource.type in ISSUER_PATHS:
        yield from _issuers_at(resource, config)
        return
    if resource.type == SAML_PROVIDER:
        metadata = resource.props.get("samlMetadataDocument")
        if is_unknown(metadata):
            yield Unknown("samlMetadataDocument")
        else:
            yield from _saml(resource, metadata if isinstance(metadata, str) else "", config, "samlMetadataDocument")
        return
    if resource.type == COGNITO_IDP:
        kind, details = resource.props.get("providerType"), resource.props.get("providerDetails")
        if is_unknown(kind) or is_unknown(details):
            yield Unknown("providerType" if is_unknown(kind) else "providerDetails")
            return
        if not isinstance(details, dict) or kind not in ("SAML", "OIDC"):
            return  # social providers (Google, Facebook, Login with Amazon, Apple) sign in with the platform's own keys
        if kind == "SAML":
            yield from _cognito_saml(resource, details, config)
            return
    issuer = _issuer(resource)
    if is_unknown(issuer):
        yield Unknown("oidc.issuerUri" if resource.type in GCP_PROVIDERS else "url" if resource.type == AWS_PROVIDER
                      else "providerDetails.oidc_issuer" if resource.type == COGNITO_IDP
                      else agentcore_gateway_authorizer.authorizer_path(
                          resource, "authorizerConfiguration.customJwtAuthorizer.discoveryUrl") if resource.type in AGENTCORE
                      else "issuer")
        return
    if issuer is None and resource.type in GCP_PROVIDERS + AGENTCORE:
        return  # a GCP AWS/SAML provider (AGID-GCP-004), an AgentCore resource without a JWT authorizer
    if not isinstance(issuer, str) or not issuer.strip():
        yield Violation(f"{resource.name}: cannot check: the issuer is not a URL")
        return
    problem = issuer_problem(issuer, config, workforce=resource.type == GCP_WORKFORCE_PROVIDER)
    if problem:
        yield Violation(f"{resource.name} {problem}")


def issuer_problem(issuer: str, config, *, workforce: bool = False) -> str | None:
    """Why trusting OIDC `issuer` (an https URL) is unsafe, as a phrase after the trusting resource's name
    ("trusts tokens from issuer ..."); None when it is a platform's issuer, the stack's own Entra tenant's, or one
    the gate lists in `config["trustedIssuers"]`. `workforce`: Entra tenants sign in people of a company, any tenant
    passes. Shared with rules judging other token brokers (a Cognito identity pool's OIDC providers)."""
    listed = {_normal(item) for item in config.get("trustedIssuers", []) if isinstance(item, str)}
    normal = _normal(issuer)
    if normal in listed:
        # The gate refuses such an entry (pack_config, format https-url); `pulumi preview` does not check formats
        why = https_url.problem(normal)
        if why:
            return (f"trusts issuer {issuer[:200]!r}, listed in trustedIssuers, but the entry {why}: an issuer "
                    "trusted by exact comparison must name one host, port and path")
        return None
    match = next((found for pattern in _known() if (found := pattern.fullmatch(normal))), None)
    if match and (workforce or "tenant" not in match.re.groupindex):
        return None
    if match:
        tenant = match.group("tenant")
        if tenant.lower() in own_tenants(config):
            return None
        return (f"trusts tokens from Entra tenant {tenant} ({issuer[:200]!r}), which is not one of the stack's own "
                "tenants (ownTenantIds, set by the gate: --own-tenant): any application or managed "
                "identity of that tenant can sign in as this identity; list the tenant in the base branch's "
                "waivers.yaml policyPackConfig AGID-GEN-003 ownTenantIds if it is yours")
    return (f"trusts tokens from issuer {issuer[:200]!r}, which is neither a platform's issuer (GitHub Actions, "
            "GitLab.com, Google, Entra, AKS/EKS/GKE) nor listed in the gate's trustedIssuers: whoever serves its keys "
            "can sign the trusted subject; list an issuer you run with `agentid preview --trusted-issuer URL` or in "
            "the base branch's waivers.yaml")


RULE = Rule(
    id="AGID-GEN-003",
    title="federated-issuer-known",
    severity="high",
    category="weak-trust",
    enforcement="mandatory",
    description="Federated identity credentials, Workload / Workforce Identity Federation providers, IAM and Cognito OIDC "
                "providers, AgentCore JWT authorizers (gateways, runtimes, harnesses, registries), Identity Center "
                "trusted token issuers, Verified Access trust providers, Verified Permissions identity sources, API "
                "Gateway JWT authorizers, AppSync OIDC and EKS OIDC identity providers trust a platform's OIDC issuer (an Entra tenant's only for the stack's own tenants) or one the gate "
                "operator lists in trustedIssuers; SAML IdPs carry a sound signing certificate and are an own Entra "
                "tenant or an entityID (any URI form) listed, and pinned where given, in trustedSamlEntityIds.",
    remediation="Trust the platform's issuer (token.actions.githubusercontent.com, the cluster's OIDC issuer URL), or "
                "have the gate operator trust the issuer you run (e.g. your SPIRE OIDC discovery provider): `agentid preview "
                "--trusted-issuer URL`, or trustedIssuers in the base branch's waivers.yaml policyPackConfig.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations",
    check=check,
    resource_types=AZURE_TYPES + GCP_PROVIDERS + (AWS_PROVIDER, SAML_PROVIDER, COGNITO_IDP, *AGENTCORE, *ISSUER_PATHS,
                                                  *INBOUND),
    config={"trustedIssuers": [], "ownTenantIds": [], "trustedSamlEntityIds": [], "ownGcpProjects": []},
    config_schema={"trustedIssuers": {"type": "array", "items": {"type": "string", "format": "https-url"}, "default": [],
                                      "description": "OIDC issuer URLs the gate operator runs (set by the gate)"},
                   "ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids whose issuers federated credentials may trust, besides "
                                                   "never the stack file's tenantId (set by the gate)"},
                   "trustedSamlEntityIds": {"type": "array", "default": [], "items": {
                       "type": "string", "pattern": "^[^\\s]{1,1024}( sha256:[0-9a-fA-F]{64})*$"},
                       "description": "SAML IdP entityIDs the gate operator runs (any URI form, e.g. "
                                      "http://www.okta.com/ID), each optionally followed by ' sha256:HEX' pins of its "
                                      "signing certificates (set by the gate)"},
                   "ownGcpProjects": GCP_OWN_SCHEMA["ownGcpProjects"]},
    config_strictness={"trustedIssuers": "subset", "ownTenantIds": "subset", "trustedSamlEntityIds": "subset",
                       "ownGcpProjects": "subset"},
)
