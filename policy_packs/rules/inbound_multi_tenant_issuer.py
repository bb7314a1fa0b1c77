"""AGID-GEN-008: an inbound token authorizer trusting a multi-tenant issuer requires a claim naming an own tenant.

An inbound authorizer takes a caller's JWT as who the caller is: an AgentCore runtime, gateway, harness or registry
(customJwtAuthorizer), an API Gateway HTTP API JWT authorizer, AppSync OPENID_CONNECT (default or additional), a
Verified Permissions identity source, a Verified Access OIDC trust provider, an EKS OIDC identity provider, Container
Apps / App Service authentication (a custom OpenID Connect provider, or the Entra provider's openIdIssuer; classic
settings' issuer), an AppSync Events API, an Application Load Balancer `authenticate-oidc` action, an IAM Identity
Center trusted token issuer (its tokens exchanged for the user a caller-chosen claim maps to: red16 r16-2), a GCP
Identity Platform (tenant) OIDC provider, a GCP Workforce Identity Federation provider (people of the issuer sign in as
workforce identities: issue 11). Every type AGID-GEN-003 reads an issuer from is one of these or listed,
with why not, in the data's `not_authorizers` (a test keeps the two in step). Some
issuers sign for ANYONE (red15 r15-9: a PUBLIC AgentCore runtime trusting GitHub Actions passed):
  - the multi-tenant CI platforms of analysis/oidc_issuers.yaml `tenants` (GitHub Actions, GitLab.com, HCP Terraform,
    Azure DevOps): every workflow of every repository gets a token, for ANY audience it asks
    (`core.getIDToken(aud)`), so an allowed audience or client pins nothing;
  - sign-in issuers open to whoever makes an account (analysis/inbound_token_issuers.yaml `open_issuers`: Google
    accounts, Entra's common / organizations / consumers endpoints, Apple): the audience is a client id any account
    reaches through a public client.
AGID-GEN-003 (the issuer is known) and AGID-AWS-037 (an audience or client is named) are satisfied by both. Such an
authorizer passes only when the service itself enforces a claim confining the caller (where each type names its
issuers and its claim check is data: inbound_token_issuers.yaml `authorizers`):
  - AgentCore `customClaims`: EQUALS on a tenant claim (GitHub repository_owner / repository_owner_id / repository /
    sub; GitLab project_path / namespace_path / sub, ...) naming a tenant the gate lists (trustedRepositoryOwners,
    trustedGitLabGroups, trustedTerraformOrganizations, trustedAzureDevOpsOrganizations, compared as AGID-GEN-006
    does; CONTAINS_ANY on a list only when every value is own); for an open issuer EQUALS on a claim naming one
    account (sub, email, oid) or an own organisation (Google `hd` in ownGcpDomains, Entra `tid` in the stack's own
    tenants);
  - EKS `oidc.requiredClaims`: the same claims, as exact key/value pairs;
  - a workforce pool provider's `attributeCondition` (CEL): the same claims, each as a term of a top-level
    conjunction `assertion.CLAIM == 'V'`, `'V' == assertion.CLAIM` or `assertion.CLAIM in ['V', ...]` (google.X and
    attribute.X as the claim attributeMapping maps them from, exactly); a `||` or conditional at the top, a negation,
    `!=`, startsWith / endsWith / matches pins nothing (analysis/gcp_iam.pinned_claims); `disabled: true` turns the
    provider off;
  - Easy Auth's Entra provider: `validation.defaultAuthorizationPolicy.allowedPrincipals.identities` (object ids);
  - Easy Auth's built-in sign-in providers (Google, GitHub, Facebook, X, Apple, Microsoft account: data
    `open_providers`) sign in any account of their platform and check no claim: one present and not
    `enabled: false` blocks, unless the authorizer is off (`platform.enabled: false`);
  - API Management developer-portal identity providers: google / facebook / microsoft / twitter sign in any
    account and block; `aad` passes only when every allowedTenants entry is an own tenant id (red16 r16-2);
  - API Gateway JWT, AppSync, Verified Permissions, Verified Access, Identity Center trusted token issuers, Identity
    Platform OIDC providers and Easy Auth custom OpenID providers check no
    caller claim: a multi-tenant issuer there cannot be pinned and blocks (confine the callers in the backend with
    an authorizer that can, e.g. a Lambda authorizer, or use a single-tenant issuer: the stack's admin-only Cognito pool, an
    own Entra tenant's issuer).
A pin unknown at preview is "cannot check until known"; so is an issuer unknown at preview, here for the types
AGID-GEN-003 does not read (load balancer actions, Easy Auth, Identity Platform, AppSync Events: issue 11, never
silence), by AGID-GEN-003 for the others.
The same issuers named inside an OpenAPI definition are judged too (data `documents`): an HTTP API body's
`x-amazon-apigateway-authorizer` of type jwt (`jwtConfiguration.issuer`), and Cloud Endpoints (`openapiConfig`) / GCP
API Gateway config (`openapiDocuments[].document.contents`, base64) security schemes' `x-google-issuer`, which
check issuer and audience only; a definition that cannot be read cannot be checked.
API Management policy documents (Policy, ApiPolicy, ApiOperationPolicy, ProductPolicy, GraphQL resolver policies, policy
fragments and their workspace twins; issue 11): each `<validate-jwt>` (the issuers of its `<openid-config url>`, or its
`<issuers>`, or a required `iss` claim) and `<validate-azure-ad-token>` (`tenant-id` common / organizations / consumers)
is judged with its `<required-claims>` as the pins (match="any": every value an alternative; "all", the default:
every value required; a claim with a `separator` pins nothing), analysis/apim_policy.py. The XML is parsed by expat
with no DTD (a DOCTYPE or entity declaration is refused, never expanded), policy expressions `@(...)` / `@{...}`
masked first; a document that cannot be read, a policy loaded from a link (xml-link, rawxml-link), an issuer held in a
`{{named value}}` or an expression is "cannot check" (a violation naming the resource); an unknown value or format
cannot be checked until known. A validate-jwt's `<issuer-signing-keys>` name no issuer: AGID-GEN-003 judges
the keys' holder (a symmetric key written in the program is a static credential).
A Cognito user pool's issuer is single-tenant only when nobody can join the pool: a stack pool with self sign-up or a
social / open-issuer IdP is AGID-AWS-060's (for every inbound authorizer, REST API COGNITO authorizers too), a pool the
stack does not define AGID-GEN-009's (issuer) or AGID-AWS-060's (ARN / id). Not judged here: Cognito identity
pools' login providers (AGID-AWS-067); an `<include-fragment>` of a policy fragment the stack does not define is
AGID-GEN-010's "cannot check".
Sources: https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims,
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml
from agentid_policy_packs.analysis.apim_policy import PolicyError, validations
from agentid_policy_packs.analysis.gcp_iam import pinned_claims
from agentid_policy_packs.analysis.openapi_auth import load_definition, security_schemes
from agentid_policy_packs.analysis.values import is_unknown

from . import federated_subject_own_tenant as gen006
from .base import Resource, Rule, Unknown, Violation
from . import federated_issuer_known
from .federated_issuer_known import own_tenants

DATA = Path(__file__).resolve().parent.parent / "analysis" / "inbound_token_issuers.yaml"
_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


@lru_cache(maxsize=1)
def _data() -> dict:
    return data_yaml.load(DATA)


@lru_cache(maxsize=1)
def _open_issuers() -> tuple[tuple[re.Pattern[str], str, dict[str, str]], ...]:
    return tuple((re.compile(entry["pattern"], re.IGNORECASE), entry["what"], dict(entry["pins"]))
                 for entry in _data()["open_issuers"])


AUTHORIZERS: dict[str, dict] = dict(_data()["authorizers"])


def _at(props, path: str) -> list[tuple[str, object]]:
    """(path, value) at `path`: `a[]` walks a list, `a{}` a map's values; an unknown level is returned as it is."""
    found: list[tuple[str, object]] = [("", props)]
    for part in path.split("."):
        kind = part[-2:] if part[-2:] in ("[]", "{}") else ""
        key = part[:-2] if kind else part
        step: list[tuple[str, object]] = []
        for where, item in found:
            if is_unknown(item):
                step.append((where, item))
                continue
            item = item.get(key) if isinstance(item, dict) else None
            where = f"{where}.{key}" if where else key
            if item is None:
                continue
            if kind == "[]" and isinstance(item, list):
                step += [(f"{where}[{i}]", v) for i, v in enumerate(item)]
            elif kind == "{}" and isinstance(item, dict):
                step += [(f"{where}.{k}", v) for k, v in item.items()]
            elif not kind or is_unknown(item):
                step.append((where, item))
        found = step
    return found


