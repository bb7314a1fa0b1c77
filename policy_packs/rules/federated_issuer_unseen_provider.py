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
The same holds for API Management: a policy's `<include-fragment fragment-id="x"/>` runs fragment x's token
validations (validate-jwt, validate-azure-ad-token) in place, and AGID-GEN-003 / AGID-GEN-008 judge only a fragment
(PolicyFragment, WorkspacePolicyFragment) the stack defines. A fragment id no fragment of the stack carries (its `id`
input, or the name the gate's mocks give it) on the same API Management service, or one held in an expression or
named value, is "cannot check" (issue 11): its validations cannot be read.
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


APIM = "azure-native:apimanagement:"
FRAGMENTS = (f"{APIM}PolicyFragment", f"{APIM}WorkspacePolicyFragment")


def _apim_policies() -> tuple[str, ...]:
    from .inbound_multi_tenant_issuer import AUTHORIZERS  # noqa: PLC0415 - it imports federated_issuer_known

    return tuple(t for t, entry in AUTHORIZERS.items() if t.startswith(APIM) and entry["pins"] == "apim_policy")


def _literal(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() and not is_unknown(value) else None


def _stack_fragments(resources: list[Resource]) -> set[tuple[str | None, str]]:
    """(service name or None when not literal, fragment id lower case) of every policy fragment the stack defines."""
    found = set()
    for resource in resources:
        if resource.type in FRAGMENTS:
            service = _literal(resource.props.get("serviceName"))
            for name in (resource.props.get("id"), known_state(resource).get("name")):
                if _literal(name):
                    found.add((service.lower() if service else None, _literal(name).lower()))
    return found


def _unseen_fragments(resources: list[Resource]):
    from agentid_policy_packs.analysis.apim_policy import PolicyError, included_fragments  # noqa: PLC0415
    from .inbound_multi_tenant_issuer import AUTHORIZERS  # noqa: PLC0415

    policies = [r for r in resources if r.type in _apim_policies()]
    if not policies:
        return
    defined = _stack_fragments(resources)
    for resource in policies:
        entry = AUTHORIZERS[resource.type]
        form, value = resource.props.get(entry["format_input"]), resource.props.get(entry["policy_input"])
        if is_unknown(value) or not isinstance(value, str) or is_unknown(form) or (
                isinstance(form, str) and form.strip().lower().endswith("-link")):
            continue  # unknown, not text, linked: AGID-GEN-008's "cannot check"
        try:
            fragments = included_fragments(value)
        except PolicyError as error:
            yield Violation(f"{resource.name}: cannot check: its policy {error}, so which policy fragments it "
                            "includes (and the token validations they run) cannot be read", resource.urn)
            continue
        service = _literal(resource.props.get("serviceName"))
        for fragment in fragments:
            if fragment is None:
                yield Violation(f"{resource.name}: cannot check: an <include-fragment> names its fragment by a policy "
                                "expression or named value (or not at all), so the token validations it runs cannot "
                                "be read; name a fragment the stack defines", resource.urn)
            elif not ({(service.lower() if service else None, fragment.lower()), (None, fragment.lower())} & defined
                      or (service is None and any(f == fragment.lower() for _, f in defined))):
                yield Violation(f"{resource.name}: cannot check: it includes policy fragment {fragment[:100]!r}, which "
                                "the stack does not define on this API Management service, so the token validations "
                                "(validate-jwt, validate-azure-ad-token) it runs cannot be read; define the fragment "
                                "in the stack", resource.urn)


def check(resources: list[Resource], config):
    resources = list(resources)
    yield from _unseen_fragments(resources)
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
                "or one the gate lists in trustedIssuers, as AGID-GEN-003 requires of the providers the stack defines; "
                "an API Management policy includes only policy fragments the stack defines.",
    remediation="Trust a provider of a platform's issuer (GitHub Actions, an EKS/GKE/AKS cluster, an own Entra tenant), "
                "define the provider in the stack so its issuer is reviewed, or have the gate list the issuer you run: "
                "`agentid preview --trusted-issuer URL`, or trustedIssuers in the base branch's waivers.yaml.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html",
    check=check,
    stack=True,
    reads=(ROLE, IDENTITY_POOL, AWS_PROVIDER, *FRAGMENTS, *_apim_policies()),
    config={"trustedIssuers": [], "ownTenantIds": []},
    config_schema={key: GEN_003.config_schema[key] for key in ("trustedIssuers", "ownTenantIds")},
    config_strictness={"trustedIssuers": "subset", "ownTenantIds": "subset"},
)
