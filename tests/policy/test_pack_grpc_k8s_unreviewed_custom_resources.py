"""AGID-K8S-017 over gRPC: a custom resource of a kind no rule judges and nobody reviewed cannot be checked (red13
r13-16's general case: an unknown controller's object passed in silence)."""

from __future__ import annotations

import pytest

from tests.policy import pack_cases

RULE = "AGID-K8S-017"


def stack_findings(pack, resources, level=None, config=None):
    if config is not None:
        pack.configure({RULE: dict(config)})
    try:
        return [(name, message.split("\n[unparseable] ", 1)[-1])
                for name, message in pack_cases.stack_findings(pack, RULE, resources, level)]
    finally:
        if config is not None:
            pack.configure({})


def message(name: str, kind: str, group: str) -> str:
    return (f"{name} is a {kind} of API group {group}, a custom resource no rule of this pack judges: its controller "
            "may create bindings, run code or use cloud credentials (cannot check); review what it does, then list "
            f"{group!r} or '{group}:{kind}' in reviewedCustomResources (waivers.yaml policyPackConfig), or waive it "
            "with a reason")


@pytest.mark.parametrize("token", [
    "kubernetes:kro.run/v1alpha1:X",  # an instance of a kro graph
    "kubernetes:argoproj.io/v1alpha1:AppProject",  # Argo CD, a kind no rule reads (Workflow is AGID-K8S-013's)
    "kubernetes:cert-manager.io/v1:ClusterIssuer",
    "kubernetes:stable.example.com/v1:CronTabPatch",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",  # a k8s.io suffix is no built-in group
])
def test_an_unreviewed_custom_resource_cannot_be_checked(pack, token):
    kind = token.rsplit(":", 1)[1].removesuffix("Patch")
    group = token.split(":")[1].rsplit("/", 1)[0]
    assert stack_findings(pack, [(token, "obj", {"spec": {}})], "mandatory") == [("obj", message("obj", kind, group))]


def test_an_unreviewed_list_is_read_item_by_item(pack):
    found = stack_findings(pack, [("kubernetes:acme.example.com/v1:WidgetList", "l", {"items": [{"spec": {}}]})],
                           "mandatory")
    assert found == [("l", message("l items[0]", "Widget", "acme.example.com"))]


def test_builtin_judged_and_reviewed_kinds_pass(pack):
    assert stack_findings(pack, [
        ("kubernetes:core/v1:ConfigMap", "cm", {"data": {}}),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr", {"rules": []}),
        ("kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID", "spiffe", {"spec": {}}),  # reviewed (the kit's own)
        ("kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "src", {"spec": {}}),  # reviewed: fetch only
        ("kubernetes:argoproj.io/v1alpha1:Workflow", "wf", {"spec": {}}),  # AGID-K8S-013's
        ("kubernetes:kyverno.io/v1:ClusterPolicy", "kp", {"spec": {"rules": []}}),  # AGID-K8S-016's
        ("kubernetes:iam.services.k8s.aws/v1alpha1:Role", "ack", {"spec": {}}),  # AGID-K8S-015's
        ("kubernetes:ec2.services.k8s.aws/v1alpha1:VPC", "vpc", {"spec": {}}),  # AGID-K8S-015 reviewed
    ]) == []


def test_reviewed_custom_resources_setting_by_group_and_by_kind(pack):
    crs = [("kubernetes:cert-manager.io/v1:Certificate", "cert", {"spec": {}}),
           ("kubernetes:cert-manager.io/v1:ClusterIssuer", "ci", {"spec": {}})]
    assert stack_findings(pack, crs, config={"reviewedCustomResources": ["cert-manager.io"]}) == []
    assert stack_findings(pack, crs, "mandatory", config={"reviewedCustomResources": ["cert-manager.io:Certificate"]}) \
        == [("ci", message("ci", "ClusterIssuer", "cert-manager.io"))]


@pytest.mark.parametrize("rule,token", [
    (RULE, "kubernetes:acme.example.com/v1:WidgetList"),
    ("AGID-K8S-016", "kubernetes:argoproj.io/v1alpha1:ApplicationList"),
    ("AGID-K8S-015", "kubernetes:iam.services.k8s.aws/v1alpha1:RoleList"),
])
def test_a_custom_resource_list_whose_items_cannot_be_read_is_not_passed(pack, rule, token):
    found = pack_cases.stack_findings(pack, rule, [(token, "l", {"items": "x"})], "mandatory")
    assert [(name, text.split("\n", 1)[1].split("] ", 1)[1]) for name, text in found] == [
        ("l", "l: cannot check: items is a str, not a list of objects")]
    # a list of a built-in kind is the typed rules' (its items are read by the rules of that kind)
    assert pack_cases.stack_findings(pack, rule, [("kubernetes:core/v1:ConfigMapList", "c", {"items": "x"})]) == []
