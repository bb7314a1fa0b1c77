"""Refresh policy_packs/analysis/entra_builtin_roles.yaml: every Microsoft Entra built-in directory role, by template
id, with its name and whether Microsoft labels it PRIVILEGED.

Source: Microsoft Learn, "Microsoft Entra built-in roles"
(https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference), whose "All roles"
table lists each role's name, description (with the "Privileged label icon" for roles Microsoft marks privileged:
https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions) and
template id. The page's Markdown is public at github.com/MicrosoftDocs/entra-docs,
docs/identity/role-based-access-control/permissions-reference.md (generated there from the role definitions Microsoft
Graph returns: GET /roleManagement/directory/roleDefinitions, isPrivileged). The snapshot keeps facts only (names,
ids, the label), not descriptions.

Usage (the Markdown file, from a clone of entra-docs or saved from the page's "Edit" link):

    python scripts/refresh_entra_roles.py PATH/permissions-reference.md --source "entra-docs@COMMIT (ms.date)"

On a machine with Graph access the same facts come from
`az rest --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq true`
(templateId, displayName, isPrivileged); this script reads the documentation table.

Our classification of each role (does assigning it to an agent escalate beyond its own scope?) is hand-kept beside the
snapshot in policy_packs/analysis/entra_role_escalation.yaml; after a refresh this script lists the roles that file
does not classify (AGID-AZ-020 treats them as privileged, and tests/policy/test_pack_grpc_entra_role_escalation.py
fails, until someone reads their actions on the page and classifies them) and the classified roles the snapshot no
longer has.
"""

from __future__ import annotations

import argparse
import re
import uuid
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "policy_packs" / "analysis" / "entra_builtin_roles.yaml"
ESCALATION_FILE = DATA_FILE.with_name("entra_role_escalation.yaml")
PAGE = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference"
# `> | [Global Administrator](#global-administrator) | Can manage ...<br/>[![Privileged label icon.](...)](...) | GUID |`
_ROW = re.compile(r"^>?\s*\|\s*\[(?P<name>[^\]]+)\]\(#[^)]*\)\s*\|(?P<description>.*)\|\s*(?P<id>[0-9a-fA-F-]{36})\s*\|\s*$")
_LABEL = "Privileged label icon"


def parse(markdown: str) -> dict[str, dict[str, object]]:
    """The "All roles" table -> {template id: {"name", "privileged"}}; raises when the table is missing or garbled."""
    section = markdown.split("## All roles", 1)
    if len(section) != 2:
        raise SystemExit("no '## All roles' section: not the permissions reference page")
    roles: dict[str, dict[str, object]] = {}
    for line in section[1].split("\n## ", 1)[0].splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        template_id = str(uuid.UUID(match["id"]))
        if template_id in roles:
            raise SystemExit(f"template id {template_id} listed twice")
        roles[template_id] = {"name": match["name"].strip(), "privileged": _LABEL in match["description"]}
    if len(roles) < 50:
        raise SystemExit(f"only {len(roles)} roles parsed: the table's format changed")
    return dict(sorted(roles.items(), key=lambda item: str(item[1]["name"]).lower()))


def render(roles: dict[str, dict[str, object]], source: str) -> str:
    lines = [
        "# Microsoft Entra built-in directory roles: template id -> name, and whether Microsoft labels the role",
        "# PRIVILEGED. Written by scripts/refresh_entra_roles.py; do not edit by hand. Template ids are the same in every",
        "# tenant. AGID-AZ-020 reads it: a role id naming none of these (a custom role outside the stack, an unknown",
        "# GUID) cannot be judged; a role labelled privileged here, or listed in entra_privileged.yaml directory_roles",
        "# (our wider tier-0 selection), is privileged; any other built-in role is low-privilege.",
        f"# source: {PAGE}",
        f"source: {source!r}",
        "roles:",
    ]
    for template_id, entry in roles.items():
        lines.append(f"  {template_id}: {{name: {entry['name']!r}, privileged: {str(entry['privileged']).lower()}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("markdown", type=Path, help="permissions-reference.md")
    parser.add_argument("--source", required=True, help="where the Markdown came from (repository@commit, date)")
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    args = parser.parse_args()
    roles = parse(args.markdown.read_text(encoding="utf-8"))
    args.output.write_text(render(roles, f"{PAGE} via {args.source}"), encoding="utf-8")
    print(f"{len(roles)} roles ({sum(bool(r['privileged']) for r in roles.values())} privileged) -> {args.output}")
    for line in unclassified(roles):
        print(line)


def unclassified(roles: dict[str, dict[str, object]]) -> list[str]:
    """What entra_role_escalation.yaml lacks or keeps beyond `roles`: one line a role, to classify by hand."""
    import yaml

    classified = yaml.safe_load(ESCALATION_FILE.read_text(encoding="utf-8"))["roles"]
    return ([f"not classified in {ESCALATION_FILE.name}: {tid} {roles[tid]['name']}" for tid in roles if tid not in classified]
            + [f"classified but no longer built in: {tid} {entry['name']}" for tid, entry in classified.items()
               if tid not in roles])


if __name__ == "__main__":
    main()
