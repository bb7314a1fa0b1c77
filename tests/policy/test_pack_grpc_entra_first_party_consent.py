"""AGID-AZ-055 over gRPC (red11a r32): tenant-wide delegated consent (no userObjectId) to a first-party API scope that
acts as the signed-in user on a whole service. Application ids: Microsoft's first-party apps
(https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/governance/verify-first-party-apps-sign-in)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

GRANT = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
APP = "azuread:index/application:Application"
ARM, KEY_VAULT, EXCHANGE = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
                            "00000002-0000-0ff1-ce00-000000000000")


def resource(type_, name, props, *depends_on):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in depends_on])


def api(name, client_id):
    return resource(SP, name, {"clientId": client_id, "useExisting": True})


def grant(name, target, scopes, **extra):
    return resource(GRANT, name, {"servicePrincipalObjectId": UNKNOWN, "resourceServicePrincipalObjectId": UNKNOWN,
                                  "claimValues": scopes, **extra}, target)


@pytest.mark.parametrize("client_id,scope,fragment", [
    (ARM, "user_impersonation", "user_impersonation of Azure Service Management (Azure Resource Manager) "
                                "(797f4846-ba00-4fd7-ba43-dac1f8f63013): the app, with any user's sign-in, manages every "
                                "subscription"),
    (KEY_VAULT.upper(), "user_impersonation", "user_impersonation of Azure Key Vault (cfa8b339-82a2-471a-a3c9-0fc0be7a4093)"),
    (EXCHANGE, "EWS.AccessAsUser.All", "EWS.AccessAsUser.All of Office 365 Exchange Online"),
])
def test_tenant_wide_consent_to_act_as_users_blocks_and_one_users_consent_passes(pack, client_id, scope, fragment):
    target = api("res", client_id)
    [(name, message)] = stack_findings(pack, "AGID-AZ-055", [target, grant("g", target, [scope])], "mandatory")
    assert name == "g" and f"g consents for every user of the tenant to {fragment}" in message, message
    assert stack_findings(pack, "AGID-AZ-055", [target, grant("g", target, [scope], userObjectId="u-1")]) == []


def test_look_alikes_pass(pack):
    own_app = resource(APP, "app", {"displayName": "orders-api"})
    own_api = resource(SP, "own", {"clientId": UNKNOWN}, own_app)
    exchange = api("exo", EXCHANGE)
    assert stack_findings(pack, "AGID-AZ-055", [
        own_app, own_api, grant("own-api", own_api, ["user_impersonation"]),  # the org's own API
        exchange, grant("exo-basic", exchange, ["User.Read"]),  # a scope of the API that does not act as the user
    ]) == []


def test_a_resource_the_stack_does_not_show_cannot_be_checked(pack):
    loose = StackResource(GRANT, "loose", urn(GRANT, "loose"), {
        "servicePrincipalObjectId": UNKNOWN, "resourceServicePrincipalObjectId": "5f0c2d4e-0000-4000-8000-000000000001",
        "claimValues": ["user_impersonation"]})
    [(name, message)] = stack_findings(pack, "AGID-AZ-055", [loose], "mandatory")
    assert name == "loose" and "cannot check: consents for every user to user_impersonation of a service principal" in message
    benign = StackResource(GRANT, "benign", urn(GRANT, "benign"), {
        "servicePrincipalObjectId": UNKNOWN, "resourceServicePrincipalObjectId": "5f0c2d4e-0000-4000-8000-000000000001",
        "claimValues": ["openid", "profile"]})
    assert stack_findings(pack, "AGID-AZ-055", [benign]) == []


def test_depending_on_the_orgs_own_api_does_not_make_another_resource_it(pack):
    """issue 11: tenant-wide user_impersonation of an EXISTING service principal (Azure Resource Manager's object id
    in this tenant, as a literal or a constant behind another Output) with `depends_on=[the stack's own API]` passed as
    consent to the org's own API. Both cannot be checked (mandatory); the look-alike (the own API's object id as its
    Output: test_look_alikes_pass) passes."""
    own_app = resource(APP, "app", {"displayName": "orders-api"})
    own_api = resource(SP, "own", {"clientId": UNKNOWN}, own_app)
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})
    literal = resource(GRANT, "literal", {"servicePrincipalObjectId": UNKNOWN, "claimValues": ["user_impersonation"],
                                          "resourceServicePrincipalObjectId": "5f0c2d4e-0000-4000-8000-000000000001"},
                       own_api)
    hidden = resource(GRANT, "hidden", {"servicePrincipalObjectId": UNKNOWN, "claimValues": ["user_impersonation"],
                                        "resourceServicePrincipalObjectId": UNKNOWN}, own_api, bucket)
    found = stack_findings(pack, "AGID-AZ-055", [own_app, own_api, bucket, literal, hidden], "mandatory")
    assert [name for name, _ in found] == ["hidden", "literal"], found
    assert all("cannot check: consents for every user to user_impersonation of a service principal" in m for _, m in found)
