"""AGID-GEN-009: a platform issuer that every customer has one of is trusted only for an owner of the organisation.

AGID-GEN-003 lets a platform's issuer pass because the platform holds its signing keys. For some platforms every
customer has an issuer of their own, and whoever owns THAT one mints its tokens (issue 11):
  - a GKE cluster's issuer `https://container.googleapis.com/v1/projects/P/locations/L/clusters/C` signs for the
    Kubernetes service accounts of a cluster in project P: own only when P is one the gate lists (ownGcpProjects);
  - a Cognito user pool's issuer `https://cognito-idp.REGION.amazonaws.com/POOL` signs for the users and app clients
    of a pool any AWS account can create: own only for a pool the stack defines (its Output, or under the gate the
    pool id the mocks give a stack UserPool);
  - an EKS cluster's issuer `https://oidc.eks.REGION.amazonaws.com/id/X` names neither cluster nor account: own only
    when the gate lists it (AGID-GEN-006 judges it on role trusts, federated credentials and WIF providers; this rule
    on the other resources trusting an issuer: IAM OIDC providers, whose creation makes every role of the account
    that trusts `oidc-provider/HOST` take that cluster's tokens, Cognito OIDC IdPs, JWT authorizers, ...);
  - Google (`https://accounts.google.com`) signs an ID token for ANY Google account with the audience it asks for,
    its subject the account's unique id: a federated credential or WIF provider trusting it is own only when every
    subject it pins is the unique id of a service account the stack defines in an own project (gcp_own).
A role trusting Cognito identity (`cognito-identity.amazonaws.com`) takes the tokens of the identity pool its `aud`
condition names: own only for an identity pool the stack defines (red17 r17-3; the pool's owner mints a token for
any identity of its pool). Cognito identity pools too (their user pools `cognitoIdentityProviders[].providerName` and the hosts of their
`openidConnectProviderArns`: the users of a foreign pool would get the identity pool's AWS credentials).
IAM role trusts are judged the same way (a web-identity statement's `oidc-provider/HOST` or `accounts.google.com`
principal, its subjects the positive `HOST:sub` conditions; a literal EKS host there is AGID-GEN-006's).
Each of them also passes when the gate lists the exact issuer in this rule's trustedIssuers (`agentid preview
--trusted-issuer URL`, or the base branch's waivers.yaml policyPackConfig). Which issuers are per-owner and where their
URL names the owner is data (analysis/oidc_issuers.yaml `owner`, with sources). The settings are the gate's
(strictness "subset"); the stack file's config makes nothing own (its gcp:project is the pull request's).
The other inbound token authorizers AGID-GEN-008 knows are judged the same way (issue 11: a load balancer's
authenticate-oidc, Easy Auth, Identity Platform, an AppSync Events API, a workforce pool provider, the JWT issuers of an
API definition or an API Management policy trusting another account's Cognito pool or another project's cluster
passed). An Entra tenant's issuer is AGID-GEN-003's (ownTenantIds); Google's subjects are judged only where a subject
is pinned (federated credentials, WIF providers, role trusts). An issuer or subject unknown at preview is
AGID-GEN-003's / the pinning rules' "cannot check".
Sources: https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity,
https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html,
https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html,
https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agentid_components import data_yaml
from agentid_policy_packs.analysis.gcp_iam import OwnGcp, pinned_subject_values
from agentid_policy_packs.analysis.github_oidc import _QUOTED
from agentid_policy_packs.analysis.aws_patterns import is_pattern
from agentid_policy_packs.analysis.values import is_unknown, values_at


from . import inbound_multi_tenant_issuer as gen008
from .base import Resource, Rule, Violation
from .documents import ROLE, trust_statements
from .federated_issuer_known import (AGENTCORE, AWS_PROVIDER, AZURE_TYPES, COGNITO_IDP, DATA, GCP_PROVIDER,
                                     ISSUER_PATHS, _issuer)
from .gcp_own import ACCOUNT_TYPE, CONFIG_SCHEMA as GCP_OWN_SCHEMA, own_stack_account
from .iam_links import known_state

USER_POOL = "aws:cognito/userPool:UserPool"
# a Cognito identity pool hands AWS credentials to the users of its login providers (AGID-AWS-067 judges how)
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"  # Cognito identity pools' built-in web-identity issuer
_CONFINING = ("StringEquals", "StringEqualsIgnoreCase", "StringLike")
# the other inbound token authorizers AGID-GEN-008 knows (load balancer authenticate-oidc, Easy Auth, Identity
# Platform, AppSync Events, workforce pool providers, OpenAPI definitions, API Management policies: issue 11): their
# issuers, wherever each names them (inbound_multi_tenant_issuer.literal_issuers)
INBOUND = tuple(t for t in gen008.AUTHORIZERS if t not in (*ISSUER_PATHS, *AGENTCORE, GCP_PROVIDER))
# the types AGID-GEN-006 judges a literal EKS issuer on (not twice)
_EKS_JUDGED_BY_GEN_006 = (*AZURE_TYPES, GCP_PROVIDER)


@dataclass(frozen=True)
class Owned:
    pattern: re.Pattern[str]
    kind: str
    group: str | None
    what: str


@lru_cache(maxsize=1)
def owned_issuers() -> tuple[Owned, ...]:
    return tuple(Owned(re.compile(entry["pattern"], re.IGNORECASE), entry["owner"]["kind"], entry["owner"].get("group"),
                       entry["owner"]["what"])
                 for entry in data_yaml.load(DATA)["issuers"] if entry.get("owner"))


def identity_pool_issuers(resource: Resource) -> list[str]:
    """A Cognito identity pool's login providers as issuers: its user pools (`cognitoIdentityProviders[].providerName`,
    `cognito-idp.REGION.amazonaws.com/POOL`) and the hosts of its IAM OIDC providers (`openidConnectProviderArns`)."""
    found = []
    providers = resource.props.get("cognitoIdentityProviders")
    for provider in providers if isinstance(providers, list) else ():
        name = provider.get("providerName") if isinstance(provider, dict) else None
        if isinstance(name, str) and not is_unknown(name):
            found.append(name if "://" in name else f"https://{name}")
    arns = resource.props.get("openidConnectProviderArns")
    for arn in arns if isinstance(arns, list) else ():
        if isinstance(arn, str) and ":oidc-provider/" in arn and not is_unknown(arn):
            found.append("https://" + arn.split(":oidc-provider/", 1)[1])
    return found


def _issuers(resource: Resource) -> list[str]:
    """The literal issuer URLs the resource trusts (unknown ones are AGID-GEN-003's)."""
    if resource.type == IDENTITY_POOL:
        found = identity_pool_issuers(resource)
    elif resource.type in ISSUER_PATHS:
        found = [issuer for path in ISSUER_PATHS[resource.type] for _, issuer in values_at(resource.props, path)]
    elif resource.type == COGNITO_IDP and resource.props.get("providerType") != "OIDC":
        found = []  # SAML (AGID-GEN-003) and social providers
    elif resource.type in INBOUND:
        found = [issuer for _, issuer in gen008.literal_issuers(resource)]
    else:
        found = [_issuer(resource)]
    return [issuer for issuer in found if isinstance(issuer, str) and issuer.strip() and not is_unknown(issuer)]


def _subjects(resource: Resource) -> list[list[str]] | None:
    """The subjects a federated credential or WIF provider pins, as alternatives of each pinning term (a WIF
    condition `A && B` holds only when both do: one term naming only own subjects confines it); None: it pins none,
    or they are unknown (the pinning rules' AGID-AZ-030 / AGID-GCP-004)."""
    if resource.type in AZURE_TYPES:
        expression, subject = resource.props.get("claimsMatchingExpression"), resource.props.get("subject")
        if is_unknown(expression) or is_unknown(subject):
            return None
        if isinstance(expression, str) and expression.strip():
            literals = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(expression)]
            return [literals] if literals else None
        return [[subject]] if isinstance(subject, str) and subject.strip() else None
    if resource.type == GCP_PROVIDER:
        condition, mapping = resource.props.get("attributeCondition"), resource.props.get("attributeMapping")
        if not isinstance(condition, str) or is_unknown(condition) or is_unknown(mapping):
            return None
        subject_mapping = mapping.get("google.subject") if isinstance(mapping, dict) else "assertion.sub"
        return pinned_subject_values(condition, subject_mapping if isinstance(subject_mapping, str) else None) or None
    return None


