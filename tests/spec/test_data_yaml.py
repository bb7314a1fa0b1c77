"""The kit's data files read with libyaml (`agentid_components.data_yaml`) give what the pure-Python parser gives."""

from __future__ import annotations

import marshal
import os
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


# --- the parsed values kept in __pycache__ (issue 17: parsed once, not once a process) -------------------------


@pytest.fixture
def writing(monkeypatch):
    monkeypatch.setattr("sys.dont_write_bytecode", False)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: path.name)
def test_every_data_file_read_from_its_cache_gives_what_parsing_gives(path: Path, tmp_path: Path, writing):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    parsed = data_yaml.load(copy)  # parses and keeps (unless it holds what marshal cannot: a date)
    try:
        marshal.dumps(parsed)
        keepable = True
    except ValueError:
        keepable = False
    assert data_yaml.cache_path(copy).is_file() == keepable
    cached = data_yaml.load(copy)
    assert cached == parsed == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert repr(cached) == repr(parsed)  # same types too
    assert cached is not parsed  # a fresh value each call, as parsing gives


def _cache_holding(tmp_path: Path, text: str, forged: object) -> Path:
    """A data file whose cache was made from the same bytes but holds `forged`."""
    file = tmp_path / "table.yaml"
    file.write_text(text, encoding="utf-8")
    data_yaml.load(file)
    cache = data_yaml.cache_path(file)
    blob = cache.read_bytes()
    head = blob[:len(blob) - len(marshal.dumps(yaml.safe_load(text)))]
    cache.write_bytes(head + marshal.dumps(forged))
    return file


def test_the_cache_is_read_only_for_the_bytes_it_was_made_from(tmp_path: Path, writing):
    file = _cache_holding(tmp_path, "admin: [iam:PassRole]\n", {"admin": ["s3:GetObject"]})
    assert data_yaml.load(file) == {"admin": ["s3:GetObject"]}  # the header matches: kept values are used (as .pyc)
    file.write_text("admin: [iam:PassRole, iam:CreateRole]\n", encoding="utf-8")  # the table changed
    assert data_yaml.load(file) == {"admin": ["iam:PassRole", "iam:CreateRole"]}
    assert data_yaml.load(file) == {"admin": ["iam:PassRole", "iam:CreateRole"]}  # and the cache was renewed


@pytest.mark.parametrize("damage", [b"", b"agentid-data-yaml\n", b"not a cache at all" * 4, "truncated", "magic"])
def test_a_damaged_or_foreign_cache_is_ignored_and_the_file_parsed(tmp_path: Path, writing, damage):
    file = tmp_path / "table.yaml"
    file.write_text("a: {b: [1, 2.5, yes, null]}\n", encoding="utf-8")
    data_yaml.load(file)
    cache = data_yaml.cache_path(file)
    if damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:-3])
    elif damage == "magic":  # another interpreter's bytecode magic number
        blob = bytearray(cache.read_bytes())
        blob[len(b"agentid-data-yaml\n")] ^= 0xFF
        cache.write_bytes(bytes(blob))
    else:
        cache.write_bytes(damage)
    assert repr(data_yaml.load(file)) == repr({"a": {"b": [1, 2.5, True, None]}})


def test_nothing_is_written_without_bytecode_writing_or_where_the_folder_is_read_only(tmp_path: Path, monkeypatch):
    file = tmp_path / "table.yaml"
    file.write_text("a: 1\n", encoding="utf-8")
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    assert data_yaml.load(file) == {"a": 1}
    assert not data_yaml.cache_path(file).exists()
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__").chmod(0o555)
    try:
        assert data_yaml.load(file) == {"a": 1}
        assert list((tmp_path / "__pycache__").iterdir()) == [] or os.geteuid() == 0  # root writes anyway
    finally:
        (tmp_path / "__pycache__").chmod(0o755)


def test_values_marshal_cannot_keep_are_parsed_every_time(tmp_path: Path, writing):
    file = tmp_path / "dated.yaml"
    file.write_text("since: 2026-12-01\n", encoding="utf-8")
    assert repr(data_yaml.load(file)) == "{'since': datetime.date(2026, 12, 1)}"
    assert not data_yaml.cache_path(file).exists()
    assert repr(data_yaml.load(file)) == "{'since': datetime.date(2026, 12, 1)}"


def test_compile_data_writes_the_cache_load_then_uses(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("sys.dont_write_bytecode", True)  # as on this machine: only the explicit step writes
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.yaml").write_text("x: [a, b]\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("x: [a\n", encoding="utf-8")
    assert data_yaml.compile_data(tmp_path) == 1
    assert data_yaml.compile_data(tmp_path) == 0  # current already
    monkeypatch.setattr(yaml, "load", lambda *args, **kwargs: pytest.fail("parsed although the cache is current"))
    assert data_yaml.load(tmp_path / "sub" / "t.yaml") == {"x": ["a", "b"]}
