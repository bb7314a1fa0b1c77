"""AGID-AWS-056 (stack): taking over an existing user, function, instance, ... the pack cannot judge is escalation.

Many escalation methods act on a resource that already exists and runs as (or is) another principal:
iam:CreateAccessKey / CreateLoginProfile / UpdateLoginProfile on a user (its credentials), lambda:
UpdateFunctionCode on a function (code run as its role), ssm:SendCommand + AWS-RunShellScript on an instance,
ecs:ExecuteCommand, ec2-instance-connect:SendSSHPublicKey, ec2:ModifyInstanceAttribute (user data) + Stop/Start,
eks:AssociateAccessPolicy on an access entry, ssm:UpdateDocument on a document an association runs, cloudformation:UpdateStack on a stack that holds a
service role (Rhino Security Labs, pathfinding.cloud; the `target:` requirement of each method in
analysis/escalation_methods.yaml). AGID-AWS-020/021 report them on `*`; on a NAMED target or a pattern the
power gained is what that target holds or runs as:

- a target the stack does not define (a literal name it has not, or any pattern, which may match resources
  outside it): mandatory "cannot check what TARGET holds or runs as" — the same level as AGID-AWS-055's
  PassRole of an unreadable role;
- an IAM user or Lambda function of this stack (by name, ARN or an Output of it): judged by its own power —
  the user's policies, or the function's role's (iam_links) — flagged when they allow admin, a service-wide
  write wildcard on unbounded resources or an escalation method, and passing when they do not; a function
  whose role the stack cannot tell fails closed. The function's role is what its `role` input names (a stack
  role's ARN, or its Output as iam_links.output_sources proves it), never a role it merely depends on (issue 11).
A target that is the caller itself (`user/${aws:username}`) gains it nothing and passes.
A literal target is the stack's user or function only by its explicit name or known ARN (never the logical name of an
autonamed one: `<logical>-<7 hex>`) and only when every resource whose policy names it (the principal, a RolePolicy, an
attached Policy) is created after it (iam_links.ordered_after, issue 11): the stack's `Function("decoy",
name="prod-fn")` fails to create when `prod-fn` exists, and a policy naming `function:prod-fn` that does not wait for
it grants the EXISTING function, which runs as whatever role it has.
Source: https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ and
https://pathfinding.cloud (paths iam-002/004/006, lambda-003, ssm-002, ec2-002, ec2instanceconnect-003, ...).
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis import IDENTITY, PolicyParseError, broad_grant_findings, parse_policy
from agentid_policy_packs.analysis.escalation import escalation_findings, labelled, takeovers
from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Violation
from .iam_links import LINKED_TYPES, ROLE, USER, NameIndex, link, ordered_after

FUNCTION = "aws:lambda/function:Function"
# the kinds of target whose principal the stack can tell: ARN shape -> (resource type, name group)
_TARGETS = (
    (re.compile(r"^arn:aws[a-z-]*:iam::[0-9*?]*:user/(?:.*/)?(?P<name>[^/]+)$"), USER),
    (re.compile(r"^arn:aws[a-z-]*:lambda:[^:]*:[0-9*?]*:function:(?P<name>[^:]+)(?::[^:]*)?$"), FUNCTION),
)
_CALLER = ("${aws:username}", "${aws:userid}", "${aws:principalarn}")
_POWER_CODES = ("full-admin", "not-action-allow", "broad-action")


def _parsed(documents: dict) -> tuple[dict, list[str]]:
    """The readable documents parsed (label -> PolicyDocument), and the labels of unreadable ones."""
    parsed, unreadable = {}, []
    for label, document in documents.items():
        try:
            parsed[label] = parse_policy(document, IDENTITY)
        except (PolicyParseError, RecursionError):
            unreadable.append(label)  # AGID-POL-001 reports it
    return parsed, unreadable


def _statements(parsed: dict) -> list:
    return [item for label, document in parsed.items() for item in labelled(label, document.statements)]


def _power(documents: dict) -> list[str]:
    """What a principal's policies allow beyond a tool's needs: admin, service-wide writes, escalation methods.

    An unreadable policy of the target fails closed (it is listed as such)."""
    parsed, unreadable = _parsed(documents)
    found = [f"{label}: cannot be read" for label in unreadable]
    for document in parsed.values():
        found += [f.message.removeprefix("allows ") for f in broad_grant_findings(document) if f.code in _POWER_CODES]
    methods = [f.code.split(":", 1)[1] for f in escalation_findings(_statements(parsed))]
    if methods:
        found.append(f"escalate ({', '.join(methods[:3])}{f' and {len(methods) - 3} more' if len(methods) > 3 else ''})")
    return found


def _name(resource) -> str:
    """The physical name (`name` input) when known, else the Pulumi name."""
    physical = resource.props.get("name")
    return physical if isinstance(physical, str) and not is_unknown(physical) else resource.name


class _Stack:
    """The users and functions of the stack, and what each one's principal can do."""

    def __init__(self, resources) -> None:
        self.links = link(resources)
        self.by_urn = {p.resource.urn: p for p in self.links.principals.values()}
        self.users = NameIndex((r for r in resources if r.type == USER), exact_arns=True)
        self.roles = NameIndex((r for r in resources if r.type == ROLE), exact_arns=True)
        self.functions = NameIndex((r for r in resources if r.type == FUNCTION), exact_arns=True)

    def problem(self, target: str, holders=()) -> str | None:
        """Why taking over `target` may gain power; None when it is a stack resource whose power is harmless.
        `holders`: the stack resources whose policy documents name `target`; a literal names a stack user or function
        only when each of them is created after it (iam_links.ordered_after, issue 11: a typed decoy)."""
        if any(variable in target.lower() for variable in _CALLER):
            return None  # the caller itself: nothing new
        kind = next(((pattern.match(target), type_) for pattern, type_ in _TARGETS if pattern.match(target)), None)
        if kind is None or any(ch in target for ch in "*?"):
            return f"{target} is not defined in this stack: cannot check what it holds or runs as"
        match, type_ = kind
        index = self.users if type_ == USER else self.functions
        # a function ARN may carry a version or alias after the name; a user ARN names the user exactly (its path and
        # kind must be the stack user's: another path's `user/x` is another user)
        found = index.resolve(target, ()) or (index.resolve(match["name"], ()) if type_ != USER else [])
        # the stack's `Function("decoy", name="prod-fn")` fails to create when `prod-fn` exists, and a policy naming
        # `function:prod-fn` that does not wait for it is still created: it grants the EXISTING function
        found = [r for r in found if holders and all(h is not None and ordered_after(h, r) for h in holders)]
        if not found:
            return f"{target} is not defined in this stack: cannot check what it holds or runs as"
        principal_urns = [found[0].urn]
        if type_ == FUNCTION:
            # the function's `role` input names its role: a literal ARN of a stack role, or an Output of one as
            # output_sources proves it; depends_on a harmless stack role beside another role's ARN proves nothing
            roles = self.roles.resolve_input(found[0].props.get("role"), found[0], ("arn",), "role")
            if not roles:
                return f"{target} is this stack's function {found[0].name}, but its role cannot be told: " \
                       "cannot check what it runs as"
            principal_urns = [role.urn for role in roles]
        problems = []
        for principal_urn in principal_urns:
            principal = self.by_urn.get(principal_urn)
            if principal is None or principal.pending:
                return f"{target} runs as {found[0].name}, whose policies are not known yet: cannot check what it holds"
            power = _power(principal.documents)
            if power:
                problems.append(f"{target} is this stack's {principal.kind} {_name(principal.resource)}, which "
                                f"allows {'; '.join(power)}")
        return "; ".join(problems) or None


