"""The dev example's Azure agents, compiled under mocks: the exact resources and inputs registered."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from agentid.mock_engine import MOCK_TENANT
from agentid.today import today
from agentid_components.azure.plan import GUID_NAMESPACE
from agentid_components.loader import load_inventory
from tests.azure.builders import run_fleet, write_certificate

ROOT = Path(__file__).resolve().parents[2]
AGENTS_FILE = ROOT / "stacks" / "agents" / "dev.yaml"
SUB = "11111111-2222-3333-4444-555555555555"
EXCHANGE = ["api://AzureADTokenExchange"]
SECRET_SIG, SECRET_MARK = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"  # Pulumi's secret wrapper

MI = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
APP = "azuread:index/application:Application"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
CERT = "azuread:index/applicationCertificate:ApplicationCertificate"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"


@pytest.fixture(scope="module")
def dev():
    loaded = load_inventory(AGENTS_FILE)
    run, errors = run_fleet(loaded.inventory.agents, spec_dir=AGENTS_FILE.parent)
    assert errors == []
    return run


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """The dev agents with data-ingest binding a client certificate (`client_certificate`), generated for the run:
    it expires two years after today, so the binding is shown without a date the example would depend on."""
    agents_dir = tmp_path_factory.mktemp("certified") / "agents"
    shutil.copytree(AGENTS_FILE.parent, agents_dir)
    not_after = dt.datetime.combine(today() + dt.timedelta(days=730), dt.time(), dt.timezone.utc)
    write_certificate(agents_dir / "certs", "data-ingest-client.pem", not_after=not_after)
    agents_file = agents_dir / "dev.yaml"
    agents_file.write_text(agents_file.read_text().replace(
        "    max_credential_minutes: 30\n", "    max_credential_minutes: 30\n    client_certificate: certs/data-ingest-client.pem\n"))
    loaded = load_inventory(agents_file)
    assert loaded.inventory.agents[3].client_certificate == "certs/data-ingest-client.pem"
    run, errors = run_fleet(loaded.inventory.agents, spec_dir=agents_dir)
    assert errors == []
    return run, agents_dir, not_after


def children(run, agent: str, type_token: str):
    component = run.named(f"azure-{agent}", "agentid:azure:AgentIdentity")
    return [r for r in run.children_of(component) if r.type == type_token]


def test_one_identity_component_per_agent_with_azure_tools(dev):
    fleet = dev.named("azure", "agentid:azure:AgentFleet")
    identities = dev.of_type("agentid:azure:AgentIdentity")
    # support-triage has AWS tools and a Cognito client only: nothing on Azure
    assert sorted(r.name for r in identities) == ["azure-data-ingest", "azure-deploy-reviewer", "azure-report-builder"]
    assert all(r.parent == fleet.urn for r in identities)
    # every resource sits under the fleet: the fleet itself is the only child of the stack
    assert [r.name for r in dev.resources if r.parent is None] == ["azure"]


def test_managed_identity_inputs(dev):
    (identity,) = children(dev, "report-builder", MI)
    assert identity.name == "azure-report-builder-identity"
    assert identity.inputs == {
        "resourceName": "id-agent-report-builder-dev",
        "resourceGroupName": "rg-agents",
        "location": "westeurope",
        "tags": {
            "agent": "report-builder",
            "owner": "finance-analytics",
            "environment": "dev",
            "review-by": "2099-03-31",
            "managed-by": "agent-identity-kit",
        },
    }


def test_github_actions_federated_credential(dev):
    (credential,) = children(dev, "deploy-reviewer", FIC)
    (identity,) = children(dev, "deploy-reviewer", MI)
    assert credential.inputs == {
        "federatedIdentityCredentialResourceName": credential.inputs["federatedIdentityCredentialResourceName"],
        "resourceName": "id-agent-deploy-reviewer-dev",
        "resourceGroupName": "rg-agents",
        "issuer": "https://token.actions.githubusercontent.com",
        # an environment replaces the branch in GitHub's subject
        "subject": "repo:example-org/platform-deployments:environment:plan-review",
        "audiences": EXCHANGE,
    }
    assert credential.inputs["federatedIdentityCredentialResourceName"].startswith("github-actions-")
    assert credential.dependencies == [identity.urn]


def test_spiffe_and_kubernetes_credentials_are_chained(dev):
    (identity,) = children(dev, "data-ingest", MI)
    credentials = children(dev, "data-ingest", FIC)
    assert [(c.inputs["issuer"], c.inputs["subject"], c.inputs["audiences"]) for c in credentials] == [
        ("https://oidc.data.example.org", "spiffe://data.example.org/ns/ingest/sa/partner-loader", EXCHANGE),
        (
            "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/",  # exact, trailing slash kept
            "system:serviceaccount:ingest:partner-loader",
            EXCHANGE,
        ),
    ]
    # Azure rejects concurrent writes to one identity: each credential waits for the one before
    assert credentials[0].dependencies == [identity.urn]
    assert credentials[1].dependencies == [credentials[0].urn]


def test_custom_role_holds_exactly_the_declared_data_actions_at_the_container(dev):
    scope = (
        f"/subscriptions/{SUB}/resourceGroups/rg-reports-dev/providers/Microsoft.Storage/storageAccounts/"
        "streportsdev/blobServices/default/containers/weekly"
    )
    (role,) = children(dev, "report-builder", ROLE)
    guid = role.inputs["roleDefinitionId"]
    assert role.inputs == {
        "roleDefinitionId": guid,
        "roleName": "agent-report-builder-publish-report-dev",
        "roleType": "CustomRole",
        "description": role.inputs["description"],
        "scope": scope,
        "assignableScopes": [scope],
        "permissions": [
            {
                "actions": [],
                "dataActions": [
                    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                ],
                "notActions": [],
                "notDataActions": [],
            }
        ],
    }
    assert "publish-report" in role.inputs["description"] and "finance-analytics" in role.inputs["description"]
    (assignment,) = children(dev, "report-builder", ASSIGNMENT)
    (identity,) = children(dev, "report-builder", MI)
    assert assignment.inputs == {
        "roleAssignmentName": assignment.inputs["roleAssignmentName"],
        "scope": scope,
        "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "principalId": identity.outputs["principalId"],
        "principalType": "ServicePrincipal",
        "description": assignment.inputs["description"],
    }
    assert role.urn in assignment.dependencies


def test_role_and_assignment_names_are_stable_guids(dev):
    import uuid

    (role,) = children(dev, "deploy-reviewer", ROLE)
    (assignment,) = children(dev, "deploy-reviewer", ASSIGNMENT)
    assert role.inputs["roleDefinitionId"] == str(uuid.uuid5(GUID_NAMESPACE, "role-definition/deploy-reviewer/read-app-settings/dev"))
    assert uuid.UUID(assignment.inputs["roleAssignmentName"]).version == 5
    assert role.inputs["permissions"][0]["actions"] == ["Microsoft.Web/sites/read", "Microsoft.Web/sites/config/read"]
    assert role.inputs["assignableScopes"] == [f"/subscriptions/{SUB}/resourceGroups/rg-apps-dev"]


def test_agent_entra_application_is_client_credentials_only(dev):
    (app,) = children(dev, "data-ingest", APP)
    assert app.inputs["displayName"] == "agent-data-ingest-dev"
    assert app.inputs["signInAudience"] == "AzureADMyOrg"
    assert app.inputs["fallbackPublicClientEnabled"] is False
    assert app.inputs["web"] == {"implicitGrant": {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}}
    assert "password" not in app.inputs and "redirectUris" not in app.inputs.get("web", {})
    assert "identifierUris" not in app.inputs  # the agent is a client, not an API
    (resource_app,) = [r for r in dev.of_type(APP) if r.name.startswith("azure-agentid-api-")]
    assert app.inputs["requiredResourceAccesses"] == [
        {
            "resourceAppId": resource_app.outputs["clientId"],
            "resourceAccesses": [{"id": resource_app.inputs["appRoles"][0]["id"], "type": "Role"}],
        }
    ]
    (sp,) = children(dev, "data-ingest", SP)
    assert sp.inputs["clientId"] == app.outputs["clientId"]
    assert sp.inputs["accountEnabled"] is True
    assert sp.inputs["appRoleAssignmentRequired"] is True


def test_no_password_credential_anywhere(dev):
    assert not [r for r in dev.resources if "Password" in r.type]


def test_agent_application_federated_credentials_are_chained(dev):
    (app,) = children(dev, "data-ingest", APP)
    credentials = children(dev, "data-ingest", APP_FIC)
    assert [(c.inputs["issuer"], c.inputs["subject"], c.inputs["audiences"]) for c in credentials] == [
        ("https://oidc.data.example.org", "spiffe://data.example.org/ns/ingest/sa/partner-loader", EXCHANGE),
        (
            "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/",
            "system:serviceaccount:ingest:partner-loader",
            EXCHANGE,
        ),
    ]
    assert all(c.inputs["applicationId"] == app.id for c in credentials)
    assert app.id.startswith("/applications/")
    assert credentials[0].dependencies == [app.urn]
    assert set(credentials[1].dependencies) == {app.urn, credentials[0].urn}


def test_the_example_binds_no_certificate(dev):
    # data-ingest signs in to Entra with its federated credentials only: nothing in the example expires
    assert children(dev, "data-ingest", CERT) == []
    assert dev.outputs["inventory"]["data-ingest"]["oauth"]["certificate"] is None


def test_certificate_credential_is_the_public_pem_only(certified):
    run, agents_dir, not_after = certified
    (certificate,) = children(run, "data-ingest", CERT)
    (app,) = children(run, "data-ingest", APP)
    pem = (agents_dir / "certs" / "data-ingest-client.pem").read_text()
    assert certificate.name == "azure-data-ingest-entra-certificate"
    assert certificate.inputs["applicationId"] == app.id
    assert certificate.inputs["type"] == "AsymmetricX509Cert"
    assert certificate.inputs["encoding"] == "pem"
    value = certificate.inputs["value"]
    assert value[SECRET_SIG] == SECRET_MARK  # the provider keeps the value out of plain-text state
    assert value["value"].strip() == pem.strip()
    assert "PRIVATE KEY" not in value["value"]
    assert certificate.inputs["endDate"] == not_after.strftime("%Y-%m-%dT%H:%M:%SZ")  # the certificate's own notAfter
    last_credential = children(run, "data-ingest", APP_FIC)[-1]
    assert last_credential.urn in certificate.dependencies


def test_resource_application_has_one_app_role_per_scope_assigned_to_the_agent(dev):
    (resource_app,) = [r for r in dev.of_type(APP) if r.name.startswith("azure-agentid-api-")]
    fleet = dev.named("azure", "agentid:azure:AgentFleet")
    assert resource_app.parent == fleet.urn  # shared, once per stack
    assert resource_app.inputs["identifierUris"] == ["https://catalog.data.example.com"]
    assert resource_app.inputs["fallbackPublicClientEnabled"] is False
    (role,) = resource_app.inputs["appRoles"]
    assert role["value"] == "datasets.write"
    assert role["allowedMemberTypes"] == ["Application"]
    assert role["enabled"] is True
    (resource_sp,) = [r for r in dev.of_type(SP) if r.name == resource_app.name]
    assert resource_sp.inputs["appRoleAssignmentRequired"] is True
    (grant,) = children(dev, "data-ingest", APP_ROLE_ASSIGNMENT)
    (agent_sp,) = children(dev, "data-ingest", SP)
    assert grant.inputs == {
        "appRoleId": role["id"],
        "principalObjectId": agent_sp.outputs["objectId"],
        "resourceObjectId": resource_sp.outputs["objectId"],
    }


def test_resources_per_agent(dev):
    def kinds(agent):
        component = dev.named(f"azure-{agent}", "agentid:azure:AgentIdentity")
        return sorted(r.type.split(":")[-1] for r in dev.children_of(component))

    assert kinds("report-builder") == [
        "FederatedIdentityCredential", "RoleAssignment", "RoleDefinition", "UserAssignedIdentity",
    ]
    assert kinds("data-ingest") == [
        "AppRoleAssignment", "Application",
        "ApplicationFederatedIdentityCredential", "ApplicationFederatedIdentityCredential",
        "FederatedIdentityCredential", "FederatedIdentityCredential", "ServicePrincipal", "UserAssignedIdentity",
    ]


def test_inventory_output(dev):
    inventory = dev.outputs["inventory"]
    assert sorted(inventory) == ["data-ingest", "deploy-reviewer", "report-builder"]
    entry = inventory["report-builder"]
    (identity,) = children(dev, "report-builder", MI)
    (assignment,) = children(dev, "report-builder", ASSIGNMENT)
    assert entry["client_id"] == identity.outputs["clientId"]
    assert entry["principal_id"] == identity.outputs["principalId"]
    assert entry["tenant_id"] == MOCK_TENANT
    assert entry["federated_subjects"] == [
        {
            "name": children(dev, "report-builder", FIC)[0].inputs["federatedIdentityCredentialResourceName"],
            "kind": "github_actions",
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:example-org/revenue-reports:ref:refs/heads/main",
            "audiences": EXCHANGE,
        }
    ]
    (role,) = entry["roles"]
    assert role["role_name"] == "agent-report-builder-publish-report-dev"
    assert role["scope"] == assignment.inputs["scope"]
    assert role["assignment_id"] == (
        f"{assignment.inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/"
        f"{assignment.inputs['roleAssignmentName']}"
    )
    assert entry["oauth"] is None
    assert f"az role assignment delete --ids {role['assignment_id']}" in entry["revocation"]["commands"]
    assert any("delete the federated identity credentials" in step for step in entry["revocation"]["steps"])


def test_inventory_oauth_and_revocation(dev):
    entry = dev.outputs["inventory"]["data-ingest"]
    (sp,) = children(dev, "data-ingest", SP)
    (app,) = children(dev, "data-ingest", APP)
    oauth = entry["oauth"]
    assert oauth["client_id"] == app.outputs["clientId"]
    assert oauth["service_principal_object_id"] == sp.outputs["objectId"]
    assert oauth["scopes"][0]["scope"] == "datasets.write"
    assert oauth["token_requests"] == ["scope=https://catalog.data.example.com/.default"]
    assert oauth["certificate"] is None
    commands = entry["revocation"]["commands"]
    # disabling the service principal stops new tokens at once: it comes first
    assert commands[0] == f"az ad sp update --id {sp.outputs['objectId']} --set accountEnabled=false"
    assert sum("az identity federated-credential delete" in c for c in commands) == 2
    assert sum("az ad app federated-credential delete" in c for c in commands) == 2
    assert not any(c.startswith("az ad app credential delete") for c in commands)  # no certificate to remove


def test_inventory_names_the_bound_certificate_and_its_revocation(certified):
    run, _, not_after = certified
    (certificate,) = children(run, "data-ingest", CERT)
    oauth = run.outputs["inventory"]["data-ingest"]["oauth"]
    assert oauth["certificate"]["file"] == "certs/data-ingest-client.pem"
    assert oauth["certificate"]["key_id"] == certificate.inputs["keyId"]
    assert oauth["certificate"]["not_after"] == not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    commands = run.outputs["inventory"]["data-ingest"]["revocation"]["commands"]
    (app,) = children(run, "data-ingest", APP)
    assert commands[-1] == (f"az ad app credential delete --id {app.outputs['clientId']} "
                            f"--key-id {certificate.inputs['keyId']} --cert")
