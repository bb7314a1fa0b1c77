"""AGID-GEN-009 over gRPC (issue 11): a platform issuer every customer has one of is trusted only for an own owner.

A GKE cluster's issuer of another project, a Cognito user pool the stack does not define, a literal EKS issuer on an
IAM OIDC provider and Google's issuer with a subject that is not a stack service account all passed AGID-GEN-003 (the
platform holds the keys) although whoever owns that cluster, pool or Google account mints the tokens. Each flagged case
has a look-alike that passes: an own project (ownGcpProjects), a pool the stack defines (under the gate: the pool id
its mocks give the stack's UserPool), an issuer the gate lists (trustedIssuers), a stack service account's unique id.
The pack is configured as the gate does it (pack-wide `all` entry, the rule's trustedIssuers).
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid.mock_provider import MOCK_ACCOUNT, mock_outputs
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-GEN-009"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
WIF = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
JWT_AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
USER_POOL = "aws:cognito/userPool:UserPool"
ACCOUNT = "gcp:serviceaccount/account:Account"
GKE = "https://container.googleapis.com/v1/projects/{}/locations/europe-west1/clusters/agents"
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/{}"
EKS_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
GOOGLE = "https://accounts.google.com"
OWN = {"all": {"ownGcpProjects": ["acme-prod"]}, RULE: {"trustedIssuers": [COGNITO.format("eu-west-1_Listed123")]}}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(OWN)
        yield running


def fic(issuer, subject="system:serviceaccount:agents:triage"):
    return (FIC, "fic", {"resourceGroupName": "rg", "resourceName": "id1", "issuer": issuer, "subject": subject,
                         "audiences": ["api://AzureADTokenExchange"]})


def wif(issuer, subject="system:serviceaccount:agents:triage"):
    return (WIF, "wif", {"workloadIdentityPoolId": "pool", "workloadIdentityPoolProviderId": "k8s",
                         "attributeMapping": {"google.subject": "assertion.sub"}, "oidc": {"issuerUri": issuer},
                         "attributeCondition": f"assertion.sub == '{subject}'"})


def oidc(url):
    return (OIDC, "oidc", {"url": url, "clientIdLists": ["sts.amazonaws.com"]})


def authorizer(issuer):
    return (JWT_AUTHORIZER, "authz", {"apiId": "api", "authorizerType": "JWT",
                                      "jwtConfiguration": {"issuer": issuer, "audiences": ["agents"]}})


# issue 11: the other inbound authorizers AGID-GEN-008 knows, naming the issuer wherever each does
def alb(issuer):
    return ("aws:lb/listenerRule:ListenerRule", "alb", {
        "listenerArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/a/1/2", "actions": [
            {"type": "authenticate-oidc", "authenticateOidc": {
                "issuer": issuer, "clientId": "c", "clientSecret": "s", "authorizationEndpoint": "https://a",
                "tokenEndpoint": "https://t", "userInfoEndpoint": "https://u"}}]})


def easy_auth(issuer):
    return ("azure-native:app:ContainerAppsAuthConfig", "auth", {
        "authConfigName": "current", "containerAppName": "agent", "resourceGroupName": "rg", "identityProviders": {
            "customOpenIdConnectProviders": {"idp": {"registration": {"clientId": "agent", "openIdConnectConfiguration": {
                "wellKnownOpenIdConfiguration": f"{issuer}/.well-known/openid-configuration"}}}}}})


def apim_policy(issuer):
    return ("azure-native:apimanagement:ApiPolicy", "apim", {
        "resourceGroupName": "rg", "serviceName": "apim", "apiId": "a", "format": "rawxml",
        "value": f'<policies><inbound><validate-jwt header-name="Authorization"><openid-config url="{issuer}/.well-known/'
                 'openid-configuration" /></validate-jwt></inbound></policies>'})


def http_body(issuer):
    import json

    return ("aws:apigatewayv2/api:Api", "api", {"protocolType": "HTTP", "body": json.dumps({
        "openapi": "3.0.1", "info": {"title": "a", "version": "1"}, "paths": {},
        "components": {"securitySchemes": {"jwt": {"type": "oauth2", "x-amazon-apigateway-authorizer": {
            "type": "jwt", "jwtConfiguration": {"issuer": issuer, "audience": ["a"]}}}}}})})


def workforce(issuer):
    return ("gcp:iam/workforcePoolProvider:WorkforcePoolProvider", "people", {
        "location": "global", "workforcePoolId": "p", "providerId": "x", "attributeMapping": {"google.subject": "assertion.sub"},
        "oidc": {"issuerUri": issuer, "clientId": "c"}})


INBOUND = [alb, easy_auth, apim_policy, http_body, workforce]
INBOUND_IDS = ["alb-authenticate-oidc", "easy-auth", "apim-validate-jwt", "http-api-body", "workforce-provider"]


def findings(pack, *resources):
    stack = [r if isinstance(r, StackResource) else StackResource(r[0], r[1], urn(r[0], r[1]), r[2]) for r in resources]
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(stack)
                  if d.policy_name == RULE)


def names(pack, *resources):
    return [(name, level) for name, level, _ in findings(pack, *resources)]


@pytest.mark.parametrize("make", [fic, wif, oidc, authorizer, *INBOUND],
                         ids=["fic", "wif", "oidc-provider", "jwt-authorizer", *INBOUND_IDS])
def test_a_gke_cluster_issuer_of_a_project_the_gate_does_not_list(pack, make):
    [(name, level, message)] = findings(pack, make(GKE.format("attacker-proj")))
    assert level == "mandatory" and name == make("x")[1]
    assert f"trusts tokens from GKE cluster issuer '{GKE.format('attacker-proj')}', but project attacker-proj is not " \
           "one the gate lists (ownGcpProjects)" in message, message
    assert findings(pack, make(GKE.format("acme-prod"))) == []


@pytest.mark.parametrize("make", [fic, wif, oidc, authorizer, *INBOUND],
                         ids=["fic", "wif", "oidc-provider", "jwt-authorizer", *INBOUND_IDS])
def test_a_cognito_pool_the_stack_does_not_define(pack, make):
    [(name, level, message)] = findings(pack, make(COGNITO.format("eu-west-1_Attacker9")))
    assert level == "mandatory" and "pool eu-west-1_Attacker9 is not one the stack defines" in message, message
    assert findings(pack, make(COGNITO.format("eu-west-1_Listed123"))) == []  # listed by the gate


def test_a_cognito_pool_the_stack_defines_under_the_gate():
    """Under the gate the stack pool's issuer is known (its mock id): it is the stack's own; another pool is not."""
    _, state = mock_outputs(USER_POOL, "agents", {})
    pool = (USER_POOL, "agents", {})
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure(OWN)
        assert findings(running, pool, oidc(COGNITO.format(state["id"]))) == []
        assert names(running, pool, oidc(COGNITO.format("eu-west-1_Attacker9"))) == [("oidc", "mandatory")]


def test_a_literal_eks_issuer_on_an_iam_oidc_provider(pack):
    """Creating the provider makes every role of the account trusting oidc-provider/HOST take that cluster's tokens."""
    [(name, level, message)] = findings(pack, oidc(EKS_ISSUER))
    assert (name, level) == ("oidc", "mandatory") and "EKS cluster issuer" in message
    assert "it names neither the cluster nor its account" in message
    assert findings(pack, oidc(EKS_ISSUER.removeprefix("https://"))) != []  # IAM takes the URL without its scheme
    pack.configure({**OWN, RULE: {"trustedIssuers": [EKS_ISSUER]}})
    try:
        assert findings(pack, oidc(EKS_ISSUER)) == []
    finally:
        pack.configure(OWN)
    # on a federated credential or WIF provider it is AGID-GEN-006's finding, not a second one
    assert findings(pack, fic(EKS_ISSUER)) == [] and findings(pack, wif(EKS_ISSUER)) == []


