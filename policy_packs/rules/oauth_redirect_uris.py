"""AGID-GEN-005: the OAuth clients a stack registers redirect only to exact https URLs on a named host.

After a user consents, the authorization server sends the authorization code (or a 3-legged AgentCore session) to
the client's redirection endpoint. An endpoint an attacker can serve receives it: with PKCE and a public client the
code is a token; with a confidential client it is still a login the attacker can replay into the real client
(OAuth 2.0 Security BCP, RFC 9700 section 4.1: "clients MUST register exact redirect URIs", section 2.1: exact
string matching; OAuth 2.1 draft section 7.5.1; RFC 6749 section 3.1.2: absolute, no fragment). So each registered
URI must be an absolute https URL on one named host, read as components/https_url reads any URL a credential goes
to: no wildcard (`https://*.example.com/cb`, which Cognito and Entra refuse for new clients but a raw resource may
still carry), no http (the code crosses the network in clear), no userinfo (`https://app.example.com@evil.example`
is evil.example's), no fragment, no loopback or instance-metadata address, one meaning to every parser; a query
string is allowed. Which named host is yours the pack cannot know. A local development client for people
(`http://localhost:3000/callback`) needs a waiver that says so: agents never need a redirect at all (client
credentials, RFC 7523 assertions, federated credentials).

The inputs judged, per resource type, are data: policy_packs/analysis/oauth_redirect_inputs.yaml (Cognito app
clients, Entra web and single-page applications, Workforce Identity Federation OAuth clients, AgentCore gateway
targets' 3-legged OAuth). Public clients are AGID-AZ-022's, AgentCore workload identities' return URLs AGID-AWS-066's.
Sources: https://www.rfc-editor.org/rfc/rfc9700#section-4.1, https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import https_url
from agentid_policy_packs.analysis.values import is_unknown, values_at

from .base import Resource, Rule, Unknown, Violation

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "oauth_redirect_inputs.yaml"


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    """analysis/oauth_redirect_inputs.yaml: {inputs: {type: {paths, unless}}}."""
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def redirect_problem(uri: str) -> str | None:
    """Why `uri` is not an exact https redirection endpoint on one named host (its query aside), None when it is."""
    text = uri.strip()
    if "#" in text:
        return "has a fragment (RFC 6749 section 3.1.2: a redirection endpoint URI has none)"
    return https_url.problem(text.split("?", 1)[0])


def _handed_on(resource: Resource, unless: dict[str, list[str]]) -> bool:
    """Whether an `unless` input holds a value that makes the resource another rule's (e.g. a PublicClient)."""
    return any(resource.props.get(key) in values for key, values in unless.items())


def check(resource: Resource, config):
    entry = data()["inputs"][resource.type]
    if _handed_on(resource, entry.get("unless") or {}):
        return
    for dotted in entry["paths"]:
        for path, value in values_at(resource.props, dotted):
            if is_unknown(value):
                yield Unknown(path or dotted)
            elif not isinstance(value, str):
                yield Violation(f"{resource.name}: cannot check: {path} is not a URI")
            elif problem := redirect_problem(value):
                yield Violation(f"{resource.name} registers the OAuth redirect URI {value[:200]!r} ({path}), which "
                                f"{problem}: an authorization code (a user's consent) would be delivered to a "
                                "place nobody named; register exact https URLs of your own application")


RULE = Rule(
    id="AGID-GEN-005",
    title="oauth-redirect-uris-exact",
    severity="high",
    # mandatory: a wildcard or plain-http redirect hands users' authorization codes to whoever serves that URL; the
    # gate cannot tell a reviewed development client from an attacker's, so that one carries a waiver
    enforcement="mandatory",
    category="weak-trust",
    description="OAuth clients (Cognito, Entra web / SPA, Workforce Identity Federation, AgentCore 3-legged targets) "
                "register only exact https redirect URIs on a named host (no wildcard, http, userinfo, fragment or "
                "loopback).",
    remediation="Register the exact https callback URLs of your own application; agents use client credentials or "
                "federated credentials and need no redirect URI. A local development client needs a waiver.",
    url="https://www.rfc-editor.org/rfc/rfc9700#section-4.1",
    check=check,
    resource_types=tuple(sorted(data()["inputs"])),
)
