"""AGID-GEN-008 over gRPC: an inbound authorizer trusting a multi-tenant issuer pins an own tenant (red15 r15-9).

Every GitHub workflow mints a token for ANY audience, every Google account signs in to a public client: an AgentCore
runtime or gateway, an HTTP API JWT authorizer, AppSync, Verified Permissions, an EKS identity provider or Easy Auth
trusting such an issuer with no claim naming an own tenant or one account let anyone in. Each case: the flagged
resource and a look-alike that must pass (a pin on an own tenant the gate lists, or a single-tenant issuer).
"""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-GEN-008"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
HTTP_AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
APPSYNC = "aws:appsync/graphQLApi:GraphQLApi"
AVP = "aws:verifiedpermissions/identitySource:IdentitySource"
EKS_IDP = "aws:eks/identityProviderConfig:IdentityProviderConfig"
ACA_AUTH = "azure-native:app:ContainerAppsAuthConfig"
WEB_AUTH = "azure-native:web:WebAppAuthSettingsV2"
WEB_AUTH_NO_SECRETS_SLOT = "azure-native:web:WebAppAuthSettingsV2WithoutSecretsSlot"
WEB_AUTH_CLASSIC = "azure-native:web:WebAppAuthSettings"
HTTP_API = "aws:apigatewayv2/api:Api"
ENDPOINTS = "gcp:endpoints/service:Service"
GCP_API_CONFIG = "gcp:apigateway/apiConfig:ApiConfig"
GH = "https://token.actions.githubusercontent.com"
GH_DISCOVERY = f"{GH}/.well-known/openid-configuration"
GOOGLE = "https://accounts.google.com/.well-known/openid-configuration"
COGNITO = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
TENANT = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
CONFIG = {RULE: {"trustedRepositoryOwners": ["Example-Org"], "trustedGitLabGroups": ["acme-group"],
                 "ownGcpDomains": ["example.com"], "ownTenantIds": [TENANT]}}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(CONFIG)
        yield running


def claim(name: str, value, operator: str = "EQUALS") -> dict:
    match = {"matchValueString": value} if operator != "CONTAINS_ANY" else {"matchValueStringLists": value}
    return {"inboundTokenClaimName": name, "inboundTokenClaimValueType": "STRING" if operator == "EQUALS" else "STRING_ARRAY",
            "authorizingClaimMatchValue": {"claimMatchOperator": operator, "claimMatchValue": match}}


def jwt(url: str, audiences=("sts.amazonaws.com",), claims=None, clients=None) -> dict:
    block = {"discoveryUrl": url, "allowedAudiences": list(audiences)}
    if claims is not None:
        block["customClaims"] = claims
    if clients is not None:
        block["allowedClients"] = clients
    return {"authorizerConfiguration": {"customJwtAuthorizer": block}}


def runtime(**kw) -> dict:
    return {"agentRuntimeName": "agent", "roleArn": "arn:aws:iam::111122223333:role/rt",
            "networkConfiguration": {"networkMode": "PUBLIC"}, **jwt(**kw)}


def gateway(**kw) -> dict:
    return {"name": "tools", "roleArn": "arn:aws:iam::111122223333:role/gw", "protocolType": "MCP",
            "authorizerType": "CUSTOM_JWT", **jwt(**kw)}


def http(issuer: str) -> dict:
    return {"apiId": "abc123", "authorizerType": "JWT", "identitySources": ["$request.header.Authorization"],
            "jwtConfiguration": {"issuer": issuer, "audiences": ["api"]}}


def aca(provider: dict) -> dict:
    return {"authConfigName": "current", "containerAppName": "agent", "resourceGroupName": "rg",
            "platform": {"enabled": True}, "identityProviders": provider}


def custom_oidc(well_known: str) -> dict:
    return {"customOpenIdConnectProviders": {"gh": {"enabled": True, "registration": {
        "clientId": "agent", "openIdConnectConfiguration": {"wellKnownOpenIdConfiguration": well_known}}}}}


def entra(issuer: str, principals=None) -> dict:
    provider = {"enabled": True, "registration": {"clientId": "00000000-0000-0000-0000-000000000001",
                                                  "openIdIssuer": issuer}}
    if principals is not None:
        provider["validation"] = {"defaultAuthorizationPolicy": {"allowedPrincipals": {"identities": principals}}}
    return {"azureActiveDirectory": provider}


def openapi_jwt(issuer: str) -> str:
    return json.dumps({"openapi": "3.0.1", "info": {"title": "a", "version": "1"},
                       "components": {"securitySchemes": {"jwt": {"type": "oauth2", "flows": {},
                           "x-amazon-apigateway-authorizer": {"type": "jwt", "identitySource": "$request.header.Authorization",
                                                              "jwtConfiguration": {"issuer": issuer, "audience": ["api"]}}}}},
                       "paths": {"/": {"get": {"security": [{"jwt": []}]}}}})


def swagger_google(issuer: str) -> str:
    return yaml.safe_dump({"swagger": "2.0", "info": {"title": "a", "version": "1"}, "host": "a.endpoints.p.cloud.goog",
                           "securityDefinitions": {"caller": {"type": "oauth2", "flow": "implicit",
                                                              "authorizationUrl": "", "x-google-issuer": issuer,
                                                              "x-google-audiences": "agent"}},
                           "paths": {"/": {"get": {"operationId": "g", "security": [{"caller": []}]}}}})


