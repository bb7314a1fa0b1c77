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
* `runtime:` holds `name` and `options` only, and `runtime.options` is an allow-list (`runtime_options`):
  `toolchain: pip` and `virtualenv` are judged; `typechecker` (mypy or pyright run on the project before the
  program, loading plugins and configuration from it), `toolchain: uv` (`uv run` syncs the nearest
  pyproject.toml: builds the project, its path/git/URL sources, from its indexes) and `toolchain: poetry`
  (poetry loads `.poetry/plugins` and the project's plugin and virtualenv settings) run code the pull request
  chooses before the program: refused, as is any option the gate does not know.
* The virtualenv Pulumi would run the program with (`virtualenv`) is the environment the gate runs the program
  with too (`interpreter`): its `bin/python`, so that the interpreter's own start-up processes its site-packages
  (`*.pth` import lines, `sitecustomize`, `usercustomize`, every package the program imports) exactly as at
  `pulumi up`, inside the gate's sandbox. When the named virtualenv does not exist at gate time, `pulumi up`
  creates it and runs `pip install -r requirements.txt` (sdk/python/toolchain/pip.go EnsureVenv,
  InstallDependencies): every requirement must then be a registry one (`requirements_problem`), as `packages:`
  sources must.
* Top-level modules in the directories Pulumi runs `python -m pip|venv|...` in (the program's directory and the
  project root): `-m` puts the working directory first on `sys.path`, so a project-root `pip/` or `json.py` runs
  with the deployer's environment before the program (`shadowing_modules`). Refused.
* `name`, `main`, `stackConfigDir`, `config`, `runtime` are read by `stack_config`; `description`, `author`,
  `website`, `license`, `template` (used by `pulumi new` only) and `options.refresh` (refresh state first)
  change no code that runs and nothing the program registers: ignored. `backend.url` chooses where `pulumi up`
  sends the Pulumi access token and the deployer's cloud credentials read and write the state: accepted only
  when it equals a URL the gate's operator passes (`--backend-url`), never on the pull request's word.
  Any other key is refused: the schema grows keys that change what runs (`packages:` arrived in Pulumi 3.157).
"""

from __future__ import annotations

import configparser
import importlib.machinery
import os
import re
import sys
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from agentid.preview.stack_config import ConfigError, Project

# Keys Pulumi's project schema defines that change nothing the gate judges (see the module docstring).
IGNORED_KEYS = frozenset({"description", "author", "website", "license", "template", "options"})
READ_KEYS = frozenset({"name", "main", "stackConfigDir", "config", "runtime"})
JUDGED_KEYS = frozenset({"plugins", "packages", "backend"})  # check_project_file, require_trusted_backend
_OPTIONS = {"refresh": "always"}  # project.json: options.refresh is the only option, const "always"
_BACKEND = frozenset({"url"})

TOOLCHAINS = ("pip", "poetry", "uv")  # https://www.pulumi.com/docs/iac/languages-sdks/python/#toolchains
RUNTIME_KEYS = frozenset({"name", "options"})  # project.json: runtime {name, options}
# The runtime options Pulumi's Python language host reads (sdk/python/cmd/pulumi-language-python/main.go): the gate
# judges `toolchain` and `virtualenv` and refuses `typechecker`; any other key gets no verdict.
RUNTIME_OPTIONS = ("toolchain", "virtualenv", "typechecker")
# requirements.txt options that change no source: what may stand on an option line when `pulumi up` will run
# `pip install -r requirements.txt` (https://pip.pypa.io/en/stable/reference/requirements-file-format/)
_HARMLESS_PIP_OPTIONS = frozenset({"--require-hashes", "--only-binary", "--prefer-binary", "--pre"})
_PIP_INCLUDES = frozenset({"-r", "--requirement", "-c", "--constraint"})
_ARCHIVE = (".whl", ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lz", ".tlz")
# A registry requirement (PEP 508 without a URL): name, extras, version specifiers, markers.
_REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*"
                          r"(?P<spec>\(?\s*(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*\)?)\s*(;[^@]*)?")

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
    known = READ_KEYS | IGNORED_KEYS | JUDGED_KEYS
    unknown = sorted(str(key) for key in document if key not in known)
    if unknown:
        raise ConfigError(f"{where}: {', '.join(unknown)}: not a Pulumi project key the gate knows ({', '.join(sorted(known))}); "
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
                raise ConfigError(f"{where}: packages: {name}: {problem}: {_not_from_registry('provider')} "
                                  "(use a registry package, `name` or `name@version`)")
    options = document.get("options")
    if options is not None and (not isinstance(options, dict) or any(_OPTIONS.get(k) != v for k, v in options.items())):
        raise ConfigError(f"{where}: options: Pulumi knows only `refresh: always` there")
    backend = document.get("backend")
    if backend is not None and (not isinstance(backend, dict) or not set(backend) <= _BACKEND):
        raise ConfigError(f"{where}: backend: Pulumi knows only `url` there")


def require_trusted_backend(project: Project, trusted: Sequence[str]) -> None:
    """`backend.url` wins over `pulumi login`'s stored backend at `pulumi up` (only a non-empty PULUMI_BACKEND_URL
    beats it: pulumi/pulumi pkg/workspace/creds.go GetCurrentCloudURLWithSource): the CLI sends PULUMI_ACCESS_TOKEN
    to that host, or reads and writes the whole state (every output, the provider configuration) in that bucket
    with the deployer's cloud credentials, and updates or deletes the resources an attacker-written state names.
    Accepted only when it equals a URL the gate's operator passed (`--backend-url`); ConfigError otherwise."""
    url = project.backend.get("url") if isinstance(project.backend, dict) else None
    if url is None or url in trusted:
        return
    accepted = f"the operator passed {', '.join(map(repr, trusted))}" if trusted else "the operator passed none"
    raise ConfigError(f"{project.relative(project.file)}: backend.url: {url!r}: `pulumi up` would send the Pulumi "
                      "access token to that backend, or read and write the stack's state there with the deployer's "
                      "credentials; the gate accepts only a backend its operator names with --backend-url "
                      f"({accepted}): no verdict (remove the key, or pass --backend-url)")


