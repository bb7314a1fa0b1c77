"""README.md stays true: its generated blocks match the code, its quick start matches CI."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
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
    from agentid_components import spec
    from agentid_policy_packs.rules.registry import RULES

    readme = (ROOT / "README.md").read_text()
    assert all(f"[{rule.id}]" in readme for rule in RULES)
    assert all(f"| `{name}` |" in readme for name in spec.Agent.model_fields)


def _quick_start() -> list[str]:
    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.quick_start_commands((ROOT / "README.md").read_text())


def test_ci_runs_both_readme_commands_as_written():
    install_and_gate, install_and_test = _quick_start()
    assert install_and_gate == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/agentid preview --stack dev"
    assert install_and_test == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text()
    # .ci/run reads the commands from the README (never a copy that could drift) and runs command 1 first,
    # on a virtualenv it has just removed, so the plain install (no extras) is what runs the gate.
    assert "python3 .ci/readme_commands.py README.md" in ci and "pip install" not in ci
    assert ci.index("rm -rf .venv") < ci.index('bash -euo pipefail -c "${commands[0]}"') < ci.index('bash -euo pipefail -c "${commands[1]}"')
    assert '"$status" -eq 5' in ci


def test_readme_commands_script_refuses_a_readme_without_two_commands(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n## Quick start\n\n```bash\n# only one\npython3 -m venv .venv\n```\n")
    run = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_commands.py"), str(readme)], capture_output=True, text=True)
    assert run.returncode == 2 and "expected 2 commands, found 1" in run.stderr


def _base_distributions() -> set[str]:
    """The project's base requirements and everything they require, transitively, plus the optional extras a user
    opts into for a library feature (`runtime`: MCP, Azure); the `dev` extra (test tools) is not among them."""
    import re as _re
    from importlib import metadata

    def name(requirement: str) -> str:
        return _re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    pending = [name(r) for r in metadata.requires("agent-identity-kit") or []
               if "extra ==" not in r or ("extra == \"dev\"" not in r and "extra == 'dev'" not in r)]
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            pending += [name(r) for r in metadata.requires(current) or [] if "extra ==" not in r]
        except metadata.PackageNotFoundError:
            pass
    return seen


def test_every_module_the_cli_imports_comes_with_a_plain_install():
    """README command 1 installs without extras: nothing the CLI, the components or the packs import may be dev-only."""
    import ast
    from importlib import metadata

    providers = metadata.packages_distributions()
    base = _base_distributions()
    ours = {"agentid", "agentid_components", "agentid_policy_packs", "stacks"}
    missing = {}
    for folder in ("agentid", "components", "policy_packs"):
        for file in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(), str(file))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for module in names:
                    top = module.split(".")[0]
                    if top in ours or top in sys.stdlib_module_names or top not in providers:
                        continue
                    if not any(d.lower().replace("_", "-") in base for d in providers[top]):
                        missing.setdefault(top, str(file.relative_to(ROOT)))
    # opentelemetry is optional at run time (agentid/runtime/audit_log.py imports it inside try/except ImportError).
    missing.pop("opentelemetry", None)
    assert missing == {}, f"imported at run time but only installed by the dev extra: {missing}"


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "bench").glob("*.py"))]


def test_no_path_of_a_developers_machine_in_docs():
    import re

    for file in DOCS:
        found = re.findall(r"(?<![\w.])/(?:work|home|Users|root|opt/venv)/[\w./-]*", file.read_text())
        assert found == [], f"{file.relative_to(ROOT)}: {found}"


def test_benchmark_figures_live_in_one_place():
    """The README's Benchmarks table is the one set of figures; the docs describe the methods and point there."""
    import re

    figure = re.compile(r"\d[\d,.]* ?(?:resources/s|docs/s|Analyze/s|ms per agent|MB peak|s wall|s CPU)\b")
    for file in sorted((ROOT / "docs").glob("*.md")):
        assert figure.findall(file.read_text()) == [], file.name
    assert len(figure.findall((ROOT / "README.md").read_text())) >= 3
