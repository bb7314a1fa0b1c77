"""AGID-AWS-055 (stack): passing a role the pack cannot read to a service that runs code is escalation.

AGID-AWS-020/021 meet a PassRole requirement only with an unbounded role (`*`, `role/*`): a named role
cannot be turned against an arbitrary target. But a named role defined outside the stack
(`arn:aws:iam::123456789012:role/admin`) may hold anything, so `iam:PassRole` on it together with the
method's other actions (lambda:CreateFunction + lambda:InvokeFunction, ec2:RunInstances, glue:CreateJob,
cloudformation:CreateStack, ... — every PassRole method of the escalation catalogue,
analysis/escalation_methods.yaml, with its iam:PassedToService judged as there) lets the principal run code
as that role: Rhino Security Labs' PassRole methods with a role whose power is unknown. AGID-AWS-044 reports
the unreadable role itself; this rule names the escalation method the combination allows. For each role, user and group
the policies that reach it (iam_links, as AGID-AWS-021) are judged with each PassRole of an unreadable role
read as PassRole of any role; methods that hold only then are reported. A role of this stack (by its name
or ARN, case-insensitively, or an Output of it) is judged by its own policies and passes here.
A role PATTERN (`role/service-role/*`, `role/*-admin`, an account `*`) may match roles defined outside the
stack whatever the stack's own roles are called, so it is judged like one named outside role (red5 finding 1):
never less strict than the name it generalises. `role/*` and `*` are unbounded and already AGID-AWS-020/021's.
Source: https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
"""

from __future__ import annotations

import dataclasses
import re

from agentid_policy_packs.analysis import IDENTITY, PolicyParseError, parse_policy
from agentid_policy_packs.analysis.escalation import escalation_findings, labelled
from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Violation
from .iam_links import LINKED_TYPES, ROLE, link

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9*?]+:role/(?:.*/)?(?P<name>[^/]*)$")


def _stack_role_names(resources) -> set[str]:
    names = set()
    for resource in resources:
        if resource.type == ROLE:
            name = resource.props.get("name")
            names.add((name if isinstance(name, str) and not is_unknown(name) else resource.name).lower())
    return names


def _unreadable_targets(statement, stack_roles: set[str]) -> list[str]:
    """Role ARNs this PassRole grant names that may be a role not of the stack's: a literal name the stack does
    not define, or any pattern (a wildcard in the account or the role path/name)."""
    if not statement.allows or statement.not_resource or not statement.matches_action("iam:PassRole"):
        return []
    found = []
    for target in statement.resources:
        match = _ROLE_ARN.match(target) if isinstance(target, str) and not is_unknown(target) else None
        if match and (any(ch in target for ch in "*?") or match["name"].lower() not in stack_roles):
            found.append(target)
    return found


def check(resources, config):
    stack_roles = _stack_role_names(resources)
    for urn, principal in link(resources).principals.items():
        statements, opened, targets = [], [], []
        for label, document in principal.documents.items():
            try:
                parsed = parse_policy(document, IDENTITY)
            except (PolicyParseError, RecursionError):
                continue  # AGID-POL-001's
            for statement in parsed.statements:
                statements += labelled(label, [statement])
                unreadable = _unreadable_targets(statement, stack_roles)
                if unreadable:
                    targets += unreadable
                    # the same grant, read as PassRole of any role (its conditions kept: iam:PassedToService)
                    opened.append((label, dataclasses.replace(statement, actions=("iam:PassRole",), not_action=False,
                                                              resources=("*",))))
        if not opened:
            continue
        as_written = {f.code for f in escalation_findings(statements)}
        widened = statements + [item for label, s in opened for item in labelled(label, [s])]
        new = [f for f in escalation_findings(widened) if f.code not in as_written and "PassRole" in f.code]
        if new:
            physical = principal.resource.props.get("name")
            name = physical if isinstance(physical, str) and not is_unknown(physical) else principal.resource.name
            methods = ", ".join(f.code.split(":", 1)[1] for f in new)
            yield Violation(f"{principal.kind} {name} may pass {', '.join(sorted(set(targets)))} — a "
                            f"role not defined in this stack, so it may hold anything — to a service and run code as "
                            f"it ({methods})", urn)


RULE = Rule(
    id="AGID-AWS-055",
    title="aws-no-passrole-of-unreadable-role",
    severity="critical",
    category="escalation",
    description="No principal may pass a role defined outside the stack to a service it can also make run code "
                "(the PassRole escalation methods with a role whose power cannot be checked).",
    remediation="Define the role the agent passes in this stack (its policies are then judged), or drop the "
                "compute action that completes the method; waive it only with the outside role's policies reviewed.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check=check,
    stack=True,
    reads=LINKED_TYPES,
)
