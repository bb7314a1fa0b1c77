"""What `pulumi up` runs besides the program is what the gate runs, or the gate gives no verdict (red11b 1, 8, 14,
15 and `main: FILE`). End-to-end `agentid preview` runs of small projects; each hostile project is flagged (exit 1)
or refused (exit 2), and its harmless look-alike passes (exit 0).

Facts (pulumi/pulumi, sdk/python/cmd/pulumi-language-python/main.go and pulumi-language-python-exec,
sdk/python/toolchain/pip.go, pkg/engine/project.go; Python's site.py and runpy): `pulumi up` runs the program with
`<virtualenv>/bin/python`, whose start-up processes that environment's site-packages; it sets no PYTHONPATH, and
runpy.run_path puts the program's folder on sys.path only after start-up; it runs `python -m pip` in the program's
folder; `main:` may name a file, which run_path runs.
"""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

import pytest

from agentid.preview.project_runtime import shadowing_modules
from agentid.preview.stack_config import ConfigError, find_project

from .conftest import AGENT_GUARD, run_cli

GUARD = ("--policy-pack", str(AGENT_GUARD))

# Registers an access key (AGID-AWS-001, mandatory) only when start-up code set ACME_BOOT: the key is what
# `pulumi up` would create.
KEY_WHEN_BOOTED = ("import os\nimport pulumi_aws as aws\n"
                   "aws.s3.Bucket('logs')\n"
                   "if os.environ.get('ACME_BOOT'):\n"
                   "    aws.iam.AccessKey('leak', user='ci')\n")
# Registers the key only when start-up code did NOT set ACME_LOCAL (a program hiding from a local check).
KEY_UNLESS_LOCAL = ("import os\nimport pulumi_aws as aws\n"
                    "aws.s3.Bucket('logs')\n"
                    "if not os.environ.get('ACME_LOCAL'):\n"
                    "    aws.iam.AccessKey('leak', user='ci')\n")


def small_project(root: Path, program: str, project_file: str = "name: acme\nruntime: python\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(project_file)
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(program)
    return root


def make_virtualenv(folder: Path, **site_files: str) -> Path:
    """A virtualenv as `python -m venv` lays it out (bin/python a link to an installed Python, pyvenv.cfg), whose
    site-packages reaches the test run's packages (an import line processing our own site-packages, as a .pth may)
    and holds `site_files` (file name -> text)."""
    base = Path(sys.executable).resolve()
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").symlink_to(base)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "pyvenv.cfg").write_text(f"home = {base.parent}\ninclude-system-site-packages = false\n"
                                       f"version = {sys.version.split()[0]}\n")
    packages = folder / "lib" / f"python{version}" / "site-packages"
    packages.mkdir(parents=True)
    ours = "; ".join(f"site.addsitedir({path!r})" for path in site.getsitepackages())
    # the import line processes our folders' own .pth files (the kit's editable install); the path lines after it
    # add nothing more, but name the folders where the gate reads which SDK releases the program imports
    paths = "".join(f"{path}\n" for path in site.getsitepackages())
    (packages / "00_kit.pth").write_text(f"import site; {ours}\n{paths}")
    for name, text in site_files.items():
        (packages / name).write_text(text)
    # the project is a git checkout that does not track the virtualenv: one the deploy job made, as in CI (a
    # committed one, or one outside any checkout with start-up code the gate lacks, is refused: startup_code.py)
    if subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=folder.parent, capture_output=True).returncode:
        subprocess.run(["git", "init", "-q"], cwd=folder.parent, check=True)
    return folder


def violations(run) -> list[tuple[str, str]]:
    return sorted((v["policy"], v["resourceName"]) for v in run.json("out.json")["violations"])


# --- 1: the project's virtualenv runs the program, with its start-up code -------------------------------------

VENV_PROJECT = "name: acme\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"


