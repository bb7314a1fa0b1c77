"""AGID-AWS-052: an identity policy lets its principal assume only roles of accounts known to be the stack's own.

`sts:AssumeRole` on `arn:aws:iam::*:role/OrganizationAccountAccessRole` (any account's role of that name) reaches
every account that trusts the holder's account: in an organization, the management account's admin role in
every member account. On `arn:aws:iam::999988887777:role/x` it reaches another account, whatever that role holds
(red3 finding 11, e07_ram.py). A role ARN's account must be known own (analysis.aws_accounts.OwnAccounts:
`ownAccountIds`; nothing is presumed, so with none listed every literal account is "cannot tell": fail closed,
as AGID-AWS-050). `${aws:PrincipalAccount}` is the caller's own account. A statement is bounded when a positive,
exact condition names the target's account or organization: `aws:ResourceAccount` (own accounts only),
`aws:ResourceOrgID` / `aws:ResourceOrgPaths` naming an organization the gate lists (`ownOrganizationIds`; the pull
request names the organization, red15 r15-7) (IAM global condition keys, which STS sets to the role's account:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount).
A bare `*` (every role of every account) is AGID-AWS-020's AssumeAnyRole; a role of the stack's own account
defined elsewhere is AGID-AWS-044's (advisory: what it holds cannot be read).
"""

from __future__ import annotations

from agentid_policy_packs.analysis import Finding, PolicyDocument
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.aws_patterns import is_everything, is_pattern, overlaps
from agentid_policy_packs.analysis.aws_policy import Statement
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .base import Resource, Rule
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

ASSUME_ROLE = "sts:AssumeRole"
_ANY_ROLE = "arn:*:iam::*:role/*"
_CALLER_ACCOUNT = "${aws:PrincipalAccount}"
_ORG_KEYS = frozenset({"aws:resourceorgid", "aws:resourceorgpaths"})
_EXACT = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


def _exact_values(statement: Statement, keys: frozenset[str]) -> list[tuple[str, ...]]:
    """The values of each positive, exact (no wildcard, no IfExists/ForAllValues) condition on one of `keys`."""
    return [c.values for c in statement.conditions
            if c.key in keys and c.base_operator in _EXACT and not c.if_exists and not c.is_negative
            and not c.operator.startswith("ForAllValues:") and c.values and not any(map(is_pattern, c.values))]


def _bounded(statement: Statement, own: OwnAccounts, orgs: OwnIds) -> bool:
    # an organization bounds the roles to it only when the gate lists it (red15 r15-7: the pull request names it)
    if any(all(orgs.problem("aws:principalorgpaths", v) is None for v in values)
           for values in _exact_values(statement, _ORG_KEYS)):
        return True
    return any(all(own.is_own(v) for v in values) for values in _exact_values(statement, frozenset({"aws:resourceaccount"})))


def _problem(pattern: str, own: OwnAccounts) -> str | None:
    """Why assuming the roles `pattern` names reaches accounts not known own; None when it does not."""
    if is_everything(pattern):
        return None  # every resource: AGID-AWS-020
    fields = pattern.replace(_CALLER_ACCOUNT, "self").split(":", 5)
    if len(fields) < 6:  # `arn:aws:*`: a wildcard standing for the remaining fields
        return "roles of any account" if overlaps((pattern,), (_ANY_ROLE,)) else None
    if not (overlaps((fields[2],), ("iam",)) and overlaps((fields[5],), ("role/*",))):
        return None  # field by field, as IAM matches ARNs: not a role
    account = fields[4]
    if account == "self":
        return None
    if is_pattern(account) or is_pattern(":".join(fields[:4])):
        return "roles of any account"
    return own.problem(account) or None


def _findings(document: PolicyDocument, own: OwnAccounts, orgs: OwnIds) -> list[Finding]:
    findings = []
    for statement in live_allows(document.statements):
        if not statement.matches_action(ASSUME_ROLE) or statement.not_resource or _bounded(statement, own, orgs):
            continue
        for pattern in statement.resources:
            problem = _problem(pattern, own)
            if problem:
                findings.append(Finding("foreign-assume-role", f"allows {ASSUME_ROLE} on {pattern}: {problem}; the "
                                        "holder gains whatever those roles hold there", statement.label))
    return findings


def check(resource: Resource, config):
    own, orgs = OwnAccounts.from_config(config), OwnIds.from_config(config)
    yield from judge_identity_policies(resource, lambda document, _: _findings(document, own, orgs),
                                       ("foreign-assume-role",))


RULE = Rule(
    id="AGID-AWS-052",
    title="aws-no-foreign-assume-role",
    severity="critical",
    category="escalation",
    description="sts:AssumeRole is allowed only on roles of accounts known to be the stack's own (never "
                "arn:aws:iam::*:role/NAME).",
    remediation="Name the role ARN in your own account (list the account in ownAccountIds), or bound the statement "
                'with "StringEquals": {"aws:ResourceOrgID": "o-..."} of an organization listed in ownOrganizationIds; a reviewed partner role needs a waiver.',
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html",
    check=check,
    resource_types=IDENTITY_POLICY_TYPES,
    config={**OWN_ACCOUNTS_CONFIG, "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
