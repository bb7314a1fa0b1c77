"""AGID-AZ-066 over gRPC: what the gate vouches for is judged by what it grants; what a pull request chose is not.

The kit's own prod stack grants an app role of the platform stack's API, whose service principal it reads through a
StackReference of `organization/agent-identity-kit/platform` (the engine sends the read only as a URN in the
assignment's propertyDependencies). With that stack in the gate's `ownStacks`, an unknown role there is AGID-AZ-054
advisory (an own API's role), a known privileged Graph role still AGID-AZ-021. A StackReference of a stack the gate
does not list (one the pull request chose), a registered (not read) StackReference resource named like the listed
one, a mix with another source, or no propertyDependencies stay AGID-AZ-066 mandatory. Likewise an object id literal
(`azureApiApplications` in a stack file) only when listed in `ownServicePrincipalIds`.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.test_pack_grpc import PACK, urn

ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
VAULT = "azure-native:keyvault:Vault"
PLATFORM = "organization/agent-identity-kit/platform"
OWN_API_SP = "a1b2c3d4-1111-2222-3333-444455556666"
GRAPH_SP_OBJECT_ID = "5f1e0c9a-3b7d-4c2e-9a8f-1d2e3f4a5b6c"
KIT_ROLE = "3f0c1a52-5d4b-5e8a-9c7d-2b1e0f9a8c6d"  # an app role of the platform's API: in no catalogue
ROLE_MANAGEMENT = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"  # RoleManagement.ReadWrite.Directory
RULES = ("AGID-AZ-021", "AGID-AZ-053", "AGID-AZ-054", "AGID-AZ-066")


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({"all": {"ownStacks": [PLATFORM], "ownServicePrincipalIds": [OWN_API_SP.upper()]}})
        yield running


def reference(name: str) -> str:
    return urn(STACK_REFERENCE, name)


def grant(role_id: str, target: str, sources: list[str] | None, depends: list[str] | None = None) -> StackResource:
    props = {"appRoleId": role_id, "principalObjectId": "p", "resourceObjectId": target}
    deps = depends if depends is not None else list(sources or [])
    return StackResource(ASSIGNMENT, "grant", urn(ASSIGNMENT, "grant"), props, dependencies=deps,
                         property_dependencies=None if sources is None else {"resourceObjectId": sources})


def findings(pack, resources) -> list[tuple[str, str, str]]:
    found = [(d.policy_name, d.enforcement_level, r.name) for r in resources
             for d in pack.analyze(r.type, r.name, r.urn, r.properties)]
    found += [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1]) for d in pack.analyze_stack(resources)]
    return sorted(f for f in found if f[0] in RULES)


def message(pack, resources, rule: str) -> str:
    [text] = [d.message for d in pack.analyze_stack(resources) if d.policy_name == rule]
    return text


def test_an_own_stacks_service_principal_is_judged_by_the_role_it_grants(pack) -> None:
    # the value the platform exports (known at preview), its source the read of the listed stack
    assert findings(pack, [grant(KIT_ROLE, OWN_API_SP.replace("1", "7"), [reference(PLATFORM)])]) == [
        ("AGID-AZ-054", "advisory", "grant")]
    assert findings(pack, [grant(ROLE_MANAGEMENT, GRAPH_SP_OBJECT_ID, [reference(PLATFORM)])]) == [
        ("AGID-AZ-021", "mandatory", "grant")]
    # parented under a component: the qualified type's last part is the StackReference
    nested = f"urn:pulumi:dev::kit::agentid:index:Fleet${STACK_REFERENCE}::{PLATFORM}"
    assert findings(pack, [grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [nested])]) == [("AGID-AZ-054", "advisory", "grant")]


@pytest.mark.parametrize("name", ["organization/agent-identity-kit/evil", "agent-identity-kit/platform", "platform",
                                  "organization/agent-identity-kit/platform2"])
def test_a_stack_the_gate_does_not_list_fails_closed(pack, name) -> None:
    resources = [grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [reference(name)])]
    assert findings(pack, resources) == [("AGID-AZ-066", "mandatory", "grant")]
    assert f"stack reference {name!r}, a stack the gate does not list as own (ownStacks)" in message(
        pack, resources, "AGID-AZ-066")


def test_a_listed_stack_does_not_launder_another_source_or_a_registered_reference(pack) -> None:
    vault = StackResource(VAULT, "vault", urn(VAULT, "vault"), {"vaultName": "v"})
    mixed = grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [reference(PLATFORM), vault.urn])
    assert findings(pack, [vault, mixed]) == [("AGID-AZ-066", "mandatory", "grant")]
    # a StackReference the program registered (its outputs are the mocks', its `name` any stack): not a read
    registered = StackResource(STACK_REFERENCE, PLATFORM, reference(PLATFORM), {"name": "organization/x/evil"})
    assert findings(pack, [registered, grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [registered.urn])]) == [
        ("AGID-AZ-066", "mandatory", "grant")]
    # no propertyDependencies: the dependency list does not say where the value came from
    assert findings(pack, [grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, None, [reference(PLATFORM)])]) == [
        ("AGID-AZ-066", "mandatory", "grant")]
    # a literal beside depends_on=[ref]: propertyDependencies sent, but none for resourceObjectId
    literal = StackResource(ASSIGNMENT, "grant", urn(ASSIGNMENT, "grant"),
                            {"appRoleId": KIT_ROLE, "principalObjectId": "p", "resourceObjectId": GRAPH_SP_OBJECT_ID},
                            dependencies=[reference(PLATFORM)], property_dependencies={"principalObjectId": []})
    assert findings(pack, [literal]) == [("AGID-AZ-066", "mandatory", "grant")]
    assert "by dependency only" in message(pack, [literal], "AGID-AZ-066")


def test_a_listed_service_principal_object_id_is_judged_by_the_role_it_grants(pack) -> None:
    assert findings(pack, [grant(KIT_ROLE, OWN_API_SP, [])]) == [("AGID-AZ-054", "advisory", "grant")]
    assert findings(pack, [grant(KIT_ROLE, "{" + OWN_API_SP.upper() + "}", [])]) == [("AGID-AZ-054", "advisory", "grant")]
    assert findings(pack, [grant(ROLE_MANAGEMENT, OWN_API_SP, [])]) == [("AGID-AZ-021", "mandatory", "grant")]
    assert findings(pack, [grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [])]) == [("AGID-AZ-066", "mandatory", "grant")]


def test_nothing_is_vouched_for_without_the_gates_lists() -> None:
    with PackProcess.start(PACK, timeout=60) as bare:
        bare.configure({})
        assert findings(bare, [grant(KIT_ROLE, GRAPH_SP_OBJECT_ID, [reference(PLATFORM)])]) == [
            ("AGID-AZ-066", "mandatory", "grant")]
        assert findings(bare, [grant(KIT_ROLE, OWN_API_SP, [])]) == [("AGID-AZ-066", "mandatory", "grant")]
