"""docs/api.md is generated from the public API's docstrings (docs/refresh_api.py) and stays current."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def _refresh_module() -> SimpleNamespace:
    return SimpleNamespace(**runpy.run_path(str(ROOT / "docs" / "refresh_api.py"), run_name="refresh_api"))


def test_api_reference_is_current():
    assert (ROOT / "docs" / "api.md").read_text(encoding="utf-8") == _refresh_module().render(), (
        "docs/api.md is stale: run python docs/refresh_api.py")


def test_every_listed_public_name_is_documented():
    assert _refresh_module().undocumented() == []


def test_reference_names_each_public_name_with_its_signature():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert "### `agentid_components.fleet.AgentFleet`" in text
    assert "class `AgentFleet(name: 'str', loaded: 'LoadedInventory'" in text
    assert "### `agentid.runtime.CredentialBroker`" in text
    # TypedDict keys carry their type and attribute docstring (as the package schema does)
    assert "- `agents_file` (str, optional): absolute path of an agent file" in text


def test_check_mode_exit_codes(tmp_path):
    script = ROOT / "docs" / "refresh_api.py"
    assert subprocess.run([sys.executable, str(script), "--check"], cwd=tmp_path).returncode == 0