def _not_from_registry(what: str) -> str:
    """Why a source other than the registry is refused (`packages:`, requirements.txt): one reason, one wording."""
    return (f"`pulumi up` would build or download and run that {what} from a source the pull request chooses, "
            "which the gate cannot see: no verdict")


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


def runtime_options(project: Project) -> dict[str, Any]:
    """`runtime.options`, every key either judged or refused (ConfigError, exit 2: no verdict): an allow-list, so
    that an option Pulumi adds, or one the gate has not reproduced, never passes unseen."""
    runtime = project.runtime
    if not isinstance(runtime, dict):
        return {}
    where = project.relative(project.file)
    extra = sorted(str(key) for key in runtime if key not in RUNTIME_KEYS)
    if extra:
        raise ConfigError(f"{where}: runtime: {', '.join(extra)}: Pulumi's `runtime:` holds only `name` and `options`; "
                          "the gate cannot tell what it changes: no verdict")
    options = runtime.get("options")
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: runtime.options must be a mapping")
    accepted = "it accepts `toolchain: pip` and `virtualenv: <folder>`"
    unknown = sorted(str(key) for key in options if key not in RUNTIME_OPTIONS)
    if unknown:
        raise ConfigError(f"{where}: runtime.options: {', '.join(unknown)}: not an option the gate knows ({accepted}); "
                          "it cannot tell what it makes `pulumi up` run: no verdict")
    if "typechecker" in options:
        raise ConfigError(f"{where}: runtime.options.typechecker: {options['typechecker']!r}: `pulumi preview`/`up` "
                          "runs that type checker on the project before the program, with the deployer's environment, "
                          "and mypy or pyright load plugins and configuration from the project (mypy.ini, .mypy.ini, "
                          "setup.cfg, pyproject.toml, pyrightconfig.json): code the gate neither runs nor judges: no "
                          f"verdict (remove it, and type-check in CI without deploy credentials; {accepted})")
    toolchain = options.get("toolchain", "pip")
    if toolchain in ("uv", "poetry"):
        runs = ("`uv run` syncs the nearest pyproject.toml first (it builds the project with its build backend or "
                "setup.py, installs path, git and URL sources, reads the project's indexes, uv.toml and uv.lock)"
                if toolchain == "uv" else
                "poetry loads the project's `.poetry/plugins` (its `.pth` lines run), installs "
                "`requires-plugins`, and reads poetry.toml's virtualenv settings whenever Pulumi asks it for the "
                "environment")
        raise ConfigError(f"{where}: runtime.options.toolchain: {toolchain}: at `pulumi preview`/`up` {runs}, with "
                          "the deployer's environment, before the program: code the pull request chooses that the "
                          f"gate does not reproduce: no verdict ({accepted})")
    if toolchain not in TOOLCHAINS:
        raise ConfigError(f"{where}: runtime.options.toolchain: {toolchain!r} is not one of {', '.join(TOOLCHAINS)}")
    named = options.get("virtualenv")
    if named is not None and not isinstance(named, str):
        raise ConfigError(f"{where}: runtime.options.virtualenv must be a path")
    return options


