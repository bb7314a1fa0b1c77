"""Hostile-input fixes of the AWS hop (issue 13.3): no secret in any log, a record for every refusal,
collision-free session names, expiry that a clock set back cannot undo. Against a real moto server."""

from __future__ import annotations

import json
import logging
import re
import time

import boto3
import pytest

from agentid.runtime import AgentGrants, AmbientCredentials, AuditLog, BrokerError, CredentialBroker, WebIdentityToken
from agentid.runtime import redaction
from agentid.runtime.broker import session_name
from tests.runtime.fault_proxy import FaultProxy
from tests.runtime.moto_process import LOADED_MACHINE_SLACK, MOTO_ACCOUNT_ID, assumed_roles
from tests.runtime.test_broker import FakeClock, grants, role_arn

READ_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}


def audit_records(caplog) -> list[dict]:
    return [r.agentid_audit for r in caplog.records if hasattr(r, "agentid_audit")]


def test_a_debug_level_run_logs_no_secret_of_any_hop(aws, tmp_path, caplog):
    """botocore at DEBUG prints request bodies, response bodies and canonical requests: none may carry a secret."""
    web_token = "opaque-web-identity-token-4711-do-not-log"
    jwt_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmV4YW1wbGUifQ.c2lnbmF0dXJlLWJ5dGVz"
    token_file = tmp_path / "token"
    caplog.set_level(logging.DEBUG)  # root and every library logger
    issued = []
    for token in (web_token, jwt_token):
        token_file.write_text(token)
        broker = CredentialBroker(grants("deploy-reviewer"), WebIdentityToken(token_file), endpoint_url=aws)
        issued.append(broker.credentials("read-deploy-plans"))
    ambient = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws)
    issued.append(ambient.credentials("read-sales-exports"))
    # Use the credentials too: botocore's SigV4 debug output holds the session token of the caller.
    for credentials in issued:
        assert credentials.session.client("sts", endpoint_url=aws).get_caller_identity()["Arn"].startswith(
            f"arn:aws:sts::{MOTO_ACCOUNT_ID}:assumed-role/"
        )

    secrets = {web_token, jwt_token}
    for credentials in issued:
        recorded = assumed_roles(aws)[credentials.access_key_id]  # moto's own copy of what it issued
        assert recorded["access_key_id"] == credentials.access_key_id
        secrets |= {credentials.secret_access_key, credentials.session_token}
    assert all(len(secret) >= 16 for secret in secrets)
    botocore_lines = [r for r in caplog.records if r.name.startswith("botocore")]
    assert any("Response body" in r.getMessage() for r in botocore_lines)  # the net really was under test
    assert any("CanonicalRequest" in r.getMessage() or "Calculating signature" in r.getMessage() for r in botocore_lines)
    everything = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    leaked = [secret[:6] + "..." for secret in secrets if secret in everything]
    assert leaked == []
    assert redaction.REDACTED in everything


def test_redaction_catches_secret_shapes_it_was_never_told_about():
    body = (
        "<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>"
        "<SessionToken>FwoGZXIvYXdzEBYaDH</SessionToken></Credentials></AssumeRoleResult> "
        "Action=AssumeRoleWithWebIdentity&WebIdentityToken=abc.def.ghi&RoleSessionName=t "
        '{"access_token": "tok-123456789", "token_type": "Bearer", "expires_in": 300} '
        "client_assertion=eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhIn0.sig&client_id=agent "
        "{'Authorization': 'Bearer opaque-bearer-value', 'X-Amz-Security-Token': 'FwoGZXIvYXdzEBYaDH2'} "
        '{"SecretString": "cognito-client-secret-value"}'
    )
    redacted = redaction.redact(body)
    for secret in ("wJalrXUtnFEMI", "FwoGZXIvYXdzEBYaDH", "abc.def.ghi", "tok-123456789", "eyJhbGciOiJFUzI1NiJ9",
                   "opaque-bearer-value", "cognito-client-secret-value"):
        assert secret not in redacted, secret
    # what is not secret stays readable: the key id (CloudTrail's join key), the token type, the lifetime
    for kept in ("ASIAEXAMPLE", "RoleSessionName=t", '"token_type": "Bearer"', '"expires_in": 300', "client_id=agent"):
        assert kept in redacted, kept


