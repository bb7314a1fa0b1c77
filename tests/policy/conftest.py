"""The agent_guard pack over gRPC, started once per test module as the engine starts it (shared by test_pack_grpc_*)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.test_pack_grpc import PACK


@pytest.fixture(scope="module")
def pack():
    """The installed pack, configured with its defaults; a module that needs other settings overrides this fixture
    or calls `pack.configure(...)` in its test."""
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({})
        yield running
