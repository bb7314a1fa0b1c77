"""Agents, certificates and programs for the Azure component tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from agentid.mock_engine import ProgramRun, run_program
from agentid_components.spec import Agent

TODAY = dt.date(2026, 11, 28)
SUB = "11111111-2222-3333-4444-555555555555"
RG_SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg-data"
CONTAINER_SCOPE = (
    f"{RG_SCOPE}/providers/Microsoft.Storage/storageAccounts/stdata/blobServices/default/containers/inbox"
)
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
CONFIG = {"azureResourceGroup": "rg-agents", "azureLocation": "westeurope"}


def github(repository: str = "example-org/agent", branch: str = "main") -> dict[str, Any]:
    return {"github_actions": {"repository": repository, "branch": branch}}


def agent_dict(name: str = "blob-reader", **overrides: Any) -> dict[str, Any]:
    document = {
        "name": name,
        "owner": "data-team",
        "purpose": "Reads one blob container.",
        "environment": "dev",
        "review_by": "2027-01-31",
        "tools": [{"name": "read-inbox", "azure": {"data_actions": [BLOB_READ], "scope": CONTAINER_SCOPE}}],
        "trust": [github()],
    }
    document.update(overrides)
    return document


def agent(name: str = "blob-reader", base_dir: Path | str = ".", **overrides: Any) -> Agent:
    return Agent.model_validate(agent_dict(name, **overrides), context={"base_dir": str(base_dir), "today": TODAY})


def entra_tool(audience: str = "https://mcp.tickets.example.com", scopes: list[str] | None = None, name: str = "tickets") -> dict:
    return {"name": name, "oauth": {"audience": audience, "scopes": scopes or ["tickets.read"], "provider": "entra"}}


def write_certificate(
    directory: Path,
    name: str = "client.pem",
    key: str = "rsa",
    not_after: dt.datetime | None = None,
    with_private_key: bool = False,
) -> Path:
    """A self-signed certificate generated for the test (never a committed key)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if key == "rsa" else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test agent")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or dt.datetime(2036, 6, 30, tzinfo=dt.timezone.utc))  # outlives a suite run years ahead
        .sign(private_key, hashes.SHA256())
    )
    text = certificate.public_bytes(serialization.Encoding.PEM)
    if with_private_key:
        text += private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    path = directory / name
    path.write_bytes(text)
    return path


def run_fleet(agents: list[Agent], spec_dir: Path | str = ".", config: dict[str, str] | None = None) -> tuple[ProgramRun, list[str]]:
    """Run AzureAgents under mocks; returns the run and the AzureCompileError messages raised (if any)."""
    import pulumi

    from agentid_components.azure.fleet import AzureAgents, AzureSettings
    from agentid_components.azure.plan import AzureCompileError

    errors: list[str] = []

    def program() -> None:
        settings = AzureSettings.from_config(spec_dir=spec_dir)
        try:
            fleet = AzureAgents("azure", agents, settings)
        except AzureCompileError as error:
            errors.append(str(error))
            return
        pulumi.export("inventory", fleet.inventory)

    return run_program(program, config=CONFIG if config is None else config), errors
