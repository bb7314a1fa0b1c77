"""AGID-AZ-030: federated identity credentials admit exactly one subject.

A wildcard subject, or a claims-matching expression with `matches` and a
wildcard (or an `or`), lets many workloads act as the identity.
"""

from agentid_policy_packs.analysis import federated_credential_findings
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

TYPES = (
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential",
)


def check(resource: Resource, config):
    subject = resource.props.get("subject")
    expression = resource.props.get("claimsMatchingExpression")
    if is_unknown(subject) or is_unknown(expression):
        yield Unknown("subject" if is_unknown(subject) else "claimsMatchingExpression")
        return
    if not isinstance(subject, str) and not isinstance(expression, str):
        yield Unknown("subject")  # neither a subject nor an expression yet: nothing to judge
        return
    findings = federated_credential_findings(subject if isinstance(subject, str) else None,
                                             expression if isinstance(expression, str) else None)
    for finding in findings:
        yield Violation(f"federated credential {resource.name}: {finding}")


RULE = Rule(
    id="AGID-AZ-030",
    title="azure-federated-credential-pinned",
    severity="critical",
    category="weak-trust",
    description="Federated identity credentials name one exact subject (no wildcards, no multi-subject expressions).",
    remediation="Set subject to the exact token subject (e.g. repo:ORG/REPO:environment:prod or "
                "system:serviceaccount:NS:SA) and drop claimsMatchingExpression.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations",
    check=check,
    resource_types=TYPES,
)
