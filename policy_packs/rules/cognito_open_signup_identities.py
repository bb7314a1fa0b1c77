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
    https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-social-idp.html). An OIDC IdP
    whose oidc_issuer signs in anyone (AGID-GEN-008's `open_issuers`: Google, Entra common / organizations /
    consumers, Apple, GitLab.com users) opens the pool likewise, and one whose issuer is unknown at preview cannot be
    checked (issue 11); another OIDC or SAML IdP of the pool is judged by its issuer / metadata (AGID-GEN-003). The
    IdP's pool is the one its own userPoolId
    input names (idp_pools; issue 11: never its depends_on): a literal the stack pool with that known id (an id no
    stack pool has names a pool the stack does not define; where the judged pool's id is not known, cannot check), an
    Output the stack pool, or the pool of the stack app client, output_sources proves on that input's
    propertyDependencies (unproven: cannot check until known).
Each entry of cognitoIdentityProviders names its user pool by its own providerName, the pool's endpoint
`cognito-idp.REGION.amazonaws.com/POOL_ID` (`provider_name=pool.endpoint`): a literal is the stack pool whose known
endpoint or id it names (known_state: the gate's mocks give them), an Output unknown at preview the stack pool (or
the pool of the stack app client) iam_links.output_sources proves it comes from on that input's propertyDependencies
(unproven: cannot check until known). A bare depends_on names no pool (issue 11: an identity pool trusting an
EXISTING open pool with depends_on the stack's closed pool was judged as the closed one). A provider naming a user
pool the stack does not define cannot be checked (a violation: its sign-up settings are not the stack's, as
AGID-AWS-015 does for unseen policies), nor can a pool's unknown sign-up setting. The app clients that restrict which
IdPs sign in are the ones the entry's clientId names, likewise. Unauthenticated (guest) identities are AGID-AWS-035's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from agentid_policy_packs.analysis.values import is_unknown

from . import cognito_inbound_pools as inbound
from .base import Outcome, Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources
from .stack_inputs import Stop, judged, objects

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


# A user pool's provider name in an identity pool: its endpoint (CognitoIdentityProvider.ProviderName,
# https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_CognitoIdentityProvider.html)
_PROVIDER = re.compile(r"^cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<pool>[\w-]+_[0-9A-Za-z]+)$",
                       re.IGNORECASE)


def _provider_key(name: str) -> tuple[str, str] | None:
    """`cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC` -> ('eu-west-1', 'eu-west-1_AbC'); None if not a pool's."""
    match = _PROVIDER.match(name.strip())
    return (match["region"].lower(), match["pool"]) if match else None


def _pool_keys(pool: Resource) -> set[tuple[str, str]]:
    """The provider names a stack user pool answers to, as far as its outputs are known (its endpoint, its id)."""
    state = known_state(pool)
    keys = set()
    endpoint, pool_id = state.get("endpoint"), state.get("id")
    if isinstance(endpoint, str) and not is_unknown(endpoint) and (key := _provider_key(endpoint)):
        keys.add(key)
    if isinstance(pool_id, str) and not is_unknown(pool_id) and "_" in pool_id:
        keys.add((pool_id.split("_", 1)[0].lower(), pool_id.strip()))
    return keys


def client_pools(client: Resource, pools: dict[str, Resource]) -> list[Resource]:
    """The stack user pools a stack app client's userPoolId names (its known id, or the Output it proves)."""
    value = client.props.get("userPoolId")
    if is_unknown(value):
        return output_sources(client, pools.values(), ("id",), "userPoolId") or []
    if not isinstance(value, str):
        return []
    return [p for p in pools.values() if known_state(p).get("id") == value.strip()]


def _named_clients(identity_pool: Resource, value, pools: dict[str, Resource],
                   clients: dict[str, Resource]) -> list[Resource] | None:
    """The stack app clients an entry's clientId names; None when not proven (then any client may sign in)."""
    if isinstance(value, str) and not is_unknown(value):
        return [c for c in clients.values() if known_state(c).get("id") == value.strip()] or None
    if is_unknown(value):
        found = output_sources(identity_pool, [*pools.values(), *clients.values()],
                               lambda c: ("endpoint", "id") if c.type == USER_POOL else ("id",),
                               "cognitoIdentityProviders")
        return [c for c in found or [] if c.type == USER_POOL_CLIENT] or None
    return None


def trusted_pools(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource]
                  ) -> Iterator[Outcome | tuple[Resource, list[Resource] | None]]:
    """For each cognitoIdentityProviders entry: (stack user pool, the app clients its clientId names or None), or
    the outcome when its pool cannot be judged (a pool outside the stack, an unproven Output); raises Stop."""
    name = identity_pool.name
    entries = objects(identity_pool, "cognitoIdentityProviders", identity_pool.props.get("cognitoIdentityProviders"))
    for index, entry in enumerate(entries):
        path = f"cognitoIdentityProviders[{index}].providerName"
        provider = entry.get("providerName")
        named = _named_clients(identity_pool, entry.get("clientId"), pools, clients)
        if is_unknown(provider):
            found = output_sources(identity_pool, [*pools.values(), *clients.values()],
                                   lambda c: ("endpoint", "id") if c.type == USER_POOL else ("id",),
                                   "cognitoIdentityProviders")
            linked = [c for c in found or [] if c.type == USER_POOL]
            if found and not linked:  # built from an app client's output: that client's pool
                linked = [p for c in found for p in client_pools(c, pools)]
            if not linked:
                yield Unknown(f"{name}.{path}", identity_pool.urn)
                continue
        elif isinstance(provider, str):
            key = _provider_key(provider)
            linked = [p for p in pools.values() if key in _pool_keys(p)] if key else []
            if not linked:
                yield Violation(f"identity pool {name} trusts user pool {provider.strip()[:120]!r} ({path}), which this "
                                "stack does not define: cannot check: the pool's sign-up settings are not the stack's "
                                "(whether anyone can sign up and get the authenticated role's AWS credentials)",
                                identity_pool.urn)
                continue
        else:
            yield Violation(f"{name}: cannot check: {path} is not a user pool's provider name", identity_pool.urn)
            continue
        for pool in sorted({p.urn: p for p in linked}.values(), key=lambda p: p.urn):
            yield pool, named


def stack_pools(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource]) -> list[Resource]:
    """The stack user pools the identity pool's providers name (those it cannot judge are AGID-AWS-060's findings)."""
    found: dict[str, Resource] = {}
    try:
        for item in trusted_pools(identity_pool, pools, clients):
            if isinstance(item, tuple):
                found[item[0].urn] = item[0]
    except Stop:
        pass
    return [found[urn] for urn in sorted(found)]


