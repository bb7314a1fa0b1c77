"""What `pulumi up` would run for a project besides its program: the gate refuses what it cannot reproduce.

The project file (`Pulumi.yaml`, schema: https://www.pulumi.com/docs/iac/concepts/projects/project-file/ and
pulumi/pulumi sdk/go/common/workspace/project.json) and the files in the directories Pulumi's Python language host
works in decide more than the program: which binaries the engine runs, which interpreter and site-packages run
the program, which modules `python -m pip` imports. Each is either reproduced by the gate or refused (ConfigError,
exit 2: no verdict), never ignored:

* `plugins:` (providers, languages, analyzers from local folders) replaces the binaries the engine runs: the
  aws provider, the Python language host itself (any program at all), the policy analyzer (`--policy-pack`, the
  gate's backstop). Refused.
* `packages:` from a local path, a git or URL source, or with a `pluginDownloadURL`: the engine builds or
  downloads and runs that provider. Refused; a registry package (`name`, `name@version`) is a provider like any
  other, judged by its resources' type tokens.
* `runtime.options`: the virtualenv Pulumi would run the program with (`virtualenv`, or uv's/poetry's `.venv`) is
  the environment the gate runs the program with too (`interpreter`): its `bin/python`, so that the interpreter's
  own start-up processes its site-packages (`*.pth` import lines, `sitecustomize`, `usercustomize`, every package
  the program imports) exactly as at `pulumi up`, inside the gate's sandbox.
* Top-level modules in the directories Pulumi runs `python -m pip|venv|mypy|...` in (the program's directory, and
  the project root for uv/poetry): `-m` puts the working directory first on `sys.path`, so a project-root
  `pip/` or `json.py` runs with the deployer's environment before the program (`shadowing_modules`). Refused.
* `name`, `main`, `stackConfigDir`, `config`, `runtime` are read by `stack_config`; `description`, `author`,
  `website`, `license`, `template` (used by `pulumi new` only), `backend` (where state is kept) and
  `options.refresh` (refresh state first) change no code that runs and nothing the program registers: ignored.
  Any other key is refused: the schema grows keys that change what runs (`packages:` arrived in Pulumi 3.157).
"""

from __future__ import annotations

import configparser
import importlib.machinery
import os
import re
import sys
from pathlib import Path
from typing import Any

from agentid.preview.stack_config import ConfigError, Project

# Keys Pulumi's project schema defines that change nothing the gate judges (see the module docstring).
IGNORED_KEYS = frozenset({"description", "author", "website", "license", "template", "backend", "options"})
READ_KEYS = frozenset({"name", "main", "stackConfigDir", "config", "runtime"})
_OPTIONS = {"refresh": "always"}  # project.json: options.refresh is the only option, const "always"
_BACKEND = frozenset({"url"})

TOOLCHAINS = ("pip", "poetry", "uv")  # https://www.pulumi.com/docs/iac/languages-sdks/python/#toolchains

# Modules Pulumi's Python language host (or the toolchain it drives) runs with `python -m` in the project:
# pip list/show/install, venv (EnsureVenv), ensurepip (venv's bootstrap), the typecheckers, debugpy
# (pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go, sdk/python/toolchain/*.go), and what they
# import first (setuptools, pkg_resources, wheel, distutils and setuptools' _distutils_hack).
TOOLCHAIN_MODULES = frozenset({"pip", "setuptools", "pkg_resources", "wheel", "venv", "ensurepip", "distutils",
                               "_distutils_hack", "mypy", "pyright", "debugpy", "uv", "poetry", "virtualenv"})

# A package source Pulumi resolves from its registry: `name` or `name@version` (no path, no scheme, no host).
_REGISTRY_PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(@[A-Za-z0-9_.+-]+)?")


