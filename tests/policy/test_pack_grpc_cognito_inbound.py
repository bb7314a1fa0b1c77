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


def _oidc(up: StackResource, issuer: str, name: str = "fed") -> StackResource:
    return linked(IDP, name, {"userPoolId": UNKNOWN, "providerName": "Corp", "providerType": "OIDC",
                              "providerDetails": {"oidc_issuer": issuer, "client_id": "x"}}, up, "userPoolId")


def test_closed_pool_federated_to_any_multi_tenant_sign_in_issuer_blocks(pack) -> None:
    """issue 11: an OIDC identity provider on an issuer that signs in anyone (GitLab.com users, every Entra tenant,
    Apple) opens the pool for every authorizer trusting it, whatever allowAdminCreateUserOnly says."""
    own = "https://login.microsoftonline.com/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0/v2.0"
    for issuer, what in (("https://gitlab.com/", "signs in every GitLab.com user"),
                         ("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
                          "signs in every Entra ID tenant or Microsoft account"),
                         ("HTTPS://AppleID.Apple.com", "signs in every Apple Account")):
        up = pool(CLOSED)
        found = stack_findings(pack, "AGID-AWS-060", [up, _oidc(up, issuer), *authorizers(up)], "mandatory")
        assert sorted(name for name, _ in found) == NAMES, issuer
        assert all(what in message and "identity provider fed" in message for _, message in found), found
        # look-alike: the same IdP on a single tenant's issuer
        assert stack_findings(pack, "AGID-AWS-060", [up, _oidc(up, own), *authorizers(up)]) == []


def test_an_open_oidc_idp_on_another_pool_is_linked_by_its_user_pool_id_not_depends_on(pack) -> None:
    up, other = pool(CLOSED), StackResource(USER_POOL, "other", urn(USER_POOL, "other"), CLOSED)
    # userPoolId from the other pool, depends_on the trusted one: the IdP federates the other pool only
    decoy = StackResource(IDP, "fed", urn(IDP, "fed"), {
        "userPoolId": UNKNOWN, "providerName": "Corp", "providerType": "OIDC",
        "providerDetails": {"oidc_issuer": "https://gitlab.com", "client_id": "x"}},
        dependencies=[up.urn, other.urn], property_dependencies={"userPoolId": [other.urn]})
    assert stack_findings(pack, "AGID-AWS-060", [up, other, decoy, *authorizers(up)]) == []
    # the same IdP whose userPoolId is the trusted pool's Output: flagged for every authorizer trusting it
    found = stack_findings(pack, "AGID-AWS-060", [up, other, _oidc(up, "https://gitlab.com"), *authorizers(up)],
                           "mandatory")
    assert sorted(name for name, _ in found) == NAMES


def test_an_oidc_idp_whose_issuer_is_unknown_cannot_be_checked(pack) -> None:
    up = pool(CLOSED)
    assert stack_findings(pack, "AGID-AWS-060", [up, _oidc(up, UNKNOWN), *authorizers(up)]) == [
        ("", "can't run policy 'AGID-AWS-060' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
             "until known: fed.providerDetails.oidc_issuer is computed during preview")]
    # on a pool no authorizer trusts it is nobody's concern here
    other = StackResource(USER_POOL, "other", urn(USER_POOL, "other"), CLOSED)
    assert stack_findings(pack, "AGID-AWS-060", [up, other, _oidc(other, UNKNOWN), *authorizers(up)]) == []


POOL_ID = "us-east-1_AbCdEf123"
POOL_ARN = f"arn:aws:cognito-idp:us-east-1:111122223333:userpool/{POOL_ID}"
REST_API = "aws:apigateway/restApi:RestApi"
HTTP_API = "aws:apigatewayv2/api:Api"


def _body(authorizer: dict) -> str:
    import json

    return json.dumps({"openapi": "3.0.1", "info": {"title": "a", "version": "1"},
                       "components": {"securitySchemes": {"pool": {"type": "apiKey", "name": "Authorization",
                                                                   "in": "header",
                                                                   "x-amazon-apigateway-authorizer": authorizer}}},
                       "paths": {"/": {"get": {"security": [{"pool": []}]}}}})