def linked_pools(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource]) -> list[Resource]:
    linked = {urn: pools[urn] for urn in identity_pool.dependencies if urn in pools}
    for urn in identity_pool.dependencies:
        if urn in clients:
            linked.update({pool: pools[pool] for pool in clients[urn].dependencies if pool in pools})
    return [linked[urn] for urn in sorted(linked)]


def _signs_in_through(named: list[Resource] | None, idp: Resource) -> bool:
    """Can a user of `idp` get a token the identity pool takes? Only through the app client the identity pool's
    provider entry names (its clientId) when it lists the IdP in supportedIdentityProviders (unknown, or no such
    client proven in the stack: assume so)."""
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


def idp_pools(idp: Resource, pools: dict[str, Resource], clients: dict[str, Resource]) -> list[Resource] | None:
    """The stack user pools a `cognito.IdentityProvider` belongs to, from its own userPoolId input (issue 11: never
    from its depends_on): a literal is the stack pool whose known id it is ([]: a pool the stack does not define); an
    Output the stack pool (or the pool of the stack app client) iam_links.output_sources proves on that input's
    propertyDependencies; None when not proven (cannot check until known)."""
    value = idp.props.get("userPoolId")
    if is_unknown(value):
        found = output_sources(idp, [*pools.values(), *clients.values()], ("id",), "userPoolId")
        if found is None:
            return None
        linked = {p.urn: p for p in found if p.type == USER_POOL}
        for client in (c for c in found if c.type == USER_POOL_CLIENT):
            owners = client_pools(client, pools)
            if not owners:
                return None  # the client's own pool is not proven: neither is the IdP's
            linked.update({p.urn: p for p in owners})
        return [linked[urn] for urn in sorted(linked)]
    if isinstance(value, str):
        return [p for p in pools.values() if known_state(p).get("id") == value.strip()]
    return None


