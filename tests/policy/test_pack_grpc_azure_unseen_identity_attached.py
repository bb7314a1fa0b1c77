"""AGID-AZ-048 over gRPC: compute the stack defines running as a user-assigned identity the stack does not define
(az18 catalogue audit, hacktricks 'userAssignedIdentities/assign/action': a Logic Apps workflow, web app, Automation
account, container group or VM given an existing identity holding Owner passed every rule)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
EXISTING = f"{SUB}/resourceGroups/rg-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/prod-deployer"
OWN = f"{SUB}/resourceGroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agent-mi"
COMPUTE = {
    "azure-native:logic:Workflow": {"resourceGroupName": "rg-agents", "definition": {"actions": {}}},
    "azure-native:web:WebApp": {"resourceGroupName": "rg-agents", "serverFarmId": "plan"},
    "azure-native:automation:AutomationAccount": {"resourceGroupName": "rg-agents", "sku": {"name": "Basic"}},
    "azure-native:containerinstance:ContainerGroup": {"resourceGroupName": "rg-agents", "osType": "Linux"},
    "azure-native:compute:VirtualMachine": {"resourceGroupName": "rg-agents"},
}


def compute(type_: str, name: str, identities: object, *depends_on: str, kind: str = "UserAssigned") -> StackResource:
    return StackResource(type_, name, urn(type_, name), {**COMPUTE[type_], "identity": {
        "type": kind, "userAssignedIdentities": identities}}, dependencies=list(depends_on))


def own_identity() -> StackResource:
    return StackResource(IDENTITY, "agent-mi", urn(IDENTITY, "agent-mi"),
                         {"resourceGroupName": "rg-agents", "resourceName": "agent-mi"})


@pytest.mark.parametrize("type_", list(COMPUTE))
def test_running_as_an_identity_the_stack_does_not_define_fails_closed(pack, type_):
    identity = own_identity()
    found = stack_findings(pack, "AGID-AZ-048", [
        identity,
        compute(type_, "existing", [EXISTING]),
        compute(type_, "arm-map", {EXISTING: {}}, kind="SystemAssigned, UserAssigned"),
        # the stack's identity attached too does not make the other one its own
        compute(type_, "both", [OWN, EXISTING], identity.urn),
        # the stack identity's name without the dependency is an existing identity of that name
        compute(type_, "same-name", [OWN]),
        # the look-alikes: its own identity by id (any case), by the id computed at deployment, system-assigned only
        compute(type_, "own", [OWN.upper()], identity.urn),
        compute(type_, "own-later", [UNKNOWN], identity.urn),
        StackResource(type_, "system", urn(type_, "system"), {**COMPUTE[type_], "identity": {"type": "SystemAssigned"}}),
    ], level="mandatory")
    assert [name for name, _ in found] == ["arm-map", "both", "existing", "same-name"]
    assert found[2][1].rsplit("\n", 1)[-1] == (
        f"[unparseable] existing runs as user-assigned identity {EXISTING!r}, which this stack does not define: the code "
        "it deploys there acts with that identity's roles, which cannot be checked here")


def test_the_gate_mocks_id_of_a_stack_identity_passes_and_an_unknown_without_one_waits(pack):
    identity = own_identity()
    mocked = f"{SUB}/providers/managedidentity/UserAssignedIdentity/agent-mi"
    assert stack_findings(pack, "AGID-AZ-048", [identity, compute("azure-native:web:WebApp", "app", [mocked], identity.urn)]) == []
    found = stack_findings(pack, "AGID-AZ-048", [compute("azure-native:web:WebApp", "later", [UNKNOWN])])
    assert len(found) == 1 and "cannot check until known: later.identity.userAssignedIdentities[0]" in found[0][1]


def test_depending_on_a_stack_identity_does_not_explain_an_id_another_output_may_hide(pack):
    """red12 #7 (z_unknown_uami): a container group running as the EXISTING prod-owner identity, its id a constant
    behind a bucket's Output, `depends_on=[harmless stack identity]`: cannot check until known (the look-alike, the
    same group depending on the stack identity alone, passes: test_running_as_an_identity_the_stack_does_not_define)."""
    identity = own_identity()
    other = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    found = stack_findings(pack, "AGID-AZ-048", [identity, other, compute(
        "azure-native:containerinstance:ContainerGroup", "job", [UNKNOWN], identity.urn, other.urn)])
    assert [m.endswith("cannot check until known: job.identity.userAssignedIdentities[0] is computed during preview")
            for _, m in found] == [True], found


def test_the_logical_name_of_an_autonamed_identity_is_another_identity(pack):
    """issue 11: azure-native autonames an identity without `resourceName` `agent-mi<8 random hex>`, so an id ending in
    `agent-mi` is an EXISTING identity, even from a resource depending on the stack's. Look-alikes: the identity's id
    as an Output (unknown at preview), and an identity given that name explicitly."""
    type_ = "azure-native:web:WebApp"
    autonamed = StackResource(IDENTITY, "agent-mi", urn(IDENTITY, "agent-mi"), {"resourceGroupName": "rg-agents"})
    found = stack_findings(pack, "AGID-AZ-048", [
        autonamed,
        compute(type_, "by-logical-name", [OWN], autonamed.urn),
        compute(type_, "by-output", [UNKNOWN], autonamed.urn),
    ], level="mandatory")
    assert [name for name, _ in found] == ["by-logical-name"]
    assert stack_findings(pack, "AGID-AZ-048", [own_identity(), compute(type_, "explicit", [OWN], urn(IDENTITY, "agent-mi"))]) == []
