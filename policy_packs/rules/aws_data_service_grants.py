"""AGID-AWS-048: Lake Formation, S3 Access Grants and Service Catalog give no super, re-grantable, IAM-wide or
foreign access.

These services grant access outside IAM policies, so a reviewer of the roles' policies never sees it:
  - `lakeformation.Permissions` (https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html):
      `ALL` ("Super": every permission on the resource, DROP and ALTER included) is a broad grant;
      `permissionsWithGrantOptions`: the principal may grant what it holds to any principal, outside the gate's sight;
      principal `IAM_ALLOWED_PRINCIPALS`: Lake Formation stops deciding; every IAM principal whose IAM policy allows
      the Glue/S3 calls gets the resource;
      an organization's ARN (every account, present and future; an OU is a deliberate scope and passes when of an organization in `ownOrganizationIds` or managed by an own account, red15 r15-7), an account id or IAM principal of an account outside `ownAccountIds`
      (or outside the grant's `catalogId`): a cross-account grant.
  - S3 Access Grants (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-grants-location.html):
      an `AccessGrantsLocation` with the default scope `s3://` covers every bucket of the account in the region,
      so every grant on it may reach any bucket with the location role's power;
      an `AccessGrant` to an IAM principal of an account outside `ownAccountIds` (or outside its `accountId`).
  - Service Catalog `PrincipalPortfolioAssociation` of type `IAM_PATTERN` whose name is a bare wildcard
    (`arn:aws:iam:::role/*`): every role (or user) of every account the portfolio is shared with may launch its
    products, which run with the products' launch roles, usually far broader than the caller
    (https://docs.aws.amazon.com/servicecatalog/latest/dg/API_AssociatePrincipalWithPortfolio.html).
A value computed at preview cannot be checked until known; a shape the provider does not take is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentid_policy_packs.analysis.aws_accounts import organization_id, principal_account
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .own_accounts import other_ou_problem
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
ACCESS_GRANT = "aws:s3control/accessGrant:AccessGrant"
ACCESS_GRANTS_LOCATION = "aws:s3control/accessGrantsLocation:AccessGrantsLocation"
PORTFOLIO_PRINCIPAL = "aws:servicecatalog/principalPortfolioAssociation:PrincipalPortfolioAssociation"
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"


def _names(resource: Resource, field: str):
    """(list of names, problem) for a list-of-strings input; absent is []."""
    value = resource.props.get(field)
    if value is None:
        return [], None
    if is_unknown(value) or (isinstance(value, list) and any(is_unknown(v) for v in value)):
        return None, Unknown(field)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, Violation(f"{resource.name}: {field} is not a list of permission names, so what it grants cannot "
                               "be judged")
    return [v.strip().upper() for v in value], None


def _foreign(account: str, home: str | None, config) -> bool:
    own = set(config.get("ownAccountIds") or [])
    return account not in own and account != home


def _lake_formation(resource: Resource, config):
    permissions, problem = _names(resource, "permissions")
    grantable, grant_problem = _names(resource, "permissionsWithGrantOptions")
    for issue in (problem, grant_problem):
        if issue:
            yield issue
    principal = resource.props.get("principal")
    if is_unknown(principal):
        yield Unknown("principal")
        return
    if not isinstance(principal, str) or not principal.strip():
        yield Violation(f"Lake Formation grant {resource.name}: principal {principal!r} is not a principal name, so "
                        "who is granted cannot be judged")
        return
    principal = principal.strip()
    who = f"{principal}" if len(principal) < 120 else principal[:117] + "..."
    if permissions and "ALL" in permissions:
        yield Violation(f"Lake Formation grant {resource.name} gives {who} ALL (Super): every permission on the "
                        "resource, DROP and ALTER included")
    if grantable:
        yield Violation(f"Lake Formation grant {resource.name} lets {who} grant {', '.join(grantable)} to any "
                        "principal (permissionsWithGrantOptions), outside the gate's sight", category="escalation")
    home = resource.props.get("catalogId")
    home = home if isinstance(home, str) and not is_unknown(home) else None
    if principal == IAM_ALLOWED_PRINCIPALS:
        yield Violation(f"Lake Formation grant {resource.name} to IAM_ALLOWED_PRINCIPALS turns Lake Formation's access "
                        "control off for the resource: every IAM principal whose policy allows the Glue/S3 calls "
                        "gets it")
    elif problem := other_ou_problem(principal, config):
        yield Violation(f"Lake Formation grant {resource.name} gives {problem}", category="public-access")
    elif org := organization_id(principal):
        yield Violation(f"Lake Formation grant {resource.name} gives every account of organization {org} access, "
                        "including accounts added later; name the accounts or an organizational unit",
                        category="public-access")
    elif not (principal.startswith("arn:") or principal.isdigit()):
        yield Violation(f"Lake Formation grant {resource.name}: principal {who!r} is not an ARN, an account id or "
                        "IAM_ALLOWED_PRINCIPALS, so who is granted cannot be judged")
    elif (account := principal_account(principal)) and _foreign(account, home, config) and (
            principal.isdigit() or config.get("ownAccountIds") or home):
        # a bare account id is always a cross-account grant; an ARN is judged against what the stack says it owns
        yield Violation(f"Lake Formation grant {resource.name} gives account {account} access, not one of "
                        "ownAccountIds" + (f" nor the catalog's account {home}" if home else ""),
                        category="public-access")


def _access_grants_location(resource: Resource, config):
    scope = resource.props.get("locationScope")
    if is_unknown(scope):
        yield Unknown("locationScope")
    elif not isinstance(scope, str) or not scope.strip().lower().startswith("s3://"):
        yield Violation(f"S3 Access Grants location {resource.name}: locationScope {scope!r} is not an s3:// URI, so "
                        "what it covers cannot be judged")
    elif scope.strip().rstrip("/*").lower() == "s3:":
        yield Violation(f"S3 Access Grants location {resource.name} has the default scope s3://: every bucket of the "
                        "account in the region, with the location role's power, is open to its grants")


def _access_grant(resource: Resource, config):
    grantee = resource.props.get("grantee")
    if is_unknown(grantee):
        yield Unknown("grantee")
        return
    if not isinstance(grantee, Mapping):
        yield Violation(f"S3 access grant {resource.name}: grantee is not {{granteeType, granteeIdentifier}}, so who is "
                        "granted cannot be judged")
        return
    kind, identifier = grantee.get("granteeType"), grantee.get("granteeIdentifier")
    home = resource.props.get("accountId")
    home = home if isinstance(home, str) and not is_unknown(home) else None
    if is_unknown(kind) or is_unknown(identifier):
        yield Unknown("grantee")
    elif kind == "IAM":
        account = principal_account(identifier) if isinstance(identifier, str) else None
        if account is None:
            yield Violation(f"S3 access grant {resource.name}: IAM grantee {identifier!r} is not an IAM principal "
                            "ARN, so who is granted cannot be judged")
        elif (config.get("ownAccountIds") or home) and _foreign(account, home, config):
            yield Violation(f"S3 access grant {resource.name} gives {resource.props.get('permission', '?')} access to "
                            f"{identifier} of account {account}, not one of ownAccountIds")


def _portfolio_principal(resource: Resource, config):
    kind, arn = resource.props.get("principalType", "IAM"), resource.props.get("principalArn")
    if is_unknown(kind) or is_unknown(arn):
        yield Unknown("principalType" if is_unknown(kind) else "principalArn")
    elif kind not in ("IAM", "IAM_PATTERN") or not isinstance(arn, str):
        yield Violation(f"portfolio association {resource.name}: principalType {kind!r} / principalArn {arn!r} is not "
                        "an IAM or IAM_PATTERN principal, so who may launch products cannot be judged")
    elif kind == "IAM_PATTERN" and arn.split(":", 5)[-1].partition("/")[2].strip("*?/") == "":
        # arn:aws:iam:::role/* (or user/*): the name pattern after the kind matches every name under every path
        yield Violation(f"portfolio association {resource.name} lets {arn} (every principal of that kind in every "
                        f"account the portfolio {resource.props.get('portfolioId', '?')} is shared with) launch its "
                        "products with their launch roles", category="escalation")


_JUDGES = {LF_PERMISSIONS: _lake_formation, ACCESS_GRANT: _access_grant,
           ACCESS_GRANTS_LOCATION: _access_grants_location, PORTFOLIO_PRINCIPAL: _portfolio_principal}


def check(resource: Resource, config):
    yield from _JUDGES[resource.type](resource, config)


RULE = Rule(
    id="AGID-AWS-048",
    title="aws-no-broad-service-grants",
    severity="high",
    category="broad-grant",
    # Mandatory: each finding is a super, re-grantable, IAM-wide or cross-account grant outside IAM, which the
    # broad-grant, escalation and foreign-account rules block when IAM policies give it (red7b f22)
    enforcement="mandatory",
    description="Lake Formation and S3 Access Grants give no ALL, no grant option, nothing to IAM_ALLOWED_PRINCIPALS, "
                "organizations or foreign accounts, no location covers all of S3, and no Service Catalog portfolio "
                "is open to every role.",
    remediation="Grant the exact permissions (SELECT, DESCRIBE) on named tables to the agent's role, without grant "
                "option; register S3 Access Grants locations for one bucket or prefix; associate portfolios with "
                "named roles or a narrow name pattern.",
    url="https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html",
    check=check,
    resource_types=tuple(_JUDGES),
    config={**OWN_ACCOUNTS_CONFIG, "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
