"""Fixtures for the AWS component tests."""

from __future__ import annotations

import pytest

from aws_builders import DEV_AGENTS
from agentid_components.loader import load_inventory
from agentid_components.spec import Agent


@pytest.fixture(scope="session")
def dev_agents() -> dict[str, Agent]:
    return {agent.name: agent for agent in load_inventory(DEV_AGENTS).inventory.agents if "aws" in agent.clouds}
