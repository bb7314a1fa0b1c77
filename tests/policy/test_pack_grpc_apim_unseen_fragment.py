"""AGID-GEN-010 over gRPC (issue 11): an API Management policy including a policy fragment the stack does not
define runs token validations nobody can read: "cannot check"; a fragment the stack defines is judged by
AGID-GEN-003 / AGID-GEN-008 on its own resource, so including it passes."""

from __future__ import annotations

from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc_inbound_multi_tenant_issuer import APIM_PREFIX, apim_policy

RULE = "AGID-GEN-010"
POLICY = f"{APIM_PREFIX}ApiPolicy"
FRAGMENT = f"{APIM_PREFIX}PolicyFragment"
WS_FRAGMENT = f"{APIM_PREFIX}WorkspacePolicyFragment"


def fragment(fragment_id: str, service: str = "apim") -> dict:
    return {"resourceGroupName": "rg", "serviceName": service, "id": fragment_id, "format": "rawxml",
            "value": "<fragment><validate-jwt header-name=\"Authorization\"><openid-config url=\"https://login."
                     "microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration\" />"
                     "</validate-jwt></fragment>"}


def includes(*ids: str, spelling: str = "include-fragment") -> dict:
    return apim_policy("".join(f'<{spelling} fragment-id="{i}" />' for i in ids), apiId="a")


def test_an_unseen_fragment_cannot_be_checked(pack):
    found = stack_findings(pack, RULE, [(POLICY, "api-auth", includes("jwt-check"))], "mandatory")
    assert [name for name, _ in found] == ["api-auth"]
    assert "includes policy fragment 'jwt-check', which the stack does not define" in found[0][1]
    # in any case, and beside a fragment the stack does define
    found = stack_findings(pack, RULE, [(POLICY, "api-auth", includes("auth", "Other", spelling="Include-Fragment")),
                                        (FRAGMENT, "auth-frag", fragment("auth"))], "mandatory")
    assert [(name, "'Other'" in message) for name, message in found] == [("api-auth", True)]


def test_a_fragment_of_another_service_is_not_the_stacks(pack):
    found = stack_findings(pack, RULE, [(POLICY, "api-auth", includes("auth")),
                                        (FRAGMENT, "auth-frag", fragment("auth", service="other-apim"))], "mandatory")
    assert [name for name, _ in found] == ["api-auth"]


def test_an_expression_or_named_value_cannot_be_checked(pack):
    for fragment_id in ("{{frag}}", "@(context.Variables[&quot;f&quot;])", ""):
        found = stack_findings(pack, RULE, [(POLICY, "api-auth", includes(fragment_id))], "mandatory")
        assert [name for name, _ in found] == ["api-auth"], fragment_id


def test_look_alike_a_fragment_the_stack_defines_passes(pack):
    assert stack_findings(pack, RULE, [(POLICY, "api-auth", includes("auth")),
                                       (FRAGMENT, "auth-frag", fragment("auth"))]) == []
    assert stack_findings(pack, RULE, [(POLICY, "api-auth", includes("AUTH")),
                                       (WS_FRAGMENT, "auth-frag", {**fragment("auth"), "workspaceId": "w"})]) == []
    assert stack_findings(pack, RULE, [(POLICY, "api-auth", apim_policy("<set-header name=\"x\" />", apiId="a"))]) == []


def test_an_unreadable_policy_with_includes_cannot_be_checked(pack):
    props = {**includes("auth"), "value": '<policies><inbound><include-fragment fragment-id="auth" /></inbound>'}
    found = stack_findings(pack, RULE, [(POLICY, "api-auth", props), (FRAGMENT, "auth-frag", fragment("auth"))],
                           "mandatory")
    assert [name for name, _ in found] == ["api-auth"] and "not well-formed XML" in found[0][1]
