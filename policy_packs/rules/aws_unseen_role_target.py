"""AGID-AWS-044 (stack): a role the stack's principals may assume or pass is one the pack can read.

`sts:AssumeRole` on a role gives the caller everything that role holds; `iam:PassRole` of a role to a
service (with lambda:CreateFunction, ec2:RunInstances, ...) lets the caller run code as it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html). When the role is defined
outside this stack (`arn:aws:iam::999988887777:role/OrganizationAccountAccessRole`, an administrator role
of the own account created elsewhere) the pack never sees its policies: what the grant really gives
cannot be checked, so it is reported (advisory), as AGID-AWS-015 reports customer policy ARNs the pack
cannot read. A target that is a role of this stack (by name, case-insensitively, as IAM compares role
names) is judged with that role's own policies and passes here; a role ARN in an account outside
`ownAccountIds` (when set) is never taken for the stack's role of the same name. A wildcard role ARN
(`role/Org*`, `arn:aws:iam::*:role/x`) may match roles outside the stack, so it is reported here too (a
bare `*` or `role/*` is also mandatory under AGID-AWS-020); computed targets are "cannot check until known".
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis import PolicyParseError, parse_policy
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES, Document, identity_policies
from .iam_links import ROLE
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

# the actions whose Resource is a role the caller then acts as (Service Authorization Reference, IAM and STS)
ROLE_USING_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "iam:PassRole")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}|[*?0-9]*):role/(?:.*/)?(?P<name>[^/]*)$")


def _stack_role_names(resources) -> set[str]:
    names = set()
    for resource in resources:
        name = resource.props.get("name") if resource.type == ROLE else None
        if isinstance(name, str) and not is_unknown(name):
            names.add(name.lower())
    return names


def check(resources, config):
    own = set(config.get("ownAccountIds") or [])
    stack_roles = _stack_role_names(resources)
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
                        yield Unknown(f"{document.path} Resource", resource.urn)
                        continue
                    match = _ROLE_ARN.match(target)
                    if not match:
                        continue  # not a role ARN ("*" alone is AGID-AWS-012's / AGID-AWS-020's)
                    account = match["account"] or ""
                    foreign = bool(own) and account not in own
                    exact = not any(ch in target for ch in "*?")
                    if exact and match["name"].lower() in stack_roles and not foreign:
                        continue
                    yield Violation(f"{document.label} ({statement.label}) allows {', '.join(actions)} on {target}, a "
                                    "role not defined in this stack: cannot check what the role holds", resource.urn)


RULE = Rule(
    id="AGID-AWS-044",
    title="aws-assumed-role-readable",
    severity="medium",
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
