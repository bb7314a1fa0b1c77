"""AGID-GCP-004: Workload and Workforce Identity Federation providers pin the subject. Without an
attributeCondition every token the issuer signs (every GitHub repository, every pod of the cluster, every user
of the IdP tenant) can be exchanged in the pool; a condition on the owner, a prefix or a disjunction admits more
than one subject. Workforce pool providers (gcp.iam.WorkforcePoolProvider: people signing in through an IdP) are
judged the same way: their condition and mapping have the same CEL shape
(https://cloud.google.com/iam/docs/workforce-identity-federation#attribute-conditions); which issuer a provider
may trust is AGID-GEN-003's."""

from agentid_policy_packs.analysis.gcp_iam import condition_pins_subject
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation


WORKLOAD_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
WORKFORCE_PROVIDER = "gcp:iam/workforcePoolProvider:WorkforcePoolProvider"
_KIND = {WORKLOAD_PROVIDER: "workload identity pool provider", WORKFORCE_PROVIDER: "workforce pool provider"}


def check(resource: Resource, config):
    kind = _KIND[resource.type]
    condition = resource.props.get("attributeCondition")
    if is_unknown(condition):
        yield Unknown("attributeCondition")
        return
    if condition is None or (isinstance(condition, str) and not condition.strip()):
        yield Violation(f"{kind} {resource.name} has no attributeCondition: every token its "
                        "issuer signs can be exchanged in the pool")
        return
    if not isinstance(condition, str):
        yield Violation(f"{kind} {resource.name}: cannot check: attributeCondition is not a string")
        return
    mapping = resource.props.get("attributeMapping")
    if is_unknown(mapping) or (isinstance(mapping, dict) and is_unknown(mapping.get("google.subject"))):
        yield Unknown("attributeMapping")
        return
    if not condition_pins_subject(condition, _subject_mapping(resource.props, mapping)):
        yield Violation(f"{kind} {resource.name}: attributeCondition {condition[:200]!r} does not "
                        "pin the subject: it needs assertion.sub == 'EXACT' (or assertion.sub in [...]) in a conjunction, "
                        "with no ||, negation, prefix or pattern (google.subject counts only when mapped from assertion.sub)")


def _subject_mapping(props: dict, mapping) -> str | None:
    """The expression google.subject is mapped from. Without a mapping an OIDC provider maps it from
    assertion.sub, an AWS provider from assertion.arn, a SAML provider has none
    (https://cloud.google.com/iam/docs/workload-identity-federation#mapping)."""
    if isinstance(mapping, dict):
        value = mapping.get("google.subject")
        return value if isinstance(value, str) else None
    return "assertion.sub" if mapping is None and props.get("oidc") is not None else None


RULE = Rule(
    id="AGID-GCP-004",
    title="gcp-wif-provider-pinned",
    severity="critical",
    category="weak-trust",
    description="Workload and Workforce Identity Federation providers carry an attributeCondition that admits exact subjects only.",
    remediation="Set attributeCondition to assertion.sub == 'repo:ORG/REPO:environment:ENV' (or "
                "'system:serviceaccount:NS:SA', or the SPIFFE ID), or assertion.sub in [...] for several workloads.",
    url="https://cloud.google.com/iam/docs/workload-identity-federation#conditions",
    check=check,
    resource_types=(WORKLOAD_PROVIDER, WORKFORCE_PROVIDER),
)
