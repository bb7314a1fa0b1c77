"""The credential broker under 50 threads: STS calls per 1,000 tool calls, and latency with and without faults.

Runs a real moto server and, for the fault runs, the fault-injecting proxy of
the tests (10% of STS calls answered with `Throttling` or `500
InternalFailure`). Scenarios:

  dev fleet    the 8 AWS tools of stacks/agents/dev.yaml, 1,000 `broker.session(tool)` calls
               (what agent code does): cold (empty cache) and warm (the next 1,000 calls)
  rolling      the dev fleet with the broker's clock running 1000x and a pause between calls, so
               sessions expire and renew ~3 times during the run: hard margin only (ahead 0)
               versus one caller renewing while the others keep the old credentials (ahead 200);
               "rtt 100ms" adds a real endpoint's round trip to every STS answer (through the proxy)

Column ">10ms": calls that waited for an issuance (a cache hit takes microseconds).
  200 tools    2 agents x 100 tools, each asked 5 times (a cold, spread-out cache)
  no reuse     1,000 distinct tools: every call is an STS issuance (the cost the cache saves)

Hops (`--only hops`; also run by default): `credential()` with the per-call Cedar decision and the
OAuth hop against the tests' real authorization server on loopback:

  cached credential()   p50/p99 of 20,000 cached calls, one thread: equal inputs; a new trace id per call
                        (the generated policies read no context, so the decision stays cached); a new
                        trace id per call with a user policy that reads context.trace_id (Cedar evaluated
                        every time); the same for an AWS tool's STS session on moto (revocation record
                        read at most every 30 s); goal p99 < 1 ms. Load average printed beside them.
  AS faults 10%         1,000 tool calls over 5 OAuth tools, 10 threads, broker clock 1000x (tokens of
                        300 s renew every ~0.3 s), 10% of token requests answered 503: token-endpoint
                        calls per 1,000 tool calls, and every token handed out is checked (audience = its
                        tool, more than the margin left): goal no wrong or expired token

    .venv/bin/python bench/bench_broker.py [--rounds N] [--only sts|hops]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentid.runtime import AgentGrants, AmbientCredentials, CredentialBroker, RetryPolicy  # noqa: E402
from agentid_components.loader import load_inventory  # noqa: E402
from tests.runtime.fault_proxy import FaultProxy  # noqa: E402
from tests.runtime.moto_process import DUMMY_CREDENTIALS, MOTO_ACCOUNT_ID, moto_server, reset  # noqa: E402

THREADS = 50
SLOW_SECONDS = 0.010  # a call slower than this waited for an issuance (a cache hit takes microseconds)
CALLS = 1000


def dev_fleet() -> list[AgentGrants]:
    inventory = load_inventory(ROOT / "stacks" / "agents" / "dev.yaml").inventory
    return [
        AgentGrants.from_spec(agent, f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-{agent.name}")
        for agent in inventory.agents
        if any(tool.aws for tool in agent.tools)
    ]


def synthetic_fleet(agents: int, tools: int) -> list[AgentGrants]:
    return [
        AgentGrants(
            agent=f"bench-{a}",
            role_arn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-bench-{a}",
            session_policies={
                f"tool-{t}": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::bench-{a}/tool-{t}/*"]}]}
                for t in range(tools)
            },
        )
        for a in range(agents)
    ]


def requests_for(grants: list[AgentGrants], calls: int, seed: int) -> list[tuple[str, str]]:
    keys = [(g.agent, tool) for g in grants for tool in g.session_policies]
    requests = [keys[i % len(keys)] for i in range(calls)]
    random.Random(seed).shuffle(requests)
    return requests


def run(
    upstream: str, grants: list[AgentGrants], fault_rate: float, use_session: bool, seed: int, passes: int = 1,
    options: dict | None = None, pause: float = 0.0, sts_delay: float = 0.0,
) -> dict:
    """`passes` rounds of 1,000 calls on one broker; figures are of the last (passes=2: a warm cache).

    Without faults the broker talks to moto directly; with faults, through the
    proxy (which runs in this process and so also competes for the GIL).
    """
    with FaultProxy(upstream, fault_rate=fault_rate, seed=seed, sts_delay=sts_delay) as proxy:
        endpoint = proxy.url if fault_rate or sts_delay else upstream
        broker = CredentialBroker(
            grants, AmbientCredentials(), endpoint_url=endpoint, retry=RetryPolicy(max_attempts=6, base_delay=0.02, max_delay=0.5),
            **{key: (value() if callable(value) and key == "clock" else value) for key, value in (options or {}).items()},
        )
        for _ in range(passes):
            proxy.reset_stats()
            before = (broker.stats.issued, broker.stats.sts_calls)
            result = _one_pass(broker, grants, use_session, seed, pause)
        result["issued"] = broker.stats.issued - before[0]
        result["sts_calls"] = broker.stats.sts_calls - before[1]  # equals the AssumeRole requests the proxy sees
        result["faults"] = proxy.stats.faults
    return result


def sequential_issuance_ms(upstream: str, count: int = 100) -> float:
    """One thread, no cache reuse, no proxy: the median cost of one issuance against moto."""
    broker = CredentialBroker(synthetic_fleet(1, count), AmbientCredentials(), endpoint_url=upstream)
    timings = []
    for tool in range(count):
        started = time.perf_counter()
        broker.credentials(f"tool-{tool}")
        timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:]) * 1000


def _one_pass(broker: CredentialBroker, grants: list[AgentGrants], use_session: bool, seed: int, pause: float = 0.0) -> dict:
    requests = requests_for(grants, CALLS, seed)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    call = broker.session if use_session else broker.credentials

    def worker(share: list[tuple[str, str]]) -> None:
        mine = []
        for agent, tool in share:
            started = time.perf_counter()
            try:
                call(tool, agent=agent)
            except BaseException as error:  # noqa: BLE001 - counted
                with lock:
                    failures.append(error)
            mine.append(time.perf_counter() - started)
            if pause:
                time.sleep(pause)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(requests[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "failures": len(failures),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "slow": sum(1 for latency in latencies if latency > SLOW_SECONDS),
        "max_ms": latencies[-1] * 1000,
        "wall_s": wall,
    }


ROLLOVER_SPEED = 1000  # broker clock runs 1000x: a 900 s session lasts 0.9 s of bench time
ROLLOVER_PAUSE = 0.1  # each thread pauses between calls: 1,000 calls span ~2 s, i.e. ~3 session lifetimes


def accelerated_clock():
    """A clock for the broker running ROLLOVER_SPEED times faster than real time (built per run)."""
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) * ROLLOVER_SPEED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="repeat each scenario and report the median round")
    parser.add_argument("--only", choices=("sts", "hops"), help="run one part only")
    args = parser.parse_args()
    if args.only != "sts":
        hops_bench()
    if args.only == "hops":
        return
    os.environ.update(DUMMY_CREDENTIALS)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    rollover = {"clock": accelerated_clock, "refresh_margin_seconds": 300}
    scenarios = [  # label, grants, use session(), passes on one broker, broker options, pause between calls, STS delay
        ("dev fleet, cold, session()", dev_fleet(), True, 1, {}, 0.0, 0.0),
        ("dev fleet, warm, session()", dev_fleet(), True, 2, {}, 0.0, 0.0),
        ("rolling, ahead 0", dev_fleet(), True, 2, {**rollover, "refresh_ahead_seconds": 0}, ROLLOVER_PAUSE, 0.0),
        ("rolling, ahead 200", dev_fleet(), True, 2, {**rollover, "refresh_ahead_seconds": 200}, ROLLOVER_PAUSE, 0.0),
        ("rolling, ahead 0, rtt 100ms", dev_fleet(), True, 2, {**rollover, "refresh_ahead_seconds": 0}, ROLLOVER_PAUSE, 0.1),
        ("rolling, ahead 200, rtt 100ms", dev_fleet(), True, 2, {**rollover, "refresh_ahead_seconds": 200}, ROLLOVER_PAUSE, 0.1),
        ("200 tools, credentials()", synthetic_fleet(2, 100), False, 1, {}, 0.0, 0.0),
        ("no reuse, credentials()", synthetic_fleet(10, 100), False, 1, {}, 0.0, 0.0),
    ]
    print(f"{THREADS} threads, {CALLS} tool-credential calls per run; faults = Throttling/500 on that share of STS calls")
    header = (
        f"{'scenario':<31}{'faults':>7}{'STS/1000':>10}{'issued':>8}{'injected':>9}{'failed':>7}{'>10ms':>7}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'wall s':>8}"
    )
    print(header)
    print("-" * len(header))
    with moto_server() as upstream:
        run(upstream, synthetic_fleet(1, 5), 0.0, True, seed=0)  # warm-up: load botocore's models once, unreported
        print(f"one issuance, one thread, no proxy: median {sequential_issuance_ms(upstream):.1f} ms (moto on 127.0.0.1)")
        for label, grants, use_session, passes, options, pause, sts_delay in scenarios:
            for fault_rate in (0.0, 0.10):
                rounds = []
                for round_number in range(args.rounds):
                    reset(upstream)
                    rounds.append(run(upstream, grants, fault_rate, use_session, round_number + 1, passes, options, pause, sts_delay))
                result = sorted(rounds, key=lambda r: r["p99_ms"])[len(rounds) // 2]
                print(
                    f"{label:<31}{fault_rate:>6.0%} {result['sts_calls']:>9}{result['issued']:>8}{result['faults']:>9}"
                    f"{result['failures']:>7}{result['slow']:>7}{result['p50_ms']:>9.3f}{result['p99_ms']:>9.3f}{result['max_ms']:>9.1f}{result['wall_s']:>8.2f}"
                )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def hops_bench() -> None:
    """credential() latency with Cedar, and the OAuth hop under authorization-server faults (see the docstring)."""
    from joserfc import jwk

    from agentid.runtime import Authorizer, OAuthTool, PrivateKeyJWT
    from agentid.runtime.authorization import generate_policies
    from tests.runtime.oauth_server import AuthorizationServer

    tools = [f"https://api{i}.example.org/v1" for i in range(5)]
    key = jwk.ECKey.generate_key("P-256", auto_kid=True)
    with AuthorizationServer(token_lifetime=300, fault_rate=0.0) as server:
        server.register("bench-agent", jwk.ECKey.import_key(key.as_dict(private=False)), {t: ["read"] for t in tools})
        oauth_tools = {f"api-{i}": OAuthTool(f"api-{i}", t, ("read",), issuer=server.issuer) for i, t in enumerate(tools)}
        grants = AgentGrants(agent="bench-agent", role_arn=None, session_policies={}, oauth_tools=oauth_tools, max_credential_seconds=900)
        spec = type("Agent", (), {"name": "bench-agent", "tools": [
            type("Tool", (), {"name": name, "aws": None, "azure": None, "oauth": type("G", (), {"audience": tool.audience})})
            for name, tool in oauth_tools.items()]})
        authorizer = Authorizer(generate_policies([spec]))

        # 1. cached credential() with the Cedar decision
        reads_trace = Authorizer(generate_policies([spec]) + '\nforbid (principal, action, resource) when { context.trace_id like "blocked-*" };')
        print(f"credential() on a cached OAuth token, one thread, incl. the per-call Cedar decision (load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs)")
        for label, trace_of, policies in (
            ("equal inputs (decision cached)", lambda n: "t-1", authorizer),
            ("new trace id (no policy reads it)", lambda n: f"t-{n}", authorizer),
            ("new trace id, a policy reads it (Cedar)", lambda n: f"t-{n}", reads_trace),
        ):
            broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), authorizer=policies)
            broker.credential("api-0", trace_id="warm", target=tools[0] + "/items")
            samples, cpu = [], []
            for n in range(20_000):
                trace = trace_of(n)
                started, started_cpu = time.perf_counter(), time.thread_time()
                broker.credential("api-0", trace_id=trace, target=tools[0] + "/items")
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - started_cpu) * 1000)
            # thread CPU time separates our cost from waiting for a core on a loaded machine
            print(f"  {label:<40} wall p50 {percentile(samples, 0.5):.3f} ms  p99 {percentile(samples, 0.99):.3f} ms  "
                  f"max {max(samples):.2f} ms | cpu p50 {percentile(cpu, 0.5):.3f} ms  p99 {percentile(cpu, 0.99):.3f} ms")

        # 1b. the AWS hop: a cached STS session through credential(), Cedar and the revocation record's check included
        os.environ.update(DUMMY_CREDENTIALS)
        with moto_server() as upstream:
            agent = load_inventory(ROOT / "stacks" / "agents" / "dev.yaml").inventory.agent("report-builder")
            aws = CredentialBroker(AgentGrants.from_spec(agent, f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder"),
                                   AmbientCredentials(), endpoint_url=upstream, authorizer=Authorizer.from_spec([agent]))
            cedar_every_call = Authorizer(Authorizer.from_spec([agent]).text + '\nforbid (principal, action, resource) when { context.trace_id like "blocked-*" };')
            target = "arn:aws:s3:::example-sales-exports/weekly/a.csv"
            aws.credential("read-sales-exports", trace_id="warm", target=target)
            for label, policies in (("AWS session, new trace id, revocation", aws.authorizer),
                                    ("... and a policy reads the trace (Cedar)", cedar_every_call)):
                aws.authorizer = policies
                samples, cpu = [], []
                for n in range(20_000):
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    aws.credential("read-sales-exports", trace_id=f"t-{n}", target=target)
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.thread_time() - started_cpu) * 1000)
                print(f"  {label:<40} wall p50 {percentile(samples, 0.5):.3f} ms  p99 "
                      f"{percentile(samples, 0.99):.3f} ms  max {max(samples):.2f} ms | cpu p50 {percentile(cpu, 0.5):.3f} ms  "
                      f"p99 {percentile(cpu, 0.99):.3f} ms  (record reads: {aws.revocation.reads})")

        # 2. token-endpoint calls per 1,000 tool calls with 10% injected faults
        for fault_rate in (0.0, 0.10):
            server.fault_rate, server.token_requests = fault_rate, 0
            server.random = random.Random(3)
            broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), authorizer=authorizer, clock=accelerated_clock(),
                                      retry=RetryPolicy(max_attempts=6, base_delay=0.005, max_delay=0.05))
            calls = [f"api-{i % 5}" for i in range(CALLS)]
            random.Random(5).shuffle(calls)
            wrong, expired, failed = [0], [0], [0]
            lock = threading.Lock()

            def worker(share: list[str]) -> None:
                for tool in share:
                    try:
                        token = broker.credential(tool)
                    except Exception:  # noqa: BLE001 - counted
                        with lock:
                            failed[0] += 1
                        continue
                    with lock:
                        if token.audience != (oauth_tools[tool].audience,):
                            wrong[0] += 1
                        if token.seconds_left(broker.clock()) <= 0:
                            expired[0] += 1
                    time.sleep(ROLLOVER_PAUSE / 5)

            started = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(calls[n::10],)) for n in range(10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            print(f"  AS faults {fault_rate:>4.0%}: {server.token_requests * 1000 // CALLS} token-endpoint calls per 1,000 tool calls "
                  f"({broker.stats.issued} tokens issued, {failed[0]} calls failed, {wrong[0]} wrong audience, "
                  f"{expired[0]} expired handed out; {wall:.1f} s)")


if __name__ == "__main__":
    main()
