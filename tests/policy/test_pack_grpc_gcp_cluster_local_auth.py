"""AGID-GCP-030 over gRPC: a GKE cluster with legacy ABAC or an issued client certificate (red13 r13-2 passed; the
AKS twin, local accounts, is AGID-AZ-024's). Each flagged cluster has a look-alike with the setting off."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-030"
CLUSTER = "gcp:container/cluster:Cluster"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
BASE = {"location": "us-central1", "initialNodeCount": 1, "workloadIdentityConfig": {"workloadPool": "p1.svc.id.goog"}}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def certificate(value):
    return {"masterAuth": {"clientCertificateConfig": {"issueClientCertificate": value}}}


CASES = {
    "abac": ({"enableLegacyAbac": True}, {"enableLegacyAbac": False}, "enableLegacyAbac is true, so legacy ABAC"),
    "abac-string": ({"enableLegacyAbac": "true"}, {}, "enableLegacyAbac is true"),
    "client-cert": (certificate(True), certificate(False),
                    "masterAuth.clientCertificateConfig.issueClientCertificate is true, so GKE issues a static client"),
    "not-a-bool": ({"enableLegacyAbac": "yes"}, {"enableLegacyAbac": "false"}, "cannot check: enableLegacyAbac 'yes'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_local_auth_on_a_gke_cluster_blocks_and_off_passes(pack, case):
    flagged, look_alike, text = CASES[case]
    assert_flagged_and_look_alike(pack, case, CLUSTER, {**BASE, **flagged}, RULE, "mandatory", {**BASE, **look_alike})
    [diag] = [d for d in pack.analyze(CLUSTER, case, urn(CLUSTER, case), {**BASE, **flagged})]
    assert text in diag.message, diag.message


def test_both_settings_are_two_findings(pack):
    diags = pack.analyze(CLUSTER, "both", urn(CLUSTER, "both"), {**BASE, "enableLegacyAbac": True, **certificate(True)})
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")] * 2


def test_unknown_at_preview_is_cannot_check_until_known(pack):
    [diag] = pack.analyze(CLUSTER, "u", urn(CLUSTER, "u"), {**BASE, "enableLegacyAbac": UNKNOWN})
    assert diag.policy_name == RULE and "enableLegacyAbac" in diag.message and "until known" in diag.message
