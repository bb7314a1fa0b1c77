"""Issue 14, "Done when": the kit used from another Pulumi project, installed as a user installs it.

A consumer project outside the repository (another project name, its own `components` package) composes a
platform stack and an agent stack in Python (agents from a YAML file and built in code, the platform's outputs
through a StackReference, a hand-written extra resource) and gates both with `agentid preview --policy-pack
agent_guard`: the pack found by name in the installed kit. The kit is a wheel built once per session from the
repository and installed without its dependencies into a fresh virtualenv that sees this test environment's
site-packages (for pulumi, pulumi-aws, ...), so nothing of the repository is importable there: only the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentid.analyzer_client import PackProcess

ACCESS_KEY = "aws:iam/accessKey:AccessKey"
REPO = Path(__file__).resolve().parents[1]
WHEEL_SOURCES = ("pyproject.toml", "README.md", "agentid", "components", "policy_packs")


@dataclass(frozen=True)
class Installed:
    python: Path
    agentid: Path


@pytest.fixture(scope="session")
def installed_kit(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The kit as a wheel, installed non-editable into a virtualenv of its own (built once per session)."""
    root = tmp_path_factory.mktemp("kit-wheel")
    source = root / "source"
    source.mkdir()
    for name in WHEEL_SOURCES:  # a copy: building in the repository would leave build/ and *.egg-info behind
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(source)], timeout=600)
    [wheel] = (root / "dist").glob("agent_identity_kit-*.whl")

    environment = root / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], timeout=300)
    own = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    # A plain path line: the test venv's packages become importable, its .pth files (the editable kit) do not run.
    (own / "zz_test_site_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return Installed(python, environment / "bin" / "agentid")


def test_the_kit_is_the_installed_wheel_not_the_repository(installed_kit: Installed, tmp_path: Path):
    where = json.loads(_run([str(installed_kit.python), "-c", textwrap.dedent("""
        import json, agentid, agentid_components, agentid_policy_packs
        print(json.dumps([m.__file__ for m in (agentid, agentid_components, agentid_policy_packs)]))
    """)], cwd=tmp_path))
    assert all("site-packages" in file and not file.startswith(str(REPO)) for file in where), where
    installed_pack = Path(where[2]).parent / "agent_guard"
    alone = tmp_path / "published" / "agent_guard"  # what `pulumi policy publish` ships: the folder and nothing else
    shutil.copytree(installed_pack, alone, ignore=shutil.ignore_patterns("__pycache__"))
    assert sorted(p.name for p in alone.iterdir()) == ["PulumiPolicy.yaml", "__main__.py", "requirements.txt"]
    with PackProcess.start(alone, python=str(installed_kit.python), timeout=120,
                           env={"PYTHONPATH": "", "VIRTUAL_ENV": ""}) as pack:
        assert pack.info().name == "agent-guard"
        pack.configure({})
        [diagnostic] = pack.analyze(ACCESS_KEY, "k", f"urn:pulumi:dev::acme::{ACCESS_KEY}::k", {"user": "ci-bot"})
        assert diagnostic.policy_name == "AGID-AWS-001"


def test_a_consumer_project_gates_its_platform_and_agent_stacks(installed_kit: Installed, tmp_path: Path):
    project = _consumer_project(tmp_path / "acme")
    commands = readme_commands()
    assert [command[:3] for command in commands] == [["agentid", "preview", "--stack"]] * 2 + [["agentid", "inventory", "--stack"]]
    (platform_stack, platform), (agent_stack, agents) = [(c[3], _preview(installed_kit, project, c)) for c in commands[:2]]
    assert (platform_stack, agent_stack) == ("platform", "dev")

    assert platform.returncode == 0, platform.stdout + platform.stderr
    platform_result = json.loads((project / "platform.json").read_text())
    [pack] = platform_result["policyPacks"]
    environment = str(installed_kit.python.parents[1])
    assert pack["name"] == "agent-guard" and os.path.commonpath([pack["directory"], environment]) == environment
    assert {r["type"] for r in platform_result["resources"]} >= {
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:cognito/userPool:UserPool",
        "aws:cognito/resourceServer:ResourceServer"}

    assert agents.returncode == 0, agents.stdout + agents.stderr
    result = json.loads((project / "dev.json").read_text())
    resources = {(r["type"], r["name"]) for r in result["resources"]}
    # the fleet "agents" names its children after itself (agents-aws-...), as Pulumi documents child names
    assert ("aws:iam/role:Role", "agents-aws-triage-role") in resources  # from agents.yaml
    assert ("aws:iam/role:Role", "agents-aws-reporter-role") in resources  # built in code
    assert ("aws:s3/bucketV2:BucketV2", "reports") in resources  # the project's own components package
    assert ("aws:cognito/userPoolClient:UserPoolClient", "agents-aws-triage-oauth-client") in resources
    # The platform's shared objects are referenced, not created a second time in the agent stack.
    created = {t for t, _ in resources}
    assert not created & {"aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:cognito/userPool:UserPool",
                          "aws:cognito/resourceServer:ResourceServer"}
    assert result["stackReferences"] == {"organization/acme-agents/platform": "preview of acme-agents/platform (__main__.py)"}
    # The StackReference's values reached the agents: the platform's provider and pool, as the inventory records them.
    triage = result["outputs"]["inventory"]["triage"]["aws"]
    [binding] = triage["trust"]
    assert binding["oidc_provider_arn"] == platform_result["outputs"]["githubOidcProviderArn"]
    assert triage["oauth"]["token_endpoint"].startswith(f"https://{platform_result['outputs']['cognitoDomain']}.auth.")

    # The stack's agent file (config agent-identity-kit:agentsFile) and its physical names, as the CLI finds them.
    listed = subprocess.run([str(installed_kit.agentid), *commands[2][1:]], cwd=project, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "AGENTID_TODAY": "2030-01-15"})
    assert listed.returncode == 0 and listed.stderr.startswith("wrote json inventory of 1 agents"), listed.stderr
    inventory = json.loads((project / "inventory.json").read_text())
    assert (inventory["source"], inventory["name_suffix"]) == ("agents.yaml", "dev")
    [triage] = inventory["agents"]
    assert "on role agent-triage-dev " in triage["derived"]["revocation"]["aws"][0]
    assert triage["derived"]["revocation"]["aws"][0].split("`")[1] == (
        "agentid revoke aws triage --inventory agents.yaml --name-suffix dev")
    assert result["outputs"]["inventory"]["triage"]["aws"]["role_arn"].endswith(":role/agent-triage-dev")

    program = project / "__main__.py"
    program.write_text(program.read_text() + '    import pulumi_aws as aws\n'
                                             '    aws.iam.AccessKey("planted-ci-key", user="ci-bot")\n')
    planted = _preview(installed_kit, project, commands[1])
    assert planted.returncode == 1, planted.stdout + planted.stderr
    blocking = [v for v in json.loads((project / "dev.json").read_text())["violations"] if v["mandatory"]]
    assert [(v["policy"], v["resourceName"]) for v in blocking] == [("AGID-AWS-001", "planted-ci-key")]
    assert "planted-ci-key" in planted.stdout


