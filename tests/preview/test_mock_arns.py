"""The gate's mock outputs name AWS resources as AWS does: a rule reading a stack resource's ARN from the mocks must
meet the form a real deployment (and an attacker's literal) has."""

from __future__ import annotations

from agentid.mock_provider import MOCK_ACCOUNT, MOCK_REGION, mock_outputs
from agentid_components import iam_catalog
from agentid_policy_packs.rules.cognito_inbound_pools import _POOL_ARN


def test_a_cognito_user_pools_arn_is_cognito_idp_userpool_and_its_id() -> None:
    """Was `arn:aws:cognito:REGION:ACCOUNT:userPool/<name>`: no service `cognito`, no resource type `userPool`."""
    pool_id, state = mock_outputs("aws:cognito/userPool:UserPool", "pool", {"name": "agents"})
    assert state["arn"] == f"arn:aws:cognito-idp:{MOCK_REGION}:{MOCK_ACCOUNT}:userpool/{pool_id}"
    assert iam_catalog.resource_types_of_arn("cognito-idp", state["arn"]) == ["userpool"]
    assert _POOL_ARN.match(state["arn"])["pool"] == pool_id
    assert state["endpoint"] == f"cognito-idp.{MOCK_REGION}.amazonaws.com/{pool_id}"


def test_a_cognito_identity_pools_arn_is_cognito_identity_identitypool() -> None:
    pool_id, state = mock_outputs("aws:cognito/identityPool:IdentityPool", "ids", {"identityPoolName": "agents"})
    assert state["arn"] == f"arn:aws:cognito-identity:{MOCK_REGION}:{MOCK_ACCOUNT}:identitypool/{pool_id}"
    assert iam_catalog.resource_types_of_arn("cognito-identity", state["arn"]) == ["identitypool"]
