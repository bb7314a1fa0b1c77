"""AGID-K8S-012 over gRPC: no workload runs in kube-system as a service account the stack does not create (red10 2:
a Job, a Pod and a Deployment patch running as clusterrole-aggregation-controller passed)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-K8S-012"
CONTAINERS = [{"name": "c", "image": "bitnami/kubectl", "command": ["kubectl", "create", "clusterrolebinding", "x"]}]


def res(type_, name, props):
    return StackResource(type_, name, urn(type_, name), props)


def pod(namespace, account, type_="kubernetes:core/v1:Pod"):
    spec = {"containers": CONTAINERS, **({"serviceAccountName": account} if account else {})}
    return res(type_, "p", {"metadata": {"name": "p", "namespace": namespace}, "spec": spec})


def job(namespace, account):
    return res("kubernetes:batch/v1:Job", "j", {"metadata": {"namespace": namespace}, "spec": {"template": {"spec": {
        "serviceAccountName": account, "containers": CONTAINERS, "restartPolicy": "Never"}}}})


def findings(pack, *resources):
    return dict(stack_findings(pack, RULE, resources, "mandatory"))


@pytest.mark.parametrize("workload", [pod("kube-system", "clusterrole-aggregation-controller"),
                                      job("kube-system", "generic-garbage-collector"),
                                      pod("kube-system", "kube-proxy", "kubernetes:core/v1:Pod")])
def test_a_workload_in_kube_system_as_an_account_the_stack_does_not_create_blocks(pack, workload):
    found = findings(pack, workload)
    assert list(found) == [workload.name] and "runs in kube-system as service account" in found[workload.name]


def test_patching_an_existing_kube_system_workloads_pod_spec_blocks(pack):
    patch = res("kubernetes:apps/v1:DeploymentPatch", "coredns", {"metadata": {"name": "coredns", "namespace": "kube-system"},
                                                                  "spec": {"template": {"spec": {"containers": CONTAINERS}}}})
    assert "sets the pod spec (spec.template.spec) of an existing workload in kube-system" in findings(pack, patch)["coredns"]


def test_look_alikes_pass(pack):
    own = res("kubernetes:core/v1:ServiceAccount", "addon", {"metadata": {"name": "addon", "namespace": "kube-system"}})
    assert findings(pack, own, pod("kube-system", "addon")) == {}  # the stack's own account there
    assert findings(pack, pod("kube-system", "default")) == {}
    assert findings(pack, pod("kube-system", None)) == {}
    assert findings(pack, pod("agents", "clusterrole-aggregation-controller")) == {}  # another namespace's account
    # a patch that leaves the pod spec alone (labels only)
    assert findings(pack, res("kubernetes:apps/v1:DeploymentPatch", "d", {
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"team": "x"}}})) == {}


def test_an_account_unknown_at_preview_is_not_a_pass(pack):
    found = [m for _, m in stack_findings(pack, RULE, [pod("kube-system", UNKNOWN)])]
    assert len(found) == 1 and "cannot check until known" in found[0]
