"""The installed packages are typed (PEP 561): a consumer's type checker reads the kit's annotations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("agentid", "agentid_components", "agentid_policy_packs")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel pip builds from the repository, as a non-editable install gets it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [built] = out.glob("agent_identity_kit-*.whl")
    return zipfile.ZipFile(built)


def test_every_top_level_package_ships_py_typed(wheel):
    names = set(wheel.namelist())
    assert {f"{package}/py.typed" for package in TOP_LEVEL} <= names


def test_the_component_package_ships_its_generated_types(wheel):
    names = set(wheel.namelist())
    assert {"agentid_components/package.py", "agentid_components/package_types.py"} <= names