def _issuer_of(value: str) -> str:
    """The issuer a value names, in one spelling: a discovery URL read as its issuer, without a query or fragment (an
    issuer has neither, OpenID Connect Discovery 1.0 section 3; Entra's `...openid-configuration?appid=ID` is the same
    issuer), the host without user info, default port or trailing dot, the path percent-decoded with repeated
    slashes folded, http read as https (`https://login.microsoftonline.com:443//%63ommon/` fetches the same
    document as `.../common`: every spelling a client resolves to the same server and path is the same issuer)."""
    text = value.strip().split("#", 1)[0].split("?", 1)[0].strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is not None and parts.scheme.lower() in ("http", "https") and parts.hostname:
        host = parts.hostname.rstrip(".")
        netloc = host if port in (None, 80, 443) else f"{host}:{port}"
        text = f"https://{netloc}{re.sub(r'/{2,}', '/', urllib.parse.unquote(parts.path))}"
    text = text.rstrip("/")
    if text.lower().endswith(_DISCOVERY_SUFFIX):
        text = text[: -len(_DISCOVERY_SUFFIX)]
    return text.rstrip("/")


def _open_issuer(issuer: str):
    return next(((what, pins) for pattern, what, pins in _open_issuers() if pattern.fullmatch(issuer)), None)