def _stack_pools(resources: list[Resource]) -> set[str]:
    return {pool for r in resources if r.type == USER_POOL
            if isinstance(pool := known_state(r).get("id"), str) and not is_unknown(pool)}


def _stack_account_ids(resources: list[Resource], config) -> set[str]:
    return {str(unique) for r in resources if r.type == ACCOUNT_TYPE and own_stack_account(r, config)
            if isinstance(unique := known_state(r).get("uniqueId"), (str, int)) and not is_unknown(unique)}


def role_trusts(resource: Resource, *, iam_providers_only: bool = False) -> list[tuple[str, str, list[list[str]] | None]]:
    """(label, issuer, subject terms) of each web-identity provider an IAM role's trust statements name: the subjects
    of the statement's positive exact `<provider>:sub` conditions (each condition a term; None: none pins it).
    `iam_providers_only`: only IAM OIDC providers (`arn:...:oidc-provider/HOST`), not the providers AWS builds in
    (accounts.google.com, cognito-identity.amazonaws.com, graph.facebook.com, www.amazon.com)."""
    found = []
    for trust in trust_statements(resource, _WEB_IDENTITY):
        if not isinstance(trust, tuple):
            continue  # unknown at preview: the trust rules' "cannot check"
        label, statement = trust
        federated = [f for f in (statement.principals or {}).get("Federated", ()) if isinstance(f, str)]
        providers = {f.split(":oidc-provider/", 1)[1] for f in federated if ":oidc-provider/" in f}
        if not iam_providers_only:
            providers |= {f for f in federated if not f.startswith("arn:") and "." in f}  # accounts.google.com
        for provider in sorted(providers):
            terms = [[v for v in c.values if isinstance(v, str)] for c in statement.conditions
                     if c.key.lower() == f"{provider.lower()}:sub" and not c.is_negative and not c.if_exists
                     and not c.operator.startswith("ForAllValues:") and c.base_operator in _CONFINING]
            found.append((label, f"https://{provider}", terms or None))
    return found