def _preview(installed: Installed, project: Path, command: list[str]) -> subprocess.CompletedProcess:
    """A README command, run with the installed kit's `agentid` (and a JSON report beside it)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(installed.agentid), *command[1:], "--json", f"{command[3]}.json"], cwd=project,
                          capture_output=True, text=True, timeout=600, env={**env, "AGENTID_TODAY": "2030-01-15"})


def _run(command: list[str], cwd: Path | None = None, timeout: float = 120) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def _consumer_project(root: Path) -> Path:
    """The project README.md's "Use it from your own project" writes, file by file (each block's first line names it)."""
    files = readme_files()
    assert set(files) == {"Pulumi.yaml", "Pulumi.platform.yaml", "Pulumi.dev.yaml", "components/storage.py",
                          "components/__init__.py", "agents.yaml", "__main__.py"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def readme_section() -> str:
    """The section up to its first subsection (### Several fleets in one stack: tests/test_composing_fleets.py)."""
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Use it from your own project\n")
    return text[start:min(text.index("\n## ", start + 1), text.index("\n### ", start + 1))]


def readme_files() -> dict[str, str]:
    blocks = re.findall(r"```(?:yaml|python)\n(.*?)```", readme_section(), re.S)
    return {block.splitlines()[0].removeprefix("# "): block.split("\n", 1)[1] for block in blocks}


def readme_commands() -> list[list[str]]:
    [commands] = re.findall(r"```bash\n(.*?)```", readme_section(), re.S)
    return [line.split() for line in commands.splitlines() if line.strip()]
