"""AGID-AZ-044 over gRPC: a federated identity credential added to a managed identity or Entra application the stack
does not define (az18 catalogue audit: a program federating an existing production identity with its own GitHub
repository passed every rule, the issuer being a platform's and the subject pinned)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid.mock_provider import MOCK_ACCOUNT, mock_outputs
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

MI_FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
FLEX_FIC = "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
APPLICATION = "azuread:index/application:Application"
GITHUB = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:acme/agent:environment:prod"


def resource(type_: str, name: str, props: dict, *depends_on: str) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends_on))


def mi_fic(name: str, identity: object, group: object = "rg-agents", *depends_on: str) -> StackResource:
    return resource(MI_FIC, name, {"resourceGroupName": group, "resourceName": identity, "issuer": GITHUB,
                                   "subject": SUBJECT, "audiences": ["api://AzureADTokenExchange"]}, *depends_on)


def app_fic(name: str, application: object, *depends_on: str, type_: str = APP_FIC) -> StackResource:
    return resource(type_, name, {"applicationId": application, "displayName": name, "issuer": GITHUB, "subject": SUBJECT,
                                  "audiences": ["api://AzureADTokenExchange"]}, *depends_on)


def messages(pack, *resources) -> list[tuple[str, str]]:
    return [(name, message.rsplit("\n", 1)[-1]) for name, message in
            stack_findings(pack, "AGID-AZ-044", resources, level="mandatory")]


def test_credentials_on_identities_the_stack_does_not_define_fail_closed(pack):
    identity = resource(IDENTITY, "agent-mi", {"resourceGroupName": "rg-agents", "resourceName": "agent-mi"})
    found = messages(pack, identity,
                     mi_fic("prod-admin", "prod-admin-identity", "rg-prod"),
                     # the stack's identity name, but no dependency: an existing identity of that name
                     mi_fic("same-name", "agent-mi"),
                     # depending on the stack's identity does not make another name its own
                     mi_fic("decoy", "prod-admin-identity", "rg-agents", identity.urn),
                     mi_fic("other-group", "agent-mi", "rg-prod", identity.urn),
                     app_fic("graph-app", "/applications/11111111-2222-3333-4444-555555555555"),
                     app_fic("flex", "/applications/11111111-2222-3333-4444-555555555555", type_=FLEX_FIC))
    assert [name for name, _ in found] == ["decoy", "flex", "graph-app", "other-group", "prod-admin", "same-name"]
    assert dict(found)["prod-admin"] == (
        "[unparseable] prod-admin adds a federated credential to managed identity rg-prod/prod-admin-identity, which this "
        "stack does not define: whoever its issuer signs the subject for becomes that identity, whose roles and "
        "permissions cannot be checked here")
    assert dict(found)["graph-app"].startswith(
        "[unparseable] graph-app adds a federated credential to application '/applications/11111111-2222-3333-4444-555555555555'")


def test_credentials_on_the_stacks_own_identities_pass(pack):
    """The kit's shape: the first credential depends on the identity, each next one on the previous (Azure refuses
    concurrent writes); names in any case; an autonamed identity by its Output; applications by dependency."""
    identity = resource(IDENTITY, "agent-mi", {"resourceGroupName": "rg-agents", "resourceName": "agent-mi"})
    autonamed = resource(IDENTITY, "tool-mi", {"resourceGroupName": "rg-agents"})
    # after deployment the engine sends the application's object id; at preview its id is unknown
    object_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    deployed = resource(APPLICATION, "agent-app", {"displayName": "agent-app", "objectId": object_id})
    application = resource(APPLICATION, "new-app", {"displayName": "new-app"})
    first = mi_fic("first", "agent-mi", "rg-agents", identity.urn)
    second = mi_fic("second", "AGENT-MI", "RG-Agents", first.urn)
    assert stack_findings(pack, "AGID-AZ-044", [identity, autonamed, deployed, application, first, second,
                          mi_fic("later", UNKNOWN, UNKNOWN, autonamed.urn),
                          app_fic("app", f"/applications/{object_id.upper()}", first.urn),
                          app_fic("app-later", UNKNOWN, application.urn)]) == []


def test_depending_on_a_stack_identity_does_not_make_another_one_its_own(pack):
    """red12 #7 (e_fic_literal_depends, e_fic_existing_app): a credential that depends on a harmless stack application
    and names the EXISTING production app, as a literal object id (Entra gives an application its id at creation:
    a literal is never a new application's) or as a constant behind another resource's Output."""
    application = resource(APPLICATION, "agent", {"displayName": "agent"})
    identity = resource(IDENTITY, "agent-mi", {"resourceGroupName": "rg-agents", "resourceName": "agent-mi"})
    other = resource("aws:s3/bucketV2:BucketV2", "marker", {})
    prod = "/applications/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    found = stack_findings(pack, "AGID-AZ-044", [application, identity, other,
                                                 app_fic("literal", prod, application.urn),
                                                 app_fic("hidden", UNKNOWN, application.urn, other.urn),
                                                 mi_fic("mi-hidden", UNKNOWN, "rg-agents", identity.urn, other.urn),
                                                 # the identity's name is known: its Output would have arrived known
                                                 mi_fic("mi-own-output", UNKNOWN, "rg-agents", identity.urn)])
    assert [(name or m.rsplit("cannot check until known: ", 1)[-1]) for name, m in found] == [
        "hidden.applicationId, mi-hidden.resourceName, mi-own-output.resourceName is computed during preview",
        "literal"], found


def test_a_name_known_only_at_deployment_with_no_stack_identity_behind_it_waits(pack):
    found = stack_findings(pack, "AGID-AZ-044", [mi_fic("later", UNKNOWN)])
    assert len(found) == 1 and "cannot check until known: later.resourceName" in found[0][1]


def test_a_literal_equal_to_an_autonamed_identitys_logical_name_is_another_identity(pack):
    """issue 11: azure-native autonames a UserAssignedIdentity without `resourceName` `agent-id<8 random hex>`, so a
    credential naming `agent-id` federates an EXISTING identity of that name, even depending on the stack's identity.
    Look-alikes: the identity's name as an Output (unknown at preview, depending on it alone); an identity given that
    name explicitly, the credential depending on it."""
    autonamed = resource(IDENTITY, "agent-id", {"resourceGroupName": "rg"})
    explicit = resource(IDENTITY, "named", {"resourceGroupName": "rg", "resourceName": "agent-named"})
    found = messages(pack, autonamed, explicit,
                     mi_fic("fic", "agent-id", "rg", autonamed.urn),
                     mi_fic("output", UNKNOWN, "rg", autonamed.urn),
                     mi_fic("explicit", "agent-named", "rg", explicit.urn),
                     # the explicit name, but not created after it: an existing identity of that name
                     mi_fic("unordered", "agent-named", "rg"))
    assert found == [
        ("fic", "[unparseable] fic adds a federated credential to managed identity rg/agent-id, which this stack does "
                "not define: whoever its issuer signs the subject for becomes that identity, whose roles and "
                "permissions cannot be checked here"),
        ("unordered", "[unparseable] unordered adds a federated credential to managed identity rg/agent-named, which "
                      "this stack does not define: whoever its issuer signs the subject for becomes that identity, "
                      "whose roles and permissions cannot be checked here")]


@pytest.fixture(scope="module")
def gate_pack():
    """The pack as `agentid preview` starts it: told the mocks' account, so it knows the outputs they derive."""
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        yield running


def test_under_the_gate_the_identitys_name_is_the_one_its_mocks_autoname_it(gate_pack):
    """Under the gate an Output of the autonamed identity's name arrives as the name the mocks give it
    (`agent-id<8 hex>`, as azure-native does): that is the stack's identity; its logical name still is not."""
    autonamed = resource(IDENTITY, "agent-id", {"resourceGroupName": "rg"})
    _, state = mock_outputs(IDENTITY, "agent-id", {"resourceGroupName": "rg"})
    physical = state["resourceName"]
    assert physical.startswith("agent-id") and len(physical) == len("agent-id") + 8 and state["name"] == physical
    assert state["id"].endswith("/" + physical)
    found = messages(gate_pack, autonamed, mi_fic("by-output", physical, "rg", autonamed.urn),
                     mi_fic("by-logical", "agent-id", "rg", autonamed.urn))
    assert [name for name, _ in found] == ["by-logical"]
