"""AGID-AWS-067 (stack): a Cognito identity pool is judged like the role trust it stands for.

An identity pool is a token broker: it takes a token of a login provider, gives the caller an identity and hands it
AWS credentials of the role its role mapping picks (GetCredentialsForIdentity; with the classic flow, any role
trusting the pool). So each role the pool hands out trusts what AGID-GEN-003 and AGID-AWS-031 judge in a role trust:
is the issuer one we trust, is the subject bounded, can the caller choose the claim that picks the role? Flagged:
  - an OIDC provider of the pool (`openidConnectProviderArns`, `arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`)
    whose subjects are not bounded: unlike a role trust, the pool has no condition on `sub`, so every subject the
    issuer signs gets an identity (for token.actions.githubusercontent.com every workflow of every GitHub
    repository, red11a r23). Bounded means a role mapping for that provider of type Rules with
    ambiguousRoleResolution Deny whose every rule pins `sub` with Equals (not a subject every pull request carries),
    and no classic flow (allowClassicFlow: AssumeRoleWithWebIdentity on a Cognito token skips the role mapping).
    A provider the stack does not define is also judged by its issuer (the host in its ARN) as AGID-GEN-003 judges
    an issuer: a platform's, or listed in trustedIssuers (a provider of the stack: AGID-GEN-003 judges its url);
  - a role-mapping rule (`IdentityPoolRoleAttachment.roleMappings[].mappingRules`) on a user-pool claim the user
    writes themselves (red11a r20): an app client of the stack's user pool whose writeAttributes holds the attribute
    (or, writeAttributes unset, any standard attribute: "When you don't specify the WriteAttributes for your app
    client, your app can write the values of the Standard attributes of your user pool"), the attribute mutable and
    not developer-only; email / phone_number only while their update is not held until verified
    (userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdate). Any user then calls
    UpdateUserAttributes with their access token, sets `custom:team` to `admins` and gets the admin role.
  - the same claim mapped to a session tag (`IdentityPoolProviderPrincipalTag.principalTags`, tag -> claim): a
    policy conditioned on `aws:PrincipalTag/TAG` (attribute-based access control) then lets every user choose the
    tag's value (https://docs.aws.amazon.com/cognito/latest/developerguide/attributes-for-access-control.html).
A role attachment belongs to the pool its `identityPoolId` names (the pool's id Output, as iam_links.output_sources
proves it, or its known id): one on an identity pool the stack does not define gives roles to whoever that pool's
providers let in, which cannot be checked (issue 11: an attachment on an existing pool with depends_on the stack's
pinned pool passed as the pinned pool's).
Users who sign themselves up or come from a social IdP are AGID-AWS-060's; guests AGID-AWS-035's.
Sources: https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/open-id.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html (classic flow),
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html (attribute permissions),
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html (WriteAttributes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from agentid_policy_packs.analysis.github_oidc import pull_request_subject
from agentid_policy_packs.analysis.values import is_unknown

from . import federated_issuer_known
from .base import Outcome, Resource, Rule, Unknown, Violation
from .cognito_open_signup_identities import (IDENTITY_POOL, USER_POOL, USER_POOL_CLIENT, client_pools, linked_pools,
                                             stack_pools)
from .iam_links import known_state, output_sources
from .stack_inputs import judged, objects, stop, strings

ROLE_ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"
PRINCIPAL_TAG = "aws:cognito/identityPoolProviderPrincipalTag:IdentityPoolProviderPrincipalTag"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(?P<name>[^\s]+)$")
# OpenID Connect standard claims a user pool keeps as standard attributes (Cognito user pool attributes page)
STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale", "middle_name", "name",
    "nickname", "phone_number", "picture", "preferred_username", "profile", "updated_at", "website", "zoneinfo"})
# standard attributes whose new value can be held back until the user verifies it
VERIFIABLE = frozenset({"email", "phone_number"})


def _provider_name(value: str) -> str:
    """`https://Host/path/` or `host/path` -> `host/path`: how IAM and role mappings name an OIDC provider."""
    name = value.strip().rstrip("/")
    return (name.split("://", 1)[1] if "://" in name else name).lower()


def _oidc_providers(pool: Resource, stack_providers: dict[str, Resource]) -> list[tuple[str, bool]]:
    """(provider name, defined by the stack) for each of the pool's OIDC providers; raises Stop."""
    found: list[tuple[str, bool]] = []
    arns = pool.props.get("openidConnectProviderArns")
    if is_unknown(arns) or (isinstance(arns, list) and any(is_unknown(a) for a in arns)):
        # computed ARNs: the stack's providers whose ARN Output they are, as iam_links.output_sources proves it (their
        # url is what their ARN names); a depends_on a stack provider beside a constant behind another Output (an
        # existing provider's ARN) proves nothing (issue 11)
        linked = output_sources(pool, stack_providers.values(), ("arn",), "openidConnectProviderArns") or []
        if not linked:
            raise stop(pool, "openidConnectProviderArns", arns, "known")
        for provider in linked:
            url = provider.props.get("url")
            if not isinstance(url, str) or is_unknown(url):
                raise stop(provider, "url", url, "a URL")
            found.append((_provider_name(url), True))
        arns = [a for a in arns if not is_unknown(a)] if isinstance(arns, list) else []
    defined = {_provider_name(p.props["url"]) for p in stack_providers.values() if isinstance(p.props.get("url"), str)}
    for index, arn in enumerate(strings(pool, "openidConnectProviderArns", arns)):
        match = _PROVIDER_ARN.match(arn.strip())
        if not match:
            raise stop(pool, f"openidConnectProviderArns[{index}]", arn, "an IAM OIDC provider ARN")
        name = match.group("name").lower()
        found.append((name, name in defined))
    return found


