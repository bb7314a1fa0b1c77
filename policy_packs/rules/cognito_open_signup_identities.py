"""AGID-AWS-060: no Cognito identity pool hands AWS credentials to whoever signs up on the internet.

An identity pool's *authenticated* identities get the credentials of its authenticated role (IdentityPoolRoleAttachment
roles.authenticated, or any role trusting cognito-identity.amazonaws.com with amr "authenticated"). Authenticated is
only as strong as who may authenticate (red9a #15):
  - a Cognito user pool among its cognitoIdentityProviders that lets users sign themselves up
    (adminCreateUserConfig.allowAdminCreateUserOnly not true; AWS's default is self sign-up:
    https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html) means every person on
    the internet who registers an e-mail address gets the role's credentials;
  - supportedLoginProviders naming a public social IdP (Google, Facebook, Login with Amazon, Sign in with Apple,
    Twitter/X: https://docs.aws.amazon.com/cognito/latest/developerguide/external-identity-providers.html) means every
    holder of such an account does.
The user pool is the stack's when the identity pool depends on it (directly, or through one of its UserPoolClients, as
`provider_name=pool.endpoint, client_id=client.id` does). A pool's unknown sign-up setting cannot be judged (a
violation). An identity pool trusting only user pools outside the stack is not judged here (their sign-up setting is
not visible). Unauthenticated (guest) identities are AGID-AWS-035's.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
# supportedLoginProviders keys of public IdPs anyone can get an account with (Cognito identity pools developer guide)
SOCIAL_PROVIDERS = {"accounts.google.com": "Google", "graph.facebook.com": "Facebook", "www.amazon.com": "Login with Amazon",
                    "appleid.apple.com": "Sign in with Apple", "api.twitter.com": "Twitter/X"}


def _self_sign_up(pool: Resource) -> bool | None:
    """Can users sign themselves up? None when the setting is not readable."""
    config = pool.props.get("adminCreateUserConfig")
    if config is None:
        return True
    if not isinstance(config, Mapping):
        return None
    admin_only = config.get("allowAdminCreateUserOnly")
    if is_unknown(admin_only) or admin_only not in (None, True, False):
        return None
    return admin_only is not True


def _linked_pools(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource]) -> list[Resource]:
    linked = {urn: pools[urn] for urn in identity_pool.dependencies if urn in pools}
    for urn in identity_pool.dependencies:
        if urn in clients:
            linked.update({pool: pools[pool] for pool in clients[urn].dependencies if pool in pools})
    return [linked[urn] for urn in sorted(linked)]


def check(resources: list[Resource], config):
    pools = {r.urn: r for r in resources if r.type == USER_POOL}
    clients = {r.urn: r for r in resources if r.type == USER_POOL_CLIENT}
    for identity_pool in (r for r in resources if r.type == IDENTITY_POOL):
        name = identity_pool.name
        logins = identity_pool.props.get("supportedLoginProviders")
        social = sorted(SOCIAL_PROVIDERS[key] for key in (logins if isinstance(logins, Mapping) else {})
                        if str(key).lower() in SOCIAL_PROVIDERS)
        if social:
            yield Violation(f"identity pool {name} signs in {', '.join(social)} accounts (supportedLoginProviders): "
                            "anyone who has one gets an authenticated identity and its role's AWS credentials",
                            identity_pool.urn)
        providers = identity_pool.props.get("cognitoIdentityProviders")
        if not providers:
            continue
        for pool in _linked_pools(identity_pool, pools, clients):
            open_ = _self_sign_up(pool)
            if open_ is None:
                yield Violation(f"identity pool {name} trusts user pool {pool.name}, whose "
                                "adminCreateUserConfig.allowAdminCreateUserOnly is not readable: whether anyone can "
                                "sign up and get the authenticated role's AWS credentials cannot be judged",
                                identity_pool.urn)
            elif open_:
                yield Violation(f"identity pool {name} trusts user pool {pool.name}, which lets anyone sign up "
                                "(adminCreateUserConfig.allowAdminCreateUserOnly is not true): every internet sign-up "
                                "gets an authenticated identity and the authenticated role's AWS credentials",
                                identity_pool.urn)


RULE = Rule(
    id="AGID-AWS-060",
    title="cognito-no-open-signup-credentials",
    severity="critical",
    category="public-access",
    description="Cognito identity pools do not hand AWS credentials to self-registered users (a user pool with self "
                "sign-up) or to public social accounts (Google, Facebook, Amazon, Apple, Twitter).",
    remediation="Set the user pool's adminCreateUserConfig.allowAdminCreateUserOnly: true (users are created by an "
                "administrator), drop social login providers from the identity pool, or give agents their own IAM "
                "role through OIDC instead of Cognito identities.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html",
    check=check,
    stack=True,
    reads=(IDENTITY_POOL, USER_POOL, USER_POOL_CLIENT),
)
