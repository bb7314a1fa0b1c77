"""AGID-K8S-008: no long-lived service-account token Secret.

A Secret of type `kubernetes.io/service-account-token` (annotated `kubernetes.io/service-account.name`) makes the
token controller store a token of that service account that never expires: whoever reads the Secret (or a copy of
it) acts as the account until the Secret is deleted. Workloads get short-lived, audience-bound tokens through
projected volumes or the TokenRequest API instead
(https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets).
A type unknown at preview is "cannot check until known".
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

SECRET_TYPES = ("kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch")
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"


def check(resource: Resource, config):
    kind = resource.props.get("type")
    if is_unknown(kind):
        yield Unknown("type")
    elif kind == SERVICE_ACCOUNT_TOKEN:
        metadata = resource.props.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        account = annotations.get("kubernetes.io/service-account.name") if isinstance(annotations, dict) else None
        whose = f"service account {account}" if isinstance(account, str) and not is_unknown(account) else \
            "its service account"
        yield Violation(f"Secret {resource.name} is of type {SERVICE_ACCOUNT_TOKEN}: a token of {whose} that never "
                        "expires, readable by whoever can read the Secret")


RULE = Rule(
    id="AGID-K8S-008",
    title="k8s-no-long-lived-sa-token",
    severity="critical",
    category="static-credential",
    description="No Secret of type kubernetes.io/service-account-token (a service-account token that never expires).",
    remediation="Mount a projected service-account token (expirationSeconds, audience) or request one with the "
                "TokenRequest API; give agents their cloud identity through the kit's annotations.",
    url="https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets",
    check=check,
    resource_types=SECRET_TYPES,
)