def _claim_confines(kind, claim: str, values: list[str], config) -> bool:
    """Do these alternative values of `claim` (each a literal) all name own tenants / one account?"""
    if not values or any(not isinstance(v, str) or not v.strip() for v in values):
        return False
    if isinstance(kind, gen006.Platform):
        return claim in kind.claims and gen006.confines(kind, claim, values, config)
    pin = kind.get(claim)
    if pin == "one":
        return all("*" not in v for v in values)
    if pin == "ownTenantIds":
        own = own_tenants(config)
        return all(v.strip().lower() in own for v in values)
    if isinstance(pin, str):
        own = {x.strip().lower() for x in config.get(pin, []) if isinstance(x, str) and x.strip()}
        return all(v.strip().lower() in own for v in values)
    return False


def _agentcore_pins(props, holder: str):
    """(claim, [alternative literal values]) of each customClaims entry that requires values, or Unknown."""
    base = f"{holder}authorizerConfiguration.customJwtAuthorizer"
    found = _at(props, f"{base}.customClaims")
    if not found:
        return []
    where, claims = found[0]
    if is_unknown(claims):
        return Unknown(where)
    pins = []
    for claim in claims if isinstance(claims, list) else []:
        if not isinstance(claim, dict):
            continue
        name, match = claim.get("inboundTokenClaimName"), claim.get("authorizingClaimMatchValue")
        if is_unknown(name) or is_unknown(match):
            return Unknown(f"{base}.customClaims")
        if not isinstance(name, str) or not isinstance(match, dict):
            continue
        operator, value = match.get("claimMatchOperator"), match.get("claimMatchValue")
        if is_unknown(operator) or is_unknown(value):
            return Unknown(f"{base}.customClaims")
        operator = operator.upper() if isinstance(operator, str) else ""
        value = value if isinstance(value, dict) else {}
        if operator == "EQUALS":
            literal = value.get("matchValueString")
            values = [literal]
        elif operator == "CONTAINS_ANY":
            values = value.get("matchValueStringLists")
            values = values if isinstance(values, list) else []
        else:
            continue  # CONTAINS: one element of an array claim, e.g. a group; names no tenant or account
        if any(is_unknown(v) for v in values):
            return Unknown(f"{base}.customClaims")
        pins.append((name, values))
    return pins


