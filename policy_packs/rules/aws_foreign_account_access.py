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
A service principal (`sns.amazonaws.com`, a Lambda permission for `s3.amazonaws.com`) scoped to another
account's resources by aws:SourceAccount / aws:SourceOwner / aws:SourceArn (`sourceAccount` / `sourceArn` on a
Lambda permission), and Principal "*" pinned to another account by aws:PrincipalAccount / kms:CallerAccount /
aws:PrincipalArn (which AGID-AWS-030 accepts as restricted), let that account in the same way and are judged
the same way. A `CanonicalUser` principal (S3) names an account by an id no account number can be derived
from: it is flagged as "cannot tell". `*` is
AGID-AWS-030's / AGID-AWS-034's / AGID-AWS-041's; a service principal with no source at all AGID-AWS-034's.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.aws_accounts import arn_account, invented_accounts, principal_account, statement_account
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.values import is_unknown

from .aws_kms_foreign_admin import KMS_TYPES
from .base import Resource, Rule, Unknown, Violation
from .documents import RESOURCE_POLICY_TYPES, Document, judge_resource_policies
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

# type -> (input naming the grantee, what the grant gives, inputs whose ARN names the resource's own account).
# Input names: pulumi-aws 7.x registry pages of each resource.
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
_SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner", "aws:sourcearn"})
_PRINCIPAL_KEYS = frozenset({"aws:principalaccount", "kms:calleraccount", "aws:principalarn"})
_ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
PERMISSIONS = {
    LAMBDA_PERMISSION: ("principal", "may call the function ({action})", ("function",)),
    "aws:lambda/layerVersionPermission:LayerVersionPermission": ("principal", "may read the layer's code",
                                                                  ("layerName",)),
    "aws:cloudwatch/eventPermission:EventPermission": ("principal", "may put events on the bus", ()),
    "aws:ec2/amiLaunchPermission:AmiLaunchPermission": ("accountId", "may launch and copy the image", ()),
    # red9a #14: https://docs.aws.amazon.com/redshift/latest/mgmt/managing-cluster-cross-vpc.html (the account
    # creates Redshift-managed VPC endpoints into the cluster), datashare consumers read its tables, and endpoint
    # service principals connect to the service from their own VPCs (PrivateLink)
    "aws:redshift/endpointAuthorization:EndpointAuthorization": (
        "account", "may create endpoints into the Redshift cluster and connect to it", ()),
    "aws:redshift/dataShareAuthorization:DataShareAuthorization": (
        "consumerIdentifier", "may read the datashare's tables", ("dataShareArn",)),
    "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple": (
        "principalArn", "may connect to the endpoint service from its own VPCs", ()),
    "aws:ec2/vpcEndpointService:VpcEndpointService": (
        "allowedPrincipals", "may connect to the endpoint service from its own VPCs", ()),
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
            granted = f"{', '.join(statement.actions) or 'actions'}{' (NotAction)' if statement.not_action else ''}"
            for principal in statement.principals.get("AWS", ()):
                account = principal_account(principal)
                problem = scoped.problem(account, principal) if account else None
                if problem:
                    yield Violation(f"{document.label} of {resource.name}: {statement.label} allows {principal} "
                                    f"{granted}: {problem}")
            for canonical in statement.principals.get("CanonicalUser", ()):
                # S3 names an account (or a legacy CloudFront origin access identity) by a canonical user id no
                # account number can be derived from: ownAccountIds cannot vouch for it
                yield Violation(f"{document.label} of {resource.name}: {statement.label} allows canonical user "
                                f"{canonical[:100]!r} {granted}: cannot tell whose account it is; name the account id "
                                "(or, for CloudFront, the service principal with aws:SourceArn)")
            # Principal "*" pinned to an account, or a service acting for an account's resources, by condition
            everyone = "*" in statement.principals or "*" in statement.principals.get("AWS", ())
            services = statement.principals.get("Service", ())
            keys = _PRINCIPAL_KEYS | _SOURCE_KEYS if everyone else _SOURCE_KEYS if services else frozenset()
            who = "any principal" if everyone else ", ".join(services)
            for key, account, named in _condition_accounts(statement, keys):
                problem = _source_problem(scoped, account, named)
                if problem:
                    yield Violation(f"{document.label} of {resource.name}: {statement.label} allows {who} "
                                    f"{granted} for account {account} ({key}): {problem}")

    yield from judge_resource_policies(resource, judge)


def _one_resource(value: str) -> str | None:
    """`value` when it is an ARN naming one resource (no wildcard), else None: OwnAccounts.is_own takes an account the
    gate's mocks invent as own only for a string naming one resource of it (the stack's own topic's mock ARN)."""
    return value if value.startswith("arn:") and not any(ch in value for ch in "*?") else None


def _source_problem(own, account: str, value: str | None) -> str | None:
    """own.problem for a source pin. Under `agentid preview` an ARN naming one resource of the account the mocks
    invent is a resource this stack creates (`topic.arn`; at a real preview it is unknown and not judged), even when
    nothing derives that account from the judged resource (a function named by its name)."""
    if value is not None and account in invented_accounts():
        return None
    return own.problem(account, value)


def _condition_accounts(statement, keys: frozenset[str]) -> list[tuple[str, str, str | None]]:
    """(condition key, account, the ARN naming one resource of it or None) for each account a positive condition on
    one of `keys` names.

    A service principal (`sns.amazonaws.com`) acts for whichever resource triggers it: aws:SourceAccount /
    SourceOwner / SourceArn say whose resources those are
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); Principal "*" pinned by
    aws:PrincipalAccount / kms:CallerAccount / aws:PrincipalArn is that account's principals. Naming another
    account's lets that account in, exactly as naming it in Principal does.
    """
    found = []
    for condition in statement.conditions:
        if condition.is_negative or condition.key not in keys:
            continue
        for value in condition.values:
            account = arn_account(value) if condition.key in _ARN_KEYS else value
            if isinstance(account, str) and re.fullmatch(r"\d{12}", account):
                found.append((condition.key, account, _one_resource(value) if condition.key in _ARN_KEYS else None))
    return found


def _permission(resource: Resource, config):
    field, gives, inputs = PERMISSIONS[resource.type]
    value = resource.props.get(field)
    for grantee in value if isinstance(value, list) else [value]:  # a list: each grantee (allowedPrincipals)
        if is_unknown(grantee):
            yield Unknown(field)
            continue
        account = principal_account(grantee) if isinstance(grantee, str) else None
        if account is None:
            continue  # "*", a service principal or an organization: other rules' (AGID-AWS-034, AGID-AWS-041)
        problem = own_accounts(resource, config, inputs).problem(account, grantee)
        if problem:
            action = resource.props.get("action")
            what = gives.format(action=action if isinstance(action, str) else "its action")
            yield Violation(f"{resource.name}: {field} {grantee} {what}: {problem}")


def _lambda_source(resource: Resource, config):
    """A Lambda permission for a service, scoped to another account's resources (sourceAccount / sourceArn)."""
    own = own_accounts(resource, config, ("function",))
    principal = resource.props.get("principal")
    for field, value in (("sourceAccount", resource.props.get("sourceAccount")),
                         ("sourceArn", resource.props.get("sourceArn"))):
        account = value if field == "sourceAccount" else arn_account(value) if isinstance(value, str) else None
        if isinstance(account, str) and re.fullmatch(r"\d{12}", account.strip()):
            problem = _source_problem(own, account.strip(),
                                      _one_resource(value.strip()) if field == "sourceArn" else None)
            if problem:
                yield Violation(f"{resource.name}: {principal} may call the function for resources of account "
                                f"{account.strip()} ({field} {value}): {problem}")


def check(resource: Resource, config):
    if resource.type == LAMBDA_PERMISSION:
        yield from _lambda_source(resource, config)
    judge = _permission if resource.type in PERMISSIONS else _policies
    yield from judge(resource, config)


RULE = Rule(
    id="AGID-AWS-050",
    title="aws-no-foreign-account-access",
    severity="critical",
    category="public-access",
    description="Resource policies (S3, SQS, SNS, Secrets Manager, ECR, KMS, ...) and permission resources (Lambda, "
                "layers, event buses, AMIs, Redshift endpoints and datashares, VPC endpoint services) grant only accounts "
                "known to be the stack's own.",
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