def _named_pools(attachment: Resource, pools: list[Resource]) -> list[Resource] | None:
    """The stack identity pools an attachment's `identityPoolId` names: a literal equal to one's known id (after
    deployment, or the gate mocks'), an Output unknown at preview as iam_links.output_sources proves it (None: cannot
    check until known). A bare depends_on names none (issue 11: roles attached to an EXISTING pool with depends_on
    the stack's pinned pool were judged as that pool's)."""
    value = attachment.props.get("identityPoolId")
    if is_unknown(value):
        return output_sources(attachment, pools, ("id",), "identityPoolId")
    if not isinstance(value, str):
        return []
    return [p for p in pools if isinstance(known_state(p).get("id"), str)
            and known_state(p)["id"].strip() == value.strip()]


def _attachments(pool: Resource, attachments: list[Resource], pools: list[Resource]) -> list[Resource]:
    return [a for a in attachments if pool in (_named_pools(a, pools) or [])]


def _outside_pools(attachments: list[Resource], pools: list[Resource]):
    """An attachment giving roles on an identity pool the stack does not define: who its providers let in (any GitHub
    workflow, any social account) cannot be judged (fail closed)."""
    for attachment in attachments:
        named = _named_pools(attachment, pools)
        if named is None:
            yield Unknown(f"{attachment.name}.identityPoolId", attachment.urn)
        elif not named:
            yield Violation(f"{attachment.name} gives roles on identity pool "
                            f"{str(attachment.props.get('identityPoolId'))[:120]!r}, which this stack does not define: "
                            "who that pool's providers let in, and with which role mappings, cannot be checked",
                            attachment.urn)


def _mappings(attachment: Resource) -> list[dict[str, Any]]:
    return objects(attachment, "roleMappings", attachment.props.get("roleMappings"))


def _bounded(provider: str, pool: Resource, attachments: list[Resource]) -> bool:
    """Does a Rules mapping with Deny for `provider` pin every rule to an exact `sub`?"""
    for attachment in attachments:
        for mapping in _mappings(attachment):
            named = mapping.get("identityProvider")
            if not isinstance(named, str) or _provider_name(named) != provider:
                continue
            rules = mapping.get("mappingRules")
            if (mapping.get("type") != "Rules" or mapping.get("ambiguousRoleResolution") != "Deny"
                    or not isinstance(rules, list) or not rules):
                return False
            return all(isinstance(rule, dict) and rule.get("claim") == "sub" and rule.get("matchType") == "Equals"
                       and isinstance(rule.get("value"), str) and rule["value"].strip()
                       and not pull_request_subject(rule["value"]) for rule in rules)
    return False


