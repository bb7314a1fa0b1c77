"""scripts/check_graph_app_roles.py: the kit's Graph app roles compared with Graph's own list (`az ad sp show --id
00000003-0000-0000-c000-000000000000 --query appRoles`). The input here is our own small sample of that shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_graph_app_roles.py"
DATA = Path(__file__).resolve().parents[2] / "policy_packs" / "analysis" / "entra_privileged.yaml"


def kit_catalogue() -> list[dict]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    roles = [{"id": i.upper(), "value": e["value"]} for i, e in data["graph_app_roles"].items() if "api" not in e]
    return roles + [{"id": i, "value": v} for i, v in data["graph_reviewed_app_roles"].items()]


def run(tmp_path, app_roles) -> subprocess.CompletedProcess:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps(app_roles) if not isinstance(app_roles, str) else app_roles, encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=60)


def test_a_catalogue_the_kit_knows_whole_passes(tmp_path):
    result = run(tmp_path, kit_catalogue())
    assert (result.returncode, result.stdout.strip()) == (0, f"all {len(kit_catalogue())} Graph app roles are known")


def test_missing_writes_come_first_and_renamed_ids_are_named(tmp_path):
    catalogue = kit_catalogue()
    catalogue[0] = {**catalogue[0], "value": "Renamed.ReadWrite.All"}
    catalogue += [{"id": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "value": "Widget.Read.All"},
                  {"id": "1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "value": "Widget.ReadWrite.All"}]
    result = run(tmp_path, catalogue)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"kit lists {catalogue[0]['id'].lower()} as RoleManagement.ReadWrite.Directory, Graph has 'Renamed.ReadWrite.All'",
        "not known: Widget.ReadWrite.All 1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9 (write: review)",
        "not known: Widget.Read.All 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"]


def test_unreadable_input_is_one_line_and_exit_2(tmp_path):
    result = run(tmp_path, '{"appRoles": "no"}')
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().startswith("check_graph_app_roles: expected the JSON list")
