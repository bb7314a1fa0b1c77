"""The Azure hop through azure-identity's ManagedIdentityCredential, against a real managed-identity endpoint on
loopback (the App Service protocol: IDENTITY_ENDPOINT + IDENTITY_HEADER), for the dev fleet's Azure tools."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker, GrantsError
from agentid.runtime.azure_hop import resource_for
from agentid_components.loader import load_inventory
from tests.runtime.oauth_server import AuthorizationServer

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
INVENTORY = load_inventory(DEV).inventory


@pytest.fixture
def identity_endpoint(monkeypatch):
    with AuthorizationServer(msi_header="loopback-identity-header", msi_resources={"https://storage.azure.com": ["Blob.Write"]}) as server:
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"{server.issuer}/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", "loopback-identity-header")
        for name in ("AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        yield server


def test_an_azure_tool_gets_an_entra_token_for_its_data_plane_from_the_managed_identity(identity_endpoint, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    agent = INVENTORY.agent("report-builder")
    broker = CredentialBroker(AgentGrants.from_spec(agent))  # no role ARN: only its Azure tool is served
    token = broker.credential("publish-report")
    assert (token.kind, token.audience, token.scopes) == ("azure", ("https://storage.azure.com",), ("Blob.Write",))
    assert token.lifetime_seconds <= agent.max_credential_minutes * 60
    assert token.get_token("https://storage.azure.com/.default").token == token.access_token  # azure-core TokenCredential
    assert broker.credential("publish-report") is token
    [claims] = identity_endpoint.issued
    assert claims["aud"] == "https://storage.azure.com"
    [record] = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "issued"]
    assert record["identity"] == "ManagedIdentityCredential" and record["hop"] == "azure"


def test_a_token_for_another_audience_is_refused(identity_endpoint):
    identity_endpoint.misbehave["https://storage.azure.com"] = "wrong_audience"
    broker = CredentialBroker(AgentGrants.from_spec(INVENTORY.agent("report-builder")))
    with pytest.raises(BrokerError, match="hop azure: the Entra token's audience 'https://management.azure.com'") as raised:
        broker.credential("publish-report")
    assert raised.value.code == "wrong_audience"


@pytest.mark.parametrize("audience", [
    "00000003-0000-0000-c000-000000000000",  # red6: Microsoft Graph's app id, a token for another service
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",  # Resource Manager's app id: not storage's
    ["https://storage.azure.com", "https://management.azure.com"],
    None,
    "https://storage.azure.com.evil",
])
def test_only_the_resource_or_its_own_app_id_is_an_accepted_audience(audience):
    from agentid.runtime.azure_hop import check_audience
    from agentid.runtime.oauth import OAuthError

    with pytest.raises(OAuthError, match="audience") as raised:
        check_audience(audience, "https://storage.azure.com")
    assert raised.value.code == "wrong_audience"


@pytest.mark.parametrize("audience", ["https://storage.azure.com", "https://storage.azure.com/",
                                      "e406a681-f3d4-42a8-90b6-c2b029497af1", "E406A681-F3D4-42A8-90B6-C2B029497AF1"])
def test_the_resource_uri_and_its_first_party_app_id_are_accepted(audience):
    from agentid.runtime.azure_hop import check_audience

    check_audience(audience, "https://storage.azure.com")


def test_an_opaque_entra_token_is_refused(identity_endpoint):
    identity_endpoint.misbehave["https://storage.azure.com"] = "opaque"
    broker = CredentialBroker(AgentGrants.from_spec(INVENTORY.agent("report-builder")))
    with pytest.raises(BrokerError, match="opaque") as raised:
        broker.credential("publish-report")
    assert raised.value.code == "opaque_token"


def test_the_token_audience_follows_the_operations():
    assert resource_for([], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"]) == "https://storage.azure.com"
    assert resource_for(["Microsoft.Web/sites/read"], []) == "https://management.azure.com"
    assert resource_for([], ["Microsoft.KeyVault/vaults/secrets/getSecret/action"]) == "https://vault.azure.net"
    with pytest.raises(ValueError, match="split it"):
        resource_for(["Microsoft.Web/sites/read"], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"])
    with pytest.raises(ValueError, match="no known data-plane audience"):
        resource_for([], ["Microsoft.Unknown/things/read"])