def api_config(text: str) -> dict:
    return {"api": "a", "openapiDocuments": [{"document": {"path": "spec.yaml",
                                                           "contents": base64.b64encode(text.encode()).decode()}}]}


def tti(issuer: str, claim: str) -> dict:
    return {"instanceArn": "arn:aws:sso:::instance/ssoins-1", "name": "t", "trustedTokenIssuerType": "OIDC_JWT",
            "trustedTokenIssuerConfiguration": {"oidcJwtConfiguration": {
                "issuerUrl": issuer, "claimAttributePath": claim, "identityStoreAttributePath": "userName",
                "jwksRetrievalOption": "OPEN_ID_DISCOVERY"}}}


APIM = "azure-native:apimanagement:IdentityProvider"


def apim(type_, tenants) -> dict:
    props = {"resourceGroupName": "rg", "serviceName": "api", "clientId": "c", "clientSecret": "s"}
    if type_ is not None:
        props["type"] = type_
    if tenants is not None:
        props["allowedTenants"] = tenants
    return props


WORKFORCE = "gcp:iam/workforcePoolProvider:WorkforcePoolProvider"


def workforce(issuer: str, condition: str | None = None, subject: str = "assertion.sub", **extra) -> dict:
    props = {"location": "global", "workforcePoolId": "people", "providerId": "oidc",
             "attributeMapping": {"google.subject": subject, "google.groups": "assertion.groups"},
             "oidc": {"issuerUri": issuer, "clientId": "c", "webSsoConfig": {
                 "responseType": "CODE", "assertionClaimsBehavior": "MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS"}}, **extra}
    if condition is not None:
        props["attributeCondition"] = condition
    return props


APIM_PREFIX = "azure-native:apimanagement:"
COMMON_DISCOVERY = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"


def apim_policy(inbound: str, form: str = "rawxml", **scope) -> dict:
    """An API Management policy document as a policy resource's inputs (scope: apiId, productId, ... as the type takes)."""
    return {"resourceGroupName": "rg", "serviceName": "apim", "policyId": "policy", "format": form, **scope,
            "value": f"<policies><inbound><base />{inbound}</inbound><backend><base /></backend>"
                     "<outbound><base /></outbound><on-error><base /></on-error></policies>"}


def jwt_policy(url: str, claims: str = "", issuers: str = "", element: str = "validate-jwt") -> str:
    return (f'<{element} header-name="Authorization" failed-validation-httpcode="401"><openid-config url="{url}" />'
            f'<audiences><audience>api://agent</audience></audiences>{issuers}'
            f'{f"<required-claims>{claims}</required-claims>" if claims else ""}</{element}>')


