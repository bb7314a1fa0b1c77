"""Does a confused-deputy "source pin" bind the caller to an own or stack-created source? Judged by value.

A service principal (`s3.amazonaws.com`, `sns.amazonaws.com`, ...) acts for whichever resource triggers it, in ANY
account; `aws:SourceArn` / `aws:SourceAccount` / `aws:SourceOwner` / `aws:SourceOrgID` (and a Lambda permission's
`sourceArn` / `sourceAccount`, the KMS encryption context of the calling resource) say whose resources those may be
(https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). The presence of such a key proves nothing
(red22 r22-1/2/5): `arn:aws:s3:::*`, `arn:aws:sns:*:*:*`, `arn:aws:sns:us-east-1:*:t`, `arn:aws:*` match a resource of
every account. A pin binds only when
  - an ARN's account field (`arn:partition:service:region:account:resource`,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html) is 12 digits known own (`ownAccountIds`, or
    derived from the judged resource: analysis.aws_accounts.OwnAccounts; an ARN in the gate mocks' placeholder account
    stands for a resource the stack creates), with no wildcard in partition, service or account (ArnEquals and
    ArnLike both match `*` / `?` per field; a wildcard in the resource part of an own account's ARN stays in that
    account, one in the region too);
  - an S3 bucket ARN (`arn:aws:s3:::bucket`, no account: a bucket name says nothing about its owner and anyone may
    take a free name, https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html) only when the bucket
    is the stack's or listed in `ownS3Buckets` (a stack question: AGID-AWS-076), or an own account pin sits beside it;
  - an account value (aws:SourceAccount, aws:SourceOwner, sourceAccount) is 12 digits known own (as a whole account);
  - an organization value (aws:SourceOrgID / SourceOrgPaths) is one the gate lists (`ownOrganizationIds`);
  - the operator binds: StringEquals / StringEqualsIgnoreCase / StringLike / ArnEquals / ArnLike, without IfExists
    (the service may omit the key, and then the condition holds), without a ForAnyValue / ForAllValues set
    qualifier, every value of it binding (values are ORed), and no value naming a request variable
    (`${aws:SourceArn}` equals itself for every caller). StringNotEquals / ArnNotLike / Null bind nothing.
Conditions are ANDed: one binding pin pins the statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .aws_accounts import OwnAccounts, invented_accounts
from .aws_patterns import is_pattern, names_request_value
from .aws_policy import Condition, Statement
from .aws_trust import OWNED_ID_KEYS, OwnIds

ARN_KEYS = frozenset({"aws:sourcearn"})
ACCOUNT_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner"})
ORG_KEYS = frozenset({"aws:sourceorgid", "aws:sourceorgpaths"})
CONTEXT_PREFIXES = ("kms:encryptioncontext:",)
SOURCE_KEYS = ARN_KEYS | ACCOUNT_KEYS | ORG_KEYS
_BINDING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})
_ACCOUNT = re.compile(r"^\d{12}$")
_PARTITION = re.compile(r"^aws(?:-[a-z]+)*$")
_SERVICE = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket ARN pin: binds only for a bucket known own (the stack's, or ownS3Buckets)."""

    name: str


@dataclass
class PinVerdict:
    """`bound`: some pin confines the caller to an own source; else `buckets` (S3 pins that bind if the bucket is
    own: the stack rule's question) and `problems` (why each other pin binds nothing)."""

    bound: bool = False
    buckets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def pinned_at_all(self) -> bool:
        return self.bound or bool(self.buckets) or bool(self.problems)


def arn_pin(value: str, own: OwnAccounts) -> str | Bucket | None:
    """None when the ARN `value` binds to an own account's resource; a Bucket for an S3 bucket ARN; else why not."""
    text = value.strip()
    shown = text[:120]
    if names_request_value(text):
        return f"{shown} holds a request variable, true for every caller"
    fields = text.split(":", 5)
    if len(fields) < 6 or fields[0] != "arn":
        if is_pattern(text):
            return f"{shown} is a pattern spanning the ARN's fields: it matches resources of every account"
        return f"{shown} is not an ARN (arn:partition:service:region:account:resource): it names no source"
    _, partition, service, region, account, resource = fields
    if is_pattern(partition) or is_pattern(service) or not _PARTITION.match(partition) or not _SERVICE.match(service):
        return f"{shown} has a wildcard or no name in its partition or service: it matches any service's resources"
    if account == "":
        if service == "s3" and region == "" and resource and not is_pattern(resource.split("/", 1)[0]):
            return Bucket(resource.split("/", 1)[0])
        return f"{shown} names no account (an S3 ARN carries none): any account's {service} resource matches it"
    if is_pattern(account):
        return f"{shown} has a wildcard in its account field: a {service} resource of ANY account matches it"
    if not _ACCOUNT.match(account):
        return f"{shown}: account field {account!r} is not a 12-digit account id"
    if account in invented_accounts() and account not in own.listed:
        return None  # the gate's mocks invent ARNs of the stack's resources in their account (an Output)
    problem = own.problem(account, text)
    return f"{shown}: {problem}" if problem else None


