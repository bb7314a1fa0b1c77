"""AGID-K8S-005 over gRPC (red9b finding 4): cluster-admin through ClusterRole aggregation, with no binding in the
stack. Each passed `agentid preview` before (red9b c_k8s):
  label_cluster_admin     a ClusterRolePatch of cluster-admin adding only rbac.authorization.k8s.io/aggregate-to-view:
                          the aggregation controller copies */*/* into `view`, held across the cluster;
  agg_into_view           a new ClusterRole labelled aggregate-to-view whose aggregationRule selects
                          kubernetes.io/bootstrapping=rbac-defaults (every default role, cluster-admin included);
  patch_basic_user        system:basic-user (bound to system:authenticated by default) given that aggregationRule.
Sources: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles and
#default-roles-and-role-bindings (facts in analysis/k8s_rbac_facts.yaml).
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import analyzed, flagged_names
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
CLUSTER_ROLE, PATCH = f"{RBAC}:ClusterRole", f"{RBAC}:ClusterRolePatch"
TO_VIEW = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
TO_ADMIN = {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}
ALL_DEFAULTS = {"clusterRoleSelectors": [{"matchLabels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}]}
READ_CRDS = [{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get", "list", "watch"]}]


def messages(pack, type_: str, props: dict) -> list[str]:
    return [d.message for d in analyzed(pack, type_, "r", urn(type_, "r"), props)
            if d.policy_name == "AGID-K8S-005" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("type_, props, fragment", [
    (PATCH, {"metadata": {"name": "cluster-admin", "labels": TO_VIEW}},
     "labels built-in ClusterRole cluster-admin so the aggregation controller copies its rules into built-in view"),
    (PATCH, {"metadata": {"name": "edit", "labels": TO_VIEW}}, "copies its rules into built-in view"),
    (CLUSTER_ROLE, {"metadata": {"name": "metrics-helper", "labels": TO_VIEW}, "aggregationRule": ALL_DEFAULTS},
     "aggregationRule.clusterRoleSelectors[0] selects built-in ClusterRole cluster-admin"),
    (CLUSTER_ROLE, {"metadata": {"name": "extra-admin", "labels": TO_ADMIN}, "aggregationRule": ALL_DEFAULTS},
     "selects built-in ClusterRole cluster-admin"),
    # a selector of the labels edit carries (aggregate-to-admin) collects edit: secrets and pods of the namespace
    (CLUSTER_ROLE, {"metadata": {"name": "collector"}, "aggregationRule": {"clusterRoleSelectors": [
        {"matchLabels": {"app": "x"}}, {"matchLabels": TO_ADMIN}]}},
     "clusterRoleSelectors[1] selects built-in ClusterRole edit"),
    # an empty selector matches every ClusterRole; Exists on the bootstrapping label, every default one
    (CLUSTER_ROLE, {"metadata": {"name": "everything"}, "aggregationRule": {"clusterRoleSelectors": [{}]}},
     "selects built-in ClusterRole cluster-admin"),
    (CLUSTER_ROLE, {"metadata": {"name": "exists"}, "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [
        {"key": "kubernetes.io/bootstrapping", "operator": "Exists"}]}]}}, "selects built-in ClusterRole cluster-admin"),
    (PATCH, {"metadata": {"name": "system:basic-user",
                          "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "false"}},
             "aggregationRule": ALL_DEFAULTS},
     "changes the rules of built-in ClusterRole system:basic-user, which Kubernetes binds to every user by default"),
    (PATCH, {"metadata": {"name": "system:public-info-viewer"},
             "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]},
     "which Kubernetes binds to every user by default"),
    # a custom-label aggregation fed into a built-in: its rules are whatever other roles carry that label
    (CLUSTER_ROLE, {"metadata": {"name": "relay", "labels": TO_VIEW},
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"acme.example/relay": "true"}}]}},
     "cannot check: its rules come from whatever ClusterRoles its aggregationRule selects"),
    # labelling an existing role the stack does not define: its rules are not visible
    (PATCH, {"metadata": {"name": "vendor-operator", "labels": TO_VIEW}}, "cannot check: it labels ClusterRole vendor-operator"),
])
def test_aggregation_into_or_from_built_in_roles_blocks(pack, type_, props, fragment):
    found = messages(pack, type_, props)
    assert any(fragment in message for message in found), found


@pytest.mark.parametrize("type_, props", [
    # the usual operator pattern: read access to its own CRDs aggregated into view
    (CLUSTER_ROLE, {"metadata": {"name": "widgets-view", "labels": TO_VIEW}, "rules": READ_CRDS}),
    # an aggregated role collecting only the stack's own labelled roles, feeding no built-in
    (CLUSTER_ROLE, {"metadata": {"name": "monitoring"}, "aggregationRule": {"clusterRoleSelectors": [
        {"matchLabels": {"acme.example/aggregate-to-monitoring": "true"}}]}}),
    # selecting what feeds `view`: view's rules only
    (CLUSTER_ROLE, {"metadata": {"name": "viewer-plus"}, "aggregationRule": {"clusterRoleSelectors": [
        {"matchLabels": TO_VIEW}]}}),
    # NotIn rbac-defaults keeps every default role out
    (CLUSTER_ROLE, {"metadata": {"name": "custom-only"}, "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [
        {"key": "kubernetes.io/bootstrapping", "operator": "NotIn", "values": ["rbac-defaults"]}]}]}}),
    # edit feeds admin by default (edit's own label): re-applying it changes nothing
    (PATCH, {"metadata": {"name": "edit", "labels": TO_ADMIN}}),
    # a label on a harmless built-in, an annotation on one bound to everyone
    (PATCH, {"metadata": {"name": "view", "labels": {"team": "platform"}}}),
    (PATCH, {"metadata": {"name": "system:basic-user", "annotations": {"note": "x"}}}),
])
def test_look_alikes_pass(pack, type_, props):
    assert messages(pack, type_, props) == []


def test_labels_known_only_at_deployment_are_not_yet_known(pack):
    props = {"metadata": {"name": "r", "labels": UNKNOWN}, "rules": READ_CRDS}
    found = [(d.message, d.enforcement_level) for d in analyzed(pack, CLUSTER_ROLE, "r", urn(CLUSTER_ROLE, "r"), props)
             if d.policy_name == "AGID-K8S-005"]
    assert len(found) == 1 and "cannot check until known: metadata.labels" in found[0][0], found


def test_an_unknown_selector_operator_is_cannot_check(pack):
    found = messages(pack, CLUSTER_ROLE, {"metadata": {"name": "r"}, "aggregationRule": {"clusterRoleSelectors": [
        {"matchExpressions": [{"key": "a", "operator": "Matches", "values": ["x"]}]}]}})
    assert found and "cannot check" in found[0] and "operator" in found[0], found


def test_flagged_through_the_stack_path_too(pack):
    """flagged_names runs Analyze and AnalyzeStack as the engine does: one finding, on the patch."""
    assert flagged_names(pack, "AGID-K8S-005", (PATCH, "ca-label", {"metadata": {"name": "cluster-admin",
                                                                                "labels": TO_VIEW}}), "mandatory") == ["ca-label"]
