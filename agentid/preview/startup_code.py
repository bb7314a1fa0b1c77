"""Start-up code the pull request itself puts in a virtualenv: refused (red21 r21-7).

The gate runs the program with the project's virtualenv (`project_runtime.interpreter`), so that the packages and
start-up code of that environment run as at `pulumi up`. But Python's start-up (site.py) runs a `.pth` file's
`import` lines and `sitecustomize` / `usercustomize` BEFORE the gate's watch of the program (AGID-GATE-002) is
installed: a process, socket or cloud call made there is not seen, and at `pulumi up` it runs with the deployer's
credentials and network. A virtualenv the deploy job makes (`python -m venv`, `pip install -r requirements.txt`)
holds the installed packages' start-up code; a virtualenv the pull request COMMITS holds start-up code of the
pull request's choosing. So:

* In a git checkout (what a CI job judges), any file the checkout tracks (`git ls-files`, submodules included)
  inside a virtualenv (a folder holding `pyvenv.cfg`, or a tracked `pyvenv.cfg` itself) or inside a
  `site-packages` / `dist-packages` folder anywhere in the project is refused: exit 2, naming the file. A
  virtualenv the runner made in the checkout (untracked: the README's quick start, Pulumi's `venv` default)
  is not the pull request's and runs as before.
* Outside a git checkout the gate cannot tell who made the virtualenv the deploy would use, so its start-up code
  is judged: a `.pth` file with an executable line (`import ...`: site.py executes those) and a
  `sitecustomize.py` / `usercustomize.py` in its site-packages are refused unless the gate's own environment
  holds the same file, byte for byte (setuptools' `distutils-precedence.pth`, an editable install's finder:
  packages the gate itself runs with).
"""

from __future__ import annotations

import os
import site
import subprocess
from pathlib import Path

from agentid.preview import project_runtime
from agentid.preview.stack_config import ConfigError, Project

SITE_FOLDERS = frozenset({"site-packages", "dist-packages"})
CUSTOMIZE = ("sitecustomize.py", "usercustomize.py")
_REMEDY = ("a virtualenv's start-up code (.pth import lines, sitecustomize) runs before the gate's watch of the "
           "program (AGID-GATE-002) and, at `pulumi up`, with the deployer's credentials: no verdict. Do not commit "
           "virtualenvs (add them to .gitignore); let the deploy job create one with `python -m venv` and install "
           "the requirements into it")


def check(project: Project) -> None:
    """ConfigError when the pull request provides start-up code of a virtualenv (module docstring)."""
    tracked = _tracked(project.root)
    if tracked is not None:
        found = committed_virtualenv_files(project.root, tracked)
        if found:
            shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
            raise ConfigError(f"{shown}: tracked by the checkout inside a virtualenv or site-packages folder, so the "
                              f"pull request provides that environment's content; {_REMEDY}")
        return
    folder = project_runtime.virtualenv(project)
    if folder is None:
        return
    found = foreign_start_up_files(folder)
    if found:
        shown = ", ".join(project.relative(path) for path in found[:3])
        raise ConfigError(f"{shown}: start-up code in the virtualenv `pulumi up` would run the program with, which "
                          "the gate's own environment does not have, and the project is not a git checkout, so the "
                          f"gate cannot tell whether the change provides it; {_REMEDY}")


def _tracked(root: Path) -> list[str] | None:
    """The files the git checkout holding `root` tracks under it, relative to `root`; None when it is no checkout."""
    try:
        inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True,
                                text=True, timeout=60)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        listed = subprocess.run(["git", "ls-files", "-z", "--recurse-submodules", "--", "."], cwd=root,
                                capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigError(f"git ls-files in {root}: {error}") from None
    if listed.returncode != 0:
        raise ConfigError(f"git ls-files in {root}: {listed.stderr.decode(errors='replace').strip()[:200]}")
    return [name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def committed_virtualenv_files(root: Path, tracked: list[str]) -> list[str]:
    """The tracked paths (relative to `root`) inside a virtualenv or a site-packages folder."""
    venvs = {str(Path(name).parent) for name in tracked if Path(name).name == "pyvenv.cfg"}
    is_venv: dict[str, bool] = {}

    def in_venv(name: str) -> bool:
        for parent in Path(name).parents:
            key = str(parent)
            if key == ".":
                return False
            if key not in is_venv:
                is_venv[key] = key in venvs or os.path.isfile(root / key / "pyvenv.cfg")
            if is_venv[key]:
                return True
        return False

    return [name for name in tracked
            if Path(name).name == "pyvenv.cfg" or SITE_FOLDERS & set(Path(name).parts) or in_venv(name)]


def foreign_start_up_files(folder: Path) -> list[Path]:
    """The start-up files of the virtualenv's site-packages that run code and that the gate's own environment does
    not hold identically."""
    ours = _gate_start_up_files()
    found: list[Path] = []
    for packages in sorted([*folder.glob("lib/python*/site-packages"), *folder.glob("lib/python*/dist-packages"),
                            *folder.glob("Lib/site-packages")]):
        for entry in sorted(packages.iterdir()):
            if not entry.is_file() or not (entry.suffix == ".pth" or entry.name in CUSTOMIZE):
                continue
            try:
                content = entry.read_bytes()
            except OSError:
                found.append(entry)
                continue
            if entry.suffix == ".pth" and not any(line.startswith((b"import ", b"import\t"))
                                                  for line in content.splitlines()):
                continue  # path lines and comments only: site.py adds folders to sys.path, runs nothing
            if ours.get(entry.name) != content:
                found.append(entry)
    return found


def _gate_start_up_files() -> dict[str, bytes]:
    """The .pth and *customize files of the gate's own site-packages folders, by name."""
    files: dict[str, bytes] = {}
    folders = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    for path in dict.fromkeys(folders):
        try:
            entries = list(Path(path).iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_file() and (entry.suffix == ".pth" or entry.name in CUSTOMIZE):
                try:
                    files.setdefault(entry.name, entry.read_bytes())
                except OSError:
                    pass
    return files
