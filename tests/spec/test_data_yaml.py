"""The kit's data files read with libyaml (`agentid_components.data_yaml`) give what the pure-Python parser gives."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
import yaml

from agentid_components import data_yaml

ROOT = Path(__file__).resolve().parents[2]
# every YAML table the kit ships and reads at run time (the packs' PulumiPolicy.yaml files are the engine's)
DATA_FILES = sorted(path for folder in ("components", "policy_packs", "agentid")
                    for path in (ROOT / folder).rglob("*.yaml") if path.name != "PulumiPolicy.yaml")


def test_the_kit_ships_the_data_files_this_test_compares():
    names = {path.name for path in DATA_FILES}
    assert {"escalation_methods.yaml", "azure_capabilities.yaml", "gcp_iam.yaml", "coverage_reasons.yaml",
            "k8s_rbac_facts.yaml", "oidc_issuers.yaml"} <= names


def test_libyaml_is_used_when_pyyaml_has_it():
    assert data_yaml.LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: path.name)
def test_every_data_file_loads_to_the_same_values_as_safe_load(path: Path):
    expected = yaml.safe_load(path.read_text(encoding="utf-8"))
    loaded = data_yaml.load(path)
    assert loaded == expected
    assert repr(loaded) == repr(expected)  # same types too (1 vs 1.0 vs "1", dates, None)


def test_yaml_1_1_scalars_come_out_as_safe_load_types_them(tmp_path: Path):
    file = tmp_path / "scalars.yaml"
    file.write_text("a: 0o17\nb: 017\nc: 1_000\nd: yes\ne: ~\nf: 2026-12-01\ng: .inf\nh: '017'\ni: 1e3\nj: 0x1F\n"
                    "k: é\n", encoding="utf-8")
    assert repr(data_yaml.load(file)) == repr(yaml.safe_load(file.read_text(encoding="utf-8")))


def test_a_file_that_is_not_yaml_raises_as_safe_load_does(tmp_path: Path):
    file = tmp_path / "broken.yaml"
    file.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError, match=r'in ".*broken\.yaml", line 1'):  # the marks name the file
        data_yaml.load(file)
    with pytest.raises(OSError):
        data_yaml.load(tmp_path / "missing.yaml")


# --- no parsed-values cache: the pull request holds the files, so nothing beside them is trusted (red23) ---------


@pytest.mark.parametrize("planted", ["marshal", "pyc-named"])
def test_a_planted_cache_beside_a_data_file_is_never_read(tmp_path: Path, monkeypatch, planted):
    """A `__pycache__` file beside a table, made from the table's exact bytes (its SHA-256 is predictable: the pull
    request holds the table) but holding other values, was taken as the table's parsed values (7fdcea8): an empty
    escalation list turned AGID-AWS-020 off. `load` reads the table only."""
    import hashlib
    import importlib.util
    import sys

    monkeypatch.setattr("sys.dont_write_bytecode", False)
    file = tmp_path / "escalation_methods.yaml"
    file.write_text("admin: [iam:PassRole]\n", encoding="utf-8")
    name = f"{file.name}.{sys.implementation.cache_tag}.marshal" if planted == "marshal" else "escalation_methods.pyc"
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / name).write_bytes(
        b"agentid-data-yaml\n" + importlib.util.MAGIC_NUMBER + hashlib.sha256(file.read_bytes()).digest()
        + marshal.dumps([]))
    assert data_yaml.load(file) == {"admin": ["iam:PassRole"]}
    assert sorted(path.name for path in (tmp_path / "__pycache__").iterdir()) == [name]  # nothing written either
