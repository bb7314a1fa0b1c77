"""The agent_guard pack travels (issue 14, item 6): named on the command line, found installed, started from its folder alone.

`pulumi policy publish` ships the pack's folder and nothing else; the engine installs its requirements.txt and
starts it as `python -u -m pulumi.policy ENGINE DIR`. So the folder may not reach into a repository for its rules.
"""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from agentid.analyzer_client import PackProcess
from agentid.preview.runner import DEFAULT_PACK, _pack_dir, installed_pack, installed_packs
from agentid.preview.stack_config import ConfigError, load_project
from tests.preview.conftest import AGENT_GUARD, REPO, copy_project, run_cli

ACCESS_KEY = "aws:iam/accessKey:AccessKey"


def test_the_pack_folder_imports_only_installed_modules():
    source = (AGENT_GUARD / "__main__.py").read_text()
    tree = ast.parse(source)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"pulumi_policy", "agentid_policy_packs"}
    assert "sys.path" not in source and "__file__" not in source


def test_requirements_install_this_version_of_the_kit():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = [line.strip() for line in (AGENT_GUARD / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    [requirement] = [Requirement(line) for line in lines]
    assert requirement.name == project["name"]
    assert requirement.specifier.contains(project["version"])


def test_a_copy_of_the_folder_alone_runs_over_grpc(tmp_path: Path):
    alone = tmp_path / "published" / "agent_guard"
    shutil.copytree(AGENT_GUARD, alone, ignore=shutil.ignore_patterns("__pycache__"))
    assert not any(parent == REPO for parent in alone.parents)
    with PackProcess.start(alone, timeout=90, env={"PYTHONPATH": ""}) as pack:
        info = pack.info()
        assert info.name == "agent-guard" and len(info.policies) > 30
        pack.configure({})
        [diagnostic] = pack.analyze(ACCESS_KEY, "key", f"urn:pulumi:dev::p::{ACCESS_KEY}::key", {"user": "ci-bot"})
        assert (diagnostic.policy_name, diagnostic.enforcement_level) == ("AGID-AWS-001", "mandatory")
        bucket = "aws:s3/bucketV2:BucketV2"
        assert pack.analyze(bucket, "b", f"urn:pulumi:dev::p::{bucket}::b", {"bucket": "reports"}) == []


@pytest.mark.parametrize("name", ["agent_guard", "agent-guard"])
def test_a_pack_is_named_by_its_installed_name(tmp_path: Path, name: str):
    project = load_project(_bare_project(tmp_path))
    assert _pack_dir(project, name) == installed_packs()["agent_guard"].resolve()


def test_a_bare_name_is_the_installed_pack_even_beside_a_folder_of_that_name(tmp_path: Path, monkeypatch):
    """A pull request that adds its own agent_guard/ (a no-op pack called agent-guard) does not choose its judge."""
    project = load_project(_bare_project(tmp_path))
    own = tmp_path / "agent_guard"
    shutil.copytree(AGENT_GUARD, own, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    assert _pack_dir(project, "agent_guard") == installed_packs()["agent_guard"].resolve()
    assert _pack_dir(project, "./agent_guard") == own.resolve()  # a path is a path


@pytest.mark.parametrize("name", ["no_such_pack", "../agent_guard", "packs/agent_guard", ""])
def test_anything_else_is_a_clear_error(tmp_path: Path, name: str):
    project = load_project(_bare_project(tmp_path))
    with pytest.raises(ConfigError, match=r"nor the name of an installed pack \(installed: agent_guard, trivial_pack\)"):
        _pack_dir(project, name)
    assert installed_pack(name) is None


def test_the_default_pack_is_the_installed_one_when_the_project_has_none(tmp_path: Path, monkeypatch):
    project = load_project(_bare_project(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert _pack_dir(project, DEFAULT_PACK) == installed_packs()["agent_guard"].resolve()


def test_preview_with_the_pack_by_name(tmp_path: Path):
    project = copy_project(tmp_path)
    run = run_cli(project, "--stack", "dev", "--policy-pack", "agent_guard", "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    assert [pack["name"] for pack in run.json("out.json")["policyPacks"]] == ["agent-guard"]
    run = run_cli(project, "--stack", "dev", "--policy-pack", "agent_gaurd")
    assert run.code == 2
    said = " ".join(run.stdout.split())
    assert re.search(r"error \(config\): agent_gaurd is not a policy pack directory .* nor the name of an installed "
                     r"pack \(installed: agent_guard, trivial_pack\)", said), said


def _bare_project(root: Path) -> Path:
    (root / "Pulumi.yaml").write_text("name: consumer\nruntime: python\n")
    return root / "Pulumi.yaml"


NO_OP_PACK = """\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

PolicyPack(name="agent-guard", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="nothing", description="passes everything", validate=lambda args, report: None)])
"""


def _plant_no_op_pack(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (folder / "__main__.py").write_text(NO_OP_PACK)


def _plant_access_key(project: Path) -> None:
    main = project / "stacks" / "__main__.py"
    main.write_text(main.read_text() + '\nimport pulumi_aws as _aws\n_aws.iam.AccessKey("planted-key", user="ci-bot")\n')


@pytest.mark.parametrize("where,flags", [
    ("agent_guard", ["--policy-pack", "agent_guard"]),  # the README's command, with a planted folder of that name
    ("policy_packs/agent_guard", []),  # the default, with a planted copy where the repository keeps its pack
])
def test_a_pack_planted_in_the_project_does_not_replace_the_judge(tmp_path: Path, where: str, flags: list[str]):
    project = copy_project(tmp_path)
    shutil.rmtree(project / "policy_packs", ignore_errors=True)
    _plant_no_op_pack(project / where)
    _plant_access_key(project)
    run = run_cli(project, "--stack", "dev", *flags)
    assert run.code == 1, run.stdout + run.stderr
    assert re.search(r"MANDATORY\s+critical\s+AGID-AWS-001\s+planted-key", run.stdout), run.stdout


def test_a_pack_from_the_projects_tree_by_path_is_said_loudly(tmp_path: Path):
    project = copy_project(tmp_path)
    (project / "waivers.yaml").unlink()  # its trusted settings name agent_guard's policies, which the no-op pack lacks
    _plant_no_op_pack(project / "my_pack")
    _plant_access_key(project)
    run = run_cli(project, "--stack", "dev", "--policy-pack", "./my_pack", "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr  # the caller chose that pack by path: its verdict, but not silently
    floor = run.json("out.json")["enforcementFloor"]
    assert any("is read from the judged project's tree" in note for note in floor), floor
    assert "the installed agent_guard pack is not among the packs: its critical rules were not applied" in floor
    said = " ".join(run.stdout.split())
    assert "its critical rules were not applied" in said
