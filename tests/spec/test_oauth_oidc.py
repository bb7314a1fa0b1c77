"""`oauth.provider: oidc` with an issuer: any OAuth 2.1 / OpenID server, found by discovery (RFC 8414)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agentid_components.spec import OAuthGrant


def test_oidc_needs_an_https_issuer_and_may_name_a_client_id():
    grant = OAuthGrant.model_validate(
        {"audience": "https://tickets.example.org/api", "scopes": ["tickets.read"], "provider": "oidc",
         "issuer": "https://id.example.org/realms/agents", "client_id": "support-triage"}
    )
    assert (grant.provider, grant.issuer, grant.client_id) == ("oidc", "https://id.example.org/realms/agents", "support-triage")
    with pytest.raises(ValidationError, match="provider oidc needs issuer"):
        OAuthGrant.model_validate({"audience": "https://a.example.org", "scopes": ["x"], "provider": "oidc"})
    with pytest.raises(ValidationError, match="is not an https URL"):
        OAuthGrant.model_validate({"audience": "https://a.example.org", "scopes": ["x"], "provider": "oidc", "issuer": "http://id.example.org"})


def test_issuer_and_client_id_belong_to_oidc_only():
    for extra in ({"issuer": "https://id.example.org"}, {"client_id": "x"}):
        with pytest.raises(ValidationError, match="issuer and client_id are for provider oidc"):
            OAuthGrant.model_validate({"audience": "https://a.example.org", "scopes": ["x"], "provider": "cognito", **extra})
