"""The model hop to providers outside the clouds: the agent's OIDC token exchanged for a short-lived API token.

Bedrock and Azure OpenAI need nothing here: an `llm.bedrock` tool compiles to an
AWS grant (a per-tool STS session narrowed to InvokeModel on its model ARNs) and
an `llm.azure_openai` tool to an Azure grant (an Entra token for
https://cognitiveservices.azure.com). This module is for the model providers
that document a workload identity federation exchange, and only those:

- **Anthropic (Claude API).** `POST https://api.anthropic.com/v1/oauth/token`,
  JSON body, RFC 7523 jwt-bearer grant: `grant_type`
  (urn:ietf:params:oauth:grant-type:jwt-bearer), `assertion` (the workload's
  OIDC JWT), `federation_rule_id`, `organization_id`, `service_account_id`,
  optional `workspace_id`. Answer: RFC 6749 §5.1 `access_token`
  (sk-ant-oat01-...), `token_type` Bearer, `expires_in`, `scope`. Source:
  https://platform.claude.com/docs/en/manage-claude/wif-reference
- **OpenAI API.** `POST https://auth.openai.com/oauth/token`, JSON body, RFC 8693
  token exchange: `grant_type` (urn:ietf:params:oauth:grant-type:token-exchange),
  `subject_token_type` (urn:ietf:params:oauth:token-type:jwt), `subject_token`,
  `identity_provider_id`, `service_account_id`. A `scope` in the request grants
  nothing (the service account mapping decides). Source:
  https://developers.openai.com/api/reference/workload-identity-federation

Both answer opaque tokens (not JWTs): the broker cannot check an audience
claim, so it checks the answer's shape (`token_type` Bearer, a positive
`expires_in`), caps the lifetime at `max_credential_minutes`, and binds the
token to the provider's API origin in the record. The subject token is the
workload's own OIDC token (`WorkloadTokenAssertion`: re-read at each exchange;
its audience must be what the provider's federation rule expects). Other model
providers (e.g. Mistral, Cohere) document no such exchange at the time of
writing: the spec has no grant for them rather than a static key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from agentid.runtime import redaction
from agentid.runtime.oauth import IssuedToken, OAuthError, _json_object

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 §2.1
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # RFC 8693 §3
# provider -> (documented token endpoint, the API origin its tokens are for)
PROVIDERS = {
    "anthropic": ("https://api.anthropic.com/v1/oauth/token", "https://api.anthropic.com"),
    "openai": ("https://auth.openai.com/oauth/token", "https://api.openai.com"),
}
_MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ModelProviderTool:
    """One `llm.anthropic` / `llm.openai` tool: where to exchange, and the provider's identifiers (none secret)."""

    tool: str
    provider: str  # anthropic | openai
    ids: tuple[tuple[str, str], ...]  # the request fields naming the rule / provider / service account
    token_endpoint: str = ""  # default: the provider's documented endpoint
    audience: str = ""  # default: the provider's API origin

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown model provider {self.provider!r} (documented exchanges: {', '.join(PROVIDERS)})")
        endpoint, origin = PROVIDERS[self.provider]
        if self.token_endpoint and self.token_endpoint != endpoint and not _loopback_url(self.token_endpoint):
            # the subject token is the workload's own OIDC token, valid at every federation that trusts its issuer:
            # it goes to the provider's documented endpoint, or to a test double on this machine, nowhere else
            raise ValueError(f"the {self.provider} exchange sends the workload's token only to {endpoint} (or a loopback "
                             "test double), not to another token endpoint")
        object.__setattr__(self, "token_endpoint", self.token_endpoint or endpoint)
        object.__setattr__(self, "audience", self.audience or origin)

    @classmethod
    def from_spec(cls, tool: Any) -> "ModelProviderTool":
        provider = tool.llm.provider
        grant = getattr(tool.llm, provider)
        return cls(tool=tool.name, provider=provider, ids=tuple(sorted((k, v) for k, v in grant.model_dump().items() if v is not None)))

    def request_body(self, subject_token: str) -> dict[str, str]:
        """The JSON body of the documented exchange (sources in the module docstring)."""
        if self.provider == "anthropic":
            return {"grant_type": JWT_BEARER, "assertion": subject_token, **dict(self.ids)}
        return {"grant_type": TOKEN_EXCHANGE, "subject_token_type": JWT_TOKEN_TYPE, "subject_token": subject_token, **dict(self.ids)}


def _loopback_url(url: str) -> bool:
    from agentid.runtime.oauth import is_loopback_host, origin

    found = origin(url)
    return found is not None and is_loopback_host(found[1])


def model_fetch(client: Any, signer: Any, tool: ModelProviderTool, hop: Any) -> Callable[[dict[str, Any]], IssuedToken]:
    """The exchange for `tool` as the bearer hop's fetch: one POST, the answer checked, transient failures retried."""

    def fetch(record: dict[str, Any]) -> IssuedToken:
        if signer is None or getattr(signer, "method", None) != "workload_identity":
            raise OAuthError(
                f"the {tool.provider} exchange needs the workload's own OIDC token (AGENTID_OAUTH_TOKEN_FILE or a "
                "WorkloadTokenAssertion): a key the agent signs itself is not an identity the provider federates",
                "no_workload_token",
            )
        record.update(audience=tool.audience, token_endpoint=tool.token_endpoint, provider=tool.provider,
                      client_auth="workload_identity")
        return hop.retrying(record, lambda: _exchange(client, signer, tool))

    return fetch


def _exchange(client: Any, signer: Any, tool: ModelProviderTool) -> IssuedToken:
    import httpx

    subject = signer.assertion("", tool.token_endpoint, 0.0)  # the file's token, re-read; its claims are the IdP's
    client.token_requests += 1
    try:
        response = client._client().post(tool.token_endpoint, json=tool.request_body(subject), headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise OAuthError(f"{tool.provider} token endpoint {tool.token_endpoint} is unreachable: {type(error).__name__}", "unreachable") from None
    body = _json_object(response.content, _MAX_ANSWER_BYTES, f"{tool.provider} token endpoint", soft=True)
    if response.status_code != 200:
        code = str(body.get("error") or ("server_error" if response.status_code >= 500 else f"http_{response.status_code}"))[:64]
        if response.status_code == 429:
            code = "temporarily_unavailable"
        raise OAuthError(f"{tool.provider} token endpoint {tool.token_endpoint} refused the exchange: HTTP {response.status_code} {code}", code)
    token, token_type, expires_in = body.get("access_token"), body.get("token_type"), body.get("expires_in")
    if not isinstance(token, str) or not token:
        raise OAuthError(f"{tool.provider} answered no access_token", "no_access_token")
    redaction.remember(token)
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise OAuthError(f"{tool.provider} answered token_type {token_type!r}, not Bearer", "token_type")
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or expires_in <= 0:
        raise OAuthError(f"{tool.provider} answered expires_in {expires_in!r}: no positive lifetime, so the token is refused", "expired_token")
    scope = body.get("scope")
    return IssuedToken(
        access_token=token,
        token_type="Bearer",
        audience=(tool.audience,),
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        server_lifetime_seconds=float(expires_in),
        issuer=tool.token_endpoint,
        claims={},
    )
