"""Issue 17: the stack rules' view of Kubernetes lists and generic resources is derived once per AnalyzeStack.

`base.run_stack_rule` expanded every `<Kind>List` into its items and every generic resource (Cloud Control,
CloudFormation, ARM) into what it creates again for each of the ~58 stack rules (`_expand_lists` and
`k8s_lists.item_type` ~150k calls at 200 agents). The pack now derives `base.expand_stack` once per request
(crossguard._shared_expansion) and hands each rule a list of its own. Proved here: the pack's answer over the whole
rule set is the same as with the expansion derived per rule (flagged items of a list, an unreadable list, a generic
resource's created resource, and their harmless look-alikes), the expansion runs once a request, and a rule that
changes the list it was given changes nothing another rule sees.
"""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.rules import base, crossguard
from agentid_policy_packs.rules.base import CATEGORIES, Resource, Rule, Violation, expand_stack, run_stack_rule
from agentid_policy_packs.rules.crossguard import to_policy
from agentid_policy_packs.rules.registry import RULES
from tests.policy.test_crossguard import _stack_request

RBAC = "kubernetes:rbac.authorization.k8s.io"
SA = "kubernetes:core/v1:ServiceAccount"
CRB_LIST = f"{RBAC}/v1:ClusterRoleBindingList"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"


def _binding(name: str, role_name: str, account: str = "summarizer") -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": "agents"}]}


def _task(role_arn: str) -> dict:
    state = {"WindowId": "mw-1", "TaskType": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript", "Priority": 1,
             "ServiceRoleArn": role_arn, "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]}
    return {"typeName": "AWS::SSM::MaintenanceWindowTask", "desiredState": json.dumps(state)}


STACK = [
    (SA, "summarizer", "", [], {"metadata": {"name": "summarizer", "namespace": "agents",
                                             "labels": {"agent": "summarizer"}}}, True),
    (SA, "ci", "", [], {"metadata": {"name": "ci", "namespace": "agents"}}, True),
    # flagged: the agent's account bound to cluster-admin by the list's second item
    (CRB_LIST, "bindings", "", [], {"items": [_binding("b-view", "view"), _binding("b-admin", "cluster-admin")]},
     True),
    # look-alike: the same binding for an account that is no agent's
    (CRB_LIST, "harmless", "", [], {"items": [_binding("b-view2", "view"),
                                              _binding("b-ci", "cluster-admin", account="ci")]}, True),
    # an unreadable list: cannot check, by the rules that read its kind
    (CRB_LIST, "odd", "", [], {"items": "b-admin"}, True),
    # a generic resource creating a maintenance task that runs as a role the stack does not define
    (CLOUD_CONTROL, "task", "", [], _task("arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"), True),
]


def _answer(monkeypatch: pytest.MonkeyPatch, per_rule: bool) -> tuple[list[tuple[str, str, str, int]], int]:
    """(policy, resource name, message, level) of every diagnostic of the whole pack's stack rules, as the pack's
    AnalyzeStack answers, and how many times the lists were expanded."""
    import pulumi_policy.policy as sdk
    from pulumi_policy import EnforcementLevel

    calls = []
    expand = base._expand_lists
    monkeypatch.setattr(base, "_expand_lists", lambda resources: calls.append(1) or expand(resources))
    if per_rule:  # as before: each rule derives the expansion itself
        monkeypatch.setattr(crossguard, "_shared_expansion", lambda shared: None)
    once, problem = crossguard._stack_resources_once(sdk, sdk._PolicyAnalyzerServicer)
    assert problem is None
    analyze_stack = crossguard._remembering_the_request(once)
    policies = [to_policy(rule) for rule in RULES if rule.stack]
    servicer = sdk._PolicyAnalyzerServicer("pack", "0.0.1", policies, EnforcementLevel.MANDATORY, {})
    response = analyze_stack(servicer, _stack_request(STACK), None)
    monkeypatch.undo()
    return (sorted((d.policyName, d.urn.rsplit("::", 1)[-1], d.message, d.enforcementLevel)
                   for d in response.diagnostics), len(calls))


def test_the_pack_answers_as_with_the_expansion_per_rule_and_expands_once(monkeypatch):
    shared, shared_calls = _answer(monkeypatch, per_rule=False)
    per_rule, per_rule_calls = _answer(monkeypatch, per_rule=True)
    assert shared == per_rule
    stack_rules = sum(1 for rule in RULES if rule.stack)
    assert (shared_calls, per_rule_calls) == (1, stack_rules)
    k8s = [(name, message.rsplit("\n", 1)[-1]) for policy, name, message, _ in shared if policy == "AGID-K8S-003"]
    assert len(k8s) == 2, k8s
    assert {name for name, _ in k8s} == {"bindings", "odd"}
    assert any(name == "bindings" and "bindings items[1] binds ClusterRole cluster-admin" in message
               for name, message in k8s)
    assert any(name == "odd" and "odd: cannot check: items is a str" in message for name, message in k8s)
    runners = [message for policy, name, message, level in shared if policy == "AGID-AWS-057" and name == "task"]
    assert len(runners) == 2 and any(
        "as role arn:aws:iam::111122223333:role/OrganizationAccountAccessRole (serviceRoleArn)" in message
        for message in runners), runners
    # the look-alike is no agent's escalation (K8S-003); any cluster-admin binding is K8S-006's, in both lists
    assert {policy for policy, name, _, _ in shared if name == "harmless"} == {"AGID-K8S-006"}
    assert sorted(message.rsplit("\n", 1)[-1].split(" grants")[0] for policy, _, message, _ in shared
                  if policy == "AGID-K8S-006") == ["[admin] bindings items[1]", "[admin] harmless items[1]",
                                                   "[admin] odd: cannot check: items is a str, not a list of objects"]


def _rule(rule_id: str, check) -> Rule:
    return Rule(id=rule_id, title=rule_id.lower(), severity="low", category=CATEGORIES[0], description="d",
                remediation="r", url="https://example.invalid", check=check, stack=True)


def test_a_rule_changing_its_list_changes_nothing_another_rule_sees():
    resources = [Resource(CRB_LIST, "bindings", "urn:b", {"items": [_binding("b1", "view"), _binding("b2", "edit")]}),
                 Resource(SA, "summarizer", "urn:s", {"metadata": {"name": "summarizer"}})]
    expansion = expand_stack(resources)

    def vandal(given, _settings):
        given.clear()
        given.append(Resource(SA, "forged", "urn:f", {}))
        return []

    def reader(given, _settings):
        return [Violation(f"{r.type} {r.name}", r.urn) for r in given]

    assert run_stack_rule(_rule("T-1", vandal), resources, None, expansion) == []
    seen = run_stack_rule(_rule("T-2", reader), resources, None, expansion)
    assert [outcome.message for outcome in seen] == [
        f"{RBAC}/v1:ClusterRoleBinding bindings items[0]", f"{RBAC}/v1:ClusterRoleBinding bindings items[1]",
        f"{SA} summarizer"]
    assert seen == run_stack_rule(_rule("T-2", reader), resources)  # as derived for the rule alone
    assert [r.name for r in resources] == ["bindings", "summarizer"]