def _eks_pins(props):
    found = _at(props, "oidc.requiredClaims")
    if not found:
        return []
    where, claims = found[0]
    if is_unknown(claims):
        return Unknown(where)
    if not isinstance(claims, dict):
        return []
    if any(is_unknown(v) for v in claims.values()):
        return Unknown(where)
    return [(k, [v]) for k, v in claims.items() if isinstance(v, str)]


def _cel_pins(props, entry: dict):
    """(claim, [alternative literal values]) of each term of a CEL attribute condition (a Workforce Identity
    Federation provider's attributeCondition) requiring a claim to equal literals (gcp_iam.pinned_claims: a top-level
    conjunction only; a disjunction, negation, prefix or pattern pins nothing; google.* / attribute.* as the claim the
    attributeMapping maps them from), or Unknown."""
    condition = props.get(entry["condition_input"])
    if is_unknown(condition):
        return Unknown(entry["condition_input"])
    if not isinstance(condition, str) or not condition.strip():
        return []
    mapping = props.get(entry["mapping_input"])
    if re.search(r"\b(google|attribute)\.", condition) and (
            is_unknown(mapping) or (isinstance(mapping, dict) and any(is_unknown(v) for v in mapping.values()))):
        return Unknown(entry["mapping_input"])  # a condition on mapped attributes: what they are mapped from
    return pinned_claims(condition, mapping if isinstance(mapping, dict) else None)


def _easyauth_pinned(props, path: str):
    """The Entra provider's allowedPrincipals.identities: one or more object ids (True), none (False), or Unknown."""
    if not path.startswith("identityProviders.azureActiveDirectory."):
        return False  # a custom OpenID Connect provider checks no caller claim
    where = "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy.allowedPrincipals.identities"
    found = _at(props, where)
    if not found:
        return False
    value = found[0][1]
    if is_unknown(value) or (isinstance(value, list) and any(is_unknown(v) for v in value)):
        return Unknown(found[0][0])
    return isinstance(value, list) and any(isinstance(v, str) and v.strip() for v in value)


def _holder(resource: Resource, entry: dict) -> str:
    first = entry["issuers"][0]
    return first[: first.index("authorizerConfiguration")] if "authorizerConfiguration" in first else ""


def _open_providers(resource: Resource, entry: dict):
    """Easy Auth built-in sign-in providers that let in any account of their platform, when on."""
    unknown = set()
    for path, what in (entry.get("open_providers") or {}).items():
        for where, provider in _at(resource.props, path):
            if is_unknown(provider):
                unknown.add(where)
                continue
            enabled = provider.get("enabled") if isinstance(provider, dict) else None
            if is_unknown(enabled):
                unknown.add(f"{where}.enabled")
            elif (isinstance(provider, dict) and enabled is not False) or (isinstance(provider, str) and provider.strip()):
                # a provider block not turned off, or (classic settings) the provider's client id
                yield Violation(f"{entry['what']} {resource.name} signs in every {what} ({where}): the provider "
                                "checks no caller claim, so anyone with such an account is let in; sign callers in "
                                "through a single-tenant issuer (your Entra tenant with allowedPrincipals, the stack's "
                                "own identity provider)")
    for where in sorted(unknown):
        yield Unknown(where)


