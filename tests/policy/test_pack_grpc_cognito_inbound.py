"""AGID-AWS-060 on inbound authorizers, over gRPC (red16 r16-6): an authorizer trusting a user pool anyone can join.

A stack user pool with self sign-up (AWS's default), or federated to Google (social type, or OIDC with the Google
issuer), lets anyone get a token every authorizer trusting the pool takes: AgentCore customJwtAuthorizer, HTTP API
JWT, REST API COGNITO_USER_POOLS, AppSync user pool auth, ALB authenticate-cognito. A REST / ALB / AppSync reference
to a pool the stack does not define cannot be checked. Look-alike: the same authorizers on an admin-only pool with no
social IdP; a REST authorizer of type TOKEN.
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

USER_POOL = "aws:cognito/userPool:UserPool"
IDP = "aws:cognito/identityProvider:IdentityProvider"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
HTTP_JWT = "aws:apigatewayv2/authorizer:Authorizer"
REST = "aws:apigateway/authorizer:Authorizer"
APPSYNC = "aws:appsync/graphQLApi:GraphQLApi"
LISTENER = "aws:lb/listener:Listener"
EVENTS = "aws:appsync/api:Api"
CLOSED = {"adminCreateUserConfig": {"allowAdminCreateUserOnly": True}}
FOREIGN = "arn:aws:cognito-idp:us-east-1:999988887777:userpool/us-east-1_Evil12345"


def linked(type_: str, name: str, props: dict, pool: StackResource, input_: str) -> StackResource:
    """A resource whose `input_` is an Output of the stack pool (unknown at preview, its propertyDependencies)."""
    return StackResource(type_, name, urn(type_, name), props, dependencies=[pool.urn],
                         property_dependencies={input_: [pool.urn]})


def authorizers(pool: StackResource) -> list[StackResource]:
    return [
        linked(RUNTIME, "rt", {"agentRuntimeName": "rt", "authorizerConfiguration": {"customJwtAuthorizer": {
            "discoveryUrl": UNKNOWN, "allowedClients": ["c"]}}}, pool, "authorizerConfiguration"),
        linked(HTTP_JWT, "jwt", {"apiId": "a", "authorizerType": "JWT",
                                 "jwtConfiguration": {"issuer": UNKNOWN, "audiences": ["c"]}}, pool, "jwtConfiguration"),
        linked(REST, "rest", {"restApi": "r", "type": "COGNITO_USER_POOLS", "providerArns": [UNKNOWN]}, pool,
               "providerArns"),
        linked(APPSYNC, "gql", {"authenticationType": "AMAZON_COGNITO_USER_POOLS",
                                "userPoolConfig": {"userPoolId": UNKNOWN, "defaultAction": "ALLOW"}}, pool,
               "userPoolConfig"),
        linked(LISTENER, "alb", {"loadBalancerArn": "lb", "defaultActions": [{"type": "authenticate-cognito",
               "authenticateCognito": {"userPoolArn": UNKNOWN, "userPoolClientId": "c", "userPoolDomain": "d"}}]},
               pool, "defaultActions"),
        linked(EVENTS, "events", {"name": "e", "eventConfig": {"authProviders": [{"authType": "AMAZON_COGNITO_USER_POOLS",
               "cognitoConfig": {"awsRegion": "us-east-1", "userPoolId": UNKNOWN}}]}}, pool, "eventConfig"),
    ]


NAMES = ["alb", "events", "gql", "jwt", "rest", "rt"]




def pool(props: dict) -> StackResource:
    return StackResource(USER_POOL, "up", urn(USER_POOL, "up"), props)


def idp(up: StackResource, props: dict) -> StackResource:
    return linked(IDP, "fed", {"userPoolId": UNKNOWN, **props}, up, "userPoolId")


def test_self_sign_up_pool_behind_every_inbound_authorizer_blocks(pack) -> None:
    for props in ({"adminCreateUserConfig": {"allowAdminCreateUserOnly": False}}, {}):
        up = pool(props)
        found = stack_findings(pack, "AGID-AWS-060", [up, *authorizers(up)], "mandatory")
        assert sorted(name for name, _ in found) == NAMES, props
        assert all("user pool up, which lets anyone sign up" in message for _, message in found)


def test_closed_pool_federated_to_google_blocks(pack) -> None:
    for props, what in (({"providerName": "Google", "providerType": "Google"}, "Google"),
                        ({"providerName": "Goog", "providerType": "OIDC",
                          "providerDetails": {"oidc_issuer": "https://accounts.google.com", "client_id": "x"}},
                         "OIDC issuer https://accounts.google.com")):
        up = pool(CLOSED)
        found = stack_findings(pack, "AGID-AWS-060", [up, idp(up, props), *authorizers(up)], "mandatory")
        assert sorted(name for name, _ in found) == NAMES, props
        assert all(what in message and "identity provider fed" in message for _, message in found)


def test_foreign_pool_by_arn_or_id_cannot_be_checked(pack) -> None:
    rest = StackResource(REST, "rest", urn(REST, "rest"), {"restApi": "r", "type": "COGNITO_USER_POOLS",
                                                           "providerArns": [FOREIGN]})
    gql = StackResource(APPSYNC, "gql", urn(APPSYNC, "gql"), {"authenticationType": "API_KEY",
                        "additionalAuthenticationProviders": [{"authenticationType": "AMAZON_COGNITO_USER_POOLS",
                                                               "userPoolConfig": {"userPoolId": "us-east-1_Evil12345"}}]})
    found = stack_findings(pack, "AGID-AWS-060", [pool(CLOSED), rest, gql], "mandatory")
    assert [(name, "which this stack does not define: cannot check" in message) for name, message in found] == [
        ("gql", True), ("rest", True)]


def test_admin_only_pool_without_social_idp_passes(pack) -> None:
    up = pool(CLOSED)
    saml = idp(up, {"providerName": "corp", "providerType": "SAML", "providerDetails": {"MetadataURL": "https://x"}})
    oidc = idp(up, {"providerName": "corp2", "providerType": "OIDC",
                    "providerDetails": {"oidc_issuer": "https://login.acme.example", "client_id": "x"}})
    token = StackResource(REST, "lambda", urn(REST, "lambda"), {"restApi": "r", "type": "TOKEN",
                                                                "providerArns": [FOREIGN]})
    assert stack_findings(pack, "AGID-AWS-060", [up, saml, oidc, *authorizers(up), token]) == []
