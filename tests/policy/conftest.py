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


@pytest.fixture
def aws_own_account(pack):
    """AGID-AWS-057's cases: a literal ARN names a stack object only in an account known to be the stack's own (issue
    11: another account's `function:web-fn` is not the stack's web-fn). At a real preview the stack objects' ARNs are
    computed, so these cases list the account their ARNs use in ownAccountIds, as a CI does (the gate names its mock
    account itself)."""
    pack.configure({"AGID-AWS-057": {"ownAccountIds": ["123456789012"]}})
    yield
    pack.configure({})
