"""issue 11 (az18): Azure / Entra classes the last round left open, end to end: `agentid preview` with the shipped CI
flags blocks each one, and the look-alike in the same program passes. Pack-level shapes are in tests/policy."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

LIGHTHOUSE_ASSIGNMENTS = '''
import pulumi_azure_native as az
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# an existing definition in the subscription, made outside the stack (it may give Owner to any tenant)
EXISTING = SUB + "/providers/Microsoft.ManagedServices/registrationDefinitions/0e6f2a4c-8b3d-4c1e-a7f5-9d2b6c8e4f10"
own = az.managedservices.RegistrationDefinition("msp-reader", scope=SUB, properties={
    "registration_definition_name": "msp-reader", "managed_by_tenant_id": "99999999-9999-9999-9999-999999999999",
    "authorizations": [{"principal_id": "33333333-3333-3333-3333-333333333335", "role_definition_id": READER}]})
az.managedservices.RegistrationAssignment("assign-existing", scope=SUB, properties={"registration_definition_id": EXISTING})
# depending on the stack's Reader definition does not make the existing one the stack's
az.managedservices.RegistrationAssignment("assign-decoy", scope=SUB, properties={
    "registration_definition_id": own.id.apply(lambda _: EXISTING)})
az.managedservices.RegistrationAssignment("assign-own", scope=SUB, properties={"registration_definition_id": own.id})
'''


def test_a_lighthouse_assignment_of_a_definition_the_stack_does_not_define_blocks(project) -> None:
    report = failed_report(project, LIGHTHOUSE_ASSIGNMENTS)
    assert mandatory(report, "AGID-AZ-043") == ["assign-decoy", "assign-existing"]
    assert mandatory(report, "AGID-AZ-041") == []  # the stack's own definition delegates Reader only


CATALOGUE_METHODS = '''
import pulumi_azure_native as az
RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
def role(name, actions=(), data_actions=()):
    az.authorization.RoleDefinition(name, role_name=name, scope=RG, assignable_scopes=[RG], permissions=[{
        "actions": list(actions), "not_actions": [], "data_actions": list(data_actions), "not_data_actions": []}])
role("pim-assigner", ["Microsoft.Authorization/roleEligibilityScheduleRequests/write"])
role("vm-signin", data_actions=["Microsoft.Compute/virtualMachines/loginAsAdmin/action"])
role("disk-exporter", ["Microsoft.Compute/snapshots/beginGetAccess/action"])
role("sas-minter", ["Microsoft.Storage/storageAccounts/ListAccountSas/action"])
role("disk-reader", ["Microsoft.Compute/disks/read", "Microsoft.Authorization/roleEligibilitySchedules/read"])
'''


def test_methods_the_azure_catalogue_audit_found_block(project) -> None:
    assert mandatory(failed_report(project, CATALOGUE_METHODS), "AGID-AZ-012") == [
        "disk-exporter", "pim-assigner", "sas-minter", "vm-signin"]


FEDERATING_EXISTING_IDENTITIES = '''
import pulumi_azuread as ad, pulumi_azure_native as az
GH = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:acme/agent:environment:prod"
# an existing production identity and an existing application, federated with the pull request's repository
az.managedidentity.FederatedIdentityCredential("fic-existing-mi", resource_group_name="rg-prod",
    resource_name_="prod-deployer", issuer=GH, subject=SUBJECT, audiences=["api://AzureADTokenExchange"])
ad.ApplicationFederatedIdentityCredential("fic-existing-app", application_id="/applications/11111111-2222-3333-4444-555555555555",
    display_name="gh", issuer=GH, subject=SUBJECT, audiences=["api://AzureADTokenExchange"])
# the look-alikes: the stack's own identity and application
mi = az.managedidentity.UserAssignedIdentity("agent-mi", resource_group_name="rg-agents")
az.managedidentity.FederatedIdentityCredential("fic-own-mi", resource_group_name="rg-agents", resource_name_=mi.name,
    issuer=GH, subject=SUBJECT + "-mi", audiences=["api://AzureADTokenExchange"])
app = ad.Application("agent-app", display_name="agent-app")
ad.ApplicationFederatedIdentityCredential("fic-own-app", application_id=app.id, display_name="gh", issuer=GH,
    subject=SUBJECT + "-app", audiences=["api://AzureADTokenExchange"])
'''


def test_federating_an_identity_the_stack_does_not_define_blocks(project) -> None:
    assert mandatory(failed_report(project, FEDERATING_EXISTING_IDENTITIES), "AGID-AZ-044") == [
        "fic-existing-app", "fic-existing-mi"]


EXISTING_IDENTITY_ON_COMPUTE = '''
import pulumi_azure_native as az
EXISTING = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/prod-deployer")
az.logic.Workflow("wf-existing", resource_group_name="rg-agents", definition={"actions": {}},
                  identity={"type": "UserAssigned", "user_assigned_identities": [EXISTING]})
# the look-alike: the stack's own identity, attached by reference
mi = az.managedidentity.UserAssignedIdentity("agent-mi", resource_group_name="rg-agents")
az.logic.Workflow("wf-own", resource_group_name="rg-agents", definition={"actions": {}},
                  identity={"type": "UserAssigned", "user_assigned_identities": [mi.id]})
'''


def test_compute_running_as_an_identity_the_stack_does_not_define_blocks(project) -> None:
    assert mandatory(failed_report(project, EXISTING_IDENTITY_ON_COMPUTE), "AGID-AZ-048") == ["wf-existing"]