def _granted_roles(attachments: list[Resource]) -> str:
    roles = []
    for attachment in attachments:
        authenticated = (attachment.props.get("roles") or {}).get("authenticated") \
            if isinstance(attachment.props.get("roles"), dict) else None
        if isinstance(authenticated, str) and not is_unknown(authenticated):
            roles.append(authenticated)
    return f" (authenticated role {', '.join(sorted(set(roles)))})" if roles else ""


def _provider_findings(pool: Resource, stack_providers: dict[str, Resource], attachments: list[Resource],
                       config) -> Iterator[Outcome]:
    classic = pool.props.get("allowClassicFlow")
    if is_unknown(classic):
        raise stop(pool, "allowClassicFlow", classic, "known")
    for provider, in_stack in _oidc_providers(pool, stack_providers):
        if not in_stack:
            problem = federated_issuer_known.issuer_problem(f"https://{provider}", config)
            if problem:
                yield Violation(f"identity pool {pool.name} (openidConnectProviderArns, a provider outside the "
                                f"stack) {problem}", pool.urn)
                continue
        if classic is True:
            yield Violation(f"identity pool {pool.name} trusts OIDC provider {provider} with allowClassicFlow: any "
                            f"subject {provider} signs gets a Cognito token for AssumeRoleWithWebIdentity on every "
                            "role trusting the pool, past any role mapping", pool.urn)
        elif not _bounded(provider, pool, attachments):
            who = ("every workflow of every GitHub repository" if provider.startswith("token.actions.githubusercontent.com")
                   else f"every subject {provider} signs a token for")
            yield Violation(f"identity pool {pool.name} trusts OIDC provider {provider} with no bound on the subject: "
                            f"{who} gets an identity and AWS credentials{_granted_roles(attachments)}; an identity "
                            "pool has no sub condition, so map the provider with roleMappings type Rules, "
                            "ambiguousRoleResolution Deny and rules on claim sub Equals the one workload, or trust the "
                            "role to the provider directly with a pinned sub (AGID-AWS-031)", pool.urn)


def writable_by_users(claim: str, pool: Resource, clients: list[Resource]) -> str | None:
    """The stack app client of `pool` through which users write attribute `claim` themselves (its name), or None."""
    custom = claim.startswith("custom:")
    attribute = claim.removeprefix("custom:")
    if not custom and attribute not in STANDARD_ATTRIBUTES:
        return None  # cognito:groups, sub, identities, ...: set by Cognito or an administrator
    schema = next((entry for entry in objects(pool, "schemas", pool.props.get("schemas"))
                   if entry.get("name") == attribute), None)
    if custom and schema is None:
        return None  # no such attribute in the pool
    if schema is not None and (schema.get("mutable") is False or schema.get("developerOnlyAttribute") is True):
        return None
    if attribute in VERIFIABLE:
        settings = pool.props.get("userAttributeUpdateSettings")
        held = settings.get("attributesRequireVerificationBeforeUpdates") if isinstance(settings, dict) else None
        if isinstance(held, list) and attribute in held:
            return None
    for client in clients:
        written = client.props.get("writeAttributes")
        if is_unknown(written):
            raise stop(client, "writeAttributes", written, "known")
        listed = strings(client, "writeAttributes", written)
        if claim in listed or (not listed and not custom):
            return client.name
    return None