def _apim(resource: Resource, entry: dict, config):
    """An API Management developer-portal identity provider (red16 r16-2): the social types sign in every account
    of their platform; `aad` signs in users of the tenants in allowedTenants (any tenant for common / organizations
    / consumers), so each must be an own tenant id (a domain name cannot be checked: fail closed)."""
    kind = resource.props.get(entry["type_input"])
    if kind is None:
        kind = resource.props.get(entry["name_input"])
    if is_unknown(kind):
        yield Unknown(entry["type_input"])
        return
    kind = kind.strip().lower() if isinstance(kind, str) else ""
    opened = {k.lower(): v for k, v in (entry.get("open_types") or {}).items()}
    if kind in opened:
        yield Violation(f"{entry['what']} {resource.name} signs in every {opened[kind]} (type {kind}): the provider "
                        "checks no caller claim, so anyone with such an account signs in; use `aad` with "
                        "allowedTenants naming your own tenant ids")
        return
    if kind != "aad":
        return  # aadB2C: the stack's own B2C tenant (AGID-GEN-003 judges its authority)
    tenants = resource.props.get(entry["tenants_input"])
    if is_unknown(tenants) or (isinstance(tenants, list) and any(is_unknown(t) for t in tenants)):
        yield Unknown(entry["tenants_input"])
        return
    own = own_tenants(config)
    values = [t for t in tenants if isinstance(t, str)] if isinstance(tenants, list) else []
    foreign = [t for t in values if t.strip().lower() not in own]
    if not values or foreign or len(values) != len(tenants):
        shown = ", ".join(repr(t[:80]) for t in foreign[:3]) or "none listed"
        yield Violation(f"{entry['what']} {resource.name} (type aad) lets in users of tenants that are not the "
                        f"stack's own ({entry['tenants_input']}: {shown}); common / organizations / consumers or "
                        "another tenant is anyone with such an account: list only your own tenant ids (the gate's "
                        "ownTenantIds, set by the gate)")


def _apim_policy(resource: Resource, entry: dict, config):
    """The token validations (validate-jwt, validate-azure-ad-token) of an API Management policy document: each
    issuer they accept judged with the claims they require (analysis/apim_policy.py)."""
    what = f"{entry['what']} {resource.name}"
    form = resource.props.get(entry["format_input"])
    if is_unknown(form):
        yield Unknown(entry["format_input"])
        return
    form = "xml" if form is None else form.strip().lower() if isinstance(form, str) else repr(form)
    if form.endswith("-link"):
        yield Violation(f"{what}: cannot check: its policy is loaded from a link ({entry['format_input']} {form}), "
                        "so which issuers' tokens its validate-jwt / validate-azure-ad-token take cannot be read (the "
                        "linked document can change at any time); inline the policy (format rawxml)")
        return
    if form not in ("xml", "rawxml"):
        yield Violation(f"{what}: cannot check: {entry['format_input']} {form[:40]!r} is no policy format API "
                        "Management reads inline, so its token validations cannot be read")
        return
    value = resource.props.get(entry["policy_input"])
    if is_unknown(value):
        yield Unknown(entry["policy_input"])
        return
    if value is None:
        return
    if not isinstance(value, str):
        yield Violation(f"{what}: cannot check: {entry['policy_input']} is not text, so its token validations "
                        "cannot be read")
        return
    try:
        found = validations(value)
    except PolicyError as error:
        yield Violation(f"{what}: cannot check: its policy ({entry['policy_input']}) {error}, so which issuers' "
                        "tokens its validate-jwt / validate-azure-ad-token take cannot be read")
        return
    for item in found:
        for where in item.unreadable:
            yield Violation(f"{what}: cannot check: {where} is a policy expression or named value (or missing), so "
                            "which issuers' tokens the validation takes cannot be read; name the issuer literally")
        for where, issuer in item.issuers:
            yield from _judge(resource, entry, "", where, issuer, config, pins=item.pins)


