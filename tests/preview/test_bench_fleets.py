"""The preview benchmark's generated fleets are valid agent files (issue 17: a benchmark that fails on the
spec measures nothing). Every cloud object needs one owner, so the generator must give each copy of an
agent its own Kubernetes service account, SPIFFE path and OAuth audience, and each fleet keeps only its
cloud's tools."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentid_components.loader import check_file
from bench.bench_preview import FLEETS, make_project


@pytest.mark.parametrize("fleet", FLEETS)
def test_a_generated_fleet_validates(tmp_path: Path, fleet: str) -> None:
    project = make_project(12, tmp_path, fleet)
    agents_file = project / "stacks" / "agents" / "dev.yaml"
    inventory, _lines, errors = check_file(agents_file, files_root=project)
    assert errors == []
    assert len(inventory.agents) == 12
    clouds = {cloud for agent in inventory.agents for cloud in agent.clouds}
    assert clouds == ({"aws", "azure", "gcp"} if fleet == "mixed" else {fleet})


def test_each_copy_gets_its_own_service_account(tmp_path: Path) -> None:
    project = make_project(10, tmp_path, "mixed")
    agents = yaml.safe_load((project / "stacks" / "agents" / "dev.yaml").read_text())["agents"]
    accounts = [(t["kubernetes"]["issuer"], t["kubernetes"]["namespace"], t["kubernetes"]["service_account"])
                for agent in agents for t in agent.get("trust", []) if "kubernetes" in t]
    assert len(accounts) == len(set(accounts)) > 4