REST_BODY = {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}
HTTP_BODY = {"type": "jwt", "identitySource": "$request.header.Authorization",
             "jwtConfiguration": {"issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}", "audience": ["c"]}}


def test_authorizers_inside_an_api_definition_trust_the_pools_they_name(pack) -> None:
    """issue 11: a REST API body's cognito_user_pools authorizer, an HTTP API body's JWT authorizer on a pool anyone
    can join passed (only the separate Authorizer resources were read)."""
    for props, what in (({}, "lets anyone sign up"), ({**CLOSED}, None)):
        up = StackResource(USER_POOL, "up", urn(USER_POOL, "up"), {**props, "id": POOL_ID, "arn": POOL_ARN})
        apis = [StackResource(REST_API, "rest-body", urn(REST_API, "rest-body"), {"name": "r", "body": _body(REST_BODY)}),
                StackResource(HTTP_API, "http-body", urn(HTTP_API, "http-body"),
                              {"protocolType": "HTTP", "body": _body(HTTP_BODY)})]
        found = stack_findings(pack, "AGID-AWS-060", [up, *apis], "mandatory")
        if what is None:  # look-alike: the same APIs on an admin-only pool
            assert found == []
        else:
            assert [(name, what in message) for name, message in found] == [("http-body", True), ("rest-body", True)]
    # a pool the stack does not define, named by ARN inside the body, cannot be checked
    foreign = {"type": "COGNITO_USER_POOLS", "providerARNs": [FOREIGN]}
    found = stack_findings(pack, "AGID-AWS-060", [pool(CLOSED), (REST_API, "rest-body", {"name": "r", "body": _body(foreign)})],
                           "mandatory")
    assert [(name, "which this stack does not define: cannot check" in message) for name, message in found] == [
        ("rest-body", True)]


def test_an_api_definition_unknown_at_preview_cannot_be_checked(pack) -> None:
    """issue 11: a body computed from Outputs (the pool's ARN) holds authorizers nobody can read yet: never silence."""
    for type_ in (REST_API, HTTP_API):
        up = pool({})
        api = linked(type_, "api", {"name": "r", "protocolType": "HTTP", "body": UNKNOWN}, up, "body")
        assert stack_findings(pack, "AGID-AWS-060", [up, api]) == [
            ("", "can't run policy 'AGID-AWS-060' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
                 "until known: api.body is computed during preview")], type_
        # look-alike: an API with no definition names no pool
        assert stack_findings(pack, "AGID-AWS-060", [up, (type_, "api", {"name": "r", "protocolType": "HTTP"})]) == []


def test_an_api_management_policy_validating_a_pool_s_tokens_trusts_that_pool(pack) -> None:
    """issue 11: an API Management validate-jwt on the issuer of a stack pool anyone can sign up to passed."""
    apim = "azure-native:apimanagement:ApiPolicy"

    def policy(value):
        return (apim, "apim", {"resourceGroupName": "rg", "serviceName": "apim", "apiId": "a", "format": "rawxml",
                               "value": value})

    jwt = ('<policies><inbound><validate-jwt header-name="Authorization"><openid-config url="https://cognito-idp.'
           f'us-east-1.amazonaws.com/{POOL_ID}/.well-known/openid-configuration" /></validate-jwt></inbound></policies>')
    for props, expected in (({}, [("apim", True)]), (CLOSED, [])):
        up = StackResource(USER_POOL, "up", urn(USER_POOL, "up"), {**props, "id": POOL_ID, "arn": POOL_ARN})
        found = stack_findings(pack, "AGID-AWS-060", [up, policy(jwt)], "mandatory")
        assert [(name, "trusts user pool up, which lets anyone sign up" in message) for name, message in found] \
            == expected, props
    up = StackResource(USER_POOL, "up", urn(USER_POOL, "up"), {"id": POOL_ID, "arn": POOL_ARN})
    assert stack_findings(pack, "AGID-AWS-060", [up, policy(UNKNOWN)]) == [
        ("", "can't run policy 'AGID-AWS-060' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
             "until known: apim.value is computed during preview")]
