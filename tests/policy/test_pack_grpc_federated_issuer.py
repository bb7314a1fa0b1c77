"""AGID-GEN-003 over gRPC: federation trusting an issuer neither a platform runs nor the gate operator lists.

Outside review (red3 suspicion c12/h09, red4): an Azure managed-identity federated credential, an Entra application's
federated credential and a GCP Workload Identity Federation provider trusting https://evil.example.net with an exact
subject passed: whoever serves that issuer's keys signs the subject. Mandatory (high). Issuers the operator runs come
from the gate (`--trusted-issuer`, the base branch's waivers.yaml), sent here as the pack config the gate sends.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
FLEX_FIC = "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"
FIC_VERSIONED = "azure-native:managedidentity/v20230131:FederatedIdentityCredential"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def fic(issuer):
    return {"resourceGroupName": "rg", "resourceName": "id1", "issuer": issuer, "subject": "repo:acme/app:ref:refs/heads/main",
            "audiences": ["api://AzureADTokenExchange"]}


def provider(issuer):
    return {"workloadIdentityPoolId": "pool", "workloadIdentityPoolProviderId": "gh",
            "attributeMapping": {"google.subject": "assertion.sub"}, "oidc": {"issuerUri": issuer},
            "attributeCondition": "assertion.sub == 'agent'"}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def issuer_findings(pack, type_, props, config=None):
    diags = pack.analyze(type_, "fed", urn(type_, "fed"), props)
    return [(d.enforcement_level, d.message) for d in diags if d.policy_name == "AGID-GEN-003"]


@pytest.mark.parametrize("type_, props", [
    (FIC, fic("https://evil.example.net")),
    (APP_FIC, {"applicationId": "/applications/0", "displayName": "x", "issuer": "https://evil.example.net/",
               "subject": "agent", "audiences": ["api://AzureADTokenExchange"]}),
    (PROVIDER, provider("https://evil.example.net")),
    (FLEX_FIC, {"applicationId": "/applications/0", "displayName": "x", "issuer": "https://evil.example.net",
                "claimsMatchingExpression": "claims['sub'] eq 'agent'", "audience": "api://AzureADTokenExchange"}),
    (FIC_VERSIONED, fic("https://evil.example.net")),
    (FIC, fic("https://gitlab.com.evil.example.net")),
    (FIC, fic("https://evil.example.net/https://token.actions.githubusercontent.com")),
    # look-alikes of platform issuers on other hosts
    (FIC, fic("https://token.actions.githubusercontent.com.evil.example.net")),
    (PROVIDER, provider("https://oidc.eks.eu-west-1.amazonaws.com.evil.net/id/0123456789ABCDEF0123456789ABCDEF")),
    (FIC, fic("http://token.actions.githubusercontent.com")),
])
def test_unknown_issuer_is_flagged(pack, type_, props):
    found = issuer_findings(pack, type_, props)
    assert len(found) == 1 and found[0][0] == "mandatory" and "--trusted-issuer URL" in found[0][1], found


@pytest.mark.parametrize("issuer", [
    "https://token.actions.githubusercontent.com",
    "https://token.actions.githubusercontent.com/",
    "https://token.actions.githubusercontent.com/acme-enterprise",  # an enterprise's own issuer
    "https://app.terraform.io",
    f"https://vstoken.dev.azure.com/{TENANT}",
    "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
    "https://container.googleapis.com/v1/projects/example-analytics-dev/locations/europe-west1/clusters/agents",
])
def test_platform_issuers_pass(pack, issuer):
    assert issuer_findings(pack, FIC, fic(issuer)) == []
    assert issuer_findings(pack, PROVIDER, provider(issuer)) == []


def test_issuer_known_only_at_deployment_waits_and_aws_provider_has_none(pack):
    found = issuer_findings(pack, FIC, fic(UNKNOWN))
    assert len(found) == 1 and "cannot check until known: issuer" in found[0][1]
    aws = {"workloadIdentityPoolId": "pool", "workloadIdentityPoolProviderId": "aws", "aws": {"accountId": "123456789012"},
           "attributeCondition": "assertion.arn == 'arn:aws:sts::123456789012:assumed-role/r/s'"}
    assert issuer_findings(pack, PROVIDER, aws) == []


def test_operator_listed_issuer_passes_only_where_listed(pack):
    """The gate's config (never the stack) lists the issuers the operator runs, e.g. a SPIRE OIDC discovery
    provider; a look-alike host stays flagged."""
    pack.configure({"AGID-GEN-003": {"trustedIssuers": ["https://oidc.dev.example.org"]}})
    try:
        assert issuer_findings(pack, FIC, fic("https://oidc.dev.example.org/")) == []
        assert issuer_findings(pack, PROVIDER, provider("https://oidc.dev.example.org")) == []
        assert len(issuer_findings(pack, FIC, fic("https://oidc.dev.example.org.evil.net"))) == 1
    finally:
        pack.configure({})


# red7b f08: an Entra tenant's issuer is Microsoft's word that a principal of THAT tenant asked, so a federated
# credential trusting another tenant lets any app or managed identity there sign in as the agent. Own tenants come
# from the gate's ownTenantIds, never from the stack config's tenantId (PULUMI_CONFIG), which the pull request chooses
# (red19 r19-2).
FOREIGN = "99999999-9999-9999-9999-999999999999"
TENANT_ISSUERS = ("https://login.microsoftonline.com/{}/v2.0", "https://sts.windows.net/{}/",
                  "https://westeurope.oic.prod-aks.azure.com/{}/0b5c1a7e-3f2d-4c1b-9a8e-7d6f5e4c3b2a/",
                  # national clouds (az18): each is its own Entra, where another tenant is as foreign as in the global
                  # one. https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud
                  "https://login.microsoftonline.us/{}/v2.0", "https://login.chinacloudapi.cn/{}/v2.0",
                  "https://login.partner.microsoftonline.cn/{}/v2.0", "https://sts.chinacloudapi.cn/{}/",
                  "https://login.microsoftonline.de/{}/v2.0", "https://sts.microsoftonline.de/{}",  # Azure Germany (closed)
                  "https://usgovvirginia.oic.prod-aks.azure.us/{}/0b5c1a7e-3f2d-4c1b-9a8e-7d6f5e4c3b2a/",
                  "https://chinanorth3.oic.prod-aks.azure.cn/{}/0b5c1a7e-3f2d-4c1b-9a8e-7d6f5e4c3b2a",
                  # other spellings of the same issuer: case of host, path and GUID, trailing slashes
                  "HTTPS://Login.MicrosoftOnline.US/{}/V2.0/", "https://STS.windows.net/{}//")


@pytest.mark.parametrize("issuer", TENANT_ISSUERS)
@pytest.mark.parametrize("type_", [FIC, APP_FIC, PROVIDER])
def test_another_tenants_issuer_blocks_and_an_own_tenants_passes(pack, issuer, type_):
    props = (lambda i: provider(i)) if type_ == PROVIDER else (lambda i: fic(i) | ({"applicationId": "/applications/0"}
                                                                                    if type_ == APP_FIC else {}))
    pack.configure({"AGID-GEN-003": {"ownTenantIds": [TENANT.upper()]}})
    try:
        assert issuer_findings(pack, type_, props(issuer.format(TENANT))) == []
        [(level, message)] = issuer_findings(pack, type_, props(issuer.format(FOREIGN)))
    finally:
        pack.configure({})
    assert level == "mandatory"
    assert message.endswith(f"fed trusts tokens from Entra tenant {FOREIGN} ({issuer.format(FOREIGN)!r}), "
                            "which is not one of the stack's own tenants (ownTenantIds, set by the gate: --own-tenant): "
                            "any application or managed identity of that tenant can sign in as this identity; "
                            "list the tenant in the base branch's waivers.yaml policyPackConfig AGID-GEN-003 ownTenantIds "
                            "if it is yours")
    # without any own tenant, even ours is another tenant to the pack
    assert len(issuer_findings(pack, type_, props(issuer.format(TENANT)))) == 1


@pytest.mark.parametrize("issuer", [
    "https://login.microsoftonline.com/{tenant}/v2.0", "https://login.microsoftonline.us/{tenantid}/v2.0",
    "https://sts.chinacloudapi.cn/{tenantid}/", "https://login.microsoftonline.com/common/v2.0",
    "https://login.partner.microsoftonline.cn/organizations/v2.0", "https://login.microsoftonline.us/consumers/v2.0",
    f"https://login.microsoftonline.us/{TENANT}/v2.0/.well-known/openid-configuration",
    f"https://login.microsoftonline.us.evil.example.net/{TENANT}/v2.0", f"https://login.chinacloudapi.cn.cn/{TENANT}/v2.0",
    f"https://evil.oic.prod-aks.azure.us.example.net/{TENANT}/0b5c1a7e-3f2d-4c1b-9a8e-7d6f5e4c3b2a",
])
def test_entra_issuers_naming_no_tenant_and_look_alike_hosts_block_even_for_own_tenants(pack, issuer):
    """A template (`{tenantid}`, as Entra's common metadata spells its issuer), a multi-tenant alias or a path beyond
    the issuer names no tenant the stack owns: no Entra token carries it as its issuer, so it is an unknown issuer."""
    pack.configure({"AGID-GEN-003": {"ownTenantIds": [TENANT]}})
    try:
        [(level, message)] = issuer_findings(pack, FIC, fic(issuer))
    finally:
        pack.configure({})
    assert level == "mandatory" and "neither a platform's issuer" in message


def test_the_stack_configs_tenant_is_not_own_and_workforce_providers_are_not_judged_by_tenant():
    """The engine gives the pack the stack config (PULUMI_CONFIG): its azuread / azure tenantId is the pull request's
    choice, so it makes no tenant own (red19 r19-2); the gate's ownTenantIds (pack-wide, `--own-tenant`) does."""
    import json
    import os

    env = {**os.environ, "PULUMI_CONFIG": json.dumps({"azuread:tenantId": TENANT, "azure:tenantId": TENANT,
                                                      "proj:other": FOREIGN})}
    with PackProcess.start(PACK, timeout=60, env=env) as running:
        running.configure({})
        assert len(issuer_findings(running, FIC, fic(f"https://login.microsoftonline.com/{TENANT}/v2.0"))) == 1
        running.configure({"all": {"ownTenantIds": [TENANT]}})
        assert issuer_findings(running, FIC, fic(f"https://login.microsoftonline.com/{TENANT}/v2.0")) == []
        assert len(issuer_findings(running, FIC, fic(f"https://login.microsoftonline.com/{FOREIGN}/v2.0"))) == 1
        workforce = {"location": "global", "workforcePoolId": "partners", "providerId": "entra",
                     "oidc": {"issuerUri": f"https://login.microsoftonline.com/{FOREIGN}/v2.0", "clientId": "c"}}
        workforce_type = "gcp:iam/workforcePoolProvider:WorkforcePoolProvider"
        assert issuer_findings(running, workforce_type, workforce) == []


def test_a_trusted_issuer_entry_that_breaks_the_url_rules_trusts_nothing(pack):
    """`pulumi preview --policy-pack-config` does not check the https-url format the gate checks (az18 item 3): an entry
    that parsers read as two hosts trusts no credential naming it, and the finding says which rule it breaks."""
    ambiguous = "https://oidc.dev.example.org\\@evil.example.net"
    pack.configure({"AGID-GEN-003": {"trustedIssuers": [ambiguous, "https://oidc.dev.example.org"]}})
    try:
        [(level, message)] = issuer_findings(pack, FIC, fic(ambiguous))
        assert issuer_findings(pack, FIC, fic("https://oidc.dev.example.org")) == []
    finally:
        pack.configure({})
    assert level == "mandatory" and message.endswith(
        f"fed trusts issuer {ambiguous!r}, listed in trustedIssuers, but the entry holds a backslash: URL parsers disagree "
        "on it (WHATWG reads it as '/', RFC 3986 does not), so one string would name two hosts or paths; write "
        "https://HOST[/PATH] with '/' only: an issuer trusted by exact comparison must name one host, port and path")


LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
WEB_AUTH = "azure-native:web:WebAppAuthSettingsV2"


def oidc_rule(issuer: str) -> dict:
    return {"listenerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2", "actions": [
        {"type": "authenticate-oidc", "authenticateOidc": {
            "issuer": issuer, "clientId": "c", "clientSecret": "s", "authorizationEndpoint": f"{issuer}/authorize",
            "tokenEndpoint": f"{issuer}/token", "userInfoEndpoint": f"{issuer}/userinfo"}}]}


def easy_auth(issuer: str) -> dict:
    return {"name": "agent", "resourceGroupName": "rg", "platform": {"enabled": True}, "identityProviders": {
        "azureActiveDirectory": {"enabled": True, "registration": {
            "clientId": "00000000-0000-0000-0000-000000000001", "openIdIssuer": issuer}}}}


def test_an_inbound_authorizer_of_gen_008_trusting_an_issuer_nobody_runs(pack) -> None:
    """inbound3: a load balancer's authenticate-oidc (or Easy Auth, an API Management validate-jwt, an API body) on an
    issuer no platform runs let whoever serves its keys sign in as any user: GEN-003 read only its own types."""
    pack.configure({"AGID-GEN-003": {"ownTenantIds": [TENANT]}})
    [(level, message)] = issuer_findings(pack, LISTENER_RULE, oidc_rule("https://evil.example.net"))
    assert level == "mandatory" and "(actions[0].authenticateOidc.issuer) trusts tokens from issuer 'https://evil.example.net'" in message
    [(level, message)] = issuer_findings(pack, WEB_AUTH, easy_auth(f"https://sts.windows.net/{'1' * 8}-1111-1111-1111-{'1' * 12}/v2.0"))
    assert level == "mandatory" and "which is not one of the stack's own tenants" in message, message
    # look-alikes: the stack's own tenant (v1 and App Service's v2.0 spelling), an issuer the gate lists, a platform's
    # issuer (whether it is pinned is AGID-GEN-008's question)
    assert issuer_findings(pack, WEB_AUTH, easy_auth(f"https://sts.windows.net/{TENANT}/v2.0")) == []
    assert issuer_findings(pack, WEB_AUTH, easy_auth(f"https://login.microsoftonline.com/{TENANT}/v2.0")) == []
    assert issuer_findings(pack, LISTENER_RULE, oidc_rule("https://accounts.google.com")) == []
    pack.configure({"AGID-GEN-003": {"trustedIssuers": ["https://idp.acme.example"]}})
    assert issuer_findings(pack, LISTENER_RULE, oidc_rule("https://idp.acme.example")) == []
    # unknown: AGID-GEN-008's "cannot check" (one per issuer), not GEN-003's
    assert issuer_findings(pack, LISTENER_RULE, oidc_rule(UNKNOWN)) == []
    pack.configure({})