def required(name: str, *values: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f'<claim name="{name}"{extra}>{"".join(f"<value>{v}</value>" for v in values)}</claim>'


def found(pack, type_: str, props: dict) -> list[tuple[str, str]]:
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    return [(d.enforcement_level, d.message) for d in diags if d.policy_name == RULE]


# case -> (type, flagged props, look-alike props that must pass)
CASES = {
    "runtime github, audience only": (
        RUNTIME, runtime(url=GH_DISCOVERY),
        runtime(url=GH_DISCOVERY, claims=[claim("repository_owner", "example-org")])),
    "runtime github, foreign owner claim": (
        RUNTIME, runtime(url=GH_DISCOVERY, claims=[claim("repository_owner", "attacker")]),
        runtime(url=GH_DISCOVERY, claims=[claim("sub", "repo:Example-Org/app:ref:refs/heads/main")])),
    # red16 r16-1: a sub naming the owner after a claim the caller writes (workflow name) names no owner
    "runtime github, owner forged in a customised sub": (
        RUNTIME, runtime(url=GH_DISCOVERY, claims=[claim("sub", "workflow:deploy:repository_owner:example-org")]),
        runtime(url=GH_DISCOVERY, claims=[claim("sub", "repository_owner:example-org:workflow:deploy")])),
    "runtime github, repository forged in a customised sub": (
        RUNTIME, runtime(url=GH_DISCOVERY, claims=[claim("sub", "environment:x:repository:example-org/app")]),
        runtime(url=GH_DISCOVERY, claims=[claim("sub", "repository:example-org/app:environment:x")])),
    "runtime github, allowed clients are no pin": (
        RUNTIME, runtime(url=GH_DISCOVERY, clients=["my-client"], claims=[claim("repository", "evil/example-org")]),
        runtime(url=GH_DISCOVERY, claims=[claim("repository", "example-org/app")])),
    "runtime github, one foreign of CONTAINS_ANY": (
        RUNTIME, runtime(url=GH_DISCOVERY, claims=[claim("repository_owner", ["example-org", "evil"], "CONTAINS_ANY")]),
        runtime(url=GH_DISCOVERY, claims=[claim("repository_owner", ["example-org"], "CONTAINS_ANY")])),
    "runtime google client id only": (
        RUNTIME, runtime(url=GOOGLE, audiences=["32555940559.apps.googleusercontent.com"]),
        runtime(url=GOOGLE, audiences=["32555940559.apps.googleusercontent.com"], claims=[claim("hd", "Example.com")])),
    "runtime google foreign domain": (
        RUNTIME, runtime(url=GOOGLE, claims=[claim("hd", "gmail.com")]),
        runtime(url=GOOGLE, claims=[claim("email", "agent-caller@example.com")])),
    "gateway github": (
        GATEWAY, gateway(url=GH_DISCOVERY, audiences=["mcp"]),
        gateway(url=f"{COGNITO}/.well-known/openid-configuration", audiences=["mcp"])),
    "gateway issuer spelling": (
        GATEWAY, gateway(url="HTTPS://Token.Actions.GitHubUserContent.com/.well-known/openid-configuration"),
        gateway(url=GH_DISCOVERY, claims=[claim("repository_owner", "EXAMPLE-ORG")])),
    "http api github": (HTTP_AUTHORIZER, http(GH), http(COGNITO)),
    "http api gitlab": (HTTP_AUTHORIZER, http("https://gitlab.com/"), http(f"https://login.microsoftonline.com/{TENANT}/v2.0")),
    "appsync additional github": (
        APPSYNC, {"name": "g", "authenticationType": "AWS_IAM", "additionalAuthenticationProviders": [
            {"authenticationType": "OPENID_CONNECT", "openidConnectConfig": {"issuer": GH, "clientId": "x"}}]},
        {"name": "g", "authenticationType": "OPENID_CONNECT", "openidConnectConfig": {"issuer": COGNITO, "clientId": "x"}}),
    "verified permissions github": (
        AVP, {"policyStoreId": "ps", "configuration": {"openIdConnectConfiguration": {"issuer": GH}}},
        {"policyStoreId": "ps", "configuration": {"openIdConnectConfiguration": {"issuer": COGNITO}}}),
    "eks github": (
        EKS_IDP, {"clusterName": "c", "oidc": {"clientId": "sts.amazonaws.com", "identityProviderConfigName": "gh",
                                               "issuerUrl": GH, "usernameClaim": "repository_owner"}},
        {"clusterName": "c", "oidc": {"clientId": "sts.amazonaws.com", "identityProviderConfigName": "gh",
                                      "issuerUrl": GH, "requiredClaims": {"repository_owner": "example-org"}}}),
    "container apps custom github": (
        ACA_AUTH, aca(custom_oidc(GH_DISCOVERY)),
        aca(custom_oidc(f"{COGNITO}/.well-known/openid-configuration"))),
    "app service entra common": (
        WEB_AUTH, {"name": "app", "resourceGroupName": "rg",
                   "identityProviders": entra("https://login.microsoftonline.com/common/v2.0")},
        {"name": "app", "resourceGroupName": "rg",
         "identityProviders": entra("https://login.microsoftonline.com/common/v2.0",
                                    ["11111111-2222-3333-4444-555555555555"])}),
    "container apps google sign-in": (
        ACA_AUTH, aca({"google": {"registration": {"clientId": "x.apps.googleusercontent.com"}}}),
        aca({"google": {"enabled": False, "registration": {"clientId": "x.apps.googleusercontent.com"}},
             **entra(f"https://login.microsoftonline.com/{TENANT}/v2.0")})),
    "app service github sign-in": (
        WEB_AUTH, {"name": "app", "resourceGroupName": "rg", "platform": {"enabled": True},
                   "identityProviders": {"gitHub": {"enabled": True, "registration": {"clientId": "Iv1.x"}}}},
        {"name": "app", "resourceGroupName": "rg", "platform": {"enabled": False},
         "identityProviders": {"gitHub": {"enabled": True, "registration": {"clientId": "Iv1.x"}}}}),
    "app service slot (without secrets) custom github": (
        WEB_AUTH_NO_SECRETS_SLOT, {"name": "app", "slot": "staging", "resourceGroupName": "rg",
                                   "identityProviders": custom_oidc(GH_DISCOVERY)},
        {"name": "app", "slot": "staging", "resourceGroupName": "rg",
         "identityProviders": custom_oidc(f"{COGNITO}/.well-known/openid-configuration")}),
    "app service classic google client id": (
        WEB_AUTH_CLASSIC, {"name": "app", "resourceGroupName": "rg", "enabled": True, "googleClientId": "x.apps.googleusercontent.com"},
        {"name": "app", "resourceGroupName": "rg", "enabled": False, "googleClientId": "x.apps.googleusercontent.com"}),
    "app service classic entra common": (
        WEB_AUTH_CLASSIC, {"name": "app", "resourceGroupName": "rg", "enabled": True, "clientId": "c",
                           "issuer": "https://sts.windows.net/common/"},
        {"name": "app", "resourceGroupName": "rg", "enabled": True, "clientId": "c",
         "issuer": f"https://sts.windows.net/{TENANT}/"}),
    "http api body github": (
        HTTP_API, {"protocolType": "HTTP", "body": openapi_jwt(GH)}, {"protocolType": "HTTP", "body": openapi_jwt(COGNITO)}),
    "endpoints google issuer": (
        ENDPOINTS, {"serviceName": "a.endpoints.p.cloud.goog", "openapiConfig": swagger_google("https://accounts.google.com")},
        {"serviceName": "a.endpoints.p.cloud.goog",
         "openapiConfig": swagger_google("agent-caller@p.iam.gserviceaccount.com")}),
    "api gateway config github": (
        GCP_API_CONFIG, api_config(swagger_google(GH)),
        api_config(swagger_google("https://securetoken.google.com/p"))),
    "load balancer rule google sign-in": (
        "aws:lb/listenerRule:ListenerRule",
        {"listenerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2", "actions": [
            {"type": "authenticate-oidc", "authenticateOidc": {"issuer": "https://accounts.google.com/", "clientId": "c",
                                                               "clientSecret": "s", "authorizationEndpoint": "https://a",
                                                               "tokenEndpoint": "https://t", "userInfoEndpoint": "https://u"}},
            {"type": "forward", "targetGroupArn": "tg"}]},
        {"listenerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2", "actions": [
            {"type": "authenticate-oidc", "authenticateOidc": {"issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
                                                               "clientId": "c", "clientSecret": "s",
                                                               "authorizationEndpoint": "https://a",
                                                               "tokenEndpoint": "https://t", "userInfoEndpoint": "https://u"}},
            {"type": "forward", "targetGroupArn": "tg"}]}),
    "appsync events github": (
        "aws:appsync/api:Api", {"name": "e", "eventConfig": {"authProviders": [
            {"authType": "OPENID_CONNECT", "openidConnectConfig": {"issuer": GH}}]}},
        {"name": "e", "eventConfig": {"authProviders": [{"authType": "AWS_IAM"}]}}),
    # red16 r16-2: Identity Center exchanges any token of the issuer for the user its (caller-chosen) claim maps to
    "identity center trusted token issuer on github": (
        "aws:ssoadmin/trustedTokenIssuer:TrustedTokenIssuer", tti(GH, "repository_owner"), tti(COGNITO, "sub")),
    "identity center trusted token issuer on google": (
        "aws:ssoadmin/trustedTokenIssuer:TrustedTokenIssuer", tti("https://accounts.google.com/", "email"), tti(COGNITO, "email")),
    "identity platform oidc provider on google": (
        "gcp:identityplatform/oauthIdpConfig:OauthIdpConfig",
        {"name": "oidc.g", "clientId": "c", "issuer": "https://accounts.google.com", "enabled": True},
        {"name": "oidc.g", "clientId": "c", "issuer": "https://accounts.google.com", "enabled": False}),
    "identity platform tenant oidc provider on entra common": (
        "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig",
        {"tenant": "t1", "name": "oidc.e", "clientId": "c", "issuer": "https://login.microsoftonline.com/common/v2.0",
         "displayName": "e"},
        {"tenant": "t1", "name": "oidc.e", "clientId": "c", "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
         "displayName": "e"}),
    "api management aad with common": (
        APIM, apim("aad", ["common"]), apim("aad", [TENANT.upper()])),
    "api management aad with a foreign tenant among own": (
        APIM, apim("aad", [TENANT, "11111111-2222-3333-4444-555555555555"]), apim("aad", [TENANT])),
    "api management aad with no allowed tenants": (APIM, apim("aad", None), apim("aadB2C", None)),
    "api management google sign-in": (APIM, apim("google", None), apim("aad", [TENANT])),
    "api management type from the provider name": (
        APIM, {**apim(None, None), "identityProviderName": "facebook"}, {**apim(None, [TENANT]), "identityProviderName": "aad"}),
    # issue 11: people of ANY Google account / Entra tenant / GitHub repository sign in as workforce identities
    "workforce provider google, no condition": (
        WORKFORCE, workforce("https://accounts.google.com"),
        workforce("https://accounts.google.com", "assertion.hd == 'example.com'")),
    "workforce provider google, domain pin in a disjunction": (
        WORKFORCE, workforce("https://accounts.google.com", "assertion.hd == 'example.com' || assertion.email_verified"),
        workforce("https://accounts.google.com", "assertion.email_verified && ('example.com' == assertion.hd)")),
    "workforce provider google, domain suffix or foreign domain": (
        WORKFORCE, workforce("https://accounts.google.com", "assertion.email.endsWith('@example.com')"),
        workforce("https://accounts.google.com", "assertion.hd in ['example.com']")),
    "workforce provider google, a foreign domain": (
        WORKFORCE, workforce("https://accounts.google.com/", "assertion.hd == 'gmail.com'"),
        workforce("https://accounts.google.com/", "assertion.email == 'agent-admin@example.com'")),
    "workforce provider entra common, tenant not pinned": (
        WORKFORCE, workforce("https://login.microsoftonline.com/common/v2.0", "assertion.tid != ''"),
        workforce("https://login.microsoftonline.com/common/v2.0", f"assertion.tid == '{TENANT}'")),
    "workforce provider entra organizations, a foreign tenant among own": (
        WORKFORCE, workforce("https://login.microsoftonline.com/organizations/v2.0",
                             f"assertion.tid in ['{TENANT}', '11111111-2222-3333-4444-555555555555']"),
        workforce(f"https://login.microsoftonline.com/{TENANT}/v2.0")),
    "workforce provider github, foreign owner": (
        WORKFORCE, workforce(GH, "assertion.repository_owner == 'attacker'"),
        workforce(GH, "assertion.repository_owner == 'example-org' && assertion.ref == 'refs/heads/main'")),
    "workforce provider github, subject of another mapping": (
        WORKFORCE, workforce(GH, "google.subject == 'repo:Example-Org/app:ref:refs/heads/main'",
                             subject="assertion.repository"),
        workforce(GH, "google.subject == 'repo:Example-Org/app:ref:refs/heads/main'")),
    "workforce provider github, pin under a conditional": (
        WORKFORCE, workforce(GH, "assertion.actor == 'x' ? true : assertion.repository_owner == 'example-org'"),
        workforce(GH, disabled=True)),
    # issue 11: API Management policy XML (<validate-jwt>, <validate-azure-ad-token>) on an issuer anyone signs in to
    "apim api policy entra common, audience only": (
        f"{APIM_PREFIX}ApiPolicy", apim_policy(jwt_policy(COMMON_DISCOVERY), apiId="a"),
        apim_policy(jwt_policy(COMMON_DISCOVERY, required("tid", TENANT, match="any")), apiId="a")),
    "apim service policy, a foreign tenant among any": (
        f"{APIM_PREFIX}Policy",
        apim_policy(jwt_policy(COMMON_DISCOVERY, required("tid", TENANT, "11111111-2222-3333-4444-555555555555",
                                                          match="any"))),
        apim_policy(jwt_policy(COMMON_DISCOVERY, required("tid", TENANT)))),
    "apim operation policy google, domain claim split by a separator": (
        f"{APIM_PREFIX}ApiOperationPolicy",
        apim_policy(jwt_policy(GOOGLE, required("hd", "example.com", separator=",")), apiId="a", operationId="o"),
        apim_policy(jwt_policy(GOOGLE, required("hd", "example.com")), apiId="a", operationId="o")),
    "apim product policy github actions": (
        f"{APIM_PREFIX}ProductPolicy", apim_policy(jwt_policy(GH_DISCOVERY), productId="p"),
        apim_policy(jwt_policy(GH_DISCOVERY, required("repository_owner", "example-org")), productId="p")),
    "apim workspace policy validate-azure-ad-token organizations": (
        f"{APIM_PREFIX}WorkspacePolicy",
        apim_policy('<validate-azure-ad-token tenant-id="organizations"><client-application-ids><application-id>'
                    'c</application-id></client-application-ids></validate-azure-ad-token>', workspaceId="w"),
        apim_policy(f'<validate-azure-ad-token tenant-id="{TENANT}" />', workspaceId="w")),
    "apim issuers list naming the common endpoint": (
        f"{APIM_PREFIX}WorkspaceApiPolicy",
        apim_policy(jwt_policy(COMMON_DISCOVERY, issuers="<issuers><issuer>https://sts.windows.net/common/</issuer>"
                                                         "</issuers>"), apiId="a", workspaceId="w"),
        apim_policy(jwt_policy(COMMON_DISCOVERY, issuers=f"<issuers><issuer>https://sts.windows.net/{TENANT}/"
                                                         "</issuer></issuers>"), apiId="a", workspaceId="w")),
    "apim policy fragment google": (
        f"{APIM_PREFIX}PolicyFragment", {"resourceGroupName": "rg", "serviceName": "apim", "id": "auth",
                                         "format": "rawxml", "value": f"<fragment>{jwt_policy(GOOGLE)}</fragment>"},
        {"resourceGroupName": "rg", "serviceName": "apim", "id": "auth", "format": "rawxml",
         "value": f"<fragment>{jwt_policy(GOOGLE, required('email', 'agent-caller@example.com'))}</fragment>"}),
    "apim pin written as a policy expression": (
        f"{APIM_PREFIX}ApiPolicy",
        apim_policy('<set-variable name="d" value="@(context.Request.Headers.GetValueOrDefault("X-Domain", ""))" />'
                    + jwt_policy(GOOGLE, required("hd", '@((string)context.Variables["d"])')), apiId="a"),
        apim_policy('<set-variable name="d" value="@(context.Request.Headers.GetValueOrDefault("X-Domain", ""))" />'
                    + jwt_policy(GOOGLE, required("hd", "example.com")), apiId="a")),
    "apim element case: validations in any case, pins only as spelled": (
        f"{APIM_PREFIX}ApiPolicy",
        apim_policy(jwt_policy(COMMON_DISCOVERY, element="Validate-JWT").replace(
            "</Validate-JWT>", f'<Required-Claims>{required("tid", TENANT)}</Required-Claims></Validate-JWT>'),
            apiId="a"),
        apim_policy(jwt_policy(COMMON_DISCOVERY, required("tid", TENANT), element="Validate-JWT"), apiId="a")),
    "apim discovery url with a query": (
        f"{APIM_PREFIX}ApiPolicy", apim_policy(jwt_policy(COMMON_DISCOVERY + "?appid=c"), apiId="a", ),
        apim_policy(jwt_policy(f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
                               "?appid=c"), apiId="a")),
    "workforce provider entra, tenant pinned through a mapped attribute": (
        WORKFORCE, {**workforce("https://login.microsoftonline.com/common/v2.0", f"attribute.tenant == '{TENANT}'"),
                    "attributeMapping": {"google.subject": "assertion.sub", "attribute.tenant": "assertion.tid + ''"}},
        {**workforce("https://login.microsoftonline.com/common/v2.0", f"attribute.tenant == '{TENANT}'"),
         "attributeMapping": {"google.subject": "assertion.sub", "attribute.tenant": "assertion.tid"}}),
    # one issuer, many spellings (issue 11): each resolves to the same multi-tenant discovery document
    "http api entra common on an alias host": (
        HTTP_AUTHORIZER, http("https://login.windows.net/common/v2.0"), http(f"https://login.windows.net/{TENANT}/v2.0")),
    "http api entra organizations on login.microsoft.com": (
        HTTP_AUTHORIZER, http("https://login.microsoft.com/organizations"),
        http(f"https://login.microsoft.com/{TENANT}")),
    "runtime google with a default port and percent-encoding": (
        RUNTIME, runtime(url="https://accounts.google.com:443/.well-known/openid-configuration"),
        runtime(url="https://accounts.google.com:443/.well-known/openid-configuration", claims=[claim("hd", "example.com")])),
    "gateway entra common percent-encoded, folded slashes": (
        GATEWAY, gateway(url="https://login.microsoftonline.com//%63ommon/v2.0/.well-known/openid-configuration"),
        gateway(url=f"https://login.microsoftonline.com//{TENANT}/v2.0/.well-known/openid-configuration")),
    "appsync google over http with user info and a trailing dot": (
        APPSYNC, {"name": "g", "authenticationType": "OPENID_CONNECT",
                  "openidConnectConfig": {"issuer": "http://x@accounts.google.com./", "clientId": "x"}},
        {"name": "g", "authenticationType": "OPENID_CONNECT",
         "openidConnectConfig": {"issuer": "http://x@cognito-idp.us-east-1.amazonaws.com./us-east-1_AbCdEf123",
                                 "clientId": "x"}}),
    "runtime discovery url with a trailing slash": (
        RUNTIME, runtime(url=GH_DISCOVERY + "/"), runtime(url=COGNITO + "/.well-known/openid-configuration/")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_multi_tenant_issuer_needs_an_own_tenant_pin(pack, case: str) -> None:
    type_, flagged, look_alike = CASES[case]
    findings = found(pack, type_, flagged)
    assert [level for level, _ in findings] == ["mandatory"], findings
    # names the resource and the issuer (or the sign-in provider)
    assert " t takes tokens of '" in findings[0][1] or " t signs in every " in findings[0][1] \
        or " t (type aad) lets in users of tenants" in findings[0][1], findings
    assert found(pack, type_, look_alike) == []


def test_a_workforce_condition_unknown_at_preview_cannot_be_checked(pack) -> None:
    message = ("can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
               "until known: {} is computed during preview")
    assert found(pack, WORKFORCE, workforce(GH, UNKNOWN)) == [("advisory", message.format("attributeCondition"))]
    # google.subject is a pin only when mapped from assertion.sub: an unknown mapping cannot say
    assert found(pack, WORKFORCE, workforce(GH, "google.subject == 'repo:Example-Org/app:ref:refs/heads/main'",
                                            subject=UNKNOWN)) == [("advisory", message.format("attributeMapping"))]
    # an issuer unknown at preview is AGID-GEN-003's
    assert found(pack, WORKFORCE, workforce(UNKNOWN)) == []


def test_a_pin_unknown_at_preview_cannot_be_checked(pack) -> None:
    findings = found(pack, RUNTIME, runtime(url=GH_DISCOVERY, claims=UNKNOWN))
    assert findings == [("advisory", "can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during "
                                     "preview: cannot check until known: authorizerConfiguration.customJwtAuthorizer."
                                     "customClaims is computed during preview")]


def test_an_owner_the_gate_does_not_list_is_not_own(pack) -> None:
    pack.configure({})
    try:
        assert [lvl for lvl, _ in found(pack, RUNTIME, runtime(url=GH_DISCOVERY, claims=[claim("repository_owner",
                                                                                                 "example-org")]))] \
            == ["mandatory"]
    finally:
        pack.configure(CONFIG)


def _args_class(type_: str):
    import importlib

    import re

    package, module, name = type_.split(":")
    root = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native", "gcp": "pulumi_gcp"}[package]
    # the class's own generated module (`api_config` for ApiConfig) first: it does not depend on what the package's
    # __init__ has re-exported so far (a module another test imported directly leaves the package half-filled)
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    try:
        return getattr(importlib.import_module(f"{root}.{module.split('/')[0]}.{snake}"), f"{name}Args")
    except (ImportError, AttributeError):
        return getattr(importlib.import_module(f"{root}.{module.split('/')[0]}"), f"{name}Args")


def _resolves(cls, path: str) -> bool:
    from tests.policy.sdk_args import inputs, nested

    for part in path.split("."):
        key = part.removesuffix("[]").removesuffix("{}")
        members = inputs(cls)
        if key not in members:
            return False
        cls = nested(cls, members[key])
        if cls is None:
            return part == path.split(".")[-1]
    return True


def test_the_data_names_the_sdks_inputs() -> None:
    """Every issuer, pin and provider path of inbound_token_issuers.yaml is an input of the installed SDK's Args."""
    from agentid_policy_packs.rules.inbound_multi_tenant_issuer import AUTHORIZERS

    missing = []
    for type_, entry in AUTHORIZERS.items():
        cls = _args_class(type_)
        paths = [*entry["issuers"], *(entry.get("open_providers") or {}), *(entry.get("documents") or ())]
        paths += [entry["disabled_by"]] if "disabled_by" in entry else []
        paths += [entry[k] for k in ("type_input", "name_input", "tenants_input", "condition_input", "mapping_input",
                                     "policy_input", "format_input") if k in entry]
        if entry["pins"] == "agentcore":
            paths.append(entry["issuers"][0].replace("discoveryUrl", "customClaims"))
        paths += {"eks": ["oidc.requiredClaims"], "easyauth": [
            "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy.allowedPrincipals.identities"],
        }.get(entry["pins"], [])
        missing += [(type_, p) for p in paths if not _resolves(cls, p)]
    assert missing == []


def test_a_definition_that_cannot_be_read_cannot_be_checked(pack) -> None:
    bad = {"api": "a", "openapiDocuments": [{"document": {"path": "spec.yaml", "contents": "not base64!"}}]}
    assert [(lvl, msg.endswith("[weak-trust] API Gateway config t: cannot check: openapiDocuments[0].document.contents "
                               "is not base64 UTF-8 text, so the issuers its callers' tokens come from cannot be read"))
            for lvl, msg in found(pack, GCP_API_CONFIG, bad)] == [("mandatory", True)]
    assert [lvl for lvl, msg in found(pack, ENDPOINTS, {"serviceName": "s", "openapiConfig": "[1, 2"})
            if "is not an OpenAPI definition" in msg] == ["mandatory"]


def test_every_issuer_consumer_gen003_reads_is_judged_or_listed_with_a_reason() -> None:
    """red16 r16-2 class: a type GEN-003 knows as taking an issuer's tokens but GEN-008 silently skips."""
    from agentid_policy_packs.rules import federated_issuer_known as gen003
    from agentid_policy_packs.rules.inbound_multi_tenant_issuer import AUTHORIZERS, _data

    consumers = {*gen003.ISSUER_PATHS, *gen003.AZURE_TYPES, *gen003.GCP_PROVIDERS, gen003.AWS_PROVIDER,
                 gen003.SAML_PROVIDER, gen003.COGNITO_IDP, *gen003.AGENTCORE}
    reasons = _data().get("not_authorizers") or {}
    assert not set(reasons) & set(AUTHORIZERS)
    assert all(isinstance(why, str) and why.strip() for why in reasons.values())
    # a reason is why the type is no inbound authorizer (or which rule judges it instead), never a known open gap
    assert [t for t, why in reasons.items() if "not yet judged" in why.lower() or "open gap" in why.lower()] == []
    assert sorted(consumers - set(AUTHORIZERS) - set(reasons)) == []


def test_api_management_allowed_tenants_unknown_at_preview_cannot_be_checked(pack) -> None:
    assert found(pack, APIM, apim("aad", UNKNOWN)) == [
        ("advisory", "can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during preview: cannot "
                     "check until known: allowedTenants is computed during preview")]


HOSTILE = {
    "billion laughs": '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                      ']><policies><inbound><validate-jwt header-name="Authorization">&b;</validate-jwt></inbound></policies>',
    "external entity": '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><policies><inbound>'
                       '<validate-jwt header-name="Authorization"><openid-config url="&x;" /></validate-jwt></inbound></policies>',
    "not well-formed": f'<policies><inbound><validate-jwt><openid-config url="{GOOGLE}"></validate-jwt></inbound></policies>',
    "markup hidden in an expression": '<policies><inbound><set-body>@{ return "<validate-jwt><openid-config url=\\"x\\" />'
                                      '</validate-jwt>"; }</set-body></inbound></policies>',
    "expression that does not close": '<policies><inbound><validate-jwt><openid-config url="@(x" /></validate-jwt></inbound>'
                                      '</policies>',
    "longer than API Management takes": f"<policies><inbound>{jwt_policy(GOOGLE)}<!-- {'x' * 300_000} --></inbound></policies>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_policy_that_cannot_be_read_safely_is_a_violation_naming_it(pack, case: str) -> None:
    props = {"resourceGroupName": "rg", "serviceName": "apim", "apiId": "a", "format": "rawxml", "value": HOSTILE[case]}
    findings = found(pack, f"{APIM_PREFIX}ApiPolicy", props)
    assert [level for level, _ in findings] == ["mandatory"], findings
    assert "[weak-trust] API Management policy t: cannot check: its policy (value) " in findings[0][1], findings


def test_a_linked_unknown_or_unreadable_policy_cannot_be_checked(pack) -> None:
    policy = f"{APIM_PREFIX}Policy"
    # fetched from a URL: never readable here
    findings = found(pack, policy, {**apim_policy(""), "value": "https://policies.example.com/p.xml", "format": "rawxml-link"})
    assert [(level, "API Management policy t: cannot check: its policy is loaded from a link (format rawxml-link)" in m)
            for level, m in findings] == [("mandatory", True)]
    message = ("can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
               "until known: {} is computed during preview")
    assert found(pack, policy, {**apim_policy(""), "value": UNKNOWN}) == [("advisory", message.format("value"))]
    assert found(pack, policy, {**apim_policy(jwt_policy(GOOGLE)), "format": UNKNOWN}) == [
        ("advisory", message.format("format"))]
    # an issuer held in a named value or an expression cannot be read
    findings = found(pack, policy, apim_policy(jwt_policy("https://login.microsoftonline.com/{{tenant}}/v2.0/"
                                                          ".well-known/openid-configuration")))
    assert [(level, "<validate-jwt> #1 <openid-config url='https://login.microsoftonline.com/{{tenant}}" in m)
            for level, m in findings] == [("mandatory", True)]
    # look-alikes: an inline policy with no token validation, and the same policy as xml (the default format)
    assert found(pack, policy, apim_policy('<set-header name="x" exists-action="override"><value>@(context.RequestId.'
                                           'ToString())</value></set-header>')) == []
    assert found(pack, policy, {**apim_policy(jwt_policy(GOOGLE, required("hd", "example.com"))), "format": None}) == []


def test_a_definition_unknown_at_preview_cannot_be_checked(pack) -> None:
    """issue 11: a JWT authorizer inside an HTTP API body (or an x-google-issuer in a GCP definition) computed from
    Outputs is 'cannot check until known', never silence."""
    message = ("can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
               "until known: {} is computed during preview")
    assert found(pack, HTTP_API, {"protocolType": "HTTP", "body": UNKNOWN}) == [("advisory", message.format("body"))]
    assert found(pack, ENDPOINTS, {"serviceName": "s", "openapiConfig": UNKNOWN}) == [
        ("advisory", message.format("openapiConfig"))]
    assert found(pack, GCP_API_CONFIG, {"api": "a", "openapiDocuments": [{"document": {"path": "s.yaml",
                                                                                        "contents": UNKNOWN}}]}) == [
        ("advisory", message.format("openapiDocuments[0].document.contents"))]
    # look-alike: an HTTP API with no body (its routes' authorizers are Authorizer resources)
    assert found(pack, HTTP_API, {"protocolType": "HTTP"}) == []


def test_an_issuer_unknown_at_preview_is_never_silence(pack) -> None:
    """issue 11: GEN-008 left an unknown issuer to AGID-GEN-003, which does not read load balancers, Easy Auth,
    Identity Platform or AppSync Events APIs: an Output issuer there passed both."""
    message = ("can't run policy 'AGID-GEN-008' from policy pack 'agent-guard@v0.0.1' during preview: cannot check "
               "until known: {} is computed during preview")
    rule = {"listenerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2", "actions": [
        {"type": "authenticate-oidc", "authenticateOidc": {"issuer": UNKNOWN, "clientId": "c", "clientSecret": "s",
                                                           "authorizationEndpoint": "https://a",
                                                           "tokenEndpoint": "https://t", "userInfoEndpoint": "https://u"}}]}
    assert found(pack, "aws:lb/listenerRule:ListenerRule", rule) == [("advisory", message.format("actions[0].authenticateOidc.issuer"))]
    assert found(pack, ACA_AUTH, aca(custom_oidc(UNKNOWN))) == [("advisory", message.format(
        "identityProviders.customOpenIdConnectProviders.gh.registration.openIdConnectConfiguration.wellKnownOpenIdConfiguration"))]
    assert found(pack, "gcp:identityplatform/oauthIdpConfig:OauthIdpConfig",
                 {"name": "oidc.g", "clientId": "c", "issuer": UNKNOWN, "enabled": True}) == [
        ("advisory", message.format("issuer"))]
    # look-alikes: the same provider turned off; a type AGID-GEN-003 reads (it says "cannot check" for the issuer)
    assert found(pack, "gcp:identityplatform/oauthIdpConfig:OauthIdpConfig",
                 {"name": "oidc.g", "clientId": "c", "issuer": UNKNOWN, "enabled": False}) == []
    assert found(pack, HTTP_AUTHORIZER, http(UNKNOWN)) == []
    assert [d.policy_name for d in pack.analyze(HTTP_AUTHORIZER, "t", urn(HTTP_AUTHORIZER, "t"), http(UNKNOWN))
            if d.policy_name == "AGID-GEN-003"] == ["AGID-GEN-003"]


def test_expressions_naming_other_things_do_not_hide_a_validation(pack) -> None:
    """Look-alike of 'markup hidden in an expression': an expression reading a header named x-validate-token is
    no validation markup, so the policy is read and judged (flagged on Google with no pin, passing with one)."""
    header = ('<set-header name="x-validate-token" exists-action="override"><value>'
              '@(context.Request.Headers.GetValueOrDefault("x-validate-token", ""))</value></set-header>')
    assert [level for level, message in found(pack, f"{APIM_PREFIX}ApiPolicy",
                                              apim_policy(header + jwt_policy(GOOGLE), apiId="a"))
            if " t takes tokens of 'https://accounts.google.com'" in message] == ["mandatory"]
    assert found(pack, f"{APIM_PREFIX}ApiPolicy",
                 apim_policy(header + jwt_policy(GOOGLE, required("hd", "example.com")), apiId="a")) == []