@pytest.mark.parametrize("site_files", [
    {"zz_boot.pth": "import os; os.environ['ACME_BOOT'] = '1'\n"},  # a .pth import line
    {"sitecustomize.py": "import os\nos.environ['ACME_BOOT'] = '1'\n"},
    {"acme_boot.py": "import os\nos.environ['ACME_BOOT'] = '1'\n", "zz.pth": "import acme_boot\n"},
], ids=["pth", "sitecustomize", "pth-imports-module"])
def test_start_up_code_of_the_projects_virtualenv_runs_in_the_gate_as_at_pulumi_up(tmp_path: Path,
                                                                                   site_files: dict) -> None:
    project = small_project(tmp_path / "p", KEY_WHEN_BOOTED, VENV_PROJECT)
    make_virtualenv(project / "venv", **site_files)
    run = run_cli(project, *GUARD, "--stack", "dev", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert ("AGID-AWS-001", "leak") in violations(run)


def test_a_package_only_the_virtualenv_has_is_the_one_the_program_imports(tmp_path: Path) -> None:
    program = "import acme_infra\n"  # the package registers the key: under `pulumi up` from the project's venv
    project = small_project(tmp_path / "p", program, VENV_PROJECT)
    make_virtualenv(project / "venv", **{"acme_infra.py": "import pulumi_aws as aws\naws.iam.AccessKey('leak', "
                                                          "user='ci')\n"})
    run = run_cli(project, *GUARD, "--stack", "dev", "--json", "out.json")
    assert run.code == 1 and ("AGID-AWS-001", "leak") in violations(run), run.stdout + run.stderr


@pytest.mark.parametrize(("layout", "message"), [
    ("no-cfg", "venv has no pyvenv.cfg"),
    ("copied", "is a binary inside the project tree"),
])
def test_a_virtualenv_the_gate_cannot_run_as_pulumi_would_gets_no_verdict(tmp_path: Path, layout: str,
                                                                          message: str) -> None:
    project = small_project(tmp_path / "p", KEY_WHEN_BOOTED, VENV_PROJECT)
    venv = make_virtualenv(project / "venv")
    if layout == "no-cfg":
        (venv / "pyvenv.cfg").unlink()
    else:  # a committed copy of an interpreter: the change provides the binary `pulumi up` runs
        (venv / "bin" / "python").unlink()
        (venv / "bin" / "python").write_bytes(Path(sys.executable).resolve().read_bytes())
        (venv / "bin" / "python").chmod(0o755)
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2 and message in run.stdout, run.stdout


# --- 14: the project is not on the program's path at start-up ----------------------------------------------------

@pytest.mark.parametrize("name", ["sitecustomize.py", "usercustomize.py"])
def test_a_project_root_site_customisation_does_not_run_in_the_gate_either(tmp_path: Path, name: str) -> None:
    """red11b 14: the gate put the project root on PYTHONPATH, so site.py imported a project-root sitecustomize.py
    at start-up (ACME_LOCAL set: the key hidden); Pulumi's host sets no PYTHONPATH and the key is created."""
    project = small_project(tmp_path / "p", KEY_UNLESS_LOCAL)
    (project / name).write_text("import os\nos.environ['ACME_LOCAL'] = '1'\n")
    run = run_cli(project, *GUARD, "--stack", "dev", "--json", "out.json")
    assert run.code == 1 and ("AGID-AWS-001", "leak") in violations(run), run.stdout + run.stderr


def test_the_programs_own_modules_still_import_while_its_body_runs(tmp_path: Path) -> None:
    # run_path puts the program's folder first on sys.path for the body: a sibling module imports as under Pulumi
    project = small_project(tmp_path / "p", "import helpers\n")
    (project / "helpers.py").write_text("import pulumi_aws as aws\naws.iam.AccessKey('leak', user='ci')\n")
    run = run_cli(project, *GUARD, "--stack", "dev", "--json", "out.json")
    assert run.code == 1 and ("AGID-AWS-001", "leak") in violations(run), run.stdout + run.stderr


# --- main: a file ----------------------------------------------------------------------------------------------

def test_main_naming_a_file_runs_that_file(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", "import pulumi_aws as aws\naws.s3.Bucket('logs')\n",
                            "name: acme\nruntime: python\nmain: src/deploy.py\n")
    (project / "src").mkdir()
    (project / "src" / "deploy.py").write_text("import pulumi_aws as aws\naws.iam.AccessKey('leak', user='ci')\n")
    run = run_cli(project, *GUARD, "--stack", "dev", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert violations(run) == [("AGID-AWS-001", "leak")]  # deploy.py ran, the project's __main__.py did not
    assert "running src/deploy.py" in run.stderr + run.stdout


# --- 8: project-file keys that change what runs ------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "message"), [
    ("plugins:\n  providers:\n    - name: aws\n      path: ./bin\n", "plugins: providers:"),
    ("plugins:\n  languages:\n    - name: python\n      path: ./bin\n", "plugins: languages:"),
    ("plugins:\n  analyzers:\n    - name: policy\n      path: ./bin\n", "plugins: analyzers:"),
    ("packages:\n  acme-tools: ./tools-provider\n", "packages: acme-tools: source './tools-provider'"),
    ("packages:\n  acme: github.com/acme/pulumi-acme@v1.0.0\n", "packages: acme: source"),
    ("packages:\n  acme: {source: terraform-provider, pluginDownloadURL: 'https://evil.example/'}\n",
     "packages: acme: pluginDownloadURL"),
    ("mystery:\n  run: ./x\n", "mystery: not a Pulumi project key the gate knows"),
    ("options:\n  refresh: never\n", "options: Pulumi knows only `refresh: always`"),
])
def test_project_file_keys_that_replace_what_runs_get_no_verdict(tmp_path: Path, extra: str, message: str) -> None:
    project = small_project(tmp_path / "p", "import pulumi_aws as aws\naws.s3.Bucket('logs')\n",
                            "name: acme\nruntime: python\n" + extra)
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2 and message in run.stdout, run.stdout