def check(resources, config):
    stack = _Stack(resources)
    for urn, principal in stack.links.principals.items():
        statements = _statements(_parsed(principal.documents)[0])
        if not statements:
            continue
        as_written = {f.code for f in escalation_findings(statements)}
        found = takeovers(statements)
        for takeover in found:
            if f"escalation:{takeover.method.id}" in as_written:
                continue  # met on unbounded targets: AGID-AWS-020/021's
            if any(other.method.required < takeover.method.required and set(other.targets) <= set(takeover.targets)
                   for other in found):
                continue  # a method needing fewer of the same actions on the same targets says it (EKS: the
                #           association alone, without the entry): one root cause, one violation
            sources = dict(takeover.sources)
            holders = principal.holders
            problems = [p for p in (stack.problem(t, [holders.get(label) for label in sources.get(t, ())])
                                    for t in takeover.targets) if p]
            if not problems:
                continue
            yield Violation(f"{principal.kind} {_name(principal.resource)} can {takeover.method.summary} ({takeover.method.id}: "
                            f"{takeover.evidence}) — {'; '.join(problems)}", urn)


RULE = Rule(
    id="AGID-AWS-056",
    title="aws-no-takeover-of-unjudged-target",
    severity="critical",
    category="escalation",
    description="No principal may take over an existing user, function, instance, cluster or stack (its keys, "
                "code, shell, access entries) that the stack does not define, or one whose own role or user "
                "holds admin, service-wide writes or an escalation method.",
    remediation="Scope the action to resources this stack defines with harmless roles (their policies are then "
                "judged), or drop it; waive it only with the target's own policies reviewed.",
    url="https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
    check=check,
    stack=True,
    reads=(*LINKED_TYPES, FUNCTION),
)
