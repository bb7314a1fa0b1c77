"""Compare the kit's Microsoft Graph app roles with Microsoft's current catalogue and list what is missing.

policy_packs/analysis/entra_privileged.yaml names the Graph application permissions the kit knows: `graph_app_roles`
(tenant-wide writes, blocked by AGID-AZ-021) and `graph_reviewed_app_roles` (reviewed as not privileged). Any other
Graph app role id is "cannot check" (AGID-AZ-053). This script reads Graph's own list of app roles and prints

  - ids the kit lists that Graph no longer has, or lists under another value (a typo or a renamed permission: fix);
  - Graph app roles the kit does not know, writes first (values with ReadWrite, Write, Manage, FullControl, Send,
    Create, Delete, Invite, Import, Export, AccessAsUser): review each and add it to one of the two lists.

It changes no file: which list a permission belongs in is a judgement, written with its reason in the YAML.

Source (Microsoft's answer, nothing hand-typed), run where Azure CLI is signed in to any tenant:

    az ad sp show --id 00000003-0000-0000-c000-000000000000 --query appRoles > graph-app-roles.json
    python scripts/check_graph_app_roles.py graph-app-roles.json

or `python scripts/check_graph_app_roles.py --az` to run that command. Exit status 1 when something is missing
or wrong, 0 otherwise, 2 for an unreadable input. Ids are compared as GUIDs (case and braces ignored).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "policy_packs" / "analysis" / "entra_privileged.yaml"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_WRITE = re.compile(r"ReadWrite|Write|Manage|FullControl|Send|Create|Delete|Invite|Import|Export|AccessAsUser")


def kit_roles(data: dict[str, Any]) -> dict[str, str]:
    """id -> value of every Microsoft Graph app role the kit lists (privileged or reviewed)."""
    roles = {role_id: entry["value"] for role_id, entry in data["graph_app_roles"].items()
             if entry.get("api", GRAPH_APP_ID) == GRAPH_APP_ID}
    roles.update(data.get("graph_reviewed_app_roles", {}))
    return {role_id.lower(): value for role_id, value in roles.items()}


def graph_roles(app_roles: Any) -> dict[str, str]:
    """id -> value from `az ad sp show ... --query appRoles` (a list of {id, value, ...})."""
    if not isinstance(app_roles, list) or not all(isinstance(r, dict) and "id" in r and "value" in r for r in app_roles):
        raise ValueError("expected the JSON list `az ad sp show --query appRoles` prints ({id, value, ...} objects)")
    return {str(r["id"]).strip("{}").lower(): str(r["value"]) for r in app_roles}


def compare(kit: dict[str, str], graph: dict[str, str]) -> list[str]:
    """Lines to print: wrong entries of the kit, then unknown writes, then unknown others."""
    lines = [f"kit lists {role_id} as {value}, Graph has " + (repr(graph[role_id]) if role_id in graph else "no such id")
             for role_id, value in sorted(kit.items()) if graph.get(role_id) != value]
    unknown = sorted(((value, role_id) for role_id, value in graph.items() if role_id not in kit),
                     key=lambda item: (not _WRITE.search(item[0]), item[0]))
    lines += [f"not known: {value} {role_id}" + (" (write: review)" if _WRITE.search(value) else "")
              for value, role_id in unknown]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="JSON output of `az ad sp show --id <Graph> --query appRoles`")
    source.add_argument("--az", action="store_true", help="run that command (Azure CLI signed in)")
    args = parser.parse_args(argv)
    try:
        if args.az:
            text = subprocess.run(["az", "ad", "sp", "show", "--id", GRAPH_APP_ID, "--query", "appRoles"],
                                  check=True, capture_output=True, text=True, timeout=120).stdout
        else:
            text = Path(args.file).read_text(encoding="utf-8")
        graph = graph_roles(json.loads(text))
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        print(f"check_graph_app_roles: {error}", file=sys.stderr)
        return 2
    with open(DATA, encoding="utf-8") as handle:
        lines = compare(kit_roles(yaml.safe_load(handle)), graph)
    print("\n".join(lines) if lines else f"all {len(graph)} Graph app roles are known")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
