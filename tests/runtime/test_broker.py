"""The credential broker against a real moto server: scope, tags, source identity, duration, cache, retries, audit."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from agentid.runtime import (
    AgentGrants,
    AmbientCredentials,
    AuditLog,
    BrokerError,
    CredentialBroker,
    GrantsError,
    RetryPolicy,
    WebIdentityToken,
)
from agentid.runtime.retry import is_retryable
from agentid_components.aws import permissions
from agentid_components.loader import load_inventory
from tests.runtime.fault_proxy import FaultProxy
from tests.runtime.moto_process import LOADED_MACHINE_SLACK, MOTO_ACCOUNT_ID, assumed_roles

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
INVENTORY = load_inventory(DEV).inventory


def role_arn(agent: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-{agent}"


def grants(agent: str) -> AgentGrants:
    return AgentGrants.from_spec(INVENTORY.agent(agent), role_arn(agent))


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def no_sleep(_seconds: float) -> None:
    pass


def caller_arn(session, endpoint: str) -> str:
    return session.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]


def sent_assume_requests(proxy: FaultProxy) -> list[dict[str, str]]:
    return [p for p in proxy.stats.sts_params if p["Action"].startswith("AssumeRole")]


def test_ambient_credentials_carry_the_tools_session_policy_tags_source_identity_and_duration(aws):
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=proxy.url)
        issued = broker.credentials("read-sales-exports", trace_id="4bf92f3577b34da6a3ce929d0e0e4736")

    [sent] = sent_assume_requests(proxy)
    expected_policy = permissions.session_policy(INVENTORY.agent("report-builder"), "read-sales-exports")
    assert sent["Action"] == "AssumeRole"
    assert sent["RoleArn"] == role_arn("report-builder")
    assert json.loads(sent["Policy"]) == expected_policy
    assert sent["DurationSeconds"] == "900"  # 10 minutes declared, raised to STS's 900 s floor
    assert sent["SourceIdentity"] == "report-builder"
    tags = {sent[f"Tags.member.{i}.Key"]: sent[f"Tags.member.{i}.Value"] for i in (1, 2, 3)}
    assert tags == {"agent": "report-builder", "tool": "read-sales-exports", "trace-id": "4bf92f3577b34da6a3ce929d0e0e4736"}
    assert "Tags.member.4.Key" not in sent

    recorded = assumed_roles(aws)[issued.access_key_id]  # what moto's STS stored for this session
    assert json.loads(recorded["policy"]) == expected_policy
    assert recorded["role_arn"] == role_arn("report-builder")
    assert recorded["session_name"] == "read-sales-exports.4bf92f3577b34da6a3ce929d0e0e4736"
    assert 900 - LOADED_MACHINE_SLACK <= issued.seconds_left(broker.clock()) <= 900  # 900 s, not the 600 declared
    assert caller_arn(issued.session, aws) == (
        f"arn:aws:sts::{MOTO_ACCOUNT_ID}:assumed-role/agent-report-builder/read-sales-exports.4bf92f3577b34da6a3ce929d0e0e4736"
    )


def test_duration_follows_the_agents_declared_lifetime(aws):
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker(grants("data-ingest"), AmbientCredentials(), endpoint_url=proxy.url)
        issued = broker.credentials("enqueue-batches")
    [sent] = sent_assume_requests(proxy)
    assert sent["DurationSeconds"] == "1800"  # max_credential_minutes: 30
    assert 1800 - LOADED_MACHINE_SLACK <= issued.seconds_left(broker.clock()) <= 1800
    assert json.loads(assumed_roles(aws)[issued.access_key_id]["policy"]) == permissions.session_policy(
        INVENTORY.agent("data-ingest"), "enqueue-batches"
    )


def test_each_tool_gets_its_own_narrowed_session(aws):
    broker = CredentialBroker(grants("data-ingest"), AmbientCredentials(), endpoint_url=aws)
    recorded = assumed_roles
    keys = {tool: broker.credentials(tool).access_key_id for tool in ("write-landing-zone", "enqueue-batches", "use-lake-key")}
    sessions = recorded(aws)
    assert len(set(keys.values())) == 3
    for tool, key in keys.items():
        assert json.loads(sessions[key]["policy"]) == permissions.session_policy(INVENTORY.agent("data-ingest"), tool)


def test_web_identity_sends_token_policy_and_duration_but_no_tags(aws, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("header.payload.signature\n")  # moto does not verify the token
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker(grants("deploy-reviewer"), WebIdentityToken(token_file), endpoint_url=proxy.url)
        issued = broker.credentials("read-deploy-plans", trace_id="trace-1")
    [sent] = sent_assume_requests(proxy)
    assert sent["Action"] == "AssumeRoleWithWebIdentity"
    assert sent["WebIdentityToken"] == "header.payload.signature"
    assert sent["RoleSessionName"] == "read-deploy-plans.trace-1"
    assert sent["DurationSeconds"] == "900"
    assert json.loads(sent["Policy"]) == permissions.session_policy(INVENTORY.agent("deploy-reviewer"), "read-deploy-plans")
    # AssumeRoleWithWebIdentity has no Tags/SourceIdentity parameters: AWS takes them from the token's claims only
    assert not any(key.startswith(("Tags.", "SourceIdentity")) for key in sent)
    assert json.loads(assumed_roles(aws)[issued.access_key_id]["policy"])["Statement"][0]["Action"] == ["s3:GetObject"]


def test_repeated_calls_are_served_from_the_cache_and_refreshed_before_the_margin(aws):
    clock = FakeClock()
    broker = CredentialBroker(
        grants("report-builder"), AmbientCredentials(), endpoint_url=aws, clock=clock,
        refresh_margin_seconds=120, refresh_ahead_seconds=0,  # the hard margin alone
    )
    first = broker.credentials("read-sales-exports")
    assert all(broker.credentials("read-sales-exports") is first for _ in range(5))
    assert broker.stats.sts_calls == 1 and broker.stats.cache_hits == 5

    clock.now += first.seconds_left(clock.now) - 121  # 121 s left: still above the margin
    assert broker.credentials("read-sales-exports") is first
    clock.now += 2  # 119 s left: below the margin, never handed out again
    second = broker.credentials("read-sales-exports")
    assert second.access_key_id != first.access_key_id
    assert second.seconds_left(clock.now) >= 120
    assert broker.stats.sts_calls == 2 and broker.stats.issued == 2

    # another tool has its own cache entry
    broker.credentials("list-sales-exports")
    assert broker.stats.issued == 3


def test_near_the_margin_one_caller_renews_while_the_others_keep_the_old_credentials(aws):
    clock = FakeClock()
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker(
            grants("report-builder"), AmbientCredentials(), endpoint_url=proxy.url, clock=clock,
            refresh_margin_seconds=120, refresh_ahead_seconds=60, sleep=no_sleep,
        )
        first = broker.credentials("read-sales-exports")
        clock.now += first.seconds_left(clock.now) - 181  # 181 s left: outside the refresh-ahead window
        assert broker.credentials("read-sales-exports") is first
        clock.now += 2  # 179 s left: inside it
        # while another caller holds the renewal, callers get the old, still valid, credentials at once
        lock = broker._lock_for(("report-builder", "read-sales-exports"))
        with lock:
            assert broker.credentials("read-sales-exports") is first
        renewed = broker.credentials("read-sales-exports")  # this caller renews
        assert renewed.access_key_id != first.access_key_id
        assert broker.credentials("read-sales-exports") is renewed
        assert broker.stats.issued == 2

        # a failed renewal keeps serving the cached credentials (still above the margin)
        clock.now += renewed.seconds_left(clock.now) - 150
        proxy.fault_rate = 1.0
        assert broker.credentials("read-sales-exports") is renewed
        assert broker.stats.failures == 1
        # past the margin they are never served: the caller gets the error
        clock.now += 31
        with pytest.raises(BrokerError, match="gave up after retries"):
            broker.credentials("read-sales-exports")


def test_fifty_threads_asking_for_one_tool_cause_one_sts_call(aws):
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws)
    barrier = threading.Barrier(50)
    results: list[str] = []

    def ask() -> None:
        barrier.wait()
        results.append(broker.credentials("read-sales-exports").access_key_id)

    threads = [threading.Thread(target=ask) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 50 and len(set(results)) == 1
    assert broker.stats.sts_calls == 1 and broker.stats.cache_hits == 49


def test_throttling_and_5xx_are_retried_with_backoff(aws):
    delays: list[float] = []
    with FaultProxy(aws, fault_rate=0.5, seed=3) as proxy:
        broker = CredentialBroker(
            grants("data-ingest"), AmbientCredentials(), endpoint_url=proxy.url, sleep=delays.append, retry=RetryPolicy(max_attempts=8)
        )
        keys = [broker.credentials(tool).access_key_id for tool in ("write-landing-zone", "enqueue-batches", "use-lake-key")]
    assert proxy.stats.throttled >= 1 and proxy.stats.internal_errors >= 1
    assert broker.stats.retries == proxy.stats.faults == len(delays)
    assert broker.stats.issued == 3 and len(set(keys)) == 3
    policy = RetryPolicy(max_attempts=8)
    assert all(0 <= d <= policy.max_delay for d in delays)


def test_gives_up_after_bounded_attempts_with_a_clear_error(aws, caplog):
    with FaultProxy(aws, fault_rate=1.0) as proxy:
        broker = CredentialBroker(
            grants("report-builder"), AmbientCredentials(), endpoint_url=proxy.url, sleep=no_sleep, retry=RetryPolicy(max_attempts=4)
        )
        with caplog.at_level(logging.INFO, logger="agentid.runtime.audit"), pytest.raises(BrokerError) as raised:
            broker.credentials("read-sales-exports")
    assert proxy.stats.sts_requests == 4 and broker.stats.sts_calls == 4
    message = str(raised.value)
    assert "agent 'report-builder', tool 'read-sales-exports'" in message and "gave up after retries (attempt 4/4)" in message
    [record] = [json.loads(r.getMessage()) for r in caplog.records]
    assert record["outcome"] == "failed" and record["attempts"] == 4 and record["error_code"] in ("Throttling", "InternalFailure")


class ReadersOfFailures(dict):
    """The broker's record of failed issuances, noting which threads have read it.

    A caller reads it once before queueing on the tool's lock: that reading is what lets it share the issuance's
    failure instead of starting its own. `wait_for(n)` returns once n threads have read it (or after a minute).
    """

    def __init__(self) -> None:
        super().__init__()
        self.readers: set[int] = set()
        self.changed = threading.Condition()

    def get(self, *args):
        with self.changed:
            self.readers.add(threading.get_ident())
            self.changed.notify_all()
        return super().get(*args)

    def wait_for(self, threads: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.readers) >= threads, timeout=60)


def test_waiters_share_a_failed_issuance_instead_of_retrying_in_turn(aws):
    with FaultProxy(aws, fault_rate=1.0) as proxy:
        # The retry pause is where the other callers queue. It was a 0.2 s sleep, and a caller descheduled for
        # longer on a loaded machine came after the failure and started an issuance of its own; the pause now
        # lasts until all 20 callers have queued, so exactly one issuance runs.
        failures = ReadersOfFailures()
        broker = CredentialBroker(
            grants("report-builder"), AmbientCredentials(), endpoint_url=proxy.url,
            sleep=lambda _: failures.wait_for(20), retry=RetryPolicy(max_attempts=3),
        )
        broker._failures = failures
        barrier = threading.Barrier(20)
        errors: list[BrokerError] = []

        def ask() -> None:
            barrier.wait()
            try:
                broker.credentials("read-sales-exports")
            except BrokerError as error:
                errors.append(error)

        threads = [threading.Thread(target=ask) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(errors) == 20
        assert proxy.stats.sts_requests == 3  # one issuance (3 attempts) for 20 callers
        shared = [e for e in errors if "shared with concurrent callers" in str(e)]
        assert len(shared) == 19 and all(e.code in ("Throttling", "InternalFailure") for e in errors)
        # once STS recovers, the next call issues again
        proxy.fault_rate = 0.0
        assert broker.credentials("read-sales-exports").tool == "read-sales-exports"


def test_a_refusal_is_not_retried_and_says_what_the_trust_needs(aws, caplog):
    with FaultProxy(aws, deny=True) as proxy:
        broker = CredentialBroker(grants("data-ingest"), AmbientCredentials(), endpoint_url=proxy.url, sleep=no_sleep)
        with caplog.at_level(logging.INFO, logger="agentid.runtime.audit"), pytest.raises(BrokerError) as raised:
            broker.credentials("use-lake-key")
    assert proxy.stats.sts_requests == 1 and broker.stats.retries == 0
    assert raised.value.code == "AccessDenied"
    assert "refused (attempt 1/5): AccessDenied" in str(raised.value)
    assert "its trust policy must allow the role itself sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity" in str(raised.value)
    [record] = [json.loads(r.getMessage()) for r in caplog.records]
    assert (record["outcome"], record["error_code"], record["tool"]) == ("failed", "AccessDenied", "use-lake-key")


def test_unreachable_endpoint_is_a_broker_error_not_a_traceback():
    broker = CredentialBroker(
        grants("report-builder"),
        AmbientCredentials(boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")),
        endpoint_url="http://127.0.0.1:9",
        sleep=no_sleep,
        retry=RetryPolicy(max_attempts=2),
        revocation=None,  # the STS path alone (the revocation record's read fails first otherwise: test_revocation)
    )
    with pytest.raises(BrokerError, match="gave up after retries .attempt 2/2.: EndpointConnectionError"):
        broker.credentials("read-sales-exports")


def test_retry_classification():
    def client_error(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "AssumeRole")

    assert is_retryable(client_error("Throttling", 400))
    assert is_retryable(client_error("InternalFailure", 500))
    assert is_retryable(client_error("Whatever", 503))
    assert is_retryable(EndpointConnectionError(endpoint_url="http://x"))
    assert not is_retryable(client_error("AccessDenied", 403))
    assert not is_retryable(client_error("MalformedPolicyDocument", 400))
    assert not is_retryable(client_error("ExpiredTokenException", 400))


def test_one_audit_record_per_issuance_as_json_and_span(aws, caplog):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = CredentialBroker(
        grants("report-builder"), AmbientCredentials(), endpoint_url=aws, audit=AuditLog(tracer=provider.get_tracer("test"))
    )
    with caplog.at_level(logging.INFO, logger="agentid.runtime.audit"):
        issued = [broker.credentials("read-sales-exports", trace_id="t-1") for _ in range(3)]
    [line] = [r for r in caplog.records if r.name == "agentid.runtime.audit"]
    record = json.loads(line.getMessage())
    assert record == line.agentid_audit
    assert {k: record[k] for k in ("agent", "tool", "trace_id", "method", "outcome", "attempts", "access_key_id", "source_identity")} == {
        "agent": "report-builder",
        "tool": "read-sales-exports",
        "trace_id": "t-1",
        "method": "AssumeRole",
        "outcome": "issued",
        "attempts": 1,
        "access_key_id": issued[0].access_key_id,
        "source_identity": "report-builder",
    }
    assert record["session_tags"] == "agent=report-builder,tool=read-sales-exports,trace-id=t-1"
    assert record["role_arn"] == role_arn("report-builder") and record["duration_seconds"] == 900
    assert issued[0].secret_access_key not in line.getMessage() and issued[0].session_token not in line.getMessage()
    [span] = exporter.get_finished_spans()
    assert span.name == "agentid.credentials.issue"
    assert dict(span.attributes) == {**{f"agentid.{k}": v for k, v in record.items()}, "gen_ai.agent.name": "report-builder", "gen_ai.agent.id": "report-builder"}


def test_trace_id_defaults_to_the_active_opentelemetry_trace(aws):
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws)
    with tracer.start_as_current_span("tool-call") as span:
        issued = broker.credentials("read-sales-exports")
    assert issued.trace_id == format(span.get_span_context().trace_id, "032x")


def test_bad_input_is_refused_before_any_sts_call(aws, tmp_path):
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=proxy.url)
        with pytest.raises(BrokerError, match="agent 'report-builder' has no AWS tool 'publish-report' .its AWS tools: list-sales-exports, read-sales-exports"):
            broker.credentials("publish-report")  # an Azure tool: no AWS session policy
        with pytest.raises(BrokerError, match="trace id 'a b'"):
            broker.credentials("read-sales-exports", trace_id="a b")
        missing = CredentialBroker(grants("report-builder"), WebIdentityToken(tmp_path / "nope"), endpoint_url=proxy.url)
        with pytest.raises(BrokerError, match="cannot read the web identity token file"):
            missing.credentials("read-sales-exports")
    assert proxy.stats.sts_requests == 0
    with pytest.raises(BrokerError, match="refresh margin 900 s must be"):
        CredentialBroker(grants("report-builder"), AmbientCredentials(), refresh_margin_seconds=900)
    with pytest.raises(GrantsError, match="duration 600 s is outside"):
        AgentGrants("a", role_arn("a"), {"t": {"Version": "2012-10-17", "Statement": []}}, duration_seconds=600)
    with pytest.raises(GrantsError, match="is not an IAM role ARN"):
        AgentGrants("a", "agent-a", {"t": {"Version": "2012-10-17", "Statement": []}})
    with pytest.raises(GrantsError, match="agent 'support-triage' has no AWS tools|session policy"):
        AgentGrants("support-triage", role_arn("support-triage"), {})


def test_lifetime_is_measured_on_sts_clock_so_a_skewed_host_clock_does_not_matter(aws):
    skewed = FakeClock()
    skewed.now += 3600  # the host clock runs an hour ahead of STS
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws, clock=skewed)
    issued = broker.credentials("read-sales-exports")
    assert 900 - LOADED_MACHINE_SLACK <= issued.seconds_left(skewed.now) <= 900  # not "already expired" (-2700 s)
    assert broker.credentials("read-sales-exports") is issued


def test_the_runtime_library_imports_no_pulumi_and_no_sdk_until_used():
    import subprocess
    import sys

    code = "import sys, agentid.runtime; print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pulumi_aws', 'boto3', 'components', 'policy_packs', 'httpx', 'httpx2', 'cedarpy', 'mcp', 'joserfc', 'authlib', 'azure'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "[]", result.stderr
