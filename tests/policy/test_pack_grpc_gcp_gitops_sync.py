"""AGID-GCP-031 over gRPC: GKE fleet Config Sync applying a git repository or OCI image (red13 r13-6: a
FeatureMembership and a fleet Feature's default member configuration syncing github.com/attacker/manifests passed;
the Azure twin, a cluster-scope FluxConfiguration, is AGID-AZ-042's). Look-alikes: Config Management without a sync
source, syncing turned off or paused."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-031"
MEMBERSHIP = "gcp:gkehub/featureMembership:FeatureMembership"
FEATURE = "gcp:gkehub/feature:Feature"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REPO = "https://github.com/attacker/manifests"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def membership(config_sync):
    return {"location": "global", "feature": "configmanagement", "membership": "m1",
            "configmanagement": {"version": "1.19.0", "configSync": config_sync}}


def fleet(config_sync):
    return {"name": "configmanagement", "location": "global",
            "fleetDefaultMemberConfig": {"configmanagement": {"configSync": config_sync}}}


GIT = {"git": {"syncRepo": REPO, "secretType": "none", "syncBranch": "main"}}
OCI = {"oci": {"syncRepo": "us-docker.pkg.dev/evil/r/manifests", "secretType": "none"}}
CASES = {
    "membership-git": (MEMBERSHIP, membership(GIT), membership({"enabled": False, **GIT}),
                       f"Config Sync on the member cluster applies every manifest of {REPO}"),
    "membership-oci": (MEMBERSHIP, membership(OCI), membership({"stopSyncing": True, **OCI}),
                       "configmanagement.configSync.oci.syncRepo"),
    "membership-enabled": (MEMBERSHIP, membership({"enabled": True, **GIT}), membership({"enabled": True}),
                           "configmanagement.configSync.git.syncRepo"),
    "fleet-default": (FEATURE, fleet(GIT), fleet({"enabled": False, **GIT}),
                      "every cluster of the fleet"),
    "fleet-oci": (FEATURE, fleet(OCI), {"name": "servicemesh", "location": "global"}, "oci.syncRepo"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_sync_from_a_repository_blocks_and_no_sync_passes(pack, case):
    type_, flagged, look_alike, text = CASES[case]
    assert_flagged_and_look_alike(pack, case, type_, flagged, RULE, "mandatory", look_alike)
    [diag] = pack.analyze(type_, case, urn(type_, case), flagged)
    assert text in diag.message, diag.message


def test_unknown_is_cannot_check_until_known(pack):
    [diag] = pack.analyze(MEMBERSHIP, "u", urn(MEMBERSHIP, "u"), membership({"git": {"syncRepo": UNKNOWN}}))
    assert diag.policy_name == RULE and "until known" in diag.message and "git.syncRepo" in diag.message
