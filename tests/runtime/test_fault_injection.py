"""1,000 tool-credential requests from 50 threads while 10% of STS calls fail: every caller gets valid, scoped credentials."""

from __future__ import annotations

import json
import random
import threading

import boto3

from agentid.runtime import AgentGrants, AmbientCredentials, CredentialBroker, RetryPolicy
from tests.runtime.fault_proxy import FaultProxy
from tests.runtime.moto_process import MOTO_ACCOUNT_ID, assumed_roles

AGENTS = ("fleet-a", "fleet-b")
TOOLS_PER_AGENT = 100
REQUESTS_PER_TOOL = 5  # 2 agents x 100 tools x 5 = 1,000 requests
THREADS = 50
MARGIN = 120


def tool_policy(agent: str, index: int) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{agent}-data/tool-{index}/*"]}],
    }


def fleet() -> list[AgentGrants]:
    return [
        AgentGrants(
            agent=agent,
            role_arn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-{agent}",
            session_policies={f"tool-{i}": tool_policy(agent, i) for i in range(TOOLS_PER_AGENT)},
            duration_seconds=900,
        )
        for agent in AGENTS
    ]


def test_thousand_requests_fifty_threads_ten_percent_faults(aws):
    requests = [(agent, f"tool-{i}") for agent in AGENTS for i in range(TOOLS_PER_AGENT)] * REQUESTS_PER_TOOL
    random.Random(11).shuffle(requests)
    results: list[tuple[str, str, object]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    with FaultProxy(aws, fault_rate=0.10, seed=5) as proxy:
        broker = CredentialBroker(
            fleet(), AmbientCredentials(), endpoint_url=proxy.url, refresh_margin_seconds=MARGIN,
            retry=RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.2),
        )

        def worker(share: list[tuple[str, str]]) -> None:
            for agent, tool in share:
                try:
                    credentials = broker.credentials(tool, agent=agent)
                    assert credentials.seconds_left(broker.clock()) >= MARGIN
                    with lock:
                        results.append((agent, tool, credentials))
                except BaseException as error:  # noqa: BLE001 - collected and asserted below
                    with lock:
                        errors.append(error)

        threads = [threading.Thread(target=worker, args=(requests[n::THREADS],)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)  # a hang guard only: the speed of this load is bench/bench_broker.py's
        stuck = sum(thread.is_alive() for thread in threads)

    assert stuck == 0, f"{stuck} of {THREADS} threads still waiting for credentials after 10 minutes"
    assert not errors, errors[:3]
    assert len(results) == 1000
    # one issuance per (agent, tool) despite 50 threads and the faults; every fault cost exactly one retry
    assert broker.stats.issued == len(AGENTS) * TOOLS_PER_AGENT
    assert proxy.stats.throttled >= 3 and proxy.stats.internal_errors >= 3
    assert broker.stats.retries == proxy.stats.faults
    assert broker.stats.sts_calls == broker.stats.issued + proxy.stats.faults == proxy.stats.sts_requests
    assert broker.stats.cache_hits == 1000 - broker.stats.issued

    # every caller of a tool got the same credentials, scoped to exactly that tool's policy on that agent's role
    sessions = assumed_roles(aws)
    by_key: dict[tuple[str, str], set[str]] = {}
    for agent, tool, credentials in results:
        by_key.setdefault((agent, tool), set()).add(credentials.access_key_id)
        recorded = sessions[credentials.access_key_id]
        assert recorded["role_arn"] == f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-{agent}"
        assert json.loads(recorded["policy"]) == tool_policy(agent, int(tool.split("-")[1]))
    assert all(len(keys) == 1 for keys in by_key.values()) and len(by_key) == 200

    # and they work: STS (directly, no faults) knows who they are
    for agent, tool, credentials in random.Random(3).sample(results, 20):
        sts = boto3.client(
            "sts", endpoint_url=aws, region_name="us-east-1", aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key, aws_session_token=credentials.session_token,
        )
        arn = sts.get_caller_identity()["Arn"]
        assert arn.startswith(f"arn:aws:sts::{MOTO_ACCOUNT_ID}:assumed-role/agent-{agent}/{tool}.")
