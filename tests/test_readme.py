"""README.md stays true: its generated blocks match the code, its quick start matches CI."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _refresh_module():
    spec = importlib.util.spec_from_file_location("refresh_readme", ROOT / "docs" / "refresh_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_blocks_are_current():
    readme = (ROOT / "README.md").read_text()
    assert _refresh_module().refreshed(readme) == readme, "README.md is stale: run python docs/refresh_readme.py"


def test_every_rule_and_spec_field_is_documented():
    from components import spec
    from policy_packs.rules.registry import RULES

    readme = (ROOT / "README.md").read_text()
    assert all(f"[{rule.id}]" in readme for rule in RULES)
    assert all(f"| `{name}` |" in readme for name in spec.Agent.model_fields)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest -q" in readme
    assert ".venv/bin/python -m pip install --quiet -e '.[dev]'" in ci and ".venv/bin/python -m pytest -q" in ci
