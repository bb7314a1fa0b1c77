"""Which AWS account a principal or ARN names, and whether it is known to be one of the stack's own.

The pack cannot know the account a stack deploys to: a literal account id in a policy (`arn:aws:iam::
999988887777:root`, or the account `aws.get_caller_identity()` returned) is the stack's own only when
that is KNOWN, never presumed. Known means either
  - listed: the rule config `ownAccountIds`, which comes from the gate's side (the pack config the CI
    passes, or the base branch's waiver file under `agentid preview`; a pull request's stack file may
    only shorten the list, agentid.preview.runner.enforce_floor), or
  - derived from the judged resource itself where that is sound: a statement whose every Resource ARN
    names one account A applies only to a resource in A, so a principal in A is the resource's own
    account (a statement naming another account's ARNs is inert on this resource, so an attacker gains
    nothing by writing one); a KMS key policy or grant whose `keyId` is a key ARN names the key's account.
Anything else is "cannot tell": callers flag it (fail closed), asking for the account in ownAccountIds.

Under `agentid preview` the gate's mocks invent every computed ARN in one placeholder account (the gate
names it to the packs in AGENTID_MOCK_ACCOUNTS; agentid.mock_engine.MOCK_ACCOUNT). At a real preview those
ARNs are unknown, so nothing is derived from them. A mock ARN still stands for a resource this stack creates
(`role.arn` granted on the stack's own secret is the stack's own role), so an invented account derived from
the resource counts as own for a principal naming one resource of it (`...:role/x`), never for the account
as a whole (`arn:aws:iam::A:root`, `A`, a condition's account): the mocks never invent those, so such a
principal was written by the program (or came from `aws.get_caller_identity()`, which a real preview answers
with the real account) and must be known own from ownAccountIds, as `pulumi preview --policy-pack` requires.

Shapes (AWS "IAM identifiers", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):
  123456789012                                    an account id
  arn:aws:iam::123456789012:root|role/..|user/..  an account root or an IAM principal (any partition)
  arn:aws:sts::123456789012:assumed-role/..       a role session
  arn:aws:organizations::111111111111:organization/o-...   a whole organization
  arn:aws:organizations::111111111111:ou/o-.../ou-...      one organizational unit
(AWS JSON policy elements: Principal,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
ARN layout `arn:partition:service:region:account-id:resource`
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .aws_policy import Statement

_PRINCIPAL = re.compile(r"^(?:(\d{12})|arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(?:root|role/.+|user/.+|"
                        r"assumed-role/.+|federated-user/.+))$")
_ORGANIZATION = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:organization/(o-[a-z0-9]+)$")
_OU = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]+/(ou-[a-z0-9-]+)$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):.+$")
_WHOLE_ACCOUNT = re.compile(r"^(?:\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")
MOCK_ACCOUNTS_ENV = "AGENTID_MOCK_ACCOUNTS"  # set by the gate for its packs only: the accounts its mocks invent


def invented_accounts() -> frozenset[str]:
    """The accounts the gate's mocks put in the ARNs they invent (none outside `agentid preview`)."""
    return frozenset(a for a in os.environ.get(MOCK_ACCOUNTS_ENV, "").split(",") if re.fullmatch(r"\d{12}", a))


def principal_account(principal: str) -> str | None:
    """`999988887777`, `arn:aws:iam::999988887777:role/x` -> `999988887777`; None for anything else."""
    match = _PRINCIPAL.match(principal.strip()) if isinstance(principal, str) else None
    return (match.group(1) or match.group(2)) if match else None


def organization_id(principal: str) -> str | None:
    """`o-...` when the principal is a whole AWS Organizations organization's ARN, else None."""
    match = _ORGANIZATION.match(principal.strip()) if isinstance(principal, str) else None
    return match.group(1) if match else None


def organizational_unit(principal: str) -> str | None:
    """`ou-...` when the principal is an organizational unit's ARN, else None."""
    match = _OU.match(principal.strip()) if isinstance(principal, str) else None
    return match.group(1) if match else None


def arn_account(arn: str) -> str | None:
    """The account of an ARN that carries one (`arn:aws:sqs:us-east-1:111122223333:q`); None otherwise (S3, `*`)."""
    match = _ARN_ACCOUNT.match(arn.strip()) if isinstance(arn, str) else None
    return match.group(1) if match else None


def statement_account(statement: Statement) -> str | None:
    """The one account every Resource of an Allow names, so the statement applies only there; else None.

    NotResource, `*`, an ARN without an account (S3) or ARNs of two accounts give None: no derivation.
    """
    if statement.not_resource or not statement.resources:
        return None
    accounts = {arn_account(r) for r in statement.resources}
    return accounts.pop() if len(accounts) == 1 and None not in accounts else None


@dataclass(frozen=True)
class OwnAccounts:
    """The accounts known to be the stack's own: `listed` (ownAccountIds) and `derived` (from the resource)."""

    listed: frozenset[str] = frozenset()
    derived: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config) -> OwnAccounts:
        listed = config.get("ownAccountIds") if hasattr(config, "get") else None
        return cls(frozenset(a for a in listed or () if isinstance(a, str)))

    def including(self, accounts: Iterable[str | None]) -> OwnAccounts:
        """These accounts derived as the resource's own too (None entries are ignored)."""
        return OwnAccounts(self.listed, self.derived | {a for a in accounts if a})

    def is_own(self, account: str, principal: str | None = None) -> bool:
        """Is `account` known own for `principal` (the principal string naming it; None: the account as a whole)?"""
        if account in self.listed:
            return True
        if account not in self.derived:
            return False
        whole = principal is None or bool(_WHOLE_ACCOUNT.match(principal.strip()))
        return not (whole and account in invented_accounts())

    def problem(self, account: str, principal: str | None = None) -> str | None:
        """None when `account` is known to be own (for `principal`, see is_own); otherwise why it is flagged."""
        if self.is_own(account, principal):
            return None
        known = sorted(self.listed | (self.derived - invented_accounts()))
        if not known:
            return f"cannot tell whether account {account} is yours: list it in ownAccountIds"
        return f"account {account} is a foreign account (the stack's own: {', '.join(known)})"
