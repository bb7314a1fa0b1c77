"""AGID-AZ-061 over gRPC (stack): an API Management API anyone may call must not attach the gateway's managed-identity
token for Microsoft's APIs (red11a r28: APIs with subscriptionRequired false forwarding to management.azure.com and
graph.microsoft.com with <authentication-managed-identity> passed: an open proxy acting as the APIM identity)."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-AZ-061"
AM = "azure-native:apimanagement:"
SVC = {"resourceGroupName": "rg1", "serviceName": "apim1"}


def api(api_id="arm", required=False, url="https://management.azure.com"):
    return (f"{AM}Api", api_id, {**SVC, "apiId": api_id, "path": api_id, "displayName": api_id, "protocols": ["https"],
                                 "serviceUrl": url, **({"subscriptionRequired": required} if required is not None else {})})


def policy(kind, name, inbound, **scope):
    value = f"<policies><inbound>{inbound}</inbound><backend><base /></backend><outbound><base /></outbound></policies>"
    return (f"{AM}{kind}", name, {**SVC, **scope, "policyId": "policy", "format": "xml", "value": value})


MI_ARM = '<base /><authentication-managed-identity resource="https://management.azure.com/" />'


def test_anonymous_api_with_an_arm_token_blocks(pack):
    [(name, message)] = stack_findings(pack, RULE, [api(), policy("ApiPolicy", "armpol", MI_ARM, apiId="arm")],
                                       level="mandatory")
    assert name == "armpol" and "armpol attaches the API Management managed identity's token for " \
                                "https://management.azure.com/ to every call of API arm, which anyone may call" in message


@pytest.mark.parametrize("resources", [
    [api(required=True), policy("ApiPolicy", "p", MI_ARM, apiId="arm")],  # a subscription key is required
    [api(required=None), policy("ApiPolicy", "p", MI_ARM, apiId="arm")],  # omitted: required
    [api(), policy("ApiPolicy", "p", '<base /><validate-azure-ad-token tenant-id="t"><client-application-ids>'
                                     '<application-id>a</application-id></client-application-ids></validate-azure-ad-token>'
                   + MI_ARM, apiId="arm")],
    [api(), policy("Policy", "global", '<validate-jwt header-name="Authorization" />'),
     policy("ApiPolicy", "p", MI_ARM, apiId="arm")],  # the service-wide policy authenticates, the API inherits it
    [api(), policy("ApiPolicy", "p", '<base /><authentication-managed-identity resource="api://my-backend-app" />',
                   apiId="arm")],  # the own backend's audience
    [api(), policy("ApiPolicy", "p", MI_ARM, apiId="other")],  # another API's policy
])
def test_look_alikes_pass(pack, resources):
    assert stack_findings(pack, RULE, resources) == []


def test_service_wide_token_reaches_every_anonymous_api(pack):
    """red11a r28's global policy: a Key Vault token on every API of the service."""
    resources = [api("arm"), api("graph", url="https://graph.microsoft.com"),
                 policy("Policy", "global", '<authentication-managed-identity resource="https://vault.azure.net" />')]
    found = stack_findings(pack, RULE, resources, level="mandatory")
    assert [name for name, _ in found] == ["global", "global"]
    assert "API arm" in found[0][1] + found[1][1] and "API graph" in found[0][1] + found[1][1]


def test_authentication_that_does_not_hold_does_not_count(pack):
    """validate-jwt in a <choose> branch or a comment, in an operation only, or in a global policy the API does
    not inherit (no <base />) does not protect the API."""
    for resources in (
        [api(), policy("ApiPolicy", "p", '<base /><choose><when condition="@(false)"><validate-jwt header-name="A" />'
                                         '</when></choose>' + MI_ARM, apiId="arm")],
        [api(), policy("ApiPolicy", "p", '<base /><!-- <validate-jwt header-name="A" /> -->' + MI_ARM, apiId="arm")],
        [api(), policy("ApiOperationPolicy", "op", '<base /><validate-jwt header-name="A" />', apiId="arm", operationId="o"),
         policy("ApiPolicy", "p", MI_ARM, apiId="arm")],
        [api(), policy("Policy", "global", '<validate-jwt header-name="A" />'),
         policy("ApiPolicy", "p", MI_ARM.replace("<base />", ""), apiId="arm")],
    ):
        assert [name for name, _ in stack_findings(pack, RULE, resources, level="mandatory")] == ["p"]


def test_product_policies_reach_the_apis_of_the_product(pack):
    resources = [api(), (f"{AM}ProductApi", "link", {**SVC, "productId": "open", "apiId": "arm"}),
                 policy("ProductPolicy", "prod", '<base /><authentication-managed-identity resource="https://graph.microsoft.com" />',
                        productId="open")]
    assert [name for name, _ in stack_findings(pack, RULE, resources, level="mandatory")] == ["prod"]
    unlinked = [api(), policy("ProductPolicy", "prod", MI_ARM, productId="open")]
    assert stack_findings(pack, RULE, unlinked) == []


def test_unreadable_policies_and_audiences_cannot_be_checked(pack):
    named_value = [api(), policy("ApiPolicy", "p", '<authentication-managed-identity resource="{{backend-aud}}" />',
                                 apiId="arm")]
    [(_, message)] = stack_findings(pack, RULE, named_value, level="mandatory")
    assert "(a named value or expression: cannot check)" in message
    linked = [api(), (f"{AM}ApiPolicy", "p", {**SVC, "apiId": "arm", "format": "rawxml-link",
                                                "value": "https://evil.example.net/policy.xml"})]
    [(_, message)] = stack_findings(pack, RULE, linked, level="mandatory")
    assert "it is loaded from a link (rawxml-link)" in message
    unknown = [(f"{AM}Api", "arm", {**api()[2], "subscriptionRequired": UNKNOWN}), policy("ApiPolicy", "p", MI_ARM, apiId="arm")]
    [(_, message)] = stack_findings(pack, RULE, unknown, level="advisory")
    assert "arm.subscriptionRequired is computed during preview" in message
