"""AGID-AWS-047: snapshots, RAM shares and signing profiles are not shared with everyone or with accounts outside
your own.

Each resource below hands one artifact to another account, outside any policy the gate reads:
  - `ram.ResourceShare` with `allowExternalPrincipals: true`: its principal associations may name accounts outside
    the organization (https://docs.aws.amazon.com/ram/latest/APIReference/API_CreateResourceShare.html);
  - `ram.PrincipalAssociation`: an account id (or IAM role/user) outside `ownAccountIds` gets the shared resources;
    a whole organization's ARN gets them for every account, including accounts created later (an OU ARN, a
    narrower and deliberate scope, and service principals pass; an OU only of an organization the gate lists in
    `ownOrganizationIds` or whose management account, the ARN's, is in `ownAccountIds`: the pull request names
    the OU, and another organization's OU is that organization's accounts, red15 r15-7);
  - `ec2.SnapshotCreateVolumePermission`: the account may create volumes from (so read) the EBS snapshot;
    `all` makes it public (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html);
  - `rds.Snapshot` / `rds.ClusterSnapshot` (and their `*Copy`) `sharedAccounts`: the accounts may restore the
    database; `all` makes it public (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html);
  - `ssm.Document` `permissions` of type Share: the accounts (comma-separated ids, or `All` = public) may run the
    document, commands and credentials it embeds included
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-ssm-sharing.html; Security Hub SSM.4);
  - `organizations.DelegatedAdministrator`: the account administers an organization service for every member
    account (IAM Identity Center assigns permission sets, StackSets deploy stacks)
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_delegated_admin.html);
  - `lakeformation.DataLakeSettings` `admins` / `readOnlyAdmins`: principals of the account administer (read) every
    database and table of the catalog (https://docs.aws.amazon.com/lake-formation/latest/dg/getting-started-setup.html);
  - `signer.SigningProfilePermission` granting `signer:StartSigningJob` or `signer:SignPayload`: the account signs
    code as you, and Lambda code-signing configs that trust the profile run it
    (https://docs.aws.amazon.com/signer/latest/developerguide/signing-profile-permissions.html).
An account is "yours" when it is listed in `ownAccountIds` (pack config) or is the account of the RAM share's own
ARN: any other account is reported (foreign, or "cannot tell" with none listed), because each of these resources
only ever names another account. Critical (mandatory): public or cross-account data access blocks, as S3 public
policies do (AGID-AWS-030). A value computed at
preview cannot be checked until known.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.aws_accounts import organization_id, organizational_unit, principal_account
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .own_accounts import other_ou_problem, own_accounts
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA


RAM_SHARE = "aws:ram/resourceShare:ResourceShare"
RAM_PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
EBS_SNAPSHOT = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
RDS_SNAPSHOTS = ("aws:rds/snapshot:Snapshot", "aws:rds/clusterSnapshot:ClusterSnapshot",
                 "aws:rds/snapshotCopy:SnapshotCopy", "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy")
SIGNER = "aws:signer/signingProfilePermission:SigningProfilePermission"
SSM_DOCUMENT = "aws:ssm/document:Document"
DELEGATED_ADMINISTRATOR = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
DATA_LAKE_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
SIGNING_ACTIONS = frozenset({"signer:StartSigningJob", "signer:SignPayload"})
_SIGNER_ACTIONS = (*SIGNING_ACTIONS, "signer:GetSigningProfile", "signer:RevokeSignature")


def _accounts(resource: Resource, what: str, field: str, values: list, config):
    """Outcomes for artifact `what` shared with each of `values` (account ids or `all`).

    Own per own_accounts.own_accounts (ownAccountIds, plus the account of the share's own ARN): anything
    else is foreign or "cannot tell", both flagged (fail closed, as AGID-AWS-050)."""
    own = own_accounts(resource, config, ("resourceShareArn",))
    for value in values:
        if is_unknown(value):
            yield Unknown(field)
        elif isinstance(value, str) and value.strip().lower() == "all":
            yield Violation(f"{resource.name} makes {what} public (\"all\"): every AWS account can copy it, with "
                            "whatever data it holds")
        elif not isinstance(value, str) or (account := principal_account(value)) is None:
            yield Violation(f"{resource.name}: {value!r} is not an account id, so who gets {what} cannot be judged")
        elif (problem := own.problem(account)) is not None:
            yield Violation(f"{resource.name} shares {what} with {problem}")


def _ram_share(resource: Resource, config):
    external = resource.props.get("allowExternalPrincipals")
    if is_unknown(external):
        yield Unknown("allowExternalPrincipals")
    elif external is True:
        yield Violation(f"resource share {resource.name} sets allowExternalPrincipals: its resources may be shared "
                        "with any account outside your organization")


def _ram_principal(resource: Resource, config):
    principal = resource.props.get("principal")
    share = resource.props.get("resourceShareArn")
    what = "the resources of share " + (share if isinstance(share, str) and not is_unknown(share) else "?")
    if is_unknown(principal):
        yield Unknown("principal")
    elif isinstance(principal, str) and (org := organization_id(principal)):
        yield Violation(f"{resource.name} shares {what} with every account of organization {org}, including "
                        "accounts added later; name the accounts or an organizational unit")
    elif isinstance(principal, str) and organizational_unit(principal):
        if problem := other_ou_problem(principal, config):
            yield Violation(f"{resource.name} shares {what} with {problem}")
    elif isinstance(principal, str) and principal.strip().endswith(".amazonaws.com"):
        return
    else:
        yield from _accounts(resource, what, "principal", [principal], config)


def _ebs(resource: Resource, config):
    what = f"EBS snapshot {resource.props.get('snapshotId', '?')}"
    yield from _accounts(resource, what, "accountId", [resource.props.get("accountId")], config)


def _account_list(resource: Resource, field: str, what: str, config):
    """Outcomes for an optional input listing the accounts (or principal ARNs) that get `what`."""
    values = resource.props.get(field)
    if values is None:
        return
    if is_unknown(values):
        yield Unknown(field)
    elif not isinstance(values, list):
        yield Violation(f"{resource.name}: {field} is {type(values).__name__}, not a list of account ids or principal "
                        f"ARNs, so who gets {what} cannot be judged")
    else:
        yield from _accounts(resource, what, field, values, config)


def _rds(resource: Resource, config):
    name = resource.props.get("dbSnapshotIdentifier") or resource.props.get("dbClusterSnapshotIdentifier") \
        or resource.props.get("targetDbSnapshotIdentifier") or resource.props.get("targetDbClusterSnapshotIdentifier")
    yield from _account_list(resource, "sharedAccounts", f"RDS snapshot {name or '?'}", config)


def _signer(resource: Resource, config):
    action = resource.props.get("action")
    if is_unknown(action):
        yield Unknown("action")
    elif action not in _SIGNER_ACTIONS:
        yield Violation(f"signing profile permission {resource.name}: action {action!r} is not one of "
                        f"{', '.join(_SIGNER_ACTIONS)}, so what the account may do cannot be judged")
    elif action in SIGNING_ACTIONS:
        what = f"the right to sign code with profile {resource.props.get('profileName', '?')} ({action})"
        yield from _accounts(resource, what, "principal", [resource.props.get("principal")], config)


def _ssm_document(resource: Resource, config):
    permissions = resource.props.get("permissions")
    if permissions is None:
        return
    if is_unknown(permissions):
        yield Unknown("permissions")
        return
    if not isinstance(permissions, dict):
        yield Violation(f"{resource.name}: permissions is {type(permissions).__name__}, not a mapping (type, "
                        "account_ids), so who may run the document cannot be judged")
        return
    # a plain string map: the keys stay as the program wrote them (`account_ids` or `accountIds`)
    ids = permissions.get("account_ids", permissions.get("accountIds"))
    if is_unknown(ids):
        yield Unknown("permissions.account_ids")
    elif ids is not None:
        values = [part.strip() for part in ids.split(",")] if isinstance(ids, str) else [ids]
        yield from _accounts(resource, f"SSM document {resource.props.get('name', resource.name)}",
                             "permissions.account_ids", values, config)


def _delegated_administrator(resource: Resource, config):
    service = resource.props.get("servicePrincipal")
    what = f"administration of {service if isinstance(service, str) else 'an organization service'} for every member account"
    yield from _accounts(resource, what, "accountId", [resource.props.get("accountId")], config)


def _data_lake_settings(resource: Resource, config):
    yield from _account_list(resource, "admins", "administration of every Lake Formation database and table", config)
    yield from _account_list(resource, "readOnlyAdmins", "read access to every Lake Formation database and table",
                             config)


_JUDGES = {RAM_SHARE: _ram_share, SSM_DOCUMENT: _ssm_document, DELEGATED_ADMINISTRATOR: _delegated_administrator,
           DATA_LAKE_SETTINGS: _data_lake_settings, RAM_PRINCIPAL: _ram_principal, EBS_SNAPSHOT: _ebs, SIGNER: _signer,
           **{token: _rds for token in RDS_SNAPSHOTS}}


def check(resource: Resource, config):
    yield from _JUDGES[resource.type](resource, config)


RULE = Rule(
    id="AGID-AWS-047",
    title="aws-no-foreign-sharing",
    severity="critical",
    category="public-access",
    description="EBS/RDS snapshots, SSM documents, RAM shares, code-signing profiles, organization delegated "
                "administration and Lake Formation admins are not shared publicly, organization-wide or with accounts "
                "outside ownAccountIds.",
    remediation="Share with the named accounts you own (list them in ownAccountIds) or an organizational unit; keep "
                "allowExternalPrincipals false; never share a snapshot with \"all\".",
    url="https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing.html",
    check=check,
    resource_types=tuple(_JUDGES),
    config={**OWN_ACCOUNTS_CONFIG, "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
