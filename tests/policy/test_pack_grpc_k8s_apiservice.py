"""AGID-K8S-014 over gRPC: APIServices the stack writes itself (red11b finding 5: an APIServicePatch routing
v1.rbac.authorization.k8s.io to a Service passed), and the aggregated APIs that must pass."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

APISERVICE = "kubernetes:apiregistration.k8s.io/v1:APIService"
PATCH = "kubernetes:apiregistration.k8s.io/v1:APIServicePatch"
BETA = "kubernetes:apiregistration.k8s.io/v1beta1:APIService"
LIST = "kubernetes:apiregistration.k8s.io/v1:APIServiceList"
SERVICE = {"name": "evil", "namespace": "agents", "port": 443}
CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"  # base64 text; the rule reads presence, never the certificate


def judged(pack, type_, name, spec, level=None):
    props = {"metadata": {"name": name}, **({"spec": spec} if spec is not None else {})}
    return flagged_names(pack, "AGID-K8S-014", (type_, "apisvc", props), level)


@pytest.mark.parametrize("group", ["rbac.authorization.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
                                   "certificates.k8s.io", "apps", "admissionregistration.k8s.io"])
def test_a_built_in_group_routed_to_a_service_blocks_even_verified(pack, group):
    spec = {"group": group, "version": "v1", "service": SERVICE, "caBundle": CA, "groupPriorityMinimum": 100000,
            "versionPriority": 100}
    assert judged(pack, APISERVICE, f"v1.{group}", spec, "mandatory") == ["apisvc"]
    assert judged(pack, BETA, f"v1.{group}", spec, "mandatory") == ["apisvc"]


def test_the_red11b_patch_blocks(pack):
    spec = {"group": "rbac.authorization.k8s.io", "version": "v1", "insecureSkipTLSVerify": True,
            "groupPriorityMinimum": 100000, "versionPriority": 100, "service": SERVICE}
    assert judged(pack, PATCH, "v1.rbac.authorization.k8s.io", spec, "mandatory") == ["apisvc"]


def test_the_group_is_read_from_the_name_too(pack):
    # a patch naming only the object: metadata.name v1.authentication.k8s.io is the group, spec.group left out
    assert judged(pack, PATCH, "v1.authentication.k8s.io", {"service": SERVICE, "caBundle": CA}) == ["apisvc"]
    assert judged(pack, APISERVICE, "v1.", {"group": "", "version": "v1", "service": SERVICE, "caBundle": CA}) == ["apisvc"]
    assert judged(pack, APISERVICE, "v1.RBAC.authorization.k8s.io", {"version": "v1", "service": SERVICE,
                                                                     "caBundle": CA}) == ["apisvc"]


def test_any_group_at_an_unverified_service_blocks(pack):
    base = {"group": "metrics.k8s.io", "version": "v1beta1", "service": SERVICE}
    assert judged(pack, APISERVICE, "v1beta1.metrics.k8s.io", {**base, "insecureSkipTLSVerify": True},
                  "mandatory") == ["apisvc"]
    assert judged(pack, APISERVICE, "v1beta1.metrics.k8s.io", base, "mandatory") == ["apisvc"]
    assert judged(pack, APISERVICE, "v1beta1.metrics.k8s.io", {**base, "caBundle": "  "}) == ["apisvc"]
    # a patch turning verification off on an existing aggregated API
    assert judged(pack, PATCH, "v1beta1.metrics.k8s.io", {"insecureSkipTLSVerify": True}) == ["apisvc"]


def test_look_alikes_pass(pack):
    # an add-on group verified by its caBundle: what aggregation is for
    assert judged(pack, APISERVICE, "v1beta1.metrics.k8s.io", {"group": "metrics.k8s.io", "version": "v1beta1",
                  "service": {"name": "metrics-server", "namespace": "kube-system"}, "caBundle": CA,
                  "groupPriorityMinimum": 100, "versionPriority": 100}) == []
    # a local (Service-less) APIService for a built-in group: the API server serves it itself
    assert judged(pack, APISERVICE, "v1.apps", {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800,
                                                "versionPriority": 15}) == []
    # a patch changing only the priority of a built-in group
    assert judged(pack, PATCH, "v1.apps", {"versionPriority": 16}) == []
    assert judged(pack, PATCH, "v1beta1.metrics.k8s.io", {"insecureSkipTLSVerify": False}) == []


def test_items_of_a_list_are_judged(pack):
    item = {"metadata": {"name": "v1.rbac.authorization.k8s.io"},
            "spec": {"group": "rbac.authorization.k8s.io", "version": "v1", "service": SERVICE, "caBundle": CA}}
    assert flagged_names(pack, "AGID-K8S-014", (LIST, "apisvcs", {"items": [item]}), "mandatory") == ["apisvcs"]


def test_unknown_or_unreadable_is_not_a_pass(pack):
    assert judged(pack, APISERVICE, "v1beta1.metrics.k8s.io", {"group": "metrics.k8s.io", "version": "v1beta1",
                  "service": SERVICE, "caBundle": UNKNOWN}) == ["apisvc"]
    assert judged(pack, APISERVICE, "v1.x.example", {"group": UNKNOWN, "service": SERVICE, "caBundle": CA}) == ["apisvc"]
    assert judged(pack, APISERVICE, "v1.x.example", {"group": "x.example", "service": "evil", "caBundle": CA},
                  "mandatory") == ["apisvc"]
    assert judged(pack, APISERVICE, "v1.x.example", None, "mandatory") == ["apisvc"]
