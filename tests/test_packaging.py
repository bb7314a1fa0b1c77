"""The installed import names are the kit's own, and every Python folder is shipped.

The repository keeps the design card's folders (components/, policy_packs/), which install as
`agentid_components` and `agentid_policy_packs` (pyproject `package-dir`): a consumer project's own
`components` package must neither shadow the kit nor be shadowed by it.
"""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
SOURCE_ROOTS = {"agentid": "agentid", "agentid_components": "components", "agentid_policy_packs": "policy_packs"}


def _python_folders() -> set[str]:
    names = set()
    for package, folder in SOURCE_ROOTS.items():
        root = REPO / folder
        for path in root.rglob("*"):
            if path.is_dir() and "__pycache__" not in path.parts and any(
                    child.suffix in {".py", ".yaml", ".json", ".gz", ".txt"} for child in path.iterdir()):
                names.add(".".join([package, *path.relative_to(root).parts]))
    return names


def test_every_folder_with_files_is_a_listed_package():
    missing = _python_folders() - set(SETUPTOOLS["packages"])
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_folders_install_under_the_kits_own_names():
    assert SETUPTOOLS["package-dir"] == {"agentid_components": "components", "agentid_policy_packs": "policy_packs"}


OLD_IMPORT = re.compile(r"^\s*(from|import)\s+(components|policy_packs)\b", re.MULTILINE)


def test_no_source_imports_the_folder_names():
    """`import components` would work inside the repository (cwd on sys.path) and break once installed."""
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("agentid", "components", "policy_packs", "stacks", "tests", "bench", "scripts", "docs")
        for path in (REPO / folder).rglob("*.py")
        if ".venv" not in path.parts and OLD_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders
