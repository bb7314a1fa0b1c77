"""Which AWS account a principal string names, as RAM, EBS, RDS and Signer sharing inputs spell principals.

Shapes (AWS "IAM identifiers", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):
  123456789012                                    an account id
  arn:aws:iam::123456789012:root|role/..|user/..  an account root or an IAM principal (any partition)
  arn:aws:sts::123456789012:assumed-role/..       a role session
  arn:aws:organizations::111111111111:organization/o-...   a whole organization
  arn:aws:organizations::111111111111:ou/o-.../ou-...      one organizational unit
"""

from __future__ import annotations

import re

_ACCOUNT = re.compile(r"^(?:(\d{12})|arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(?:root|role/.+|user/.+|"
                      r"assumed-role/.+|federated-user/.+))$")
_ORGANIZATION = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:organization/(o-[a-z0-9]+)$")
_OU = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]+/(ou-[a-z0-9-]+)$")


def principal_account(principal: str) -> str | None:
    """The 12-digit account an account id or IAM/STS principal ARN belongs to; None for any other string."""
    match = _ACCOUNT.match(principal.strip())
    return (match.group(1) or match.group(2)) if match else None


def organization_id(principal: str) -> str | None:
    """`o-...` when the principal is a whole AWS Organizations organization's ARN, else None."""
    match = _ORGANIZATION.match(principal.strip())
    return match.group(1) if match else None


def organizational_unit(principal: str) -> str | None:
    """`ou-...` when the principal is an organizational unit's ARN, else None."""
    match = _OU.match(principal.strip())
    return match.group(1) if match else None
