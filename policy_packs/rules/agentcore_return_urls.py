"""AGID-AWS-066: an AgentCore workload identity returns OAuth users only to https URLs on a named host.

`bedrock.AgentcoreWorkloadIdentity.allowedResourceOauth2ReturnUrls` lists where AgentCore Identity may send a user's
browser back after a 3-legged OAuth authorization for the agent (the session that binds the user's token to the
agent): a redirect target an attacker can serve receives that session (OAuth 2.0 Security BCP, RFC 9700 section
4.1: exact redirect URIs; RFC 6749 section 3.1.2: absolute, no fragment). So each entry must be an absolute https
URL on one named host, read as components/https_url reads a URL a token goes to (no wildcard, no userinfo, no
fragment, no loopback or metadata address, one meaning to every parser; a query string is allowed). `http://*`,
`https://*.example.com/cb` and `https://evil@app.example.com` are flagged; which named host is yours the pack
cannot know.
Source: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/identity-authentication.html
"""

from __future__ import annotations

from agentid_components import https_url
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

WORKLOAD_IDENTITY = "aws:bedrock/agentcoreWorkloadIdentity:AgentcoreWorkloadIdentity"
INPUT = "allowedResourceOauth2ReturnUrls"


def return_url_problem(url: str) -> str | None:
    """Why `url` is not an https return URL on one named host (its query aside), None when it is."""
    text = url.strip()
    if "#" in text:
        return "has a fragment (RFC 6749 section 3.1.2: a redirection endpoint URI has none)"
    return https_url.problem(text.split("?", 1)[0])


def check(resource: Resource, config):
    urls = resource.props.get(INPUT)
    if is_unknown(urls):
        yield Unknown(INPUT)
        return
    if urls is None:
        return
    if not isinstance(urls, list):
        yield Violation(f"{resource.name}: cannot check: {INPUT} is not a list of URLs")
        return
    for index, url in enumerate(urls):
        if is_unknown(url):
            yield Unknown(f"{INPUT}[{index}]")
        elif not isinstance(url, str):
            yield Violation(f"{resource.name}: cannot check: {INPUT}[{index}] is not a URL")
        elif problem := return_url_problem(url):
            yield Violation(f"workload identity {resource.name} returns OAuth sessions to {url[:200]!r}, which {problem}: "
                            "a user's authorization for the agent could be delivered to a host nobody named; list "
                            "exact https URLs of your own application")


RULE = Rule(
    id="AGID-AWS-066",
    title="agentcore-return-urls-exact",
    severity="critical",
    category="weak-trust",
    description="AgentCore workload identities allow only exact https OAuth return URLs on a named host (no "
                "wildcard, http, userinfo, fragment or loopback).",
    remediation="List the exact https callback URLs of your own application in allowedResourceOauth2ReturnUrls.",
    url="https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/identity-authentication.html",
    check=check,
    resource_types=(WORKLOAD_IDENTITY,),
)
