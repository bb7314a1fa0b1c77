"""azure_identity_per_tool: one user-assigned identity per Azure tool, holding only that tool's role, trusted the
same way as the agent's identity; the broker asks each tool's token from its own identity."""

from __future__ import annotations

import re

import pytest

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid_components.azure.plan import plan_fleet
from agentid_components.revocation import azure_revocation_steps
from tests.azure.builders import BLOB_READ, CONTAINER_SCOPE, RG_SCOPE, agent, github, run_fleet

IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
VAULT = f"{RG_SCOPE}/providers/Microsoft.KeyVault/vaults/kv-data"
SECRET_READ = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
TOOLS = [
    {"name": "read-inbox", "azure": {"data_actions": [BLOB_READ], "scope": CONTAINER_SCOPE}},
    {"name": "read-secret", "azure": {"data_actions": [SECRET_READ], "scope": VAULT}},
]


def per_tool_agent(**overrides):
    return agent("splitter", tools=TOOLS, trust=[github(), github(branch="release")], azure_identity_per_tool=True, **overrides)


def test_each_azure_tool_gets_its_own_identity_holding_only_its_role():
    run, errors = run_fleet([per_tool_agent()])
    assert errors == []
    identities = {r.inputs["resourceName"]: r for r in run.of_type(IDENTITY)}
    assert set(identities) == {"id-agent-splitter-dev", "id-agent-splitter-read-inbox-dev", "id-agent-splitter-read-secret-dev"}
    assert identities["id-agent-splitter-read-inbox-dev"].inputs["tags"]["tool"] == "read-inbox"
    # each tool identity is trusted by exactly the agent's bindings, in a chain (Azure rejects parallel writes)
    credentials = run.of_type(FIC)
    by_identity: dict[str, list] = {}
    for credential in credentials:
        by_identity.setdefault(credential.inputs["resourceName"], []).append(credential)
    assert set(by_identity) == set(identities)
    subjects = {name: sorted(c.inputs["subject"] for c in chain) for name, chain in by_identity.items()}
    assert len({tuple(s) for s in subjects.values()}) == 1 and len(subjects["id-agent-splitter-dev"]) == 2
    # each role is assigned to its tool's identity, none to the agent-wide identity
    principals = {r.inputs["resourceName"]: r.outputs["principalId"] for r in run.of_type(IDENTITY)}
    assignments = {r.name: r.inputs["principalId"] for r in run.of_type(ASSIGNMENT)}
    assert assignments == {
        "azure-splitter-read-inbox-assignment": principals["id-agent-splitter-read-inbox-dev"],
        "azure-splitter-read-secret-assignment": principals["id-agent-splitter-read-secret-dev"],
    }
    roles = {role["tool"]: role for role in run.outputs["inventory"]["splitter"]["roles"]}
    assert roles["read-inbox"]["identity"]["name"] == "id-agent-splitter-read-inbox-dev"
    assert roles["read-inbox"]["identity"]["client_id"] == identities["id-agent-splitter-read-inbox-dev"].outputs["clientId"]
    steps = run.outputs["inventory"]["splitter"]["revocation"]["steps"]
    assert any("id-agent-splitter-read-secret-dev" in step and "federated-credential delete" in step for step in steps)


def test_without_the_flag_one_identity_holds_every_role():
    run, errors = run_fleet([agent("shared", tools=TOOLS)])
    assert errors == [] and [r.name for r in run.of_type(IDENTITY)] == ["azure-shared-identity"]
    assert "identity" not in run.outputs["inventory"]["shared"]["roles"][0]
    assert not any("read-inbox's managed identity" in step for step in azure_revocation_steps(agent("shared", tools=TOOLS)))


def test_a_tool_identity_name_longer_than_azure_allows_is_cut_with_a_hash():
    # Azure managed identity names are 3-128 characters: a longer one keeps its start and ends in a hash.
    long = "a" * 60
    tools = [{"name": "t" * 60, "azure": {"data_actions": [BLOB_READ], "scope": CONTAINER_SCOPE}}]
    (planned,) = plan_fleet([agent(long, tools=tools, azure_identity_per_tool=True)], "rg-agents", suffix="prod").agents
    (role,) = planned.roles
    assert len(role.identity_name) == 128 and re.fullmatch(r"id-agent-a{60}-t+-[0-9a-f]{8}", role.identity_name)


def test_the_broker_asks_each_tools_token_from_its_own_identity(identity_endpoint_two_resources):
    outputs = {"inventory": {"splitter": {"credential_lifetime_minutes": 15, "azure": {"roles": [
        {"tool": "read-inbox", "scope": CONTAINER_SCOPE, "actions": [], "data_actions": [BLOB_READ],
         "identity": {"client_id": "11111111-0000-4000-8000-00000000aaaa"}},
        {"tool": "read-secret", "scope": VAULT, "actions": [], "data_actions": [SECRET_READ],
         "identity": {"client_id": "22222222-0000-4000-8000-00000000bbbb"}},
    ]}}}}
    grants = AgentGrants.from_stack_outputs(outputs, "splitter")
    broker = CredentialBroker(grants)
    inbox = broker.credential("read-inbox")
    secret = broker.credential("read-secret")
    issued = {claims["aud"]: claims["sub"] for claims in identity_endpoint_two_resources.issued}
    assert issued == {"https://storage.azure.com": "11111111-0000-4000-8000-00000000aaaa",
                      "https://vault.azure.net": "22222222-0000-4000-8000-00000000bbbb"}
    assert inbox.audience == ("https://storage.azure.com",) and secret.audience == ("https://vault.azure.net",)
    # one agent-wide credential cannot stand in for a tool's own identity: refused, not a broader token
    from azure.identity import ManagedIdentityCredential

    shared = CredentialBroker(grants, azure_credential=ManagedIdentityCredential())
    with pytest.raises(BrokerError, match="has its own managed identity"):
        shared.credential("read-inbox")


@pytest.fixture
def identity_endpoint_two_resources(monkeypatch):
    from tests.runtime.oauth_server import AuthorizationServer

    resources = {"https://storage.azure.com": ["Blob.Read"], "https://vault.azure.net": ["Secret.Get"]}
    with AuthorizationServer(msi_header="loopback-identity-header", msi_resources=resources) as server:
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"{server.issuer}/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", "loopback-identity-header")
        for name in ("AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "AZURE_CLIENT_ID"):
            monkeypatch.delenv(name, raising=False)
        yield server