def account_pin(value: str, own: OwnAccounts) -> str | None:
    """None when an account value (aws:SourceAccount, sourceAccount) names an own account; else why not."""
    text = value.strip()
    if names_request_value(text):
        return f"{text[:60]} holds a request variable, true for every caller"
    if not _ACCOUNT.match(text):
        return f"{text[:60]!r} is not a 12-digit account id: it confines the caller to no one account"
    problem = own.problem(text)
    return f"account {text}: {problem}" if problem else None


def _binding_operator(condition: Condition) -> str | None:
    """None when the operator can bind a source key; else why not."""
    if condition.is_negative:
        return f"{condition.operator} matches every source but the one named"
    if condition.if_exists:
        return f"{condition.operator} holds when the service sends no {condition.key}"
    if ":" in condition.operator:
        return f"{condition.operator}: a set qualifier on a single-valued key binds nothing"
    if condition.base_operator not in _BINDING_OPERATORS:
        return f"{condition.operator} is not an equality or pattern match on the source"
    return None


def source_key(key: str) -> bool:
    return key in SOURCE_KEYS or key.startswith(CONTEXT_PREFIXES)


def condition_pin(condition: Condition, own: OwnAccounts, orgs: OwnIds) -> str | list[Bucket] | None:
    """None when `condition` (on a source key) binds to own sources; Buckets when it binds only if those buckets are
    own; else why it binds nothing."""
    where = f"{condition.operator} {condition.key}"
    problem = _binding_operator(condition)
    if problem:
        return f"{where}: {problem}"
    buckets: list[Bucket] = []
    for value in condition.values:  # ORed: every value must bind
        if condition.key in ACCOUNT_KEYS:
            found = account_pin(value, own)
        elif condition.key in ORG_KEYS:
            found = (f"{value[:60]} holds a request variable" if names_request_value(value) else
                     f"{value[:60]} is a pattern" if is_pattern(value.split("/", 1)[0]) else
                     orgs.problem(condition.key, value) if condition.key in OWNED_ID_KEYS else None)
        elif condition.key in ARN_KEYS or value.strip().startswith("arn:") or is_pattern(value):
            found = arn_pin(value, own)
        else:  # an encryption-context value that is no ARN (an id the service puts there): exact binds
            found = None if value.strip() and not names_request_value(value) else f"{value[:60]!r} binds nothing"
        if isinstance(found, Bucket):
            buckets.append(found)
        elif found:
            return f"{where}: {found}"
    return buckets or None


def statement_pins(statement: Statement, own: OwnAccounts, orgs: OwnIds) -> PinVerdict:
    """How the source conditions of `statement` confine a service principal's caller (see the module doc)."""
    verdict = PinVerdict()
    for condition in statement.conditions:
        if not source_key(condition.key):
            continue
        found = condition_pin(condition, own, orgs)
        if found is None:
            verdict.bound = True
        elif isinstance(found, list):
            verdict.buckets.extend(b.name for b in found)
        else:
            verdict.problems.append(found)
    if verdict.bound:
        verdict.buckets, verdict.problems = [], []
    return verdict


def lambda_pins(source_arn, source_account, own: OwnAccounts) -> PinVerdict:
    """The same judgement for a Lambda permission's `sourceArn` (matched as ArnLike by Lambda) and `sourceAccount`
    (both plain strings here; the caller handles unknowns)."""
    verdict = PinVerdict()
    if isinstance(source_account, str) and source_account.strip():
        problem = account_pin(source_account, own)
        if problem is None:
            verdict.bound = True
            return verdict
        verdict.problems.append(f"sourceAccount {problem}")
    if isinstance(source_arn, str) and source_arn.strip():
        found = arn_pin(source_arn, own)
        if found is None:
            verdict.bound = True
            verdict.problems = []
        elif isinstance(found, Bucket):
            verdict.buckets.append(found.name)
        else:
            verdict.problems.append(f"sourceArn {found}")
    return verdict
