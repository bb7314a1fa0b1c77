"""What a platform stack shares with the agent stacks that reference it (pure: no Pulumi, no cloud SDK).

One account and one tenant hold some objects only once, or once per audience or
trust domain, whatever number of agent stacks use them:

* the GitHub Actions OIDC provider (IAM keeps one provider per issuer URL an account),
* the Cognito user pool and its domain, and one resource server per API / MCP
  audience (a resource server's identifier is unique in its pool),
* one IAM Roles Anywhere trust anchor per SPIFFE trust domain (the domain's CA),
* one Entra application per API audience (its identifier URI is unique in the tenant).

A platform stack creates them (`agentid_components.platform.Platform`) and
exports their identifiers under the names in `OUTPUTS`; agent stacks read them
through a `pulumi.StackReference` (`platform.platform_outputs`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from agentid_components import input_limits
from agentid_components.spec import HttpsUrl, OAuthScope, SpiffeTrust, TrueOrFalse, _Strict

# The platform stack's outputs (camelCase, as Pulumi exports read in other languages).
GITHUB_OIDC_PROVIDER_ARN = "githubOidcProviderArn"  # str
COGNITO_USER_POOL_ID = "cognitoUserPoolId"  # str
COGNITO_DOMAIN = "cognitoDomain"  # str: the hosted-domain prefix (or a custom domain)
COGNITO_RESOURCE_SERVERS = "cognitoResourceServers"  # {audience: resource server identifier}
ROLES_ANYWHERE_TRUST_ANCHOR_ARNS = "rolesAnywhereTrustAnchorArns"  # {trust domain: trust anchor ARN}
ENTRA_API_APPLICATIONS = "entraApiApplications"  # {audience: {clientId, servicePrincipalObjectId, appRoleIds}}
OUTPUTS = (GITHUB_OIDC_PROVIDER_ARN, COGNITO_USER_POOL_ID, COGNITO_DOMAIN, COGNITO_RESOURCE_SERVERS,
           ROLES_ANYWHERE_TRUST_ANCHOR_ARNS, ENTRA_API_APPLICATIONS)

_COGNITO_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class PlatformApi(_Strict):
    """One API or MCP server the agents obtain tokens for: its scopes on each authorization server."""

    audience: HttpsUrl = Field(description="the resource server or MCP server URL (the tokens' audience)")
    scopes: list[OAuthScope] = Field(min_length=1, max_length=100, description="every scope agents may be granted")
    providers: list[Literal["cognito", "entra"]] = Field(
        default=["cognito"], min_length=1, description="where the API is registered: Cognito resource server, "
        "Entra application (app roles), or both")

    @field_validator("scopes", "providers")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        twice = sorted({value for value in values if values.count(value) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return values


class PlatformTrustDomain(_Strict):
    """A SPIFFE trust domain whose X.509-SVIDs IAM Roles Anywhere accepts: its CA, as one trust anchor."""

    trust_domain: str = Field(description="e.g. prod.example.org")
    ca_bundle: str | None = Field(default=None, description="PEM text of the trust domain's CA certificates")
    acm_pca_arn: str | None = Field(default=None, description="ACM Private CA that issues the SVIDs (instead)")

    @field_validator("trust_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return SpiffeTrust._domain(value)

    @field_validator("acm_pca_arn")
    @classmethod
    def _pca(cls, value: str | None) -> str | None:
        return SpiffeTrust._pca_arn(value)

    @field_validator("ca_bundle")
    @classmethod
    def _pem(cls, value: str | None) -> str | None:
        if value is not None and "-----BEGIN CERTIFICATE-----" not in value:
            raise ValueError("holds no PEM certificate")
        if value is not None and "PRIVATE KEY" in value:
            raise ValueError("holds a private key: a trust anchor needs the CA's certificates only")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "PlatformTrustDomain":
        if bool(self.ca_bundle) == bool(self.acm_pca_arn):
            raise ValueError("name exactly one CA: ca_bundle or acm_pca_arn")
        return self


class PlatformSpec(_Strict):
    """The shared objects of one account and tenant."""

    github_actions: TrueOrFalse = Field(default=True, description="create the GitHub Actions OIDC provider")
    cognito_domain: str | None = Field(default=None, description="Cognito hosted-domain prefix "
                                       "(default agentid-PROJECT-STACK); only when an API uses Cognito")
    apis: list[PlatformApi] = Field(default_factory=list, max_length=500)
    spiffe_trust_domains: list[PlatformTrustDomain] = Field(default_factory=list, max_length=50)

    @field_validator("cognito_domain")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        # Cognito: lower-case letters, digits and hyphens, 1-63, and neither "aws" nor "cognito" nor "amazon".
        if value is not None and (not _COGNITO_DOMAIN_PREFIX.match(value)
                                  or any(word in value for word in ("aws", "amazon", "cognito"))):
            raise ValueError(f"'{value}' is not a Cognito domain prefix: 1-63 lower-case letters, digits and "
                             "hyphens, without aws, amazon or cognito")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> "PlatformSpec":
        for what, keys in (("apis[].audience", [api.audience for api in self.apis]),
                           ("spiffe_trust_domains[].trust_domain", [d.trust_domain for d in self.spiffe_trust_domains])):
            twice = sorted({key for key in keys if keys.count(key) > 1})
            if twice:
                raise ValueError(f"{what} listed twice: {', '.join(twice)}")
        return self

    def apis_on(self, provider: str) -> list[PlatformApi]:
        return [api for api in self.apis if provider in api.providers]


class PlatformSpecError(ValueError):
    """The platform's settings are invalid; one line a problem: `WHERE.PATH: message`."""


def parse_platform(data: object, where: str, base_dir: str | Path | None = None) -> PlatformSpec:
    """Validate plain data (structured stack config, a parsed file) as a PlatformSpec; PlatformSpecError lists every problem.

    With `base_dir`, a `ca_bundle` that is not PEM text names a PEM file relative to it (read within
    `input_limits.CERTIFICATE_BYTES`).
    """
    if base_dir is not None and isinstance(data, dict) and isinstance(data.get("spiffe_trust_domains"), list):
        domains = [_with_pem(entry, f"{where}.spiffe_trust_domains[{index}].ca_bundle", Path(base_dir))
                   for index, entry in enumerate(data["spiffe_trust_domains"])]
        data = {**data, "spiffe_trust_domains": domains}
    try:
        return PlatformSpec.model_validate(data)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"])
            lines.append(f"{where}{path}: {problem['msg'].removeprefix('Value error, ')}")
        raise PlatformSpecError("\n".join(lines)) from None


def _with_pem(entry: object, where: str, base_dir: Path) -> object:
    if not isinstance(entry, dict) or not isinstance(entry.get("ca_bundle"), str) or "-----BEGIN" in entry["ca_bundle"]:
        return entry
    try:
        pem = input_limits.read_text(base_dir / entry["ca_bundle"], input_limits.CERTIFICATE_BYTES, "CA bundle")
    except input_limits.InputRefused as refused:
        raise PlatformSpecError(f"{where}: {refused}") from None
    return {**entry, "ca_bundle": pem}