def check(resource: Resource, config):
    entry = AUTHORIZERS[resource.type]
    if entry["pins"] == "apim":
        yield from _apim(resource, entry, config)
        return
    if entry["pins"] == "apim_policy":
        yield from _apim_policy(resource, entry, config)
        return
    if _off(resource, entry):
        return  # the authorizer is off: nothing is let in through it (nor kept out)
    yield from _open_providers(resource, entry)
    for path in entry["issuers"]:
        for where, value in _at(resource.props, path):
            yield from _judge(resource, entry, path, where, value, config)
    for path in entry.get("documents") or ():
        for where, text in _at(resource.props, path):
            yield from _documents(resource, entry, where, text, config)


class _Unreadable(ValueError):
    """A definition or policy whose issuers cannot be read (the message says why, after "is")."""


def _definition_issuers(entry: dict, text) -> list[tuple[str, str]]:
    """(where inside, issuer) of each issuer an OpenAPI definition's security schemes take tokens from
    (x-google-issuer, an API Gateway JWT authorizer's jwtConfiguration.issuer); raises _Unreadable."""
    return [(where, issuer) for where, issuer, _ in _definition_schemes(entry, text)]


def _definition_schemes(entry: dict, text) -> list[tuple[str, str, object]]:
    """(where inside, issuer, the scheme's x-google-jwks_uri or None) of each issuer of an OpenAPI definition's
    security schemes; raises _Unreadable."""
    if entry.get("encoding") == "base64" and isinstance(text, str):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise _Unreadable("not base64 UTF-8 text") from None
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        definition = load_definition(text)
    except ValueError as error:
        raise _Unreadable(f"not an OpenAPI definition ({error})") from None
    schemes = security_schemes(definition)
    found = []
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict):
            continue
        authorizer = scheme.get("x-amazon-apigateway-authorizer")
        jwt = authorizer.get("jwtConfiguration") if isinstance(authorizer, dict) else None
        for key, issuer, jwks in (("x-google-issuer", scheme.get("x-google-issuer"), scheme.get("x-google-jwks_uri")),
                                  ("x-amazon-apigateway-authorizer.jwtConfiguration.issuer",
                                   jwt.get("issuer") if isinstance(jwt, dict) else None, None)):
            if isinstance(issuer, str):
                found.append((f"security scheme {str(name)[:80]} {key}", issuer, jwks))
    return found


def google_key_urls(resource: Resource) -> dict[str, object]:
    """{where: x-google-jwks_uri (None when absent)} of each Cloud Endpoints / API Gateway `x-google-issuer` that is
    a service-account e-mail or names its keys URL (as literal_issuers names its `where`): the validator checks
    signatures with the keys at that URL, whoever serves it. For AGID-GEN-003."""
    entry = AUTHORIZERS.get(resource.type)
    if entry is None or _off(resource, entry):
        return {}
    found: dict[str, object] = {}
    for path in entry.get("documents") or ():
        for where, text in _at(resource.props, path):
            try:
                schemes = [] if is_unknown(text) else _definition_schemes(entry, text)
            except _Unreadable:
                continue
            for inside, issuer, jwks in schemes:
                if inside.endswith(" x-google-issuer") and (jwks is not None or ("@" in issuer and "://" not in issuer)):
                    found[f"{where} {inside}"] = jwks
    return found


def signing_keys(resource: Resource) -> list[tuple[str, str, str | None]]:
    """(where, "symmetric" | "asymmetric", literal secret or None) of each `<issuer-signing-keys>` key of an API
    Management policy's validate-jwt (a readable, inline policy; an unreadable one is AGID-GEN-008's "cannot
    check"). For AGID-GEN-003: a token signed by such a key passes whatever its issuer."""
    entry = AUTHORIZERS.get(resource.type)
    if entry is None or entry["pins"] != "apim_policy":
        return []
    form, value = resource.props.get(entry["format_input"]), resource.props.get(entry["policy_input"])
    if not ((form is None or (isinstance(form, str) and form.strip().lower() in ("xml", "rawxml")))
            and isinstance(value, str) and not is_unknown(value)):
        return []
    try:
        return [key for item in validations(value) for key in item.keys]
    except PolicyError:
        return []


