"""AGID-AWS-050: no resource policy or permission resource gives an account not known to be the stack's own access.

A resource-based policy (S3 bucket, SQS queue, SNS topic, Secrets Manager secret, ECR repository,
KMS key, ... documents.RESOURCE_POLICY_FIELDS) whose Allow names another account's root, role or user
as `Principal` lets that account read or change the resource, whatever its own IAM says
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html).
So do the permission resources that name one account: Lambda `Permission` (the function may be invoked
or, with lambda:*, changed), Lambda layer and event bus permissions and AMI launch permissions (EBS/RDS
snapshots, RAM shares and signing profiles are AGID-AWS-047's).

The pack cannot know the stack's account (analysis.aws_accounts): an account principal passes only
when known to be own: listed in `ownAccountIds` (the gate's config, which the pull request may shorten,
never extend) or derived soundly from the same resource (every Resource ARN of the statement in that
account; a key/function/share ARN input naming it). Otherwise it is flagged: "foreign account" when the
own accounts are known and it is not one of them, "cannot tell whether account X is yours" when nothing
is known. Conditions do not exempt a grant: an organization id or external id is written by the same
pull request and proves nothing about whose account it is. Denied and inert statements grant nothing.
`*` is AGID-AWS-030's / AGID-AWS-034's / AGID-AWS-041's, service principals AGID-AWS-034's.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.aws_accounts import principal_account, statement_account
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.values import is_unknown

from .aws_kms_foreign_admin import KMS_TYPES
from .base import Resource, Rule, Unknown, Violation
from .documents import RESOURCE_POLICY_TYPES, Document, judge_resource_policies
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

# type -> (input naming the grantee, what the grant gives, inputs whose ARN names the resource's own account).
# Input names: pulumi-aws 7.x registry pages of each resource.
PERMISSIONS = {
    "aws:lambda/permission:Permission": ("principal", "may call the function ({action})", ("function",)),
    "aws:lambda/layerVersionPermission:LayerVersionPermission": ("principal", "may read the layer's code",
                                                                  ("layerName",)),
    "aws:cloudwatch/eventPermission:EventPermission": ("principal", "may put events on the bus", ()),
    "aws:ec2/amiLaunchPermission:AmiLaunchPermission": ("accountId", "may launch and copy the image", ()),
}
def _policies(resource: Resource, config):
    own = own_accounts(resource, config)

    def judge(document: Document, parsed):
        for statement in live_allows(parsed.statements):
            if statement.not_principal or not statement.principals:
                continue  # NotPrincipal / "*": AGID-AWS-030
            if resource.type in KMS_TYPES and statement.matches_action("kms:PutKeyPolicy"):
                continue  # full control of a key: AGID-AWS-033's, one finding per grant
            scoped = own.including([statement_account(statement)])
            for principal in statement.principals.get("AWS", ()):
                account = principal_account(principal)
                problem = scoped.problem(account) if account else None
                if problem:
                    yield Violation(f"{document.label} of {resource.name}: {statement.label} allows {principal} "
                                    f"{', '.join(statement.actions) or 'actions'}"
                                    f"{' (NotAction)' if statement.not_action else ''}: {problem}")

    yield from judge_resource_policies(resource, judge)


def _permission(resource: Resource, config):
    field, gives, inputs = PERMISSIONS[resource.type]
    grantee = resource.props.get(field)
    if is_unknown(grantee):
        yield Unknown(field)
        return
    account = principal_account(grantee) if isinstance(grantee, str) else None
    if account is None:
        return  # "*", a service principal or an organization: other rules' (AGID-AWS-034, AGID-AWS-041)
    problem = own_accounts(resource, config, inputs).problem(account)
    if problem:
        action = resource.props.get("action")
        what = gives.format(action=action if isinstance(action, str) else "its action")
        yield Violation(f"{resource.name}: {field} {grantee} {what}: {problem}")


def check(resource: Resource, config):
    judge = _permission if resource.type in PERMISSIONS else _policies
    yield from judge(resource, config)


RULE = Rule(
    id="AGID-AWS-050",
    title="aws-no-foreign-account-access",
    severity="critical",
    category="public-access",
    description="Resource policies (S3, SQS, SNS, Secrets Manager, ECR, KMS, ...) and permission resources (Lambda, "
                "layers, event buses, AMIs) grant only accounts known to be the stack's own.",
    remediation="Remove the other account, or list your own accounts in the rule's ownAccountIds config (set by the "
                "gate: the CI's --policy-pack-config or the base branch's waivers.yaml policyPackConfig); a reviewed "
                "partner grant needs a waiver.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html",
    check=check,
    resource_types=(*RESOURCE_POLICY_TYPES, *PERMISSIONS),
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
