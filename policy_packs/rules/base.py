"""What a rule is: metadata plus a pure check function over plain resource inputs.

Rules import no Pulumi: `crossguard.py` adapts them to pulumi_policy, `agentid lint`
and the tests call them directly. A check yields outcomes:
  Violation(message[, urn])  the resource (or, for stack rules, the resource at `urn`) breaks the rule
  Unknown(path)              a value the rule needs is not known yet (preview): "cannot check until known"
A check must never raise: unexpected shapes are violations (fail closed) or Unknowns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown
from agentid_policy_packs.rules import generic_resources, k8s_lists
from agentid_policy_packs.rules.strictness import KEYWORD, check_declaration
from agentid_policy_packs.rules.type_tokens import canonical_type

SEVERITIES = ("low", "medium", "high", "critical")
# What a finding is about, by effect (README "Rule catalogue"): a fixed vocabulary shared by the pack's
# diagnostics, `agentid lint` and SARIF, so reports can be filtered and counted the same way everywhere.
CATEGORIES = (
    "admin",               # full control of an account, subscription or tenant
    "escalation",          # a path to permissions the principal was not given
    "broad-grant",         # more actions than the task needs (wildcards, NotAction, every operation)
    "unbounded-resource",  # actions on every resource of a type, not named ones
    "static-credential",   # a long-lived secret: access keys, passwords, shared keys, API keys
    "weak-trust",          # who may assume the identity is not pinned to one workload
    "public-access",       # anyone, or another account, may use the resource
    "lifetime",            # credentials or tokens that live too long
    "availability",        # stops or takes over the platform's control components (denial of service)
    "inventory",           # owner, purpose, review date and tags that make an agent accountable
    "unparseable",         # a document or value that cannot be read, so cannot be judged safe
)


def tagged(message: str, category: str) -> str:
    """A diagnostic's message with its category in front, `[admin] ...`: the one place the protocol leaves
    for per-finding metadata (a Diagnostic has no free-form fields). `category_of` reads it back."""
    return f"[{category}] {message}"


def category_of(message: str) -> tuple[str | None, str]:
    """(category, message without the tag) for a message `tagged` wrote; (None, message) otherwise."""
    if message.startswith("["):
        tag, sep, rest = message[1:].partition("] ")
        if sep and tag in CATEGORIES:
            return tag, rest
    return None, message


@dataclass(frozen=True)
class Resource:
    """A resource as a rule sees it: type token, names and plain (camelCased) inputs."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    # Whether a provider manages it. The engine sends a resource's provider with every custom resource
    # (AnalyzerResource.provider) and none with a component, which creates nothing itself. True unless
    # known otherwise: only stack rules learn it (ResourceValidationArgs are judged per type anyway).
    custom: bool = True
    # Its explicit or default provider as the engine sends it with the resource (stack rules only): a kubernetes
    # Provider's namespace and upsertExistingObjects decide where an object lands and whether it is new
    provider: Resource | None = None
    # Input name -> the URNs of the resources whose Outputs flowed into that input (the engine's
    # propertyDependencies; stack rules only). `depends_on` adds to `dependencies` alone, so this, not the
    # dependency list, says which resource an input unknown at preview can come from (iam_links.output_sources).
    # None: not sent (then only `dependencies` is known).
    property_dependencies: Mapping[str, tuple[str, ...]] | None = None
    # The engine's `ignoreChanges` (AnalyzerResourceOptions): input paths whose declared value is not applied to
    # an existing or imported object, so what is judged is not what is deployed (AGID-GEN-011)
    ignore_changes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # rules compare `type` with the default token: an API-versioned azure-native alias is the same resource
        object.__setattr__(self, "type", canonical_type(self.type))


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str | None = None
    category: str | None = None  # overrides the rule's category for this finding (one of CATEGORIES)


@dataclass(frozen=True)
class Unknown:
    path: str
    urn: str | None = None

    @property
    def message(self) -> str:
        return f"cannot check until known: {self.path} is computed during preview"


Outcome = Violation | Unknown
ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[Outcome]]
StackCheck = Callable[[list[Resource], Mapping[str, Any]], Iterable[Outcome]]