def _documents(resource: Resource, entry: dict, where: str, text, config):
    """The issuers an OpenAPI definition's security schemes take tokens from, each judged as an issuer input is."""
    if is_unknown(text):
        yield Unknown(where)
        return
    try:
        found = _definition_issuers(entry, text)
    except _Unreadable as error:
        yield Violation(f"{entry['what']} {resource.name}: cannot check: {where} is {error}, so the issuers its "
                        "callers' tokens come from cannot be read")
        return
    for inside, issuer in found:
        yield from _judge(resource, entry, "", f"{where} {inside}", issuer, config)


def _off(resource: Resource, entry: dict) -> bool:
    """Is the authorizer turned off (its `disabled_by` input literally the off value)?"""
    if "disabled_by" not in entry:
        return False
    switch = _at(resource.props, entry["disabled_by"])
    return bool(switch) and switch[0][1] is entry.get("disabled_value", False)


def literal_issuers(resource: Resource) -> list[tuple[str, str]]:
    """(where, issuer) of every literal issuer an inbound authorizer of AUTHORIZERS takes callers' tokens from: its
    issuer inputs, the issuers its OpenAPI definitions and API Management policies name (each read as its issuer:
    _issuer_of); nothing when the authorizer is off. Unknown or unreadable ones are left out: AGID-GEN-008 /
    AGID-GEN-003 say "cannot check" for them. For AGID-GEN-009, which judges whose a per-customer issuer is."""
    entry = AUTHORIZERS.get(resource.type)
    if entry is None or _off(resource, entry):
        return []
    found = [(where, value) for path in entry["issuers"] for where, value in _at(resource.props, path)]
    for path in entry.get("documents") or ():
        for where, text in _at(resource.props, path):
            try:
                found += [] if is_unknown(text) else [(f"{where} {inside}", issuer)
                                                      for inside, issuer in _definition_issuers(entry, text)]
            except _Unreadable:
                pass
    if entry["pins"] == "apim_policy":
        form, value = resource.props.get(entry["format_input"]), resource.props.get(entry["policy_input"])
        if (form is None or (isinstance(form, str) and form.strip().lower() in ("xml", "rawxml"))) \
                and isinstance(value, str) and not is_unknown(value):
            try:
                found += [pair for item in validations(value) for pair in item.issuers]
            except PolicyError:
                pass
    return [(where, _issuer_of(value)) for where, value in found
            if isinstance(value, str) and value.strip() and not is_unknown(value)]


