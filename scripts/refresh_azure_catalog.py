"""Refresh the Azure RBAC snapshots: built-in role definitions and resource provider operations.

Writes two compact, gzipped JSON files next to this script:

  azure_builtin_roles.json.gz   {"source": ..., "roles": {GUID: {"name": ..., "permissions": [{"actions",
                                  "notActions", "dataActions", "notDataActions"[, "condition"]}, ...]}}}   (every built-in role)
  azure_operations.json.gz      {"source": ..., "providers": {Namespace: {"actions": [...],
                                  "dataActions": [...]}}}   (every operation of every provider)

Sources (Azure's own answers, nothing hand-typed):
  - `az role definition list --custom-role-only false --query "[?roleType=='BuiltInRole']"`
  - `az provider operation list` (each provider with its resource types and their operations,
    `isDataAction` telling the plane)

Run on a machine with Azure access (any subscription: built-in roles and operations are the same in every
tenant of the public cloud):

    python scripts/refresh_azure_catalog.py --az

or from a directory holding those outputs one JSON file per role / per provider (the layout of the
MIT-licensed archive github.com/easimon/azure-builtin-roles, which runs the same two commands daily):

    python scripts/refresh_azure_catalog.py --from-dir PATH --source "archive@COMMIT (DATE)"
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

HERE = Path(__file__).resolve().parent.parent / "components" / "data"
ROLES_FILE = HERE / "azure_builtin_roles.json.gz"
OPERATIONS_FILE = HERE / "azure_operations.json.gz"


def compact_roles(definitions: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`az role definition list` entries -> {guid: {"name", "permissions": [blocks]}}.

    Blocks stay separate: Azure grants their union, and each block's not-lists subtract only from its own block.
    """
    roles: dict[str, dict[str, Any]] = {}
    for definition in definitions:
        if definition.get("roleType") != "BuiltInRole":
            continue
        guid = str(definition["name"]).lower()
        blocks = []
        for block in definition.get("permissions") or []:
            compact = {key: sorted(block.get(key) or []) for key in ("actions", "notActions", "dataActions", "notDataActions")}
            if block.get("condition"):  # an ABAC condition on the block (e.g. which roles it may assign)
                compact["condition"] = block["condition"]
            blocks.append(compact)
        roles[guid] = {"name": definition["roleName"], "permissions": blocks}
    return dict(sorted(roles.items()))


def compact_operations(providers: Iterable[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """`az provider operation list` entries -> {namespace: {"actions": [...], "dataActions": [...]}}."""
    result: dict[str, dict[str, set[str]]] = {}

    def walk(node: dict[str, Any], bucket: dict[str, set[str]]) -> None:
        for operation in node.get("operations") or []:
            bucket["dataActions" if operation.get("isDataAction") else "actions"].add(operation["name"])
        for resource_type in node.get("resourceTypes") or []:
            walk(resource_type, bucket)

    for provider in providers:
        bucket = result.setdefault(provider["name"], {"actions": set(), "dataActions": set()})
        walk(provider, bucket)
    return {name: {plane: sorted(ops) for plane, ops in planes.items()} for name, planes in sorted(result.items())}


def _write(path: Path, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    with gzip.GzipFile(path, "wb", mtime=0) as handle:  # mtime 0: the same data gives the same bytes
        handle.write(data)


def _az(*args: str) -> Any:
    return json.loads(subprocess.run(["az", *args, "--output", "json"], check=True, capture_output=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--az", action="store_true", help="ask the Azure CLI (needs `az login`)")
    parser.add_argument("--from-dir", type=Path, help="directory with azure-roles/*.json and azure-provider-operations/*.json")
    parser.add_argument("--source", default="", help="what the snapshot was taken from (recorded in the files)")
    args = parser.parse_args()
    if args.az:
        definitions = _az("role", "definition", "list", "--query", "[?roleType=='BuiltInRole']")
        providers = _az("provider", "operation", "list")
        source = args.source or "az role definition list; az provider operation list"
    elif args.from_dir:
        definitions = [json.loads(p.read_text()) for p in sorted((args.from_dir / "azure-roles").glob("*.json"))]
        providers = [json.loads(p.read_text()) for p in sorted((args.from_dir / "azure-provider-operations").glob("*.json"))]
        source = args.source or str(args.from_dir)
    else:
        parser.error("give --az or --from-dir")
    roles = compact_roles(definitions)
    operations = compact_operations(providers)
    _write(ROLES_FILE, {"source": source, "roles": roles})
    _write(OPERATIONS_FILE, {"source": source, "providers": operations})
    count = sum(len(p["actions"]) + len(p["dataActions"]) for p in operations.values())
    print(f"{len(roles)} built-in roles -> {ROLES_FILE.name}; {count} operations of {len(operations)} providers "
          f"-> {OPERATIONS_FILE.name}")
    # the capability patterns' matches, precomputed for the new snapshot (azure_catalog.EXPANSION_FILE)
    subprocess.run([sys.executable, "-m", "agentid_components.azure_catalog"], check=True)


if __name__ == "__main__":
    main()
