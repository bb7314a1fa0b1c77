"""Azure Key Vault data actions that return secret material (azure_credential_reads.yaml, each with its source).

Read by AGID-AZ-065 (a role holding one above one vault) and by the Azure components' guards (a tool granted one at
resource-group scope is refused at compile time, so the kit never writes what its pack blocks). Pure: no Pulumi.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

CREDENTIAL_READS_FILE = Path(__file__).with_name("azure_credential_reads.yaml")


@lru_cache(maxsize=1)
def credential_reads() -> dict[str, str]:
    """Data action -> what it returns."""
    return {entry["operation"]: entry["returns"] for entry in data_yaml.load(CREDENTIAL_READS_FILE)}


def credential_read(operation: str) -> str | None:
    """What an exact data action returns when it reads Key Vault secret material (case-insensitive); else None."""
    wanted = operation.strip().lower()
    return next((returns for op, returns in credential_reads().items() if op.lower() == wanted), None)
