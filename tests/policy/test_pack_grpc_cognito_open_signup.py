"""AGID-AWS-060, over gRPC (red9a #15): an identity pool whose authenticated identities anyone can become.

A user pool with self sign-up (allowAdminCreateUserOnly false, or the AWS default: no adminCreateUserConfig) feeding an
identity pool gives every internet sign-up the authenticated role's credentials; so does a social login provider.
Look-alike: the same identity pool over an admin-only user pool (as the kit's own OAuth pool is).
Issue 11: each provider names its pool by its own providerName (the pool's endpoint); a bare depends_on names none, and
a pool the stack does not define cannot be checked (mandatory).
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

USER_POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
ENDPOINT = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def stack(pool_props: dict, *, through_client: bool = True, logins: dict | None = None) -> list[StackResource]:
    """As a preview sends `provider_name=up.endpoint, client_id=upc.id` (through_client: a provider name built from
    the client's userPoolId Output instead): unknown values from the stack's pool and client."""
    pool = StackResource(USER_POOL, "up", urn(USER_POOL, "up"), pool_props)
    client = StackResource(CLIENT, "upc", urn(CLIENT, "upc"), {"userPoolId": UNKNOWN}, dependencies=[pool.urn],
                           property_dependencies={"userPoolId": [pool.urn]})
    identity = StackResource(IDENTITY_POOL, "ip", urn(IDENTITY_POOL, "ip"), {
        "identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
        "cognitoIdentityProviders": [{"clientId": UNKNOWN, "providerName": UNKNOWN}],
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


def test_an_admin_only_pool_passes(pack) -> None:
    for through_client in (True, False):
        admin_only = stack({"adminCreateUserConfig": {"allowAdminCreateUserOnly": True}}, through_client=through_client)
        assert stack_findings(pack, "AGID-AWS-060", admin_only) == []


CLOSED = {"adminCreateUserConfig": {"allowAdminCreateUserOnly": True}}
OPEN_POOL = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OPEN"


def existing_pool_stack(provider_name: str, *depends_on: str, by_input: dict | None = None,
                        closed_props: dict | None = None) -> list[StackResource]:
    closed = StackResource(USER_POOL, "closed", urn(USER_POOL, "closed"), closed_props or CLOSED)
    marker = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    deps = {"closed": closed.urn, "marker": marker.urn}
    identity = StackResource(IDENTITY_POOL, "ip", urn(IDENTITY_POOL, "ip"), {
        "identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
        "cognitoIdentityProviders": [{"clientId": "x", "providerName": provider_name}]},
        dependencies=[deps[d] for d in depends_on],
        property_dependencies=None if by_input is None else {k: [deps[d] for d in v] for k, v in by_input.items()})
    return [closed, marker, identity]


def test_a_user_pool_the_stack_does_not_define_cannot_be_checked_whatever_the_identity_pool_depends_on(pack) -> None:
    """issue 11: an identity pool trusting an EXISTING open user pool (its endpoint a literal) with
    `depends_on=[the stack's closed pool]` was judged as the closed pool and passed; without depends_on it was not
    judged at all. Both block; so does an unknown provider name no dependency proves (a constant behind another
    Output)."""
    for depends_on in ((), ("closed",)):
        found = stack_findings(pack, "AGID-AWS-060", existing_pool_stack(OPEN_POOL, *depends_on), "mandatory")
        assert [(n, m.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for n, m in found] == [(
            "ip", "identity pool ip trusts user pool 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OPEN' "
                  "(cognitoIdentityProviders[0].providerName), which this stack does not define: cannot check: the "
                  "pool's sign-up settings are not the stack's (whether anyone can sign up and get the authenticated "
                  "role's AWS credentials)")], (depends_on, found)
    for hidden in (existing_pool_stack(UNKNOWN, "closed", "marker"),
                   existing_pool_stack(UNKNOWN, "closed", "marker", by_input={"cognitoIdentityProviders": ["marker"]})):
        found = stack_findings(pack, "AGID-AWS-060", hidden)
        assert [(n, m.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for n, m in found] == [(
            "", "can't run policy 'AGID-AWS-060' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
                "until known: ip.cognitoIdentityProviders[0].providerName is computed during preview")], found


def test_a_provider_naming_the_stack_pool_by_its_known_endpoint_or_output_is_judged_as_that_pool(pack) -> None:
    own = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    deployed = {**CLOSED, "endpoint": own}  # the pool's known endpoint (after deployment, or the gate's mocks)
    assert stack_findings(pack, "AGID-AWS-060", existing_pool_stack(own, closed_props=deployed)) == []
    # the endpoint's host is case-insensitive: the same pool
    assert stack_findings(pack, "AGID-AWS-060", existing_pool_stack(own.upper().replace("EU-WEST-1_ABCDEF123", "eu-west-1_AbCdEf123"),
                                                                      closed_props=deployed)) == []
    # the same pool, open: flagged as that pool
    opened = {"endpoint": own}
    [(name, message)] = stack_findings(pack, "AGID-AWS-060", existing_pool_stack(own, closed_props=opened), "mandatory")
    assert name == "ip" and "user pool closed, which lets anyone sign up" in message
    # the stack pool's own unknown endpoint Output, proven by the input's dependencies
    assert stack_findings(pack, "AGID-AWS-060", existing_pool_stack(UNKNOWN, "closed")) == []
    assert stack_findings(pack, "AGID-AWS-060", existing_pool_stack(
        UNKNOWN, "closed", "marker", by_input={"cognitoIdentityProviders": ["closed"]})) == []


IDP = "aws:cognito/identityProvider:IdentityProvider"
CLOSED_ID = "eu-west-1_AbCdEf123"


def federated_stack(user_pool_id, *depends_on: str, by_input: list[str] | None = None, kind: str = "Google",
                    pool_id: str | None = CLOSED_ID) -> list[StackResource]:
    """The stack's closed pool (its id known, as under the gate's mocks or once deployed: `pool_id`), an app client
    and a decoy, an identity pool trusting the closed pool by its endpoint Output, and a social IdP whose
    `user_pool_id` is `user_pool_id` (a literal, or UNKNOWN: an Output from `by_input`) with `depends_on`."""
    closed = StackResource(USER_POOL, "closed", urn(USER_POOL, "closed"),
                           {**CLOSED, **({"id": pool_id} if pool_id else {})})
    client = StackResource(CLIENT, "upc", urn(CLIENT, "upc"), {"userPoolId": UNKNOWN}, dependencies=[closed.urn],
                           property_dependencies={"userPoolId": [closed.urn]})
    marker = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    urns = {"closed": closed.urn, "upc": client.urn, "marker": marker.urn}
    identity = StackResource(IDENTITY_POOL, "ip", urn(IDENTITY_POOL, "ip"), {
        "identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
        "cognitoIdentityProviders": [{"clientId": UNKNOWN, "providerName": UNKNOWN}]},
        dependencies=[closed.urn], property_dependencies={"cognitoIdentityProviders": [closed.urn]})
    deps = [urns[d] for d in (*depends_on, *(by_input or []))]
    idp = StackResource(IDP, "social", urn(IDP, "social"), {
        "userPoolId": user_pool_id, "providerName": kind, "providerType": kind,
        "providerDetails": {"authorize_scopes": "openid"}}, dependencies=list(dict.fromkeys(deps)),
        property_dependencies={"userPoolId": [urns[d] for d in by_input or []]})
    return [closed, client, marker, identity, idp]


def last_line(findings):
    return [(n, m.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for n, m in findings]


def test_a_social_idp_is_judged_on_the_pool_its_user_pool_id_names_not_on_what_it_depends_on(pack) -> None:
    """issue 11: an IdP of an EXISTING pool (user_pool_id a literal) with `depends_on=[the stack's closed pool]` was
    judged as federating the closed pool; an IdP attached to the closed pool by Output through its app client (or
    with the Output beside a decoy depends_on) was judged by its dependencies. Its own userPoolId decides."""
    federated = ("ip", "identity pool ip trusts user pool closed, federated to Google (identity provider social): "
                       "every Google account signs in as a pool user (allowAdminCreateUserOnly does not stop "
                       "federated users) and gets the authenticated role's AWS credentials")
    for stack in (federated_stack(UNKNOWN, by_input=["closed"], pool_id=None),    # user_pool_id=closed.id
                  federated_stack(UNKNOWN, "marker", by_input=["closed"], pool_id=None),  # ... depends_on a decoy
                  federated_stack(UNKNOWN, by_input=["upc"], pool_id=None),       # user_pool_id=upc.user_pool_id
                  federated_stack(CLOSED_ID, "marker"),                           # the closed pool's known id
                  federated_stack(f" {CLOSED_ID}")):
        assert last_line(stack_findings(pack, "AGID-AWS-060", stack, "mandatory")) == [federated], stack[-1]
    # the closed pool's id is not known (a real preview of a new pool): a literal may not be judged as another's
    [(name, message)] = last_line(stack_findings(pack, "AGID-AWS-060", federated_stack("eu-west-1_OTHER", "closed",
                                                                                        pool_id=None), "mandatory"))
    assert (name, message) == ("ip", "identity pool ip trusts user pool closed, whose id is not known: cannot check "
                                     "whether identity provider social (userPoolId 'eu-west-1_OTHER') federates it")
    # an Output the input's dependencies do not prove (a constant behind the decoy's Output): cannot check until known
    for hidden in (federated_stack(UNKNOWN, by_input=["marker"]), federated_stack(UNKNOWN, by_input=["closed", "marker"]),
                   federated_stack(UNKNOWN, by_input=["closed"])):  # the pool's id is known: not its Output
        assert last_line(stack_findings(pack, "AGID-AWS-060", hidden)) == [(
            "", "can't run policy 'AGID-AWS-060' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
                "until known: social.userPoolId is computed during preview")], hidden[-1]


def test_look_alikes_an_idp_of_another_pool_and_a_corporate_oidc_idp_pass(pack) -> None:
    for stack in (federated_stack("eu-west-1_OPEN", "closed"),       # an existing pool's IdP, depends_on the closed
                  federated_stack("eu-west-1_OPEN", "closed", "upc"),
                  federated_stack("eu-west-1_OPEN"),
                  federated_stack(UNKNOWN, by_input=["closed"], kind="OIDC", pool_id=None),  # AGID-GEN-003's
                  federated_stack(UNKNOWN, by_input=["closed"], kind="SAML", pool_id=None)):
        assert stack_findings(pack, "AGID-AWS-060", stack) == [], stack[-1]
