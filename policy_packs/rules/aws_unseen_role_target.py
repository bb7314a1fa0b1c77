"""AGID-AWS-044 (stack): a role the stack's principals may assume or pass is one the pack can read.

`sts:AssumeRole` on a role gives the caller everything that role holds; `iam:PassRole` of a role to a
service (with lambda:CreateFunction, ec2:RunInstances, ...) lets the caller run code as it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html). When the role is defined
outside this stack (`arn:aws:iam::999988887777:role/OrganizationAccountAccessRole`, an administrator role
of the own account created elsewhere) the pack never sees its policies: what the grant really gives
cannot be checked, so it is reported (mandatory: fail closed), as AGID-AWS-015 reports customer policy ARNs
the pack cannot read.

A target is a role of this stack, judged with that role's own policies, when the policy reaches it the
ways AGID-AWS-021 joins policies to principals (iam_links.NameIndex): an Output of the role unknown at
preview (`role.arn`) as iam_links.output_sources proves it (the holder depends on stack roles and nothing else, and
their ARN is not known: `depends_on=[harmless role]` beside a constant behind another Output proves nothing, issue
11), or a literal ARN whose role name is a stack
role's name, `name` input or ARN, compared case-insensitively as IAM compares role names. A literal ARN
also names an account, and a role of the same name in another account is not this stack's: the account
must be known to be own (analysis.aws_accounts: `ownAccountIds`; nothing is presumed), else "cannot tell
whether account X is yours". A wildcard role ARN (`role/Org*`, `arn:aws:iam::*:role/x`) may match roles
outside the stack, so it is reported here too (a bare `*` or `role/*` is also mandatory under
AGID-AWS-020); a computed target no dependency explains is "cannot check until known".
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis import PolicyParseError, parse_policy
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES, Document, identity_policies
from .iam_links import ROLE, NameIndex
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

# the actions whose Resource is a role the caller then acts as (Service Authorization Reference, IAM and STS)
ROLE_USING_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "iam:PassRole")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}|[*?0-9]*):role/(?:.*/)?(?P<name>[^/]*)$")


def _target_problem(target: str, roles: NameIndex, own: OwnAccounts, holder: Resource) -> str | None:
    """Why a literal role ARN in a policy of `holder` is not (known to be) a role of this stack; None when it is.
    A stack role of that name counts only when `holder` is created after it (iam_links.ordered_after)."""
    match = _ROLE_ARN.match(target)
    if not match:
        return None  # not a role ARN ("*" alone is AGID-AWS-012's / AGID-AWS-020's)
    if any(ch in target for ch in "*?") or not roles.resolve(target, ()):
        return "a role not defined in this stack: cannot check what the role holds"
    if not roles.resolve_ordered(target, holder):
        return (f"named like {roles.resolve(target, ())[0].name} of this stack, but {holder.name} does not depend on "
                "it: were its create to fail (the name taken), this would name the existing role: cannot check what "
                "the role holds")
    problem = own.problem(match["account"])
    return None if problem is None else f"named like a role of this stack, but {problem}"


def check(resources, config):
    own = OwnAccounts.from_config(config)
    roles = NameIndex((r for r in resources if r.type == ROLE), exact_arns=True)
    for resource in resources:
        for document in identity_policies(resource):
            if not isinstance(document, Document):
                continue  # "cannot check until known" is reported by the per-resource rules
            try:
                parsed = parse_policy(document.value)
            except (PolicyParseError, RecursionError):
                continue  # AGID-POL-001's
            for statement in live_allows(parsed.statements):
                actions = [a for a in ROLE_USING_ACTIONS if statement.matches_action(a)]
                if not actions or statement.not_resource:
                    continue
                for target in statement.resources:
                    if is_unknown(target):
                        if not roles.resolve_input(target, resource, ("arn",), document.path.split(".")[0].split("[")[0]):  # an Output of a stack role passes
                            yield Unknown(f"{document.path} Resource", resource.urn)
                        continue
                    problem = _target_problem(target, roles, own, resource)
                    if problem:
                        yield Violation(f"{document.label} ({statement.label}) allows {', '.join(actions)} on "
                                        f"{target}, {problem}", resource.urn)

RULE = Rule(
    id="AGID-AWS-044",
    title="aws-assumed-role-readable",
    severity="high",
    # mandatory: a grant whose content the pack cannot see may be anything (an administrator role, a
    # policy or permission set of `*`), so it fails closed as the GCP and Kubernetes twins do (AGID-GCP-011,
    # AGID-K8S-006); a reviewed outside grant passes with a waiver that names it
    enforcement="mandatory",
    category="unparseable",
    description="Every role a policy lets its principal assume (sts:AssumeRole*) or pass (iam:PassRole) is defined "
                "in the stack, so what it holds can be judged.",
    remediation="Define the role in this stack and reference its ARN output, or review the outside role's policies "
                "where it is defined; list your accounts in ownAccountIds.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check=check,
    stack=True,
    reads=(*IDENTITY_POLICY_TYPES, ROLE),
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