@dataclass(frozen=True)
class Rule:
    id: str  # stable, e.g. AGID-AWS-001; the policy name in the pack and its config key
    title: str  # short slug, e.g. aws-no-access-keys
    severity: str  # low | medium | high | critical
    category: str  # one of CATEGORIES: what the rule's findings are about, by effect
    description: str  # one line: what the rule demands
    remediation: str
    url: str
    check: ResourceCheck | StackCheck
    resource_types: tuple[str, ...] = ()  # resource rules: the type tokens checked; () for stack rules
    stack: bool = False
    reads: tuple[str, ...] = ()  # stack rules: the type tokens they judge (for docs/coverage.md)
    config: Mapping[str, Any] = field(default_factory=dict)  # property -> default value
    config_schema: Mapping[str, Any] = field(default_factory=dict)  # JSON schema per property
    # property -> which way is stricter (strictness.py): the gate lets a pull request tighten, never loosen
    config_strictness: Mapping[str, Any] = field(default_factory=dict)
    enforcement: str = ""  # default level; "" means mandatory for critical, advisory otherwise
    # stack rules over open-ended custom resources (`kubernetes:<group>/<version>:<Kind>` of any CRD), which `reads`
    # cannot list: True for an item kind the rule judges, so a `<Kind>List` of it whose items cannot be read is
    # reported by this rule (never passed because no rule `reads` the kind)
    reads_custom: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity {self.severity!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if not self.enforcement:
            object.__setattr__(self, "enforcement", "mandatory" if self.severity == "critical" else "advisory")
        # the tokens the rule itself judges; a generic resource of another token is judged as what it creates
        object.__setattr__(self, "declared_types", frozenset(k8s_lists.with_lists(self.resource_types)))
        # a rule for a Kubernetes kind judges the items of that kind's typed list too (k8s_lists.py), and a rule for
        # a type a generic resource may create (Cloud Control, CloudFormation, ARM) judges those (generic_resources.py)
        object.__setattr__(self, "resource_types",
                           generic_resources.with_generics(k8s_lists.with_lists(self.resource_types)))
        object.__setattr__(self, "reads", generic_resources.with_generics(k8s_lists.with_lists(self.reads)))
        check_declaration(self.id, self.config, self.config_strictness)

    @property
    def published_schema(self) -> dict[str, Any]:
        """The config schema the pack publishes: each property's schema with its strictness direction."""
        return {key: {**spec, KEYWORD: self.config_strictness[key]} if key in self.config_strictness else dict(spec)
                for key, spec in self.config_schema.items()}

    def applies_to(self, type_token: str) -> bool:
        return not self.stack and canonical_type(type_token) in self.resource_types

    def settings(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's config: defaults, overridden by well-typed values from the pack config."""
        merged = dict(self.config)
        for key, value in (overrides or {}).items():
            if key in merged and _same_kind(merged[key], value):
                merged[key] = value
        return merged


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def run_resource_rule(rule: Rule, resource: Resource, config: Mapping[str, Any] | None = None) -> list[Outcome]:
    """Run a resource rule on one resource (nothing if it does not apply)."""
    if not rule.applies_to(resource.type):
        return []
    settings = rule.settings(config)
    if generic_resources.is_generic(resource.type) and resource.type not in rule.declared_types:
        return list(_judge_inner(rule, resource, settings))
    kind = k8s_lists.item_type(resource.type)
    if kind is not None and kind in rule.resource_types:
        return list(_judge_items(rule, resource, kind, settings))
    return list(rule.check(resource, settings))


def _judge_items(rule: Rule, listed: Resource, kind: str, settings: Mapping[str, Any]) -> Iterable[Outcome]:
    """`rule` on each item of a Kubernetes `<Kind>List` (k8s_lists.py), each outcome placed at its item."""
    try:
        for index, props in k8s_lists.items(listed.props):
            item = Resource(kind, k8s_lists.item_name(listed.name, index), listed.urn, props, listed.parent,
                            listed.dependencies)
            for outcome in rule.check(item, settings):
                if isinstance(outcome, Unknown):
                    yield Unknown(f"items[{index}].{outcome.path}", outcome.urn)
                else:
                    yield outcome
    except k8s_lists.ItemsProblem as problem:
        yield Unknown(problem.path) if problem.unknown else Violation(
            f"{listed.name}: cannot check: {problem.path} is {problem.what}, so the {kind.rsplit(':', 1)[-1]} "
            "objects this list creates cannot be judged")


def inner_typed(resource: Resource) -> list[tuple[Resource, generic_resources.Inner]]:
    """The typed resources a generic resource creates (generic_resources.py), each with the generic's URN and a name
    saying where it is; [] for any other resource or one whose contents cannot be read (AGID-AWS-040 / AZ-040 say
    so)."""
    if not generic_resources.is_generic(resource.type):
        return []
    inner = generic_resources.inner_resources(resource.type, resource.props)
    if isinstance(inner, str):
        return []
    return [(Resource(item.token, f"{resource.name} {item.where}" if item.where else resource.name, resource.urn,
                      item.props, resource.parent, resource.dependencies), item)
            for item in inner if item.token is not None]


def _deploy_time(outcome: Outcome, item: generic_resources.Inner, name: str) -> Outcome:
    """An Unknown on a value a template resolves only at deployment is "cannot check" (it never becomes known to
    the pack, even at `pulumi up`); other outcomes as they are."""
    if isinstance(outcome, Unknown) and item.deploy_time:
        return Violation(f"{name}: cannot check: {outcome.path} of {item.kind} is a template expression resolved "
                         "only at deployment; declare the resource in Pulumi, or write the value", outcome.urn)
    return outcome


def _judge_inner(rule: Rule, generic: Resource, settings: Mapping[str, Any]) -> Iterable[Outcome]:
    """`rule` on each typed resource `generic` creates whose token the rule judges, each finding naming where."""
    for typed, item in inner_typed(generic):
        if typed.type not in rule.declared_types:
            continue
        for outcome in rule.check(typed, settings):
            if isinstance(outcome, Violation):
                yield Violation(f"{typed.name} ({item.kind}, judged as {typed.type}): {outcome.message}",
                                outcome.urn, outcome.category)
            else:
                yield _deploy_time(outcome, item, typed.name)


def _expand_lists(resources: list[Resource]) -> tuple[list[Resource], list[Outcome]]:
    """`resources` with each Kubernetes `<Kind>List` replaced by its items (same URN), and the outcomes for lists
    whose items cannot be read. The same list object when there is no list (the common case)."""
    if not any(k8s_lists.item_type(resource.type) for resource in resources):
        return resources, []
    expanded: list[Resource] = []
    problems: list[Outcome] = []
    for resource in resources:
        kind = k8s_lists.item_type(resource.type)
        if kind is None:
            expanded.append(resource)
            continue
        try:
            expanded.extend(Resource(kind, k8s_lists.item_name(resource.name, index), resource.urn, props,
                                     resource.parent, resource.dependencies)
                            for index, props in k8s_lists.items(resource.props))
        except k8s_lists.ItemsProblem as problem:
            problems.append(Unknown(problem.path, resource.urn) if problem.unknown else Violation(
                f"{resource.name}: cannot check: {problem.path} is {problem.what}", resource.urn))
    return expanded, problems


@dataclass(frozen=True)
class StackExpansion:
    """What every stack rule of one request is handed besides the resources themselves, derived once
    (`expand_stack`): Kubernetes lists replaced by their items, the lists whose items cannot be read (each with
    its item kind), and the typed resources generic resources create (those resolved only at deployment by URN).
    Read only: `run_stack_rule` gives each rule its own list."""

    expanded: tuple[Resource, ...]
    problems: tuple[tuple[Outcome, str], ...]
    inner: tuple[Resource, ...]
    deploy_time: Mapping[str, tuple[generic_resources.Inner, str]]


def expand_stack(resources: list[Resource]) -> StackExpansion:
    """The stack's expansion for its stack rules (k8s_lists.py, generic_resources.py), the same for every rule: the
    pack derives it once per AnalyzeStack request (crossguard._stack_validation) instead of once per rule."""
    expanded, problems = _expand_lists(resources)
    kinds = {r.urn: kind for r in resources if (kind := k8s_lists.item_type(r.type))} if problems else {}
    # what generic resources create joins the stack (the generic kept: rules of its own token read it)
    inner = [pair for resource in expanded if generic_resources.is_generic(resource.type)
             for pair in inner_typed(resource)]
    return StackExpansion(tuple(expanded), tuple((problem, kinds.get(problem.urn)) for problem in problems),
                          tuple(typed for typed, _ in inner),
                          {typed.urn: (item, typed.name) for typed, item in inner if item.deploy_time})


def run_stack_rule(rule: Rule, resources: list[Resource], config: Mapping[str, Any] | None = None,
                   expansion: StackExpansion | None = None) -> list[Outcome]:
    """Run a stack rule; Kubernetes lists reach it as their items (k8s_lists.py). A list whose items cannot be
    read is reported by the stack rules that read its kind. `expansion`: `expand_stack(resources)` when the
    caller has it already (one per request for all stack rules); the rule gets a list of its own either way."""
    if expansion is None:
        expansion = expand_stack(resources)
    reads = set(rule.reads)
    outcomes = [problem for problem, kind in expansion.problems
                if kind in reads or (rule.reads_custom is not None and kind and rule.reads_custom(kind))]
    if not expansion.inner:
        return outcomes + list(rule.check(list(expansion.expanded), rule.settings(config)))
    deploy_time = expansion.deploy_time
    found = rule.check([*expansion.expanded, *expansion.inner], rule.settings(config))
    return outcomes + [_deploy_time(outcome, *deploy_time[outcome.urn]) if outcome.urn in deploy_time else outcome
                       for outcome in found]


# --- helpers for reading inputs ------------------------------------------------


def tags_of(value: Any) -> dict[str, str] | None:
    """Tags as a dict: AWS/ARM maps, or Entra's list of "key:value" / "key=value" strings. None if unreadable."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items() if isinstance(v, str)}
    if isinstance(value, list):
        tags = {}
        for item in value:
            if isinstance(item, str):
                key, sep, rest = item.replace("=", ":", 1).partition(":")
                tags[key] = rest if sep else ""
        return tags
    return None


def number(value: Any) -> float | None:
    """A number as the engine sends it (floats; sometimes numeric strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def unknown_or_missing(value: Any) -> bool:
    return value is None or is_unknown(value)