def identity_pool_audiences(resource: Resource) -> list[tuple[str, list[str]]]:
    """(label, audiences) of each web-identity statement of a role's trust whose principal is Cognito identity
    (`cognito-identity.amazonaws.com`): the values of its positive exact `cognito-identity.amazonaws.com:aud`
    conditions, each the id of the identity pool whose tokens it takes. A statement pinning no audience is
    AGID-AWS-031's (any pool)."""
    found = []
    for trust in trust_statements(resource, _WEB_IDENTITY):
        if not isinstance(trust, tuple):
            continue  # unknown at preview: the trust rules' "cannot check"
        label, statement = trust
        federated = {f.lower() for f in (statement.principals or {}).get("Federated", ()) if isinstance(f, str)}
        if COGNITO_IDENTITY not in federated:
            continue
        audiences = [v for c in statement.conditions
                     if c.key.lower() == f"{COGNITO_IDENTITY}:aud" and not c.is_negative and not c.if_exists
                     and not c.operator.startswith("ForAllValues:") and c.base_operator in _CONFINING
                     for v in c.values if isinstance(v, str)]
        if audiences:
            found.append((label, audiences))
    return found


def _stack_identity_pools(resources: list[Resource]) -> set[str]:
    return {pool for r in resources if r.type == IDENTITY_POOL
            if isinstance(pool := known_state(r).get("id"), str) and not is_unknown(pool)}


def _foreign_identity_pools(resources: list[Resource], roles: list[Resource]):
    """r17-3: a role taking Cognito identity tokens of an identity pool the stack does not define. Pool ids name no
    account, and in the classic flow (GetOpenIdToken, then AssumeRoleWithWebIdentity) the role may be in any
    account: the pool's owner mints a token for any identity of its pool (developer-authenticated identities
    included: GetOpenIdTokenForDeveloperIdentity), so it assumes the role. Source:
    https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html (role trust and `aud`)."""
    pools: set[str] | None = None
    for role in roles:
        for label, audiences in identity_pool_audiences(role):
            pools = _stack_identity_pools(resources) if pools is None else pools
            foreign = [a for a in audiences if is_pattern(a) or is_unknown(a) or a.strip() not in pools]
            if not foreign:
                continue
            yield Violation(f"{label} trusts Cognito identity tokens of identity pool {foreign[0][:100]!r}, which is "
                            "not one the stack defines: any AWS account can create an identity pool and mint its "
                            "tokens for any identity it likes (GetOpenIdTokenForDeveloperIdentity); name the pool the "
                            "stack defines (its id Output) in cognito-identity.amazonaws.com:aud", role.urn)


