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
  - a user pool among its cognitoIdentityProviders federated to a social IdP (a `cognito.IdentityProvider` of
    providerType Google, Facebook, LoginWithAmazon or SignInWithApple): federation creates the pool user at first
    sign-in whatever allowAdminCreateUserOnly says, so every holder of such an account becomes a pool user and gets
    the role, when an app client the identity pool names lists the IdP in supportedIdentityProviders (or no such
    client is in the stack) (red11a r37;
    https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-social-idp.html). An OIDC or SAML
    IdP of the pool is judged by its issuer / metadata (AGID-GEN-003).
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
USER_POOL_IDP = "aws:cognito/identityProvider:IdentityProvider"
# cognito.IdentityProvider providerType values of public social IdPs (CreateIdentityProvider ProviderType)
SOCIAL_IDP_TYPES = {"google": "Google", "facebook": "Facebook", "loginwithamazon": "Login with Amazon",
                    "signinwithapple": "Sign in with Apple"}
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


def linked_pools(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource]) -> list[Resource]:
    linked = {urn: pools[urn] for urn in identity_pool.dependencies if urn in pools}
    for urn in identity_pool.dependencies:
        if urn in clients:
            linked.update({pool: pools[pool] for pool in clients[urn].dependencies if pool in pools})
    return [linked[urn] for urn in sorted(linked)]


def _signs_in_through(identity_pool: Resource, pool: Resource, clients: dict[str, Resource], idp: Resource) -> bool:
    """Can a user of `idp` get a token the identity pool takes? Only through an app client of the pool that the
    identity pool names and that lists the IdP in supportedIdentityProviders (unknown, or no such client in the
    stack: assume so)."""
    named = [clients[urn] for urn in identity_pool.dependencies if urn in clients and pool.urn in clients[urn].dependencies]
    if not named:
        return True
    provider = idp.props.get("providerName")
    for client in named:
        supported = client.props.get("supportedIdentityProviders")
        if supported is None:
            continue  # a client listing no IdP signs in none
        if is_unknown(supported) or is_unknown(provider) or not isinstance(supported, list) or provider in supported \
                or any(is_unknown(item) for item in supported):
            return True
    return False


def _social_federation(identity_pool: Resource, pool: Resource, idps: list[Resource], clients: dict[str, Resource]):
    for idp in idps:
        if pool.urn not in idp.dependencies or not _signs_in_through(identity_pool, pool, clients, idp):
            continue
        kind = idp.props.get("providerType")
        if is_unknown(kind) or not isinstance(kind, str):
            yield Violation(f"identity pool {identity_pool.name} trusts user pool {pool.name}, whose identity provider "
                            f"{idp.name} has no readable providerType: whether anyone with a social account becomes a "
                            "pool user cannot be judged", identity_pool.urn)
        elif kind.lower() in SOCIAL_IDP_TYPES:
            yield Violation(f"identity pool {identity_pool.name} trusts user pool {pool.name}, federated to "
                            f"{SOCIAL_IDP_TYPES[kind.lower()]} (identity provider {idp.name}): every "
                            f"{SOCIAL_IDP_TYPES[kind.lower()]} account signs in as a pool user (allowAdminCreateUserOnly "
                            "does not stop federated users) and gets the authenticated role's AWS credentials",
                            identity_pool.urn)


def check(resources: list[Resource], config):
    pools = {r.urn: r for r in resources if r.type == USER_POOL}
    clients = {r.urn: r for r in resources if r.type == USER_POOL_CLIENT}
    idps = [r for r in resources if r.type == USER_POOL_IDP]
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
        for pool in linked_pools(identity_pool, pools, clients):
            yield from _social_federation(identity_pool, pool, idps, clients)
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
                "sign-up) or to public social accounts (Google, Facebook, Amazon, Apple, Twitter), directly or through "
                "a user pool federated to them.",
    remediation="Set the user pool's adminCreateUserConfig.allowAdminCreateUserOnly: true (users are created by an "
                "administrator), drop social login providers from the identity pool and its user pools, or give "
                "agents their own IAM role through OIDC instead of Cognito identities.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html",
    check=check,
    stack=True,
    reads=(IDENTITY_POOL, USER_POOL, USER_POOL_CLIENT, USER_POOL_IDP),
)