def check_project_file(project: Project, document: dict[str, Any]) -> None:
    """Refuse a project file whose keys make `pulumi up` run something the gate does not; ConfigError."""
    where = project.relative(project.file)
    unknown = sorted(str(key) for key in document if key not in READ_KEYS | IGNORED_KEYS | {"plugins", "packages"})
    if unknown:
        raise ConfigError(f"{where}: {', '.join(unknown)}: not a Pulumi project key the gate knows ({', '.join(sorted(READ_KEYS | IGNORED_KEYS))}); "
                          "it cannot tell whether it changes what `pulumi up` runs: no verdict")
    plugins = document.get("plugins")
    if plugins:
        kinds = sorted(str(kind) for kind in plugins) if isinstance(plugins, dict) else ["plugins"]
        raise ConfigError(f"{where}: plugins: {', '.join(kinds)}: `pulumi up` would run the binaries in the folders "
                          "named there as the engine's provider, language host or policy analyzer, not the ones the "
                          "gate judges for: no verdict (plugins: is for developing plugins; remove it)")
    packages = document.get("packages")
    if packages:
        if not isinstance(packages, dict):
            raise ConfigError(f"{where}: packages must be a mapping of package name to source")
        for name, spec in packages.items():
            problem = _package_problem(spec)
            if problem:
                raise ConfigError(f"{where}: packages: {name}: {problem}: `pulumi up` would build or download and run "
                                  "that provider, which the gate cannot see: no verdict (use a registry package, "
                                  "`name` or `name@version`)")
    options = document.get("options")
    if options is not None and (not isinstance(options, dict) or any(_OPTIONS.get(k) != v for k, v in options.items())):
        raise ConfigError(f"{where}: options: Pulumi knows only `refresh: always` there")
    backend = document.get("backend")
    if backend is not None and (not isinstance(backend, dict) or not set(backend) <= _BACKEND):
        raise ConfigError(f"{where}: backend: Pulumi knows only `url` there")


def _package_problem(spec: Any) -> str | None:
    """Why a `packages:` entry is not a plain registry package, or None."""
    if isinstance(spec, dict):
        if spec.get("pluginDownloadURL"):
            return f"pluginDownloadURL {spec['pluginDownloadURL']!r}"
        source = spec.get("source")
    else:
        source = spec
    if not isinstance(source, str) or not _REGISTRY_PACKAGE.fullmatch(source):
        return f"source {source!r} is a local path, a git or URL source, or unreadable"
    return None


def virtualenv(project: Project) -> Path | None:
    """The virtualenv `pulumi up` runs the program with, when it exists in the project at gate time, else None
    (Pulumi then runs the `python` on PATH, and the gate its own). As Pulumi's toolchains find it
    (sdk/python/toolchain): `runtime.options.virtualenv` (relative to the project root), else for uv and poetry
    the `.venv` in the program's folder or the project's (uv: https://docs.astral.sh/uv/concepts/projects/layout/;
    poetry: virtualenvs.in-project). ConfigError for options Pulumi refuses."""
    runtime = project.runtime
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if options is None:
        return None
    where = project.relative(project.file)
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: runtime.options must be a mapping")
    toolchain = options.get("toolchain", "pip")
    if toolchain not in TOOLCHAINS:
        raise ConfigError(f"{where}: runtime.options.toolchain: {toolchain!r} is not one of {', '.join(TOOLCHAINS)}")
    named = options.get("virtualenv")
    if named is not None and not isinstance(named, str):
        raise ConfigError(f"{where}: runtime.options.virtualenv must be a path")
    if named is not None:
        candidates = [project.root / named]
    elif toolchain in ("uv", "poetry"):
        candidates = [folder / ".venv" for folder in dict.fromkeys((project.main_dir, project.root))]
    else:
        return None
    for folder in candidates:
        if any(os.path.lexists(folder / name) for name in ("bin/python", "bin/python3", "Scripts/python.exe")):
            return folder
    return None


