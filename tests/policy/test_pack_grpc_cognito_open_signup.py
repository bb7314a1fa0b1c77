"""AGID-AWS-060, over gRPC (red9a #15): an identity pool whose authenticated identities anyone can become.

A user pool with self sign-up (allowAdminCreateUserOnly false, or the AWS default: no adminCreateUserConfig) feeding an
identity pool gives every internet sign-up the authenticated role's credentials; so does a social login provider.
Look-alikes: the same identity pool over an admin-only user pool (as the kit's own OAuth pool is), and an identity pool
over a pool outside the stack (not judged).
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

USER_POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
ENDPOINT = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def stack(pool_props: dict, *, through_client: bool = True, logins: dict | None = None) -> list[StackResource]:
    pool = StackResource(USER_POOL, "up", urn(USER_POOL, "up"), pool_props)
    client = StackResource(CLIENT, "upc", urn(CLIENT, "upc"), {"userPoolId": "eu-west-1_AbCdEf123"},
                           dependencies=[pool.urn])
    identity = StackResource(IDENTITY_POOL, "ip", urn(IDENTITY_POOL, "ip"), {
        "identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
        "cognitoIdentityProviders": [{"clientId": "3abc", "providerName": ENDPOINT}],
        **({"supportedLoginProviders": logins} if logins else {})},
        dependencies=[client.urn] if through_client else [pool.urn, client.urn])
    return [pool, client, identity]


def test_a_self_sign_up_pool_feeding_an_identity_pool_is_a_mandatory_violation(pack) -> None:
    for props, through_client in (({"adminCreateUserConfig": {"allowAdminCreateUserOnly": False}}, True),
                                  ({}, True),  # AWS's default: anyone signs up
                                  ({"adminCreateUserConfig": {"allowAdminCreateUserOnly": False}}, False),
                                  ({"adminCreateUserConfig": "admin-only"}, True)):  # unreadable: cannot check
        findings = stack_findings(pack, "AGID-AWS-060", stack(props, through_client=through_client), "mandatory")
        assert [name for name, _ in findings] == ["ip"], props
        assert "user pool up" in findings[0][1]


def test_social_login_providers_are_a_mandatory_violation(pack) -> None:
    admin_only = {"adminCreateUserConfig": {"allowAdminCreateUserOnly": True}}
    findings = stack_findings(pack, "AGID-AWS-060", stack(admin_only, logins={"accounts.google.com": "123.apps"}),
                              "mandatory")
    assert [(name, "Google accounts" in message) for name, message in findings] == [("ip", True)]


def test_an_admin_only_pool_or_a_pool_outside_the_stack_passes(pack) -> None:
    admin_only = stack({"adminCreateUserConfig": {"allowAdminCreateUserOnly": True}})
    assert stack_findings(pack, "AGID-AWS-060", admin_only) == []
    outside = [r for r in stack({}) if r.type == IDENTITY_POOL]
    assert stack_findings(pack, "AGID-AWS-060", [StackResource(r.type, r.name, r.urn, r.properties) for r in outside]) == []