def _judge(resource: Resource, entry: dict, path: str, where: str, value, config, pins=None):
    """`pins`: the (claim, values) the service requires, when the caller read them (an API Management validation's
    required claims); else read from the resource as its entry's `pins` says."""
    if is_unknown(value):
        if resource.type in federated_issuer_known.INBOUND or not federated_issuer_known.RULE.applies_to(resource.type):
            # no other rule reads this type's unknown issuer (a load balancer, Easy Auth, Identity Platform, AppSync
            # Events API: GEN-003 judges only their literal issuers; a workforce provider is GEN-003's): an unknown
            # one is never silence (issue 11)
            yield Unknown(where)
        return  # else AGID-GEN-003 says "cannot check until known" for it
    if not isinstance(value, str) or not value.strip():
        return  # a missing issuer: the provider rejects the authorizer
    issuer = _issuer_of(value)
    platform = gen006.platform_of(issuer)
    opened = None if platform else _open_issuer(issuer)
    if platform is None and opened is None:
        return
    kind = platform if platform else opened[1]
    who = (f"every {platform.what}'s workflows (tokens for any audience they ask)" if platform
           else f"every {opened[0]} (any account reaches a client id through a public client)")
    pins_kind = entry["pins"]
    if pins is not None:
        pass
    elif pins_kind == "easyauth":
        pinned = _easyauth_pinned(resource.props, path)
        if isinstance(pinned, Unknown):
            yield pinned
            return
        if pinned:
            return
        pins = []
    elif pins_kind == "agentcore":
        pins = _agentcore_pins(resource.props, _holder(resource, entry))
    elif pins_kind == "eks":
        pins = _eks_pins(resource.props)
    elif pins_kind == "cel":
        pins = _cel_pins(resource.props, entry)
    else:
        pins = []
    if isinstance(pins, Unknown):
        yield pins
        return
    if any(_claim_confines(kind, claim, values, config) for claim, values in pins):
        return
    if platform:
        fix = (f"require a claim naming your {platform.what} (e.g. repository_owner EQUALS it) and have the "
               f"gate list it (`agentid preview {platform.flag}`, {platform.setting})")
    else:
        fix = f"require a claim naming one account or your organisation ({', '.join(kind)})"
    where_pin = {"agentcore": "customClaims", "eks": "oidc.requiredClaims", "cel": "attributeCondition terms",
                 "apim_policy": "<required-claims>",
                 "easyauth": "the Entra provider's allowedPrincipals"}.get(pins_kind)
    if where_pin:
        tail = (f"its {where_pin} confine no caller to an own tenant or one account: {fix}, or trust a "
                "single-tenant issuer (the stack's admin-only Cognito pool, an own Entra tenant)")
    else:
        tail = ("the service checks no caller claim beyond issuer and audience, so nothing can confine it: "
                "trust a single-tenant issuer (the stack's admin-only Cognito pool, an own Entra tenant) or authorize "
                "callers where a claim can be checked")
    yield Violation(f"{entry['what']} {resource.name} takes tokens of {issuer[:200]!r} ({where}), signed for "
                    f"{who}; {tail}")


RULE = Rule(
    id="AGID-GEN-008",
    title="inbound-authorizer-tenant-pinned",
    severity="critical",
    category="weak-trust",
    enforcement="mandatory",
    description="An inbound token authorizer (AgentCore runtime/gateway, API Gateway JWT, AppSync OIDC, Verified "
                "Permissions, Verified Access, EKS OIDC, Container Apps / App Service authentication, GCP workforce "
                "pool provider, API Management validate-jwt / validate-azure-ad-token policy) trusting a "
                "multi-tenant issuer (GitHub Actions, GitLab.com, HCP Terraform, Azure DevOps, Google accounts, "
                "Entra common) requires a claim naming an own tenant or one account.",
    remediation="Require the owner claim the service can check (AgentCore customClaims repository_owner EQUALS your "
                "organization, EKS requiredClaims, a workforce provider's attributeCondition assertion.hd == "
                "'your-domain') and list the owner with `agentid preview "
                "--trusted-repository-owner OWNER`; or trust a single-tenant issuer (the stack's admin-only Cognito user pool with no social IdP, "
                "your Entra tenant's issuer).",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html",
    check=check,
    resource_types=tuple(AUTHORIZERS),
    config={**{setting: [] for setting in gen006.SETTINGS}, "ownGcpDomains": [], "ownTenantIds": []},
    config_schema={**{setting: {"type": "array", "items": {"type": "string"}, "default": [],
                                "description": "Own tenants of a multi-tenant OIDC platform (analysis/oidc_issuers.yaml "
                                               "`tenants`), set by the gate"} for setting in gen006.SETTINGS},
                   "ownGcpDomains": {"type": "array", "items": {"type": "string"}, "default": [],
                                     "description": "Google Workspace domains whose accounts are the organisation's "
                                                    "(a Google `hd` claim; set by the gate)"},
                   "ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids that are the organisation's (an Entra `tid` "
                                                   "claim; set by the gate)"}},
    config_strictness={**{setting: "subset" for setting in gen006.SETTINGS}, "ownGcpDomains": "subset",
                       "ownTenantIds": "subset"},
)
