"""AGID-AWS-001: no IAM access keys. An access key is a static secret that lives until someone deletes it."""

from .base import Resource, Rule, Violation


def check(resource: Resource, config):
    user = resource.props.get("user")
    who = f" for user {user}" if isinstance(user, str) else ""
    yield Violation(f"aws:iam/accessKey:AccessKey {resource.name}{who} creates a long-lived static credential; "
                    "agents must use short-lived role sessions (OIDC web identity, Roles Anywhere or Pod Identity)")


RULE = Rule(
    id="AGID-AWS-001",
    title="aws-no-access-keys",
    severity="critical",
    category="static-credential",
    description="No IAM access keys: agents get short-lived role sessions, never static keys.",
    remediation="Delete the AccessKey; give the workload an IAM role it assumes with OIDC web identity, "
                "IAM Roles Anywhere or EKS Pod Identity.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles",
    check=check,
    resource_types=("aws:iam/accessKey:AccessKey",),
)