def virtualenv(project: Project) -> Path | None:
    """The virtualenv `pulumi up` runs the program with (`runtime.options.virtualenv`, relative to the project
    root) when it exists in the project at gate time, else None (Pulumi then runs the `python` on PATH, and the
    gate its own). When the named virtualenv is missing, `pulumi up` creates it and installs requirements.txt
    (sdk/python/toolchain/pip.go EnsureVenv): ConfigError unless every requirement there is a registry one.
    ConfigError for options the gate refuses (`runtime_options`)."""
    named = runtime_options(project).get("virtualenv")
    if named is None:
        return None
    folder = project.root / named
    if any(os.path.lexists(folder / name) for name in ("bin/python", "bin/python3", "Scripts/python.exe")):
        return folder
    require_registry_requirements(project)
    return None


def require_registry_requirements(project: Project) -> None:
    """`pip install -r requirements.txt` in the folder Pulumi's host installs from installs only registry
    requirements: ConfigError naming the file, the line and the option or requirement otherwise. That folder is
    the program's (GetRequiredPackages passes `ProgramDirectory` to EnsureVenv, whose InstallDependencies runs pip
    there); the project root's requirements.txt is read too, for `pulumi install` and older hosts."""
    for folder in dict.fromkeys((project.root, project.main_dir)):
        file = folder / "requirements.txt"
        if file.is_file():
            problem = requirements_problem(file, project.root)
            if problem:
                raise ConfigError(f"{problem}: the virtualenv {runtime_options(project)['virtualenv']!r} does not "
                                  "exist, so `pulumi up` creates it and runs `pip install -r requirements.txt`, "
                                  f"and {_not_from_registry('package')} (the gate accepts registry requirements, "
                                  "`name[extras] <specifiers> ; <markers>` with `--hash`, and the options "
                                  f"{', '.join(sorted(_HARMLESS_PIP_OPTIONS))}; or create the virtualenv before "
                                  "the gate runs, so that it judges what is installed)")


def requirements_problem(file: Path, root: Path, seen: frozenset[Path] = frozenset()) -> str | None:
    """The first line of a pip requirements file (and the files it includes with -r/-c) that is not a registry
    requirement or a harmless option, as `FILE:LINE: what`, or None. pip's format: `#` comments, `\\` line
    continuations, option lines, and PEP 508 requirements, where `name @ URL`, a path, an archive file name or
    an `-e`/`--editable` line builds or fetches code from where the file says."""
    shown = file.relative_to(root).as_posix() if file.is_relative_to(root) else str(file)
    if file in seen or len(seen) > 20:
        return f"{shown}: included again (a loop or too deep)"
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        return f"{shown}: cannot be read ({problem})"
    number, pending = 0, ""
    for index, raw in enumerate(text.splitlines(), 1):
        if not pending:
            number = index
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line, pending = re.sub(r"(^|\s)#.*$", "", pending + raw).strip(), ""
        if not line:
            continue
        where = f"{shown}:{number}"
        words = line.split()
        if line.startswith("-"):
            option, _, value = words[0].partition("=")
            value = value or (words[1] if len(words) > 1 else "")
            if option in _PIP_INCLUDES:
                included = (file.parent / value).resolve()
                if "://" in value or not included.is_relative_to(root.resolve()) or not included.is_file():
                    return f"{where}: {option} {value}: not a file in the project"
                problem = requirements_problem(included, root, seen | {file})
                if problem:
                    return problem
            elif option not in _HARMLESS_PIP_OPTIONS:
                return f"{where}: {option}: an option that changes where packages come from or how they build"
            continue
        requirement, _, options = line.partition(" -")
        extra = [word for word in ("-" + options).split() if options and not word.startswith("--hash")]
        match = _REQUIREMENT.fullmatch(requirement.strip())
        if extra:
            return f"{where}: {extra[0]}: an option that changes where the package comes from or how it builds"
        if match is None or match["name"].lower().endswith(_ARCHIVE) or "$" in requirement:
            return f"{where}: {requirement.strip()!r} is not a registry requirement (a URL, path or archive)"
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
    toolchain = runtime_options(project).get("toolchain", "pip")
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
