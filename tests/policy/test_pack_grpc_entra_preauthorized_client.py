"""AGID-AZ-063 over gRPC (red13 r13-8): an API pre-authorizes (consent-free delegated scopes) only client applications
the stack defines. A client id of another application (a multi-tenant app of another tenant), also one the program
makes depend on a stack application, is flagged; the stack's own application's client id (as the gate's mocks give
it, or unknown at preview as its Output) passes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid.mock_engine import MOCK_ACCOUNT
from agentid.mock_provider import name_uuid
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-AZ-063"
APPLICATION = "azuread:index/application:Application"
PRE_AUTHORIZED = "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized"
API_ID = "/applications/00000000-0000-0000-0000-00000000a001"
FOREIGN_CLIENT = "8c59ead7-d703-4a27-9e55-c96a0054c8d2"


def resource(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


API = resource(APPLICATION, "crm-api", {"displayName": "crm api"})
CLIENT = resource(APPLICATION, "crm-agent", {"displayName": "crm agent"})


def pre_authorized(name: str, client, depends: tuple[str, ...] = ()) -> StackResource:
    return resource(PRE_AUTHORIZED, name, {"applicationId": API_ID, "authorizedClientId": client,
                                           "permissionIds": ["11111111-2222-3333-4444-555555555555"]}, depends)


def stack_of(own_client_id: str) -> list[StackResource]:
    return [API, CLIENT,
            pre_authorized("foreign", FOREIGN_CLIENT),
            pre_authorized("decoy", FOREIGN_CLIENT, (CLIENT.urn,)),
            pre_authorized("own", own_client_id, (CLIENT.urn,)),
            pre_authorized("own-output", UNKNOWN, (CLIENT.urn,)),
            pre_authorized("unknown", UNKNOWN)]


@pytest.fixture(scope="module")
def gate_pack():
    """The pack as `agentid preview` starts it: it knows the ids its mocks give the stack's resources."""
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        running.configure({})
        yield running


def test_under_the_gate_a_client_the_stack_does_not_define_is_flagged_and_its_own_passes(gate_pack):
    own_client_id = name_uuid("client", CLIENT.name).upper()  # the client id the gate's mocks give the stack's app
    findings = stack_findings(gate_pack, RULE, stack_of(own_client_id))
    # "unknown": an Output no dependency explains is "cannot check until known" (a stack-level diagnostic); so is
    # "own-output" here: the gate's mocks know the app's client id, so its Output would have arrived known
    assert [name for name, _ in findings] == ["", "decoy", "foreign"]
    assert "cannot check until known: own-output.authorizedClientId, unknown.authorizedClientId" in findings[0][1]
    assert "pre-authorizes client application '8c59ead7-d703-4a27-9e55-c96a0054c8d2', which this stack does not " \
           "define" in dict(findings)["foreign"]
    assert [name for name, _ in stack_findings(gate_pack, RULE, stack_of(own_client_id), level="mandatory")] == \
        ["decoy", "foreign"]


def test_under_the_engine_a_literal_client_id_is_never_a_new_application(pack):
    """`pulumi preview`: a new application's client id is unknown until Entra creates it, so a literal is another
    application's; its Output (unknown, depending on it alone) is the stack's."""
    findings = stack_findings(pack, RULE, stack_of(name_uuid("client", CLIENT.name)))
    assert [name for name, _ in findings] == ["", "decoy", "foreign", "own"]
    assert "cannot check until known: unknown.authorizedClientId is computed" in findings[0][1]


# red14 r14-7: known client applications bundle consent (consenting to the client consents to the API): the same
# judgement, on an application's api.knownClientApplications and on an ApplicationKnownClients resource
KNOWN_CLIENTS = "azuread:index/applicationKnownClients:ApplicationKnownClients"
KNOWN = "names client application"


def test_known_client_applications_naming_a_foreign_client_are_flagged_and_own_ones_pass(gate_pack):
    own_client_id = name_uuid("client", CLIENT.name).upper()
    stack = [API, CLIENT,
             resource(APPLICATION, "bundled", {"displayName": "b", "api": {
                 "knownClientApplications": [own_client_id, FOREIGN_CLIENT]}}, (CLIENT.urn,)),
             resource(APPLICATION, "own-api", {"displayName": "o", "api": {
                 "knownClientApplications": [own_client_id.lower()]}}),
             resource(APPLICATION, "no-known", {"displayName": "n", "api": {"requestedAccessTokenVersion": 2}}),
             resource(KNOWN_CLIENTS, "known-foreign", {"applicationId": API_ID,
                                                       "knownClientIds": [FOREIGN_CLIENT]}),
             resource(KNOWN_CLIENTS, "known-own", {"applicationId": API_ID, "knownClientIds": [own_client_id]}),
             resource(KNOWN_CLIENTS, "known-output", {"applicationId": API_ID, "knownClientIds": [UNKNOWN]},
                      (CLIENT.urn,)),
             resource(KNOWN_CLIENTS, "known-unexplained", {"applicationId": API_ID, "knownClientIds": [UNKNOWN]})]
    findings = dict(stack_findings(gate_pack, RULE, stack))
    assert sorted(findings) == ["", "bundled", "known-foreign"], findings
    assert KNOWN in findings["bundled"] and FOREIGN_CLIENT in findings["bundled"]
    assert "(api.knownClientApplications[1])" in findings["bundled"]
    assert KNOWN in findings["known-foreign"] and "(knownClientIds[0])" in findings["known-foreign"]


def test_known_clients_over_the_default_pack_are_mandatory(pack):
    stack = [API, CLIENT, resource(KNOWN_CLIENTS, "known-foreign", {"applicationId": API_ID,
                                                                    "knownClientIds": [FOREIGN_CLIENT]}),
             resource(APPLICATION, "bundled", {"displayName": "b", "api": {
                 "knownClientApplications": [FOREIGN_CLIENT]}})]
    assert [name for name, _ in stack_findings(pack, RULE, stack, "mandatory")] == ["bundled", "known-foreign"]
