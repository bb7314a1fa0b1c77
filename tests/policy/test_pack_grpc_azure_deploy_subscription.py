"""AGID-AZ-067 over gRPC: an azure-native provider deploys only into a subscription the gate lists (red19 r19-5's
Azure twin: a provider's or the stack file's subscriptionId moved the stack's Key Vault secrets and blobs into a
subscription the pull request's author holds). Each case: the flagged provider gets exactly AZ-067, its look-alike
nothing."""

from __future__ import annotations

import json
import os

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

PROVIDER = "pulumi:providers:azure-native"
OWN = "11111111-2222-3333-4444-555555555555"
OTHER = "99999999-8888-7777-6666-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownSubscriptionIds": [OWN], "ownTenantIds": [TENANT]}})
    yield pack
    pack.configure({})


@pytest.mark.parametrize("case,flagged,look_alike", [
    ("other", {"subscriptionId": OTHER}, {"subscriptionId": OWN}),
    ("upper-case-own", {"subscriptionId": OTHER.upper()}, {"subscriptionId": OWN.upper()}),
    ("arm-id", {"subscriptionId": f"/subscriptions/{OTHER}"}, {"subscriptionId": f"/subscriptions/{OWN}/"}),
    ("not-an-id", {"subscriptionId": "my-subscription"}, {}),  # none: the runner's own subscription
    ("unset-is-runner", {"subscriptionId": OTHER, "tenantId": TENANT}, {"location": "westeurope", "tenantId": TENANT}),
])
def test_a_provider_in_another_subscription_is_a_mandatory_violation(own_pack, case, flagged, look_alike):
    assert_flagged_and_look_alike(own_pack, case, PROVIDER, flagged, "AGID-AZ-067", "mandatory", look_alike)


def test_nothing_listed_is_cannot_tell_and_the_stack_file_vouches_for_nothing():
    """The engine gives the pack the stack config (PULUMI_CONFIG): its azure-native:subscriptionId is the pull
    request's, so the default provider built from it is judged against the gate's list, not by itself."""
    from agentid.analyzer_client import PackProcess
    from tests.policy.test_pack_grpc import PACK

    env = {**os.environ, "PULUMI_CONFIG": json.dumps({"azure-native:subscriptionId": OTHER})}
    with PackProcess.start(PACK, timeout=60, env=env) as running:
        running.configure({})

        def az067(props):
            return [(d.enforcement_level, d.message) for d in running.analyze(PROVIDER, "default", urn(PROVIDER, "default"), props)
                    if d.policy_name == "AGID-AZ-067"]
        [(level, message)] = az067({"subscriptionId": OTHER, "location": "westeurope"})
        assert level == "mandatory" and "the gate lists no own subscriptions (ownSubscriptionIds), so it cannot tell" in message
        running.configure({"all": {"ownSubscriptionIds": [OWN]}})
        [(level, message)] = az067({"subscriptionId": OTHER})
        assert level == "mandatory" and f"not one of ownSubscriptionIds ({OWN})" in message
        # the gate's own subscription, pack-wide as --own-subscription sends it, passes
        assert az067({"subscriptionId": OWN}) == []


def test_a_listed_subscription_names_the_list_and_an_unknown_one_cannot_be_checked(own_pack):
    [diag] = own_pack.analyze(PROVIDER, "p", urn(PROVIDER, "p"), {"subscriptionId": OTHER})
    assert (diag.policy_name, diag.enforcement_level) == ("AGID-AZ-067", "mandatory")
    assert f"subscription {OTHER}, not one of ownSubscriptionIds ({OWN})" in diag.message
    [unknown] = [d for d in own_pack.analyze(PROVIDER, "u", urn(PROVIDER, "u"), {"subscriptionId": UNKNOWN})
                 if d.policy_name == "AGID-AZ-067"]
    assert "cannot check until known: u.subscriptionId" in unknown.message