def interpreter(project: Project) -> str | None:
    """The interpreter the gate runs the program with: the project's virtualenv's `bin/python` (unresolved, so
    that its start-up finds `pyvenv.cfg` and processes that environment's site-packages), or None (the gate's
    own). ConfigError when that virtualenv's interpreter is not one the gate can run as `pulumi up` would:
    a script (the change provides another program), a binary inside the project tree (the change provides the
    interpreter), or no `pyvenv.cfg` (not a virtualenv: the interpreter runs with its own site-packages)."""
    folder = virtualenv(project)
    if folder is None:
        return None
    shown = project.relative(folder)
    python = folder / "bin" / "python"
    if not os.path.lexists(python):
        python = folder / ("bin/python3" if os.path.lexists(folder / "bin/python3") else "Scripts/python.exe")
    toolchain = project.runtime["options"].get("toolchain", "pip")  # virtualenv() found one: options are read
    where = (f"{project.relative(project.file)}: runtime.options ({toolchain}): "
             f"{shown}/{python.relative_to(folder).as_posix()}")
    target = python.resolve()
    if not _is_python_binary(target):
        raise ConfigError(f"{where} is not a Python interpreter (a script?), so `pulumi up` would run what the "
                          "repository provides there, not the program the gate judges")
    if target.is_relative_to(project.root.resolve()):
        raise ConfigError(f"{where} is a binary inside the project tree ({project.relative(target)}): the change "
                          "provides the interpreter `pulumi up` runs; make the virtualenv with links to an installed "
                          "Python (`python -m venv`, the default on Linux), not committed or copied binaries")
    if not (folder / "pyvenv.cfg").is_file():
        raise ConfigError(f"{where}: {shown} has no pyvenv.cfg, so it is not a virtualenv Python's start-up "
                          "recognises; make it with `python -m venv`")
    _check_pyvenv_cfg(folder / "pyvenv.cfg", where)
    return str(python.absolute())


def _check_pyvenv_cfg(file: Path, where: str) -> None:
    """pyvenv.cfg must be the small key = value file `python -m venv` writes (site.py reads it at start-up)."""
    try:
        if file.stat().st_size > 64 * 1024:
            raise ConfigError(f"{where}: pyvenv.cfg is larger than 64 KiB: not one `python -m venv` writes")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string("[venv]\n" + file.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error) as problem:
        raise ConfigError(f"{where}: pyvenv.cfg cannot be read ({problem})") from None


def _is_python_binary(path: Path) -> bool:
    """An executable file starting with ELF or Mach-O magic (a real interpreter), not a script."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"MZ\x90\x00")
    except OSError:
        return False


def shadowing_modules(project: Project) -> list[Path]:
    """Top-level modules in the directories Pulumi's language host runs `python -m MODULE` in (the program's
    folder, its working directory; and the project root, uv's and poetry's command folder) that take the place
    of a module those commands import: a toolchain module (`TOOLCHAIN_MODULES`) or any standard-library module
    (`sys.stdlib_module_names`). `-m` and `-c` put the working directory first on `sys.path`
    (https://docs.python.org/3/using/cmdline.html#cmdoption-m), so `./pip/__main__.py` or `./json.py` runs at
    `pulumi preview`/`up` with the deployer's environment, before the program. A module is a file NAME<suffix>
    for any import suffix (.py, .pyc, extension modules) or a folder NAME holding `__init__` or `__main__` (a
    folder without either is a namespace portion, which an installed module of that name always wins over)."""
    names = TOOLCHAIN_MODULES | set(sys.stdlib_module_names)
    suffixes = tuple(importlib.machinery.all_suffixes())
    found: list[Path] = []
    for folder in dict.fromkeys((project.main_dir, project.root)):
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if entry.is_dir():
                module = name
                is_module = any((entry / f"{marker}{suffix}").exists()
                                for marker in ("__init__", "__main__") for suffix in suffixes)
            else:
                module = next((name[:-len(suffix)] for suffix in suffixes if name.endswith(suffix)), "")
                is_module = bool(module)
            if is_module and module in names:
                found.append(entry)
    return found


def require_no_shadowing_modules(project: Project) -> None:
    found = shadowing_modules(project)
    if found:
        shown = ", ".join(project.relative(path) + ("/" if path.is_dir() else "") for path in found[:5])
        raise ConfigError(f"{shown}: named like a module Python's toolchain or standard library provides; Pulumi's "
                          "language host runs `python -m pip` (and venv, mypy...) in this folder, where `-m` imports "
                          "it first, so it would run at `pulumi up` with the deployer's environment before the "
                          "program: no verdict (rename it or move it into a package)")