def _account(unique_id, project="acme-prod"):
    # an account already deployed: the engine sends its outputs (uniqueId) with its inputs
    return (ACCOUNT, "agent", {"accountId": "agent", "project": project, "uniqueId": unique_id})


@pytest.mark.parametrize("make", [fic, wif], ids=["fic", "wif"])
def test_google_with_a_subject_that_is_not_a_stack_service_account(pack, make):
    [(name, level, message)] = findings(pack, _account("111111111111111111111"), make(GOOGLE, "999999999999999999999"))
    assert level == "mandatory" and "its subject '999999999999999999999' is not the unique id of a service account " \
                                    "the stack defines in an own project" in message, message
    assert findings(pack, _account("111111111111111111111"), make(GOOGLE, "111111111111111111111")) == []
    # the stack's account in a project the gate does not list is not own (the stack names its project)
    assert names(pack, _account("111111111111111111111", "attacker-proj"), make(GOOGLE, "111111111111111111111")) \
        == [(make("x")[1], "mandatory")]


def test_google_on_an_app_federated_credential(pack):
    app_fic = (APP_FIC, "appfic", {"applicationId": "/applications/x", "displayName": "g", "issuer": GOOGLE,
                                   "subject": "999999999999999999999", "audiences": ["api://AzureADTokenExchange"]})
    assert names(pack, app_fic) == [("appfic", "mandatory")]
    assert findings(pack, _account("999999999999999999999"), app_fic) == []


ROLE = "aws:iam/role:Role"


