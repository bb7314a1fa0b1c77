"""AGID-GEN-006: a trusted subject of a multi-tenant platform issuer names one of the organisation's own tenants.

GitHub Actions, GitLab.com, HCP Terraform and Azure DevOps sign tokens for EVERY tenant of the platform: any GitHub
user's repository, any GitLab.com group's project, any Terraform organization. Pinning one exact subject (AGID-AWS-031,
AGID-AZ-030, AGID-GCP-004) and trusting the platform's issuer (AGID-GEN-003) is therefore satisfied by a repository
the attacker owns: red13 r13-10, an IAM role trusting `repo:attacker/evil:ref:refs/heads/main` and Azure federated
credentials trusting `repo:attacker/evil:environment:prod` passed. Where each platform's token names its tenant, and
which gate setting lists the own ones, is data (analysis/oidc_issuers.yaml `tenants`, with sources):
  - GitHub: the repository owner, `repo:OWNER/...` or a customised subject's `repository_owner:` /
    `repository_owner_id:` / `repository:OWNER/...` as its FIRST claim only (a later one follows claims the
    repository writes, e.g. its workflow's name: red16 r16-1) (and those claims as AWS condition keys): trustedRepositoryOwners,
    logins compared without case (GitHub's own rule), owner ids listed as digits and matched only against id claims;
  - GitLab.com: the project's top-level group, `project_path:GROUP/...`: trustedGitLabGroups;
  - HCP Terraform: `organization:ORG:...`: trustedTerraformOrganizations;
  - Azure DevOps: `sc://ORG/...`: trustedAzureDevOpsOrganizations.
Own tenants are the GATE's settings, pack-wide: `agentid preview --trusted-repository-owner OWNER` (and
--trusted-gitlab-group, --trusted-terraform-organization, --trusted-azure-devops-organization), or the base branch's
waivers.yaml policyPackConfig (`all: {trustedRepositoryOwners: [...]}` or under this rule); a pull request's own
config may only shorten a list (strictness "subset").
Flagged (mandatory, high): an AWS role trust statement (sts:AssumeRoleWithWebIdentity) for such an issuer none of whose
positive conditions confines the tenant to listed ones (every value of one `<provider>:sub` / owner-claim condition
naming only own tenants; a wildcard or unlisted tenant, a value naming none, StringEqualsIgnoreCase on a platform that
tells case apart, IfExists / ForAllValues / negative operators confine nothing); an Azure federated identity credential
(managed identity, Entra application, flexible) whose subject (or every literal of its claims-matching expression)
names no tenant or an unlisted one; a GCP Workload Identity Pool provider none of whose subject pins names only own
tenants. Also flagged whatever the issuer (oidc_issuers.yaml `shared_subjects`): a subject naming a Kubernetes
namespace's `default` service account (`system:serviceaccount:NS:default`, red13 r13-11), which every pod of the
namespace that names no account runs as: not one workload.
Inputs unknown at preview and subjects that pin nothing (no subject condition, a pattern, no attributeCondition pin)
are the pinning rules' (AGID-AWS-031, AGID-AZ-030, AGID-GCP-004, which flag them "cannot check" / unpinned) and
AGID-GEN-003's (the issuer): this rule judges the tenant of what they let through.
An EKS cluster's issuer (`oidc.eks.REGION.amazonaws.com/id/ID`, `cluster: true` in the data) is one per cluster and
names neither cluster nor account (red13 r13-11: a role trusting another account's cluster passed): a role trust,
federated credential or WIF provider naming one literally passes only when the gate lists it in this rule's
trustedIssuers (`agentid preview --trusted-issuer URL` adds to it); a stack's own cluster supplies it as an Output.
Not judged here: whether a GKE cluster's project, a Cognito pool or a Google subject is the organisation's, nor a
literal EKS issuer on the other resources trusting one (IAM OIDC providers, authorizers): AGID-GEN-009 (GEN-003 judges
the AKS issuer's tenant). Workforce pools sign in people, not workloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agentid_components import data_yaml
from agentid_policy_packs.analysis.gcp_iam import pinned_subject_values
from agentid_policy_packs.analysis.github_oidc import _QUOTED
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .documents import ROLE, trust_statements
from .federated_issuer_known import DATA

AZURE_TYPES = (
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential",
)
GCP_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
_CONFINING = ("StringEquals", "StringEqualsIgnoreCase", "StringLike")


@dataclass(frozen=True)
class Platform:
    pattern: re.Pattern[str]
    setting: str
    flag: str
    what: str
    ignore_case: bool
    claims: dict[str, tuple[re.Pattern[str], ...]]


@lru_cache(maxsize=1)
def platforms() -> tuple[Platform, ...]:
    found = []
    for entry in data_yaml.load(DATA)["issuers"]:
        tenants = entry.get("tenants")
        if not tenants:
            continue
        found.append(Platform(re.compile(entry["pattern"], re.IGNORECASE), tenants["setting"], tenants["flag"], tenants["what"],
                              bool(tenants["ignore_case"]),
                              {claim: tuple(re.compile(p) for p in patterns)
                               for claim, patterns in tenants["claims"].items()}))
    return tuple(found)


@lru_cache(maxsize=1)
def _clusters() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(entry["pattern"], re.IGNORECASE) for entry in data_yaml.load(DATA)["issuers"]
                 if entry.get("cluster"))


def cluster_problem(name: str, issuer: str, config) -> Violation | None:
    """A per-cluster issuer that names no owner (EKS) is own only when the gate lists it in trustedIssuers."""
    normal = issuer.strip().rstrip("/")
    if not any(p.fullmatch(normal) for p in _clusters()):
        return None
    listed = {i.strip().rstrip("/").lower() for i in config.get("trustedIssuers", []) if isinstance(i, str)}
    if normal.lower() in listed:
        return None
    return Violation(f"{name} trusts Kubernetes cluster issuer {normal[:200]!r}, which names neither the cluster nor its "
                     "account: any account's cluster has such an issuer, so its service accounts could act as this "
                     "identity; trust the issuer of a cluster the stack defines (its Output), or have the gate list "
                     "yours with `agentid preview --trusted-issuer URL` or AGID-GEN-006 trustedIssuers in the base "
                     "branch's waivers.yaml policyPackConfig")


@lru_cache(maxsize=1)
def _shared() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(entry["pattern"]), entry["why"]) for entry in data_yaml.load(DATA)["shared_subjects"])


SETTINGS = tuple(dict.fromkeys(
    tenants["setting"] for entry in data_yaml.load(DATA)["issuers"] if (tenants := entry.get("tenants"))))


def platform_of(issuer: str) -> Platform | None:
    normal = issuer.strip().rstrip("/")
    return next((p for p in platforms() if p.pattern.fullmatch(normal)), None)


def tenants_named(platform: Platform, claim: str, value: str) -> list[tuple[str, str]]:
    """(kind, tenant) pairs the claim value names: kind "name" or "id"."""
    found = []
    for pattern in platform.claims.get(claim, ()):
        for match in pattern.finditer(value):
            groups = match.groupdict()
            if groups.get("tenant") is not None:
                found.append(("name", groups["tenant"]))
            if groups.get("tenant_id") is not None:
                found.append(("id", groups["tenant_id"]))
    return found


def _own(platform: Platform, config) -> tuple[frozenset[str], frozenset[str]]:
    listed = [item.strip() for item in config.get(platform.setting, []) if isinstance(item, str) and item.strip()]
    names = {item.lower() if platform.ignore_case else item for item in listed if not item.isdigit()}
    ids = {item for item in listed if item.isdigit()}
    return frozenset(names), frozenset(ids)


def confines(platform: Platform, claim: str, values, config, *, ignore_case_operator: bool = False) -> bool:
    """Every value names tenants, all of them listed (a value is an alternative: each must be own)."""
    names, ids = _own(platform, config)
    if not values or (ignore_case_operator and not platform.ignore_case):
        return False
    for value in values:
        named = tenants_named(platform, claim, value) if isinstance(value, str) else []
        if not named:
            return False
        for kind, tenant in named:
            if kind == "id" and tenant not in ids:
                return False
            if kind == "name" and (tenant.lower() if platform.ignore_case else tenant) not in names:
                return False
    return True


def _foreign_message(name: str, platform: Platform, subjects) -> str:
    shown = ", ".join(repr(s[:200]) for s in list(subjects)[:3]) or "no subject naming one"
    return (f"{name} trusts {platform.what}s' tokens ({shown}) without confining the {platform.what} to one the gate "
            f"lists ({platform.setting}): the platform signs for every {platform.what}, so whoever owns the one named "
            f"there (or any, where none or a pattern is) can act as this identity; if it is yours, list it with "
            f"`agentid preview {platform.flag}` or under `all: {{{platform.setting}: [...]}}` in the base branch's "
            "waivers.yaml policyPackConfig")


def _shared_findings(name: str, subjects) -> list[Violation]:
    found = []
    for subject in subjects:
        for pattern, why in _shared():
            if isinstance(subject, str) and pattern.fullmatch(subject.strip()):
                found.append(Violation(f"{name} trusts subject {subject[:200]!r}, {why}: name the workload's own "
                                       "service account"))
    return found


def _pattern(condition, value) -> bool:
    return condition.base_operator == "StringLike" and ("*" in value or "?" in value)


def _aws(resource: Resource, config):
    for trust in trust_statements(resource, _WEB_IDENTITY):
        if not isinstance(trust, tuple):
            yield Unknown(trust.path)
            continue
        label, statement = trust
        federated = [f for f in (statement.principals or {}).get("Federated", ()) if isinstance(f, str)]
        providers = {f.split(":oidc-provider/", 1)[1].lower() for f in federated if ":oidc-provider/" in f}
        providers |= {f.lower() for f in federated if not f.startswith("arn:") and "." in f}
        providers |= {c.key.rsplit(":", 1)[0] for c in statement.conditions if ":" in c.key}
        for provider in sorted(providers):
            positive = [c for c in statement.conditions if c.key.startswith(f"{provider}:") and not c.is_negative
                        and not c.if_exists and not c.operator.startswith("ForAllValues:")
                        and c.base_operator in _CONFINING]
            yield from _shared_findings(label, [v for c in positive if c.key == f"{provider}:sub" for v in c.values])
            if problem := cluster_problem(label, f"https://{provider}", config):
                yield problem
            platform = platform_of(f"https://{provider}")
            if platform is None:
                continue
            claims = [c for c in positive if c.key.split(":")[-1] in platform.claims]
            if not claims or all(_pattern(c, v) for c in claims for v in c.values):
                continue  # no exact subject or owner condition: AGID-AWS-031 flags the trust unpinned
            if any(confines(platform, c.key.split(":")[-1], c.values, config,
                            ignore_case_operator=c.base_operator == "StringEqualsIgnoreCase") for c in claims):
                continue
            yield Violation(_foreign_message(label, platform, [v for c in claims for v in c.values]))


def _azure(resource: Resource, config):
    issuer, subject = resource.props.get("issuer"), resource.props.get("subject")
    expression = resource.props.get("claimsMatchingExpression")
    if any(is_unknown(value) for value in (issuer, subject, expression)):
        return  # AGID-AZ-030 (subject, expression) and AGID-GEN-003 (issuer) say "cannot check" for it
    if isinstance(expression, str) and expression.strip():
        subjects = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(expression)]
    else:
        subjects = [subject] if isinstance(subject, str) else []
    name = f"federated credential {resource.name}"
    yield from _shared_findings(name, subjects)
    if isinstance(issuer, str) and (problem := cluster_problem(name, issuer, config)):
        yield problem
    platform = platform_of(issuer) if isinstance(issuer, str) else None
    if platform is None:
        return  # another issuer: AGID-GEN-003; no subject: AGID-AZ-030
    if isinstance(expression, str) and expression.strip():
        named = [s for s in subjects if tenants_named(platform, "sub", s)]
        if named and confines(platform, "sub", named, config):
            return
        yield Violation(_foreign_message(name, platform, named))
        return
    if not subjects or any("*" in s or "?" in s for s in subjects):
        return  # no subject or a pattern: AGID-AZ-030 flags it
    if not confines(platform, "sub", subjects, config):
        yield Violation(_foreign_message(name, platform, subjects))


def _gcp(resource: Resource, config):
    oidc, condition, mapping = (resource.props.get(k) for k in ("oidc", "attributeCondition", "attributeMapping"))
    if is_unknown(oidc) or (isinstance(oidc, dict) and is_unknown(oidc.get("issuerUri"))) or is_unknown(condition) \
            or is_unknown(mapping) or (isinstance(mapping, dict) and is_unknown(mapping.get("google.subject"))):
        return  # AGID-GEN-003 (issuer) and AGID-GCP-004 (condition, mapping) say "cannot check" for it
    issuer = oidc.get("issuerUri") if isinstance(oidc, dict) else None
    if not isinstance(issuer, str):
        return  # an AWS or SAML provider (AGID-GCP-004)
    if isinstance(mapping, dict):
        subject_mapping = mapping.get("google.subject") if isinstance(mapping.get("google.subject"), str) else None
    else:
        subject_mapping = "assertion.sub"
    terms = pinned_subject_values(condition, subject_mapping) if isinstance(condition, str) else []
    name = f"workload identity pool provider {resource.name}"
    yield from _shared_findings(name, [v for term in terms for v in term])
    if problem := cluster_problem(name, issuer, config):
        yield problem
    platform = platform_of(issuer)
    if platform is None or not terms or any(confines(platform, "sub", term, config) for term in terms):
        return  # no pin at all: AGID-GCP-004 flags it
    yield Violation(_foreign_message(name, platform, [v for term in terms for v in term]))


def check(resource: Resource, config):
    if resource.type == ROLE:
        yield from _aws(resource, config)
    elif resource.type == GCP_PROVIDER:
        yield from _gcp(resource, config)
    else:
        yield from _azure(resource, config)


RULE = Rule(
    id="AGID-GEN-006",
    title="federated-subject-own-tenant",
    severity="high",
    category="weak-trust",
    enforcement="mandatory",
    description="An IAM role, Azure federated credential or GCP workload identity pool provider trusting a multi-tenant "
                "platform issuer (GitHub Actions, GitLab.com, HCP Terraform, Azure DevOps) confines the subject to "
                "an own tenant the gate lists (repository owner, top-level group, organization); no trusted subject "
                "is a namespace's default Kubernetes service account; a literal EKS cluster issuer is one the gate lists.",
    remediation="Trust a subject of your own repository / group / organization and have the gate list that owner: "
                "`agentid preview --trusted-repository-owner OWNER` or `all: {trustedRepositoryOwners: [OWNER]}` in "
                "the base branch's waivers.yaml policyPackConfig (trustedGitLabGroups, trustedTerraformOrganizations, "
                "trustedAzureDevOpsOrganizations likewise); give the workload its own service account.",
    url="https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#configuring-the-oidc-trust-with-the-cloud",
    check=check,
    resource_types=(ROLE, *AZURE_TYPES, GCP_PROVIDER),
    config={**{setting: [] for setting in SETTINGS}, "trustedIssuers": []},
    config_schema={**{setting: {"type": "array", "items": {"type": "string"}, "default": [],
                                "description": "Own tenants of a multi-tenant OIDC platform (analysis/oidc_issuers.yaml "
                                               "`tenants`), set by the gate"} for setting in SETTINGS},
                   "trustedIssuers": {"type": "array", "items": {"type": "string", "format": "https-url"}, "default": [],
                                      "description": "Per-cluster OIDC issuers (EKS) of the organisation's clusters "
                                                     "(set by the gate)"}},
    config_strictness={**{setting: "subset" for setting in SETTINGS}, "trustedIssuers": "subset"},
)
