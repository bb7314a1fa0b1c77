"""A copy of the dev agent file in a temporary folder, with one agent given a Cedar file of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"


def dev_with_cedar(folder: Path, agent: str, cedar_text: str, name: str = "policies/rules.cedar") -> Path:
    """The copied agent file's path; `agent` lists `name` (relative to it) in `cedar_policies`, holding `cedar_text`."""
    shutil.copytree(DEV.parent, folder, dirs_exist_ok=True)  # the certificates the agents reference come along
    document = yaml.safe_load(DEV.read_text())
    next(a for a in document["agents"] if a["name"] == agent)["cedar_policies"] = [name]
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(cedar_text)
    spec = folder / "agents.yaml"
    spec.write_text(yaml.safe_dump(document))
    return spec
