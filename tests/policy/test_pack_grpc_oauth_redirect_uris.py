"""AGID-GEN-005 over gRPC: the OAuth clients a stack registers redirect only to exact https URLs on a named host.

Each client type of analysis/oauth_redirect_inputs.yaml with a wildcard, plain-http, userinfo, fragment or loopback
redirect URI is flagged (mandatory); the same client with exact https URIs (a query allowed) passes; a public
client's URIs are AGID-AZ-022's, not this rule's; a URI unknown at preview cannot be checked.
"""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules import oauth_redirect_uris
from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN
from tests.policy.sdk_args import inputs, nested

RULE = "AGID-GEN-005"
APP_ID = "/applications/00000000-0000-0000-0000-00000000a001"
GOOD = "https://app.example.com/oauth2/callback"

CLIENTS = {  # type -> props holding the redirect URI `u`
    "aws:cognito/userPoolClient:UserPoolClient": lambda u: {
        "userPoolId": "eu-west-1_AbCdEf123", "name": "web", "allowedOauthFlows": ["code"],
        "allowedOauthFlowsUserPoolClient": True, "callbackUrls": [GOOD, u]},
    "aws:cognito/managedUserPoolClient:ManagedUserPoolClient": lambda u: {
        "userPoolId": "eu-west-1_AbCdEf123", "namePattern": "^AmazonOpenSearchService", "defaultRedirectUri": u,
        "callbackUrls": [u]},
    "azuread:index/application:Application": lambda u: {"displayName": "portal", "web": {"redirectUris": [u]}},
    "azuread:index/applicationRedirectUris:ApplicationRedirectUris": lambda u: {
        "applicationId": APP_ID, "type": "SPA", "redirectUris": [u]},
    "gcp:iam/oauthClient:OauthClient": lambda u: {
        "project": "p", "location": "global", "oauthClientId": "gemini", "clientType": "CONFIDENTIAL_CLIENT",
        "allowedGrantTypes": ["AUTHORIZATION_CODE_GRANT"], "allowedScopes": ["openid"], "allowedRedirectUris": [u]},
    "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget": lambda u: {
        "gatewayIdentifier": "gw", "name": "crm",
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": "https://tools.example.com/mcp"}}},
        "credentialProviderConfiguration": {"oauth": {
            "providerArn": "arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/"
                           "oauth2credentialprovider/crm", "scopes": ["crm.read"], "grantType": "AUTHORIZATION_CODE",
            "defaultReturnUrl": u}}},
}
BAD = {"wildcard": "https://*.example.com/cb", "http": "http://app.example.com/cb",
       "userinfo": "https://app.example.com@evil.example.net/cb", "fragment": "https://app.example.com/cb#x",
       "loopback": "http://localhost:3000/callback", "metadata": "https://169.254.169.254/cb"}


@pytest.mark.parametrize("type_", CLIENTS)
@pytest.mark.parametrize("kind", BAD)
def test_a_redirect_uri_not_exact_https_on_a_named_host_is_flagged(pack, type_, kind):
    assert set(flagged_names(pack, RULE, (type_, "client", CLIENTS[type_](BAD[kind])), level="mandatory")) == {"client"}


@pytest.mark.parametrize("type_", CLIENTS)
def test_exact_https_redirect_uris_pass(pack, type_):
    assert flagged_names(pack, RULE, (type_, "client", CLIENTS[type_](GOOD))) == []
    assert flagged_names(pack, RULE, (type_, "client", CLIENTS[type_](GOOD + "?tenant=7"))) == []


def test_a_public_clients_uris_are_another_rules_and_an_unknown_uri_cannot_be_checked(pack):
    public = {"applicationId": APP_ID, "type": "PublicClient", "redirectUris": ["http://localhost"]}
    assert flagged_names(pack, RULE, ("azuread:index/applicationRedirectUris:ApplicationRedirectUris", "c", public)) == []
    assert flagged_names(pack, "AGID-AZ-022",
                         ("azuread:index/applicationRedirectUris:ApplicationRedirectUris", "c", public)) == ["c"]
    unknown = CLIENTS["azuread:index/application:Application"](UNKNOWN)
    assert flagged_names(pack, RULE, ("azuread:index/application:Application", "c", unknown)) == ["c"]


def test_every_path_of_the_data_is_an_input_of_the_installed_sdk():
    import importlib

    for type_, entry in oauth_redirect_uris.data()["inputs"].items():
        package, middle, name = type_.split(":")
        module = importlib.import_module(f"pulumi_{package.replace('-', '_')}")
        for part in middle.split("/")[:-1]:
            if part != "index":
                module = getattr(module, part.replace("-", "_"))
        args = getattr(module, f"{name}Args")
        for path in entry["paths"]:
            cls = args
            for step in path.replace("[]", "").split("."):
                found = inputs(cls)
                assert step in found, (type_, path, step)
                cls = nested(cls, found[step]) or cls