_PENDING = "pending"  # _oidc_open: the OIDC IdP's issuer is unknown at preview


def _oidc_open(idp: Resource) -> str | None:
    """What an OIDC `cognito.IdentityProvider` lets in when its issuer signs people in from anywhere (AGID-GEN-008's
    `open_issuers`: Google accounts, Entra common / consumers, Apple): federation makes each of them a pool user;
    None otherwise. A CI platform's issuer (GitHub Actions) runs no interactive sign-in a pool can federate."""
    from . import inbound_multi_tenant_issuer as gen008
    details = idp.props.get("providerDetails")
    issuer = details.get("oidc_issuer") if isinstance(details, Mapping) else details
    if is_unknown(issuer):
        return _PENDING  # on a trusted pool: cannot check until known (AGID-GEN-003 says so for the issuer too)
    if not isinstance(issuer, str) or not issuer.strip():
        return None  # no issuer: Cognito rejects the IdP (AGID-GEN-003 judges what it names)
    issuer = gen008._issuer_of(issuer)
    opened = gen008._open_issuer(issuer)
    return f"the OIDC issuer {issuer[:100]}, which signs in every {opened[0]}," if opened else None


def _social_federation(who: str, urn: str, pool: Resource, idps: list[Resource], named: list[Resource] | None,
                       pools: dict[str, Resource], clients: dict[str, Resource], gets: str) -> Iterator[Outcome]:
    for idp in idps:
        kind = idp.props.get("providerType")
        oidc = _oidc_open(idp) if isinstance(kind, str) and kind.lower() == "oidc" else None
        social = is_unknown(kind) or not isinstance(kind, str) or kind.lower() in SOCIAL_IDP_TYPES or oidc
        if not social:
            continue  # an OIDC IdP of a single-tenant issuer or a SAML IdP: judged by its issuer (AGID-GEN-003)
        on = idp_pools(idp, pools, clients)
        if on is None:
            if is_unknown(idp.props.get("userPoolId")):
                yield Unknown(f"{idp.name}.userPoolId", urn)
            else:
                yield Violation(f"{who} trusts user pool {pool.name}: cannot check: "
                                f"identity provider {idp.name}'s userPoolId is not a user pool id", urn)
            continue
        if not on:  # a literal id that is no known stack pool's: on this pool only if this pool's id is not known
            pool_id = known_state(pool).get("id")
            if isinstance(pool_id, str) and not is_unknown(pool_id):
                continue
            yield Violation(f"{who} trusts user pool {pool.name}, whose id is not known: "
                            f"cannot check whether identity provider {idp.name} (userPoolId "
                            f"{str(idp.props.get('userPoolId'))[:80]!r}) federates it", urn)
            continue
        if pool.urn not in {p.urn for p in on} or not _signs_in_through(named, idp):
            continue
        if oidc is _PENDING:
            yield Unknown(f"{idp.name}.providerDetails.oidc_issuer", urn)
            continue
        if is_unknown(kind) or not isinstance(kind, str):
            yield Violation(f"{who} trusts user pool {pool.name}, whose identity provider "
                            f"{idp.name} has no readable providerType: whether anyone with a social account becomes a "
                            "pool user cannot be judged", urn)
        else:
            what = oidc or SOCIAL_IDP_TYPES[kind.lower()]
            anyone = "each of them" if oidc else f"every {what} account"
            yield Violation(f"{who} trusts user pool {pool.name}, federated to "
                            f"{what} (identity provider {idp.name}): "
                            f"{anyone} signs in as a pool user (allowAdminCreateUserOnly "
                            f"does not stop federated users) and gets {gets}", urn)


