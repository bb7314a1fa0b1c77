"""Two AgentFleets in one stack are refused, naming both (their children's names are not scoped by fleet)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECOND_FLEET = '''
from agentid_components.loader import LoadedInventory as _Loaded
from agentid_components.spec import Inventory as _Inventory
_one = load_inventory("agents/dev.yaml")
_aws_only = [agent for agent in _one.inventory.agents if agent.clouds == ["aws"]]
AgentFleet("{name}", _Loaded(_Inventory(agents=_aws_only), _one.file, _one.lines), AwsSettings(), AzureSettings())
'''


def preview_with_second_fleet(tmp_path: Path, name: str) -> tuple[subprocess.CompletedProcess, dict]:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    program = tmp_path / "stacks" / "__main__.py"
    program.write_text(program.read_text() + SECOND_FLEET.format(name=name))
    completed = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev", "--json", "out.json"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=600)
    return completed, json.loads((tmp_path / "out.json").read_text())


def test_a_second_fleet_is_refused_naming_both(tmp_path: Path):
    completed, result = preview_with_second_fleet(tmp_path, "more-agents")
    assert completed.returncode == 2, completed.stdout + completed.stderr
    message = ("AgentFleet 'more-agents': this stack already has AgentFleet 'agents'; their resources would get the "
               "same URNs (children are named by agent, not by fleet): put every agent of the stack in one AgentFleet")
    assert message in completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert result["exitCode"] == 2
