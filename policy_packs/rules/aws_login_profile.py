"""AGID-AWS-002: no console passwords for IAM users."""

from .base import Resource, Rule, Violation


def check(resource: Resource, config):
    yield Violation(f"aws:iam/userLoginProfile:UserLoginProfile {resource.name} gives an IAM user a console "
                    "password: a static, phishable credential no agent needs")


RULE = Rule(
    id="AGID-AWS-002",
    title="aws-no-login-profiles",
    severity="critical",
    category="static-credential",
    description="No IAM user console passwords (login profiles).",
    remediation="Delete the UserLoginProfile; humans sign in through IAM Identity Center, agents assume roles.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html",
    check=check,
    resource_types=("aws:iam/userLoginProfile:UserLoginProfile",),
)