def pool_findings(who: str, urn: str, pool: Resource, idps: list[Resource], named: list[Resource] | None,
                  pools: dict[str, Resource], clients: dict[str, Resource], gets: str, *,
                  sign_up: bool = True) -> Iterator[Outcome]:
    """Whether anyone can become a user of the stack user `pool` trusted by `who` (and so get `gets`): self sign-up
    (unless `sign_up` is False: already judged), federation with a social IdP or an open OIDC issuer that the
    app clients `named` (None: any) sign in; an unreadable setting cannot be checked. The one judgement of pool
    openness, for identity pools and inbound authorizers alike."""
    yield from _social_federation(who, urn, pool, idps, named, pools, clients, gets)
    if not sign_up:
        return
    open_ = _self_sign_up(pool)
    if open_ is None:
        yield Violation(f"{who} trusts user pool {pool.name}, whose "
                        "adminCreateUserConfig.allowAdminCreateUserOnly is not readable: whether anyone can "
                        f"sign up and get {gets} cannot be judged", urn)
    elif open_:
        yield Violation(f"{who} trusts user pool {pool.name}, which lets anyone sign up "
                        "(adminCreateUserConfig.allowAdminCreateUserOnly is not true): every internet sign-up "
                        f"gets {gets}", urn)


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
        yield from judged(_user_pool_findings(identity_pool, pools, clients, idps))
    for resource in resources:
        if resource.type in inbound.INBOUND:
            yield from judged(inbound.findings(resource, pools, clients, idps))


def _user_pool_findings(identity_pool: Resource, pools: dict[str, Resource], clients: dict[str, Resource],
                        idps: list[Resource]) -> Iterator[Outcome]:
    who = f"identity pool {identity_pool.name}"
    gets = "the authenticated role's AWS credentials"
    judged_pools: set[str] = set()
    for found in trusted_pools(identity_pool, pools, clients):
        if not isinstance(found, tuple):
            yield found
            continue
        pool, named = found
        yield from pool_findings(who, identity_pool.urn, pool, idps, named, pools, clients, gets,
                                 sign_up=pool.urn not in judged_pools)
        judged_pools.add(pool.urn)


RULE = Rule(
    id="AGID-AWS-060",
    title="cognito-no-open-signup-credentials",
    severity="critical",
    category="public-access",
    description="Cognito identity pools do not hand AWS credentials to self-registered users (a user pool with self "
                "sign-up) or to public social accounts (Google, Facebook, Amazon, Apple, Twitter), directly or through "
                "a user pool federated to them; no inbound authorizer (AgentCore JWT, HTTP API JWT, REST API Cognito, "
                "AppSync user pool, ALB authenticate-cognito) trusts a user pool anyone can join that way (also "
                "as an authorizer inside a REST or HTTP API body), or one the stack does not define.",
    remediation="Set the user pool's adminCreateUserConfig.allowAdminCreateUserOnly: true (users are created by an "
                "administrator), drop social and open-issuer (Google) identity providers from the identity pool and "
                "its user pools, trust only user pools the stack defines, or give "
                "agents their own IAM role through OIDC instead of Cognito identities.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html",
    check=check,
    stack=True,
    reads=(IDENTITY_POOL, USER_POOL, USER_POOL_CLIENT, USER_POOL_IDP, *inbound.INBOUND),
)