def check(resources: list[Resource], config):
    yield from _foreign_identity_pools(resources, [r for r in resources if r.type == ROLE])
    judged = [r for r in resources if r.type in (*AZURE_TYPES, GCP_PROVIDER, AWS_PROVIDER, COGNITO_IDP, *AGENTCORE,
                                                 *ISSUER_PATHS, ROLE, IDENTITY_POOL, *INBOUND)]
    if not judged:
        return
    listed = {i.strip().rstrip("/").lower() for i in config.get("trustedIssuers", []) if isinstance(i, str)}
    projects = OwnGcp.of(config).projects
    pools: set[str] | None = None
    accounts: set[str] | None = None
    for resource in judged:
        if resource.type == ROLE:
            trusts = role_trusts(resource)
        else:
            trusts = [(resource.name, issuer, None) for issuer in _issuers(resource)]
        for label, issuer, role_subjects in trusts:
            normal = issuer.strip().rstrip("/")
            owned = next(((o, m) for o in owned_issuers() if (m := o.pattern.fullmatch(normal))), None)
            if owned is None or normal.lower() in listed:
                continue
            entry, match = owned
            owner = match.group(entry.group) if entry.group else None
            if entry.kind == "gcp-project":
                if owner.strip().lower() in projects:
                    continue
                why = (f"project {owner} is not one the gate lists (ownGcpProjects): whoever owns that project's "
                       "cluster mints tokens for its Kubernetes service accounts")
            elif entry.kind == "cognito-user-pool":
                pools = _stack_pools(resources) if pools is None else pools
                if owner in pools:
                    continue
                why = (f"pool {owner} is not one the stack defines: any AWS account can create a user pool and mint "
                       "its tokens for the users and app clients it makes")
            elif entry.kind == "listed":
                if resource.type in (*_EKS_JUDGED_BY_GEN_006, ROLE):
                    continue  # AGID-GEN-006
                why = ("it names neither the cluster nor its account: any account's cluster has such an issuer, and "
                       "its service accounts' tokens would be taken")
            elif entry.kind == "google-subject":
                if resource.type not in (*AZURE_TYPES, GCP_PROVIDER, ROLE):
                    continue  # an IAM OIDC provider or an authorizer pins no subject: the roles trusting it do
                terms = role_subjects if resource.type == ROLE else _subjects(resource)
                if terms is None:
                    continue  # pins no subject: AGID-AZ-030 / AGID-GCP-004
                accounts = _stack_account_ids(resources, config) if accounts is None else accounts
                if any(all(s.strip() in accounts for s in term) for term in terms):
                    continue
                foreign = [s for term in terms for s in term if s.strip() not in accounts]
                why = (f"its subject {foreign[0][:100]!r} is not the unique id of a service account the stack defines "
                       "in an own project (ownGcpProjects): Google signs an ID token for any Google account, any "
                       "project's service account or user, with the audience it asks for")
            else:  # an entry kind this rule does not know: fail closed
                why = f"its owner kind {entry.kind!r} is unknown to this rule"
            yield Violation(f"{label} trusts tokens from {entry.what} issuer {normal[:200]!r}, but {why}; "
                            "trust an issuer of your own, or have the gate list it with `agentid preview "
                            "--trusted-issuer URL` or AGID-GEN-009 trustedIssuers in the base branch's waivers.yaml "
                            "policyPackConfig", resource.urn)


RULE = Rule(
    id="AGID-GEN-009",
    title="federated-issuer-own-owner",
    severity="high",
    category="weak-trust",
    enforcement="mandatory",
    description="An IAM role trust, federated credential, WIF provider, IAM or Cognito OIDC provider, Cognito identity "
                "pool or inbound token authorizer (JWT authorizers, load balancer OIDC, Easy Auth, API Management "
                "validate-jwt, API definitions) trusting an "
                "issuer every customer has one of (a GKE cluster's, a Cognito user pool's, an EKS cluster's, Google's "
                "accounts.google.com, a Cognito identity pool's) trusts one of the organisation's: a cluster of an own "
                "project, a user or identity pool the stack defines, a subject that is a stack service account of an own project, or an issuer the gate lists.",
    remediation="Trust the issuer of a cluster or pool the stack defines or of an own project, and for Google a "
                "subject that is the unique id of a stack service account; list your own in the base branch's "
                "waivers.yaml policyPackConfig (all: ownGcpProjects; AGID-GEN-009 trustedIssuers) or with agentid "
                "preview --own-gcp-project / --trusted-issuer.",
    url="https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity",
    check=check,
    stack=True,
    reads=(*AZURE_TYPES, GCP_PROVIDER, AWS_PROVIDER, COGNITO_IDP, *AGENTCORE, *ISSUER_PATHS, ROLE, IDENTITY_POOL,
           *INBOUND, USER_POOL, ACCOUNT_TYPE),
    config={"trustedIssuers": [], "ownGcpProjects": []},
    config_schema={"trustedIssuers": {"type": "array", "items": {"type": "string", "format": "https-url"}, "default": [],
                                      "description": "OIDC issuers of the organisation's own clusters and pools (set by "
                                                     "the gate)"},
                   "ownGcpProjects": GCP_OWN_SCHEMA["ownGcpProjects"]},
    config_strictness={"trustedIssuers": "subset", "ownGcpProjects": "subset"},
)