def test_project_file_keys_that_change_nothing_run_are_accepted(tmp_path: Path) -> None:
    extra = ("description: d\nauthor: a\nwebsite: https://acme.example\nlicense: MIT\n"
             "backend:\n  url: s3://acme-state\noptions:\n  refresh: always\n"
             "template:\n  description: t\npackages:\n  terraform-provider: terraform-provider@0.8.1\n")
    project = small_project(tmp_path / "p", "import pulumi_aws as aws\naws.s3.Bucket('logs')\n",
                            "name: acme\nruntime: python\n" + extra)
    # the backend is the operator's: the same URL passed from the trusted side
    run = run_cli(project, *GUARD, "--stack", "dev", "--backend-url", "s3://acme-state")
    assert run.code == 0, run.stdout + run.stderr


# --- 15: modules `python -m pip` would import from the project ---------------------------------------------------

def test_a_project_module_shadowing_pip_gets_no_verdict(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", "import pulumi_aws as aws\naws.s3.Bucket('logs')\n")
    (project / "pip").mkdir()
    (project / "pip" / "__main__.py").write_text("print('runs instead of pip')\n")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2 and "pip/: named like a module" in run.stdout, run.stdout


@pytest.mark.parametrize(("files", "flagged"), [
    (["pip/__init__.py"], ["pip"]),
    (["pip/__main__.py"], ["pip"]),
    (["setuptools.py"], ["setuptools.py"]),
    (["json.py"], ["json.py"]),  # a standard-library module `pip list` imports
    (["runpy.pyc"], ["runpy.pyc"]),  # sourceless
    (["ensurepip/__init__.py", "helpers.py"], ["ensurepip"]),
    (["pip/README.md"], []),  # a namespace portion: an installed pip wins
    (["helpers.py", "tests/__init__.py", "agents/x.yaml", "pipeline.py"], []),
])
def test_shadowing_modules_are_the_importable_ones_named_like_toolchain_or_stdlib(tmp_path: Path, files: list,
                                                                                  flagged: list) -> None:
    project = small_project(tmp_path / "p", "")
    for name in files:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("")
    assert [path.name for path in shadowing_modules(find_project(project))] == flagged


def test_the_program_folder_is_checked_too(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", "", "name: acme\nruntime: python\nmain: stacks/\n")
    (project / "stacks").mkdir()
    (project / "stacks" / "__main__.py").write_text("")
    (project / "stacks" / "pip.py").write_text("")
    assert [path.name for path in shadowing_modules(find_project(project))] == ["pip.py"]


def test_the_kits_own_project_shadows_nothing() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert shadowing_modules(find_project(repo)) == []


def test_the_kits_own_runtime_options_are_the_ones_the_gate_accepts() -> None:
    from agentid.preview.project_runtime import runtime_options

    repo = Path(__file__).resolve().parents[2]
    assert runtime_options(find_project(repo)) == {"toolchain": "pip", "virtualenv": ".venv"}


def test_a_missing_main_is_a_config_error(tmp_path: Path) -> None:
    small_project(tmp_path / "p", "", "name: acme\nruntime: python\nmain: deploy.py\n")
    with pytest.raises(ConfigError, match="main: deploy.py does not exist"):
        find_project(tmp_path / "p")


# --- red21 2-5: what the toolchain runs before the program, and where the state goes ----------------------------

CLEAN = "import pulumi_aws as aws\naws.s3.Bucket('logs')\n"


def runtime_project(root: Path, options: str) -> Path:
    return small_project(root, CLEAN, "name: acme\nruntime:\n  name: python\n  options:\n" + options)


@pytest.mark.parametrize(("options", "files", "message"), [
    # r21-2: pulumi runs `python -m mypy` on the project before the program; mypy imports mypy.ini's plugins
    ("    typechecker: mypy\n", {"mypy.ini": "[mypy]\nplugins = typing_helpers.py\n", "typing_helpers.py": ""},
     "Pulumi.yaml: runtime.options.typechecker: 'mypy': `pulumi preview`/`up` runs that type checker"),
    ("    typechecker: pyright\n", {"pyrightconfig.json": "{}\n"}, "runtime.options.typechecker: 'pyright'"),
    ("    someFutureOption: 1\n    toolchain: pip\n", {},
     "runtime.options: someFutureOption: not an option the gate knows (it accepts `toolchain: pip`"),
    # r21-3: `uv run` syncs (builds) the project with its in-tree build backend
    ("    toolchain: uv\n", {"pyproject.toml": "[project]\nname = 'a'\nversion = '0'\n[build-system]\nrequires = []\n"
                                             "build-backend = 'build_helpers'\nbackend-path = ['tools']\n"},
     "runtime.options.toolchain: uv: at `pulumi preview`/`up` `uv run` syncs the nearest pyproject.toml"),
    # r21-4: poetry adds .poetry/plugins as a site dir whenever it runs
    ("    toolchain: poetry\n", {".poetry/plugins/zz.pth": "import os\n"},
     "runtime.options.toolchain: poetry: at `pulumi preview`/`up` poetry loads the project's `.poetry/plugins`"),
])
def test_runtime_options_that_run_project_code_before_the_program_get_no_verdict(tmp_path: Path, options: str,
                                                                               files: dict, message: str) -> None:
    project = runtime_project(tmp_path / "p", options)
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2 and message in run.stdout, run.stdout


def test_the_same_project_files_under_pip_without_a_typechecker_are_accepted(tmp_path: Path) -> None:
    # the look-alike: mypy.ini, pyproject.toml and .poetry/ beside a pip project that names an existing virtualenv;
    # nothing at `pulumi up` reads them (pip runs only the virtualenv's python on the program)
    project = runtime_project(tmp_path / "p", "    toolchain: pip\n    virtualenv: venv\n")
    make_virtualenv(project / "venv")
    (project / "mypy.ini").write_text("[mypy]\nplugins = typing_helpers.py\n")
    (project / "pyproject.toml").write_text("[project]\nname = 'a'\nversion = '0'\n")
    (project / ".poetry" / "plugins").mkdir(parents=True)
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 0, run.stdout + run.stderr


def test_a_runtime_key_beside_name_and_options_gets_no_verdict(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", CLEAN, "name: acme\nruntime:\n  name: python\n  hooks: ./x\n")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2 and "runtime: hooks: Pulumi's `runtime:` holds only `name` and `options`" in run.stdout


@pytest.mark.parametrize(("requirements", "message"), [
    # r21-3b: the deploy creates the missing venv and runs `pip install -r requirements.txt`
    ("pulumi>=3\n--extra-index-url https://pypi.attacker.example/simple\n", "requirements.txt:2: --extra-index-url"),
    ("pulumi>=3\n-e ./tools/helper\n", "requirements.txt:2: -e: an option"),
    ("pulumi>=3\n./tools/helper\n", "requirements.txt:2: './tools/helper' is not a registry requirement"),
    ("helper @ git+https://github.com/acme/helper\n", "requirements.txt:1: 'helper @ git+https"),
    ("pulumi>=3 \\\n  --index-url=https://x.example/simple\n", "requirements.txt:1: --index-url"),
    ("-r more.txt\n", "more.txt:1: --find-links"),
])
def test_requirements_a_missing_virtualenv_would_install_from_the_pull_requests_sources_get_no_verdict(
        tmp_path: Path, requirements: str, message: str) -> None:
    project = runtime_project(tmp_path / "p", "    toolchain: pip\n    virtualenv: venv\n")
    (project / "requirements.txt").write_text(requirements)
    (project / "more.txt").write_text("--find-links ./wheels\n")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2, run.stdout
    assert message in run.stdout and "the virtualenv 'venv' does not exist" in run.stdout, run.stdout


def test_registry_requirements_a_missing_virtualenv_would_install_are_accepted(tmp_path: Path) -> None:
    project = runtime_project(tmp_path / "p", "    toolchain: pip\n    virtualenv: venv\n")
    (project / "requirements.txt").write_text(
        "# pins\npulumi>=3,<4  # the SDK\npulumi-aws[extra] ==7.1.0 ; python_version >= '3.9'\n"
        "-r more.txt\n--require-hashes\nboto3==1.34.0 --hash=sha256:00\n")
    (project / "more.txt").write_text("PyYAML>=6\n")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 0, run.stdout + run.stderr


@pytest.mark.parametrize(("line", "bad"), [
    ("pulumi==3.1", False), ("Pulumi_AWS >= 7, < 8", False), ("a.b-c[x,y]~=1.0", False), ("x ; os_name == 'posix'", False),
    ("x @ https://evil.example/x.whl", True), ("x @ file:///tmp/x", True), ("helper.tar.gz", True), ("x.whl", True),
    ("../helper", True), ("https://evil.example/x.zip", True), ("--trusted-host evil.example", True),
    ("-i https://x/simple", True), ("--no-index", True), ("--config-settings=a=b", True), ("x==1 --global-option=y", True),
    ("-c https://evil.example/c.txt", True), ("-r ../../outside.txt", True), ("x==${VERSION}", True),
    ("git+https://github.com/a/b#egg=b", True), ("--editable=.", True),
])
def test_requirements_problem_accepts_registry_lines_only(tmp_path: Path, line: str, bad: bool) -> None:
    from agentid.preview.project_runtime import requirements_problem

    (tmp_path / "requirements.txt").write_text(line + "\n")
    assert (requirements_problem(tmp_path / "requirements.txt", tmp_path) is not None) is bad


@pytest.mark.parametrize(("passed", "code"), [((), 2), (("s3://acme-state",), 2), (("https://api.pulumi.com",), 0)])
def test_a_backend_the_project_names_must_be_the_operators(tmp_path: Path, passed: tuple, code: int) -> None:
    # r21-5: backend.url chooses where `pulumi up` sends PULUMI_ACCESS_TOKEN and keeps the state
    project = small_project(tmp_path / "p", CLEAN,
                            "name: acme\nruntime: python\nbackend:\n  url: https://api.pulumi.com\n")
    arguments = [word for url in passed for word in ("--backend-url", url)]
    run = run_cli(project, *GUARD, "--stack", "dev", *arguments)
    assert run.code == code, run.stdout + run.stderr
    if code == 2:
        assert ("Pulumi.yaml: backend.url: 'https://api.pulumi.com': `pulumi up` would send the Pulumi access token"
                in run.stdout), run.stdout
