"""AGID-GEN-010: a role or identity pool trusting an IAM OIDC provider the stack does not define trusts a known issuer.

An IAM role's web-identity trust names its issuer only through the provider's ARN,
`arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`, and AWS takes the tokens of `https://HOST[/PATH]` for it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html). AGID-GEN-003 judges that
issuer on the `aws.iam.OpenIdConnectProvider` resource: a provider the stack defines is judged there. A provider
someone created outside the stack was never judged, so a pull request could trust
`oidc-provider/evil.example.net` (or another tenant's `sts.windows.net/TENANT/`) with `:sub` and `:aud` pinned and
pass with only the inventory notes (red15 follow-up). This rule judges the issuer such an ARN names with AGID-GEN-003's
test (a platform's issuer, an own Entra tenant's, or one the gate lists in trustedIssuers); the same for a Cognito
identity pool's `openidConnectProviderArns`, whose users get the pool's AWS credentials. A provider the stack defines
(its URL, or under the gate the ARN its mocks give it) is left to AGID-GEN-003, so nothing is reported twice.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .documents import ROLE
from .federated_issuer_known import AWS_PROVIDER, RULE as GEN_003, issuer_problem
from .federated_issuer_own_owner import IDENTITY_POOL, role_trusts
from .iam_links import known_state

_MARK = ":oidc-provider/"


def _host(value: str) -> str:
    return value.strip().removeprefix("https://").rstrip("/").lower()


def _stack_providers(resources: list[Resource]) -> set[str]:
    """HOST[/PATH] (lower case) of every IAM OIDC provider the stack defines, by its URL and its known ARN."""
    found = set()
    for resource in resources:
        if resource.type != AWS_PROVIDER:
            continue
        url, arn = resource.props.get("url"), known_state(resource).get("arn")
        if isinstance(url, str) and not is_unknown(url):
            found.add(_host(url))
        if isinstance(arn, str) and not is_unknown(arn) and _MARK in arn:
            found.add(_host(arn.split(_MARK, 1)[1]))
    return found


def _trusted(resource: Resource) -> list[tuple[str, str]]:
    """(label, HOST[/PATH]) of each IAM OIDC provider the resource trusts (literal ARNs; unknown ones are the trust
    rules' "cannot check")."""
    if resource.type == ROLE:
        return [(label, issuer.removeprefix("https://")) for label, issuer, _ in
                role_trusts(resource, iam_providers_only=True)]
    arns = resource.props.get("openidConnectProviderArns")
    return [(resource.name, arn.split(_MARK, 1)[1]) for arn in (arns if isinstance(arns, list) else ())
            if isinstance(arn, str) and not is_unknown(arn) and _MARK in arn]


def check(resources: list[Resource], config):
    judged = [r for r in resources if r.type in (ROLE, IDENTITY_POOL)]
    if not judged:
        return
    defined = _stack_providers(resources)
    for resource in judged:
        for label, host in _trusted(resource):
            if _host(host) in defined:
                continue  # AGID-GEN-003 judges the stack's provider
            problem = issuer_problem(f"https://{host}", config)
            if problem:
                yield Violation(f"{label} trusts the IAM OIDC provider oidc-provider/{host[:200]}, which the stack does "
                                f"not define, and so {problem}", resource.urn)


RULE = Rule(
    id="AGID-GEN-010",
    title="federated-issuer-unseen-provider",
    severity="high",
    category="weak-trust",
    enforcement="mandatory",
    description="An IAM role's web-identity trust or a Cognito identity pool naming an IAM OIDC provider the stack does "
                "not define (`oidc-provider/HOST` in a literal ARN) trusts a platform's issuer, an own Entra tenant's, "
                "or one the gate lists in trustedIssuers, as AGID-GEN-003 requires of the providers the stack defines.",
    remediation="Trust a provider of a platform's issuer (GitHub Actions, an EKS/GKE/AKS cluster, an own Entra tenant), "
                "define the provider in the stack so its issuer is reviewed, or have the gate list the issuer you run: "
                "`agentid preview --trusted-issuer URL`, or trustedIssuers in the base branch's waivers.yaml.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html",
    check=check,
    stack=True,
    reads=(ROLE, IDENTITY_POOL, AWS_PROVIDER),
    config={"trustedIssuers": [], "ownTenantIds": []},
    config_schema={key: GEN_003.config_schema[key] for key in ("trustedIssuers", "ownTenantIds")},
    config_strictness={"trustedIssuers": "subset", "ownTenantIds": "subset"},
)