def role(provider, subjects=None):
    import json

    federated = provider if provider == "accounts.google.com" else f"arn:aws:iam::123456789012:oidc-provider/{provider}"
    statement = {"Effect": "Allow", "Principal": {"Federated": federated}, "Action": "sts:AssumeRoleWithWebIdentity"}
    if subjects is not None:
        statement["Condition"] = {"StringEquals": {f"{provider}:sub": subjects}}
    return (ROLE, "role", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def test_an_iam_role_trusting_google_for_a_subject_that_is_no_stack_account(pack):
    [(name, level, message)] = findings(pack, _account("111111111111111111111"),
                                        role("accounts.google.com", "999999999999999999999"))
    assert (name, level) == ("role", "mandatory") and "its subject '999999999999999999999'" in message, message
    assert findings(pack, _account("111111111111111111111"), role("accounts.google.com", ["111111111111111111111"])) == []
    assert findings(pack, role("accounts.google.com")) == []  # no subject condition: the pinning rule's (AGID-AWS-031)
    # a pattern names no stack account: any Google account whose id it matches
    import json

    type_, name, props = role("accounts.google.com")
    document = json.loads(props["assumeRolePolicy"])
    document["Statement"][0]["Condition"] = {"StringLike": {"accounts.google.com:sub": "*"}}
    assert names(pack, (type_, name, {"assumeRolePolicy": json.dumps(document)})) == [("role", "mandatory")]


def test_an_iam_role_trusting_a_gke_cluster_of_a_project_the_gate_does_not_list(pack):
    foreign = GKE.format("attacker-proj").removeprefix("https://")
    [(name, level, message)] = findings(pack, role(foreign, "system:serviceaccount:agents:triage"))
    assert (name, level) == ("role", "mandatory") and "project attacker-proj is not one the gate lists" in message
    assert findings(pack, role(GKE.format("acme-prod").removeprefix("https://"), "system:serviceaccount:a:b")) == []
    # a literal EKS issuer on a role trust is AGID-GEN-006's finding
    assert findings(pack, role(EKS_ISSUER.removeprefix("https://"), "system:serviceaccount:a:b")) == []


IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"


def identity_pool(user_pool=None, oidc_arn=None):
    props = {"identityPoolName": "agents", "allowUnauthenticatedIdentities": False}
    if user_pool:
        props["cognitoIdentityProviders"] = [{"providerName": f"cognito-idp.eu-west-1.amazonaws.com/{user_pool}",
                                              "clientId": "abc"}]
    if oidc_arn:
        props["openidConnectProviderArns"] = [f"arn:aws:iam::123456789012:oidc-provider/{oidc_arn}"]
    return (IDENTITY_POOL, "ids", props)


def test_a_cognito_identity_pool_for_a_user_pool_or_cluster_of_someone_else(pack):
    """The identity pool hands AWS credentials to the users its login providers sign in."""
    [(name, level, message)] = findings(pack, identity_pool("eu-west-1_Attacker9"))
    assert (name, level) == ("ids", "mandatory") and "pool eu-west-1_Attacker9 is not one the stack defines" in message
    assert findings(pack, identity_pool("eu-west-1_Listed123")) == []
    [(name, _, message)] = findings(pack, identity_pool(oidc_arn=GKE.format("attacker-proj").removeprefix("https://")))
    assert name == "ids" and "project attacker-proj is not one the gate lists" in message, message
    assert findings(pack, identity_pool(oidc_arn=GKE.format("acme-prod").removeprefix("https://"))) == []
    assert names(pack, identity_pool(oidc_arn=EKS_ISSUER.removeprefix("https://"))) == [("ids", "mandatory")]


def test_an_identity_pool_for_the_stacks_own_user_pool_under_the_gate():
    _, state = mock_outputs(USER_POOL, "agents", {})
    pool = (USER_POOL, "agents", {})
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure(OWN)
        assert findings(running, pool, identity_pool(state["id"])) == []
        assert names(running, pool, identity_pool("eu-west-1_Attacker9")) == [("ids", "mandatory")]


def cognito_identity_role(*audiences: str, operator: str = "StringEquals"):
    import json

    condition = {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}
    if audiences:
        condition[operator] = {"cognito-identity.amazonaws.com:aud": list(audiences)}
    return ("aws:iam/role:Role", "role", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
         "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]})})


def test_a_role_trusting_an_identity_pool_the_stack_does_not_define(pack):
    """red17 r17-3: identity pool ids name no account, and the pool's owner mints tokens for any identity."""
    foreign = "us-east-1:11111111-2222-3333-4444-555555555555"
    [(name, level, message)] = findings(pack, cognito_identity_role(foreign))
    assert (name, level) == ("role", "mandatory"), message
    assert f"identity pool '{foreign}', which is not one the stack defines" in message
    assert names(pack, cognito_identity_role("us-east-1:*", operator="StringLike")) == [("role", "mandatory")]
    assert findings(pack, cognito_identity_role()) == []  # no audience pinned: AGID-AWS-031's


def test_a_role_trusting_the_stacks_own_identity_pool_under_the_gate():
    pool = identity_pool()
    _, state = mock_outputs(IDENTITY_POOL, "ids", pool[2])
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure(OWN)
        assert findings(running, pool, cognito_identity_role(state["id"])) == []
        assert names(running, pool, cognito_identity_role(state["id"], "us-east-1:11111111-2222-3333-4444-555555555555")) \
            == [("role", "mandatory")]
