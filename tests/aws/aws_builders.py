"""Builders shared by the AWS component tests (a module, not conftest, so tests can import it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from agentid.today import today
from agentid_components.spec import Agent

REPO = Path(__file__).resolve().parents[2]
DEV_AGENTS = REPO / "stacks" / "agents" / "dev.yaml"


def make_agent(tools: list[dict], trust: list[dict] | None = None, **fields) -> Agent:
    """A validated agent from plain dicts, with sensible defaults."""
    data = {
        "name": "probe",
        "owner": "team-x",
        "purpose": "test agent",
        "environment": "dev",
        "review_by": today() + dt.timedelta(days=30),  # the suite's pinned date (tests/conftest.py), not the host's
        "tools": tools,
        "trust": trust or [{"github_actions": {"repository": "acme/probe", "branch": "main"}}],
    }
    data.update(fields)
    return Agent.model_validate(data, context={"base_dir": str(REPO / "stacks" / "agents")})
