"""One audit record per credential issuance or refusal: a JSON log line and, when OpenTelemetry is there, a span.

The record names who got what (agent, tool, role, session policy hash, access
key id, expiry) and why (trace id): enough to match it with the CloudTrail
`AssumeRole*` event, never the secret or the session token. The log line and
the span carry the same attributes, so either can be the system of record.

OpenTelemetry is optional: without `opentelemetry-api` only the log line is
written; with the API but no SDK configured the span is a no-op.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

AUDIT_LOGGER = "agentid.runtime.audit"
SPAN_NAME = "agentid.credentials.issue"
REFUSAL_SPAN_NAME = "agentid.credentials.refuse"
ATTRIBUTE_PREFIX = "agentid."

try:  # optional dependency
    from opentelemetry import trace as _otel_trace
except ImportError:  # pragma: no cover - the kit's venv ships opentelemetry-api through moto
    _otel_trace = None


def current_trace_id() -> str:
    """The active OpenTelemetry trace id (32 hex digits), or a fresh random one when no trace is active."""
    if _otel_trace is not None:
        context = _otel_trace.get_current_span().get_span_context()
        if context.is_valid:
            return format(context.trace_id, "032x")
    return uuid.uuid4().hex


def span_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """The record as OpenTelemetry attributes: same keys, prefixed; no None values (OTel rejects them).

    Plus the GenAI semantic-convention agent attributes (gen_ai.agent.name, gen_ai.agent.id).
    """
    attributes = {ATTRIBUTE_PREFIX + key: value if isinstance(value, (str, bool, int, float)) else str(value)
                  for key, value in record.items() if value is not None}
    if isinstance(record.get("agent"), str):
        attributes["gen_ai.agent.name"] = attributes["gen_ai.agent.id"] = record["agent"]
    return attributes


class AuditLog:
    """Writes issuance records; pass your own logger or tracer (e.g. in tests) or take the defaults."""

    def __init__(self, logger: logging.Logger | None = None, tracer: Any = None):
        self.logger = logger or logging.getLogger(AUDIT_LOGGER)
        if tracer is None and _otel_trace is not None:
            tracer = _otel_trace.get_tracer("agentid.runtime")
        self.tracer = tracer

    @contextmanager
    def issuance(self, **attributes: Any) -> Iterator[dict[str, Any]]:
        """Time one issuance; the caller fills the yielded record; one record is written on exit, success or not."""
        record: dict[str, Any] = dict(attributes)
        started = time.perf_counter()
        span_context = (
            self.tracer.start_as_current_span(SPAN_NAME, record_exception=False, set_status_on_exception=False)
            if self.tracer is not None
            else None
        )
        span = span_context.__enter__() if span_context is not None else None
        try:
            yield record
        except BaseException as error:
            record["outcome"] = "failed"
            record.setdefault("error", f"{type(error).__name__}: {error}")
            self._finish(record, started, span, failed=True)
            raise
        else:
            record["outcome"] = "issued"
            self._finish(record, started, span, failed=False)
        finally:
            if span_context is not None:
                span_context.__exit__(None, None, None)

    def refusal(self, **attributes: Any) -> dict[str, Any]:
        """Record a request refused before any issuance (unknown agent or tool, bad trace id, policy deny).

        Written at WARNING with `outcome: refused`; the span has ERROR status.
        Returns the record as written.
        """
        record: dict[str, Any] = {key: value for key, value in attributes.items() if value is not None}
        record["outcome"] = "refused"
        record["event"] = REFUSAL_SPAN_NAME
        if self.tracer is not None:
            with self.tracer.start_as_current_span(REFUSAL_SPAN_NAME, record_exception=False, set_status_on_exception=False) as span:
                span.set_attributes(span_attributes(record))
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, record.get("error", "")))
        self.logger.warning(json.dumps(record, sort_keys=True, default=str), extra={"agentid_audit": record})
        return record

    def _finish(self, record: dict[str, Any], started: float, span: Any, failed: bool) -> None:
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        record["event"] = SPAN_NAME
        if span is not None:
            span.set_attributes(span_attributes(record))
            if failed:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, record.get("error", "")))
        level = logging.WARNING if failed else logging.INFO
        self.logger.log(level, json.dumps(record, sort_keys=True, default=str), extra={"agentid_audit": record})
