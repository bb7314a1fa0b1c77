"""AGID-AWS-013: no admin-class AWS managed policy attached to a role, user or group."""

import re

from policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

# AWS managed policies that amount to administering the account (or its IAM).
ADMIN_CLASS_POLICIES = {
    "AdministratorAccess": "full administrator",
    "PowerUserAccess": "every service except IAM management, i.e. near-administrator",
    "IAMFullAccess": "full IAM control, which is administrator by another name",
    "AWSOrganizationsFullAccess": "control of the whole organization",
    "AdministratorAccess-Amplify": "administrator of Amplify and the IAM it needs",
    "AdministratorAccess-AWSElasticBeanstalk": "administrator of Elastic Beanstalk and the IAM it needs",
    "AWSCloudFormationFullAccess": "create stacks that run with any role it can pass",
    "job-function/SystemAdministrator": "the system-administrator job function",
    "job-function/NetworkAdministrator": "the network-administrator job function",
    "job-function/DatabaseAdministrator": "the database-administrator job function",
    "AWSSSOMasterAccountAdministrator": "administrator of IAM Identity Center in the management account",
    "AmazonCognitoPowerUser": "administrator of Cognito user pools and identity pools",
}
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")
_LOWER = {name.lower(): name for name in ADMIN_CLASS_POLICIES}

# type token -> input with one ARN, or a list of ARNs
FIELDS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
}


def admin_class(arn: str) -> str | None:
    """The admin-class AWS managed policy an ARN names (any partition), or None."""
    match = _AWS_MANAGED.match(arn.strip())
    return _LOWER.get(match.group(1).lower()) if match else None


def check(resource: Resource, config):
    field = FIELDS[resource.type]
    value = resource.props.get(field)
    if value is None and field == "policyArn":
        yield Unknown(field)
        return
    values = value if isinstance(value, list) else [value]
    for index, arn in enumerate(values):
        if is_unknown(arn):
            yield Unknown(field if not isinstance(value, list) else f"{field}[{index}]")
        elif isinstance(arn, str) and (name := admin_class(arn)):
            yield Violation(f"{resource.name} attaches the AWS managed policy {name} "
                            f"({ADMIN_CLASS_POLICIES[name]}) — far beyond any one tool's needs")


RULE = Rule(
    id="AGID-AWS-013",
    title="aws-no-admin-managed-policies",
    severity="critical",
    category="admin",
    description="No admin-class AWS managed policy (AdministratorAccess, PowerUserAccess, IAMFullAccess, ...) is attached.",
    remediation="Detach it; grant the tool's exact actions on its exact resources through the agent spec.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html",
    check=check,
    resource_types=tuple(FIELDS),
)
