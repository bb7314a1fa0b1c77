"""Kubernetes `<Kind>List` resources over gRPC: each item is judged by the rules of its kind (k8s_lists.py).

A ClusterRoleBindingList / ClusterRoleList / RoleList registered as one resource creates every item; before, the
pack judged none of them (the bypass). Look-alikes: lists of harmless items pass; an empty list passes.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import analyzed
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io"
ROLE_LIST = f"{RBAC}/v1:RoleList"
CLUSTER_ROLE_LIST = f"{RBAC}/v1beta1:ClusterRoleList"
CRB_LIST = f"{RBAC}/v1:ClusterRoleBindingList"
CLUSTER_ROLE = f"{RBAC}/v1:ClusterRole"
SA = "kubernetes:core/v1:ServiceAccount"
READ_PODS = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}


def role(name, *rules):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": "n"},
            "rules": list(rules)}


@pytest.mark.parametrize("type_,flagged_item,rule_id,fragment", [
    (ROLE_LIST, role("esc", {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]}),
     "AGID-K8S-002", "items[1] rules[0] allows 'escalate'"),
    (CLUSTER_ROLE_LIST, role("all", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
     "AGID-K8S-001", "items[1] rules[0] has '*' in verbs and resources"),
])
def test_a_list_item_is_judged_as_its_kind(pack, type_, flagged_item, rule_id, fragment):
    props = {"items": [role("pods", READ_PODS), flagged_item]}
    diags = analyzed(pack, type_, "manifests", urn(type_, "manifests"), props)
    mine = [d for d in diags if d.policy_name == rule_id]
    assert len(mine) == 1 and f"manifests {fragment}" in mine[0].message, [d.message for d in diags]
    assert analyzed(pack, type_, "clean", urn(type_, "clean"), {"items": [role("pods", READ_PODS)]}) == []
    assert analyzed(pack, type_, "empty", urn(type_, "empty"), {"items": []}) == []


def test_unknown_items_and_unreadable_items_never_pass(pack):
    diags = analyzed(pack, ROLE_LIST, "later", urn(ROLE_LIST, "later"), {"items": UNKNOWN})
    assert diags and all("cannot check until known: items" in d.message for d in diags)
    diags = analyzed(pack, ROLE_LIST, "later2", urn(ROLE_LIST, "later2"), {"items": [role("r", READ_PODS) | {
        "rules": UNKNOWN}]})
    assert diags and all("items[0].rules" in d.message for d in diags)
    diags = analyzed(pack, ROLE_LIST, "bad", urn(ROLE_LIST, "bad"), {"items": ["kind: Role"]})
    # every rule that reads roles: the resource rules, and the stack rules (-003, -006 read them for bindings)
    assert {d.policy_name for d in diags} == {"AGID-K8S-001", "AGID-K8S-002", "AGID-K8S-003", "AGID-K8S-005",
                                              "AGID-K8S-006", "AGID-K8S-018"}
    assert all("bad: cannot check: items[0] is a str" in d.message for d in diags)
    diags = analyzed(pack, ROLE_LIST, "bad2", urn(ROLE_LIST, "bad2"), {"items": {"0": role("r", READ_PODS)}})
    assert diags and all("items is a dict" in d.message for d in diags)


def _binding(name, role_name, account="summarizer"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": "agents"}]}


def test_a_binding_inside_a_list_reaches_the_stack_rules(pack):
    agent_sa = StackResource(SA, "summarizer", urn(SA, "summarizer"), {
        "metadata": {"name": "summarizer", "namespace": "agents", "labels": {"agent": "summarizer"}}})
    bindings = StackResource(CRB_LIST, "bindings", urn(CRB_LIST, "bindings"), {"items": [
        _binding("b-view", "view"), _binding("b-admin", "cluster-admin")]})
    # `ci` is defined in the stack with no cloud identity and no trust naming it: not an agent's account
    ci_sa = StackResource(SA, "ci", urn(SA, "ci"), {"metadata": {"name": "ci", "namespace": "agents"}})
    harmless = StackResource(CRB_LIST, "harmless", urn(CRB_LIST, "harmless"), {"items": [
        _binding("b-view", "view"), _binding("b-ci", "cluster-admin", account="ci")]})
    diags = [d for d in pack.analyze_stack([agent_sa, ci_sa, bindings, harmless]) if d.policy_name == "AGID-K8S-003"]
    assert [(d.urn.rsplit("::", 1)[-1], "bindings items[1] binds ClusterRole cluster-admin" in d.message)
            for d in diags] == [("bindings", True)], [d.message for d in diags]


def test_a_cluster_role_inside_a_list_is_read_by_the_stack_rule(pack):
    agent_sa = StackResource(SA, "summarizer", urn(SA, "summarizer"), {
        "metadata": {"name": "summarizer", "namespace": "agents", "labels": {"agent": "summarizer"}}})
    roles = StackResource(f"{RBAC}/v1:ClusterRoleList", "roles", urn(f"{RBAC}/v1:ClusterRoleList", "roles"), {
        "items": [{"metadata": {"name": "pods-only"}, "rules": [READ_PODS]}]})
    crb = f"{RBAC}/v1:ClusterRoleBinding"
    binding = StackResource(crb, "b", urn(crb, "b"), _binding("b", "pods-only"))
    assert [d for d in pack.analyze_stack([agent_sa, roles, binding]) if d.policy_name == "AGID-K8S-003"] == []
    unreadable = StackResource(CRB_LIST, "odd", urn(CRB_LIST, "odd"), {"items": "b-admin"})
    diags = [d for d in pack.analyze_stack([agent_sa, unreadable]) if d.policy_name == "AGID-K8S-003"]
    assert len(diags) == 1 and "odd: cannot check: items is a str" in diags[0].message