def test_every_refusal_leaves_an_audit_record_and_makes_no_sts_call(aws, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    with FaultProxy(aws) as proxy:
        broker = CredentialBroker([grants("report-builder"), grants("data-ingest")], AmbientCredentials(), endpoint_url=proxy.url)
        cases = [
            (dict(tool="read-sales-exports", agent="no-such-agent"), "UnknownAgent", "no grants for agent 'no-such-agent'"),
            (dict(tool="read-sales-exports", agent=None), "NoAgent", "serves 2 agents: name the agent"),
            (dict(tool="publish-report", agent="report-builder"), "UnknownTool", "has no AWS tool 'publish-report'"),
            (dict(tool="enqueue-batches", agent="report-builder"), "UnknownTool", "has no AWS tool 'enqueue-batches'"),  # another agent's tool
            (dict(tool="read-sales-exports", agent="report-builder", trace_id="a b\x1b[31m"), "BadTraceId", "trace id 'a b\\\\x1b\\[31m'"),
            (dict(tool="read-sales-exports", agent="report-builder", trace_id="x" * 129), "BadTraceId", "must be 1-128"),
        ]
        for kwargs, code, message in cases:
            with pytest.raises(BrokerError, match=message) as raised:
                broker.credentials(**kwargs)
            assert raised.value.code == code
    assert proxy.stats.sts_requests == 0
    records = audit_records(caplog)
    assert [r["error_code"] for r in records] == [code for _, code, _ in cases]
    assert {r["outcome"] for r in records} == {"refused"}
    assert {r["event"] for r in records} == {"agentid.credentials.refuse"}
    assert records[0]["agent"] == "no-such-agent" and records[0]["tool"] == "read-sales-exports"
    assert records[3]["agent"] == "report-builder" and records[3]["tool"] == "enqueue-batches"
    assert records[4]["trace_id"] == "a b\x1b[31m"  # the JSON line escapes it
    assert "\x1b" not in [r for r in caplog.records if hasattr(r, "agentid_audit")][4].getMessage()
    assert len(records[5]["trace_id"]) <= 131
    assert broker.stats.refusals == len(cases) and broker.stats.sts_calls == 0


def test_refusal_spans_are_written_with_error_status(aws):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws, audit=AuditLog(tracer=provider.get_tracer("t")))
    with pytest.raises(BrokerError):
        broker.credentials("nope")
    [span] = exporter.get_finished_spans()
    assert span.name == "agentid.credentials.refuse"
    assert span.attributes["agentid.outcome"] == "refused" and span.attributes["agentid.tool"] == "nope"
    assert span.status.status_code.name == "ERROR"


def test_long_tool_names_sharing_a_prefix_get_distinct_session_names(aws):
    prefix = "export-quarterly-sales-figures-to-the-"  # 38 characters: more than the 31 a session name keeps
    tools = [prefix + "finance-lake", prefix + "finance-lakehouse", prefix + "finance-lake-v2"]
    agent = AgentGrants("report-builder", role_arn("report-builder"), {tool: READ_POLICY for tool in tools})
    broker = CredentialBroker(agent, AmbientCredentials(), endpoint_url=aws)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    issued = {tool: broker.credentials(tool, trace_id=trace) for tool in tools}
    names = {tool: assumed_roles(aws)[c.access_key_id]["session_name"] for tool, c in issued.items()}
    assert len(set(names.values())) == 3
    for tool, name in names.items():
        assert len(name) <= 64 and re.fullmatch(r"[\w+=,.@-]+", name)
        assert name == session_name("report-builder", tool, trace)  # stable per (agent, tool, trace)
        assert name.startswith(tool[:22]) and name.endswith("." + trace)
    # short names stay readable and unchanged
    assert session_name("a", "read-sales-exports", "t-1") == "read-sales-exports.t-1"
    # the same tool name under another agent is another (role and) hash
    assert session_name("data-ingest", tools[0], trace) != session_name("report-builder", tools[0], trace)
    # long trace ids are cut with a hash too, so two traces that share 32 characters stay apart
    assert session_name("a", "t", "x" * 40 + "1") != session_name("a", "t", "x" * 40 + "2")


def test_a_host_clock_set_back_cannot_serve_expired_credentials(aws):
    wall = FakeClock()
    steady = FakeClock()
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws, clock=steady, wall_clock=wall)
    first = broker.credentials("read-sales-exports")
    steady.now += 900  # the credentials' whole life passes...
    wall.now -= 3600  # ...while the host clock is set back an hour (NTP step, VM restore)
    second = broker.credentials("read-sales-exports")
    assert second.access_key_id != first.access_key_id
    assert 900 - LOADED_MACHINE_SLACK <= second.seconds_left(steady.now) <= 900  # a new full life, on the steady clock
    assert CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws).clock is time.monotonic


def test_a_server_claiming_a_longer_life_than_asked_is_not_believed(aws, monkeypatch):
    broker = CredentialBroker(grants("report-builder"), AmbientCredentials(), endpoint_url=aws)
    client = broker._sts_client()
    real = client.assume_role

    def longer(**request):
        answer = real(**request)
        answer["Credentials"]["Expiration"] = answer["Credentials"]["Expiration"] + __import__("datetime").timedelta(hours=11)
        return answer

    monkeypatch.setattr(client, "assume_role", longer)
    issued = broker.credentials("read-sales-exports")
    assert issued.seconds_left(broker.clock()) <= 900


def test_redaction_catches_every_jws_header_spelling_and_camel_case_token_fields():
    # red9b (suspicion): only "eyJ..." headers and snake_case fields were caught
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    spaced = b64(b'{ "alg": "RS256" }') + "." + b64(b'{"sub": "agent"}') + ".c2lnbmF0dXJl"
    newline = b64(b'{\n  "alg": "ES256"\n}') + "." + b64(b"{}") + ".c2ln"
    body = (f"token {spaced} and {newline} "
            '{"accessToken": "ya29.opaque-google-token", "expireTime": "2030-01-01T00:00:00Z"} '
            '{"keyId": "k1", "signedJwt": "opaque-signed-value-123"}')
    redacted = redaction.redact(body)
    for secret in (spaced, newline, "ya29.opaque-google-token", "opaque-signed-value-123"):
        assert secret not in redacted, secret
    # words shaped like a first part that is not a JSON header stay readable
    for kept in ("eyewitness.example.org", "ewan.smith.example", '"expireTime": "2030-01-01T00:00:00Z"', '"keyId": "k1"'):
        assert kept in redaction.redact(kept), kept
