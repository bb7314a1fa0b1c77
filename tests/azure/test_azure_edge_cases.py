"""Edge cases of the Azure components: hosted identities, limits, bad input at both layers, certificates."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from pydantic import ValidationError

from agentid.mock_engine import MOCK_TENANT
from agentid_components.azure.plan import AzureCompileError, plan_fleet
from agentid_components.loader import check_text
from agentid_components.spec import Agent, AzureGrant, Tool, TrustBinding
from tests.azure.builders import (
    BLOB_READ,
    CONTAINER_SCOPE,
    RG_SCOPE,
    TODAY,
    agent,
    agent_dict,
    entra_tool,
    github,
    run_fleet,
    write_certificate,
)

FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
VM = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/agent-vm"


def bindings(count: int) -> list[dict]:
    return [github(branch=f"release-{index}") for index in range(count)]


def constructed(name: str = "bad-agent", grant: AzureGrant | None = None, trust: list[TrustBinding] | None = None) -> Agent:
    """An agent that skips validation, as a hand-edited JSON inventory or a buggy caller could hand over."""
    valid = agent(name)
    tool = Tool.model_construct(name="bad-tool", description="", aws=None, oauth=None, azure=grant or valid.tools[0].azure)
    return valid.model_copy(update={"tools": [tool], "trust": trust or valid.trust})


def assert_refused(agents: list[Agent], *fragments: str) -> None:
    run, errors = run_fleet(agents)
    assert run.resources == []  # nothing registered, not even the fleet component
    (message,) = errors
    for fragment in fragments:
        assert fragment in message


# --- trust -------------------------------------------------------------------------


def test_azure_hosted_binding_creates_no_credential_and_is_recorded():
    hosted = agent("vm-agent", trust=[{"azure_hosted": {"resource_id": VM}}])
    run, errors = run_fleet([hosted])
    assert errors == [] and run.of_type(FIC) == []
    entry = run.outputs["inventory"]["vm-agent"]
    assert entry["attach_to"] == [VM]
    assert entry["federated_subjects"] == []
    assert any(VM in step for step in entry["revocation"]["steps"])


def test_azure_hosted_agent_signs_in_to_its_entra_app_with_the_managed_identity():
    hosted = agent(
        "vm-agent",
        tools=[entra_tool()],
        trust=[github(), {"azure_hosted": {"resource_id": VM}}],
    )
    run, errors = run_fleet([hosted])
    assert errors == []
    identity = run.named("azure-vm-agent-identity")
    github_credential, managed_identity = run.of_type(APP_FIC)
    assert github_credential.inputs["issuer"] == "https://token.actions.githubusercontent.com"
    assert managed_identity.inputs["issuer"] == f"https://login.microsoftonline.com/{MOCK_TENANT}/v2.0"
    assert managed_identity.inputs["subject"] == identity.outputs["principalId"]
    assert managed_identity.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert github_credential.urn in managed_identity.dependencies
    oauth = run.outputs["inventory"]["vm-agent"]["oauth"]
    assert oauth["federated_subjects"][-1]["subject"] == identity.outputs["principalId"]


def test_spiffe_binding_without_jwt_issuer_is_for_aws_only(tmp_path):
    bundle = write_certificate(tmp_path, "ca.pem")
    spiffe = {"spiffe": {"trust_domain": "example.org", "path": "/ns/a/sa/b", "ca_bundle": bundle.name}}
    mixed = agent("mixed", base_dir=tmp_path, trust=[github(), spiffe])
    run, _ = run_fleet([mixed])
    (credential,) = run.of_type(FIC)
    assert credential.inputs["issuer"] == "https://token.actions.githubusercontent.com"


def test_twenty_federated_credentials_form_one_chain():
    busy = agent("busy", trust=bindings(20))
    run, errors = run_fleet([busy])
    assert errors == []
    credentials = run.of_type(FIC)
    assert len(credentials) == 20
    assert [c.inputs["subject"] for c in credentials] == [
        f"repo:example-org/agent:ref:refs/heads/release-{index}" for index in range(20)
    ]
    identity = run.named("azure-busy-identity")
    assert credentials[0].dependencies == [identity.urn]
    for previous, current in zip(credentials, credentials[1:]):
        assert current.dependencies == [previous.urn]


def test_twenty_one_bindings_rejected_by_the_spec():
    with pytest.raises(ValidationError, match="agent 'crowded' has 21 federated trust bindings"):
        agent("crowded", trust=bindings(21))


def test_twenty_one_bindings_rejected_by_the_component():
    trust = [TrustBinding.model_validate(binding) for binding in bindings(21)]
    assert_refused([constructed("crowded", trust=trust)], "agent 'crowded'", "21 federated trust bindings", "at most 20")


def test_same_subject_twice_is_refused():
    trust = [TrustBinding.model_validate(github()), TrustBinding.model_validate(github())]
    assert_refused([constructed("twice", trust=trust)], "agent 'twice'", "declared twice")


# --- scopes and operations ---------------------------------------------------------


@pytest.mark.parametrize(
    "scope, fragment",
    [
        ("/subscriptions/not-a-guid/resourceGroups/rg", "malformed Azure scope"),
        ("subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg", "malformed Azure scope"),
        ("/subscriptions/11111111-2222-3333-4444-555555555555", "subscription level"),
        ("/providers/Microsoft.Management/managementGroups/corp", "management-group level"),
        ("/", "root level"),
    ],
)
def test_bad_scope_rejected_by_spec_and_component(scope, fragment):
    tool = {"name": "read-inbox", "azure": {"data_actions": [BLOB_READ], "scope": scope}}
    with pytest.raises(ValidationError, match=fragment):
        agent(tools=[tool])
    grant = AzureGrant.model_construct(actions=[], data_actions=[BLOB_READ], scope=scope)
    assert_refused([constructed(grant=grant)], "agent 'bad-agent', tool 'bad-tool'", fragment)


@pytest.mark.parametrize("operation", ["Microsoft.KeyVault/vaults/secrets/getSecret/action",
                                       "microsoft.keyvault/vaults/keys/DECRYPT/action"])
def test_key_vault_secret_reads_on_a_resource_group_are_rejected_by_spec_and_component(operation):
    """AGID-AZ-065: a secret read at resource-group scope reads every vault in the group; the kit refuses to write
    it (the spec, and the component behind it); on the one vault it compiles."""
    rg = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"
    tool = {"name": "read-inbox", "azure": {"data_actions": [operation], "scope": rg}}
    with pytest.raises(ValidationError, match="of every vault in the group"):
        agent(tools=[tool])
    grant = AzureGrant.model_construct(actions=[], data_actions=[operation], scope=rg)
    assert_refused([constructed(grant=grant)], "agent 'bad-agent', tool 'bad-tool'", "of every vault in the group")
    agent(tools=[{**tool, "azure": {**tool["azure"], "scope": rg + "/providers/Microsoft.KeyVault/vaults/kv"}}])


@pytest.mark.parametrize(
    "operation",
    ["s3:GetObject", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/fetch", "Microsoft.Storage/*/read", "read"],
)
def test_non_operations_rejected_by_spec_and_component(operation):
    tool = {"name": "read-inbox", "azure": {"data_actions": [operation], "scope": CONTAINER_SCOPE}}
    with pytest.raises(ValidationError):
        agent(tools=[tool])
    grant = AzureGrant.model_construct(actions=[], data_actions=[operation], scope=CONTAINER_SCOPE)
    assert_refused([constructed(grant=grant)], "agent 'bad-agent', tool 'bad-tool'", f"'{operation}' is not an exact Azure operation")


@pytest.mark.parametrize(
    "operation",
    [
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/elevateAccess/action",
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    ],
)
def test_operations_that_grant_access_are_refused(operation):
    # the spec accepts these (they are real operations); the component never puts them in an agent's role
    escalating = agent("escalator", tools=[{"name": "grant", "azure": {"actions": [operation], "scope": RG_SCOPE}}])
    assert_refused([escalating], "agent 'escalator', tool 'grant'", operation, "Owner or User Access Administrator")


def test_one_bad_agent_stops_the_whole_fleet():
    grant = AzureGrant.model_construct(actions=[], data_actions=[BLOB_READ], scope="/")
    assert_refused([agent("good"), constructed("bad", grant=grant)], "agent 'bad'")


def test_spec_loader_names_file_line_and_agent_for_too_many_bindings():
    document = {"agents": [agent_dict("crowded", trust=bindings(21))]}
    inventory, _, errors = check_text(yaml.safe_dump(document, sort_keys=False), "agents.yaml", today=TODAY)
    assert inventory is None
    assert any("agent 'crowded' has 21 federated trust bindings" in str(error) for error in errors)
    assert all(str(error).startswith("agents.yaml:") for error in errors)


# --- configuration -----------------------------------------------------------------


def test_resource_group_is_required_once_an_agent_has_azure_tools():
    run, errors = run_fleet([agent("needs-rg")], config={})
    assert run.resources == []
    assert "agents 'needs-rg' have Azure tools" in errors[0]
    assert "agent-identity-kit:azureResourceGroup" in errors[0]


def test_bad_resource_group_name():
    run, errors = run_fleet([agent()], config={"azureResourceGroup": "rg with spaces"})
    assert run.resources == [] and "'rg with spaces' is not a resource group name" in errors[0]


def test_no_azure_agents_needs_no_azure_config():
    aws_only = agent(
        "aws-only",
        tools=[{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::bucket/key"]}}],
    )
    run, errors = run_fleet([aws_only], config={})
    assert errors == []
    assert [r.type for r in run.resources] == ["agentid:azure:AgentFleet"]
    assert run.outputs["inventory"] == {}


def test_location_defaults_to_the_provider():
    run, _ = run_fleet([agent()], config={"azureResourceGroup": "rg-agents"})
    assert "location" not in run.named("azure-blob-reader-identity").inputs


# --- Entra OAuth -------------------------------------------------------------------


def test_agents_sharing_an_api_share_its_resource_application():
    reader = agent("reader", tools=[entra_tool(scopes=["tickets.read"])])
    writer = agent("writer", tools=[entra_tool(scopes=["tickets.read", "tickets.write"])], trust=[github("example-org/w")])
    run, errors = run_fleet([reader, writer])
    assert errors == []
    (resource_app,) = [r for r in run.of_type("azuread:index/application:Application") if r.name.startswith("azure-agentid-api-")]
    roles = {role["value"]: role["id"] for role in resource_app.inputs["appRoles"]}
    assert sorted(roles) == ["tickets.read", "tickets.write"]
    grants = run.of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
    by_principal: dict[str, set[str]] = {}
    for grant in grants:
        by_principal.setdefault(grant.inputs["principalObjectId"], set()).add(grant.inputs["appRoleId"])
    sps = {r.name: r.outputs["objectId"] for r in run.of_type("azuread:index/servicePrincipal:ServicePrincipal")}
    assert by_principal == {
        sps["azure-reader-entra-sp"]: {roles["tickets.read"]},
        sps["azure-writer-entra-sp"]: {roles["tickets.read"], roles["tickets.write"]},
    }


def test_rsa_certificate_is_bound_without_warning(tmp_path):
    write_certificate(tmp_path, "client.pem", key="rsa")
    client = agent("certified", base_dir=tmp_path, tools=[entra_tool()], client_certificate="client.pem")
    plan = plan_fleet([client], "rg-agents", spec_dir=tmp_path)
    (agent_plan,) = plan.agents
    assert agent_plan.warnings == ()
    assert agent_plan.entra.certificate.not_after == "2036-06-30T00:00:00Z"
    run, errors = run_fleet([client], spec_dir=tmp_path)
    (certificate,) = run.of_type("azuread:index/applicationCertificate:ApplicationCertificate")
    assert certificate.inputs["keyId"] == agent_plan.entra.certificate.key_id


def test_ec_certificate_warns_that_entra_cannot_use_it(tmp_path):
    write_certificate(tmp_path, "client.pem", key="ec")
    client = agent("ec-agent", base_dir=tmp_path, tools=[entra_tool()], client_certificate="client.pem")
    (agent_plan,) = plan_fleet([client], "rg-agents", spec_dir=tmp_path).agents
    (warning,) = agent_plan.warnings
    assert "agent 'ec-agent'" in warning and "RSA" in warning


def test_certificate_file_gaining_a_private_key_is_refused(tmp_path):
    write_certificate(tmp_path, "client.pem")
    client = agent("leaky", base_dir=tmp_path, tools=[entra_tool()], client_certificate="client.pem")
    write_certificate(tmp_path, "client.pem", with_private_key=True)  # changed after validation
    run, errors = run_fleet([client], spec_dir=tmp_path)
    assert run.resources == []
    assert "agent 'leaky'" in errors[0] and "holds a private key" in errors[0]


def test_expired_certificate_is_refused(tmp_path):
    write_certificate(tmp_path, "old.pem", not_after=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    client = agent("stale", base_dir=tmp_path, tools=[entra_tool()], client_certificate="old.pem")
    with pytest.raises(AzureCompileError, match="agent 'stale': client_certificate 'old.pem' expired on 2026-02-01"):
        plan_fleet([client], "rg-agents", spec_dir=tmp_path, today=TODAY)


def test_agent_without_entra_tools_gets_no_application():
    run, _ = run_fleet([agent()])
    assert run.of_type("azuread:index/application:Application") == []
    assert run.outputs["inventory"]["blob-reader"]["oauth"] is None


# --- stable names --------------------------------------------------------------------


def test_names_do_not_depend_on_declaration_order():
    first = agent("ordered", trust=[github(branch="a"), github(branch="b")])
    swapped = agent("ordered", trust=[github(branch="b"), github(branch="a")])
    (plan_first,) = plan_fleet([first], "rg").agents
    (plan_swapped,) = plan_fleet([swapped], "rg").agents
    assert {c.name: c.subject for c in plan_first.federated} == {c.name: c.subject for c in plan_swapped.federated}
    assert plan_first.roles == plan_swapped.roles  # same GUIDs, same role, same assignment


def test_moving_a_tool_to_another_scope_gives_a_new_assignment_name():
    here = agent("mover")
    there = agent("mover", tools=[{"name": "read-inbox", "azure": {"data_actions": [BLOB_READ], "scope": RG_SCOPE}}])
    (role_here,) = plan_fleet([here], "rg").agents[0].roles
    (role_there,) = plan_fleet([there], "rg").agents[0].roles
    assert role_here.definition_guid == role_there.definition_guid  # the role is updated in place
    assert role_here.assignment_guid != role_there.assignment_guid  # an assignment's scope cannot change


def test_audiences_differing_only_by_a_trailing_slash_are_refused():
    first = agent("one", tools=[entra_tool("https://api.example.com")])
    second = agent("two", tools=[entra_tool("https://api.example.com/")], trust=[github("example-org/two")])
    assert_refused([first, second], "'https://api.example.com' and 'https://api.example.com/' differ only in form")
