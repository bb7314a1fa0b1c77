"""AGID-AWS-004: OAuth clients do not allow the implicit grant (tokens in URLs, no client authentication)."""

from policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation


def check(resource: Resource, config):
    flows = resource.props.get("allowedOauthFlows")
    if is_unknown(flows):
        yield Unknown("allowedOauthFlows")
        return
    if not isinstance(flows, list):
        return
    if any(is_unknown(f) for f in flows):
        yield Unknown("allowedOauthFlows")
    if any(isinstance(f, str) and f.lower() == "implicit" for f in flows):
        yield Violation(f"user pool client {resource.name} allows the OAuth implicit flow: tokens travel in URLs "
                        "and the client never authenticates (removed in OAuth 2.1)")


RULE = Rule(
    id="AGID-AWS-004",
    title="cognito-no-implicit-flow",
    severity="high",
    category="weak-trust",
    description="Cognito app clients do not allow the OAuth implicit flow.",
    remediation="Set allowedOauthFlows to [\"client_credentials\"] for agents (or [\"code\"] with PKCE for people).",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-app-idp-settings.html",
    check=check,
    resource_types=("aws:cognito/userPoolClient:UserPoolClient",),
)
