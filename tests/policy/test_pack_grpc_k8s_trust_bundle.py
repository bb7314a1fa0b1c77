"""AGID-K8S-019 over gRPC: ClusterTrustBundles the stack writes itself (issue 11: judged by no rule), for every
served version, their patches and lists; the stack's own mesh signer and a signer-unlinked bundle pass."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-K8S-019"
VERSIONS = ("v1alpha1", "v1beta1", "v1")
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
MESH = "mesh.acme.example/workload"


def bundle(version="v1", kind="ClusterTrustBundle"):
    return f"kubernetes:certificates.k8s.io/{version}:{kind}"


def judged(pack, type_, name, spec, level=None):
    props = {"metadata": {"name": name}, **({"spec": spec} if spec is not None else {})}
    return flagged_names(pack, RULE, (type_, "ctb", props), level)


@pytest.fixture
def own_mesh(pack):
    pack.configure({RULE: {"ownK8sSigners": [MESH]}})
    yield
    pack.configure({})


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("signer", ["kubernetes.io/kube-apiserver-client", "kubernetes.io/kubelet-serving",
                                    "Kubernetes.IO/legacy-unknown", "x.k8s.io/anything",
                                    "beta.eks.amazonaws.com/app-serving"])
def test_a_cluster_signer_blocks_even_listed(pack, version, signer):
    pack.configure({RULE: {"ownK8sSigners": [signer]}})
    try:
        name = signer.replace("/", ":") + ":evil"
        assert judged(pack, bundle(version), name, {"signerName": signer, "trustBundle": PEM}, "mandatory") == ["ctb"]
    finally:
        pack.configure({})


@pytest.mark.parametrize("version", VERSIONS)
def test_a_signer_not_listed_blocks_and_the_own_mesh_passes(pack, own_mesh, version):
    spec = {"signerName": "mesh.attacker.example/workload", "trustBundle": PEM}
    assert judged(pack, bundle(version), "mesh.attacker.example:workload:root", spec, "mandatory") == ["ctb"]
    # look-alike: the stack's own mesh under its own signer name
    assert judged(pack, bundle(version), "mesh.acme.example:workload:root", {"signerName": MESH,
                                                                              "trustBundle": PEM}) == []
    # a near-miss of the listed name is another signer
    assert judged(pack, bundle(version), "x", {"signerName": MESH + "-2", "trustBundle": PEM}, "mandatory") == ["ctb"]


def test_with_no_signer_listed_it_cannot_tell(pack):
    diags = pack.analyze(bundle(), "ctb", "urn:pulumi:dev::p::" + bundle() + "::ctb",
                         {"metadata": {"name": "mesh.acme.example:workload:root"},
                          "spec": {"signerName": MESH, "trustBundle": PEM}})
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")]
    assert "lists no own signers (ownK8sSigners)" in diags[0].message


def test_a_signer_unlinked_bundle_passes(pack):
    assert judged(pack, bundle(), "acme-internal-roots", {"trustBundle": PEM}) == []
    assert judged(pack, bundle("v1beta1"), "acme-internal-roots", {"signerName": "", "trustBundle": PEM}) == []


def test_a_patch_of_an_existing_bundles_anchors_blocks(pack, own_mesh):
    patch = bundle(kind="ClusterTrustBundlePatch")
    assert judged(pack, patch, "platform-roots", {"trustBundle": PEM}, "mandatory") == ["ctb"]
    assert judged(pack, bundle("v1alpha1", "ClusterTrustBundlePatch"), "kubernetes.io:kube-apiserver-serving:x",
                  {"signerName": "kubernetes.io/kube-apiserver-serving", "trustBundle": PEM}, "mandatory") == ["ctb"]
    # look-alikes: a patch of labels only, and one of the own mesh's bundle
    assert judged(pack, patch, "platform-roots", None) == []
    assert judged(pack, patch, "mesh.acme.example:workload:root", {"signerName": MESH, "trustBundle": PEM}) == []


def test_items_of_a_list_are_judged(pack):
    item = {"metadata": {"name": "kubernetes.io:kubelet-serving:x"},
            "spec": {"signerName": "kubernetes.io/kubelet-serving", "trustBundle": PEM}}
    assert flagged_names(pack, RULE, (bundle(kind="ClusterTrustBundleList"), "ctbs", {"items": [item]}),
                         "mandatory") == ["ctbs"]


def test_unknown_or_unreadable_is_not_a_pass(pack, own_mesh):
    assert judged(pack, bundle(), "x", {"signerName": UNKNOWN, "trustBundle": PEM}) == ["ctb"]
    assert judged(pack, bundle(), "x", {"signerName": 7, "trustBundle": PEM}, "mandatory") == ["ctb"]
    assert judged(pack, bundle(), "x", {"signerName": "no-domain", "trustBundle": PEM}, "mandatory") == ["ctb"]
    assert judged(pack, bundle(), "x", "spec", "mandatory") == ["ctb"]
    assert judged(pack, bundle(), "x", None, "mandatory") == ["ctb"]