def _claim_findings(pool: Resource, attachments: list[Resource], user_pools: dict[str, Resource],
                    clients: dict[str, Resource]) -> Iterator[Outcome]:
    for attachment in attachments:
        # the user pools the identity pool's providers name (issue 11: not the ones it merely depends on), and, on
        # the cautious side, any the attachment depends on
        pools = {p.urn: p for p in (*stack_pools(pool, user_pools, clients),
                                    *linked_pools(attachment, user_pools, clients))}.values()
        for mapping in _mappings(attachment):
            provider = mapping.get("identityProvider")
            if mapping.get("type") != "Rules" or (isinstance(provider, str) and not is_unknown(provider)
                                                  and not provider.strip().lower().startswith("cognito-idp.")):
                continue  # another provider's claims (an OIDC issuer's, a social IdP's) are not user-pool attributes
            for rule in objects(attachment, "roleMappings[].mappingRules", mapping.get("mappingRules")):
                claim = rule.get("claim")
                if not isinstance(claim, str):
                    raise stop(attachment, "roleMappings[].mappingRules[].claim", claim, "a claim name")
                for user_pool in pools:
                    pool_clients = [c for c in clients.values()
                                    if user_pool.urn in c.dependencies or user_pool in client_pools(c, user_pools)]
                    client = writable_by_users(claim, user_pool, pool_clients)
                    if client:
                        yield Violation(
                            f"identity pool role attachment {attachment.name} maps claim {claim} "
                            f"{rule.get('matchType')} {str(rule.get('value'))[:100]!r} to role {rule.get('roleArn')}, "
                            f"but every user of user pool {user_pool.name} writes {claim} themselves (app client "
                            f"{client} writeAttributes): any user takes that role; map a claim only an administrator "
                            "sets (cognito:groups, a developer-only attribute) or drop it from writeAttributes",
                            attachment.urn)


def _tag_findings(mapping: Resource, user_pools: dict[str, Resource], clients: dict[str, Resource]):
    tags = mapping.props.get("principalTags")
    if tags is None:
        return  # useDefaults: username and client_id, which Cognito sets
    if is_unknown(tags) or not isinstance(tags, dict):
        raise stop(mapping, "principalTags", tags, "a map of tag names to claims")
    for user_pool in linked_pools(mapping, user_pools, clients):
        pool_clients = [c for c in clients.values()
                        if user_pool.urn in c.dependencies or user_pool in client_pools(c, user_pools)]
        for tag, claim in sorted(tags.items()):
            if isinstance(claim, str) and (client := writable_by_users(claim, user_pool, pool_clients)):
                yield Violation(f"identity pool principal tag mapping {mapping.name} sets session tag {tag} from claim "
                                f"{claim}, which every user of user pool {user_pool.name} writes themselves (app "
                                f"client {client} writeAttributes): any policy conditioned on aws:PrincipalTag/{tag} "
                                "takes the value the user chose", mapping.urn)


def check(resources: list[Resource], config):
    by_type: dict[str, dict[str, Resource]] = {}
    for resource in resources:
        by_type.setdefault(resource.type, {})[resource.urn] = resource
    stack_providers = by_type.get(OIDC_PROVIDER, {})
    user_pools, clients = by_type.get(USER_POOL, {}), by_type.get(USER_POOL_CLIENT, {})
    attachments = list(by_type.get(ROLE_ATTACHMENT, {}).values())
    pools = list(by_type.get(IDENTITY_POOL, {}).values())
    yield from _outside_pools(attachments, pools)
    for pool in pools:
        mine = _attachments(pool, attachments, pools)
        yield from judged(_provider_findings(pool, stack_providers, mine, config))
        yield from judged(_claim_findings(pool, mine, user_pools, clients))
    for mapping in by_type.get(PRINCIPAL_TAG, {}).values():
        yield from judged(_tag_findings(mapping, user_pools, clients))


RULE = Rule(
    id="AGID-AWS-067",
    title="cognito-identity-pool-trust",
    severity="critical",
    category="weak-trust",
    description="Cognito identity pools bound who gets their roles like a role trust: OIDC providers of a known "
                "issuer with the subject pinned by a Deny-by-default role mapping, and role-mapping rules and "
                "session tags on claims users cannot write themselves.",
    remediation="Trust the role to the OIDC provider directly with StringEquals on aud and sub, or map the provider "
                "with roleMappings type Rules, ambiguousRoleResolution Deny and claim sub Equals the workload; map "
                "roles on cognito:groups or developer-only attributes, never on attributes in an app client's "
                "writeAttributes.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html",
    check=check,
    stack=True,
    reads=(IDENTITY_POOL, ROLE_ATTACHMENT, PRINCIPAL_TAG, USER_POOL, USER_POOL_CLIENT, OIDC_PROVIDER),
    config={"trustedIssuers": [], "ownTenantIds": []},
    config_schema={key: federated_issuer_known.RULE.config_schema[key] for key in ("trustedIssuers", "ownTenantIds")},
    config_strictness={"trustedIssuers": "subset", "ownTenantIds": "subset"},
)
