"""OpenTelemetry spans for each USE of a credential the broker handed out (issuance spans are in audit_log).

One span `agentid.credentials.use` per call made with a broker credential:
- AWS: botocore `before-call` / `after-call` / `after-call-error` hooks on the
  tool's boto3 Session (service, operation, HTTP status, request id);
- OAuth / MCP: the broker's httpx and httpx2 auth (method, URL without its
  query, status, MCP tool name).
Attributes follow the GenAI semantic conventions for the agent
(`gen_ai.agent.name`, `gen_ai.agent.id`) and name the tool, the credential's
kind and its public id (access key id or token jti). Never a secret: no header,
no body, no query string (a URL's query can carry a token, RFC 6750 §2.3).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

USE_SPAN_NAME = "agentid.credentials.use"


def agent_attributes(agent: str) -> dict[str, str]:
    """GenAI semconv agent attributes (gen_ai.agent.*); the id is the agent's name, unique per inventory."""
    return {"gen_ai.agent.name": agent, "gen_ai.agent.id": agent}


def credential_attributes(credential: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        **agent_attributes(credential.agent),
        "agentid.agent": credential.agent,
        "agentid.tool": credential.tool,
        "agentid.kind": credential.kind,
        "agentid.trace_id": credential.trace_id,
    }
    credential_id = getattr(credential, "access_key_id", None) or getattr(credential, "token_id", None)
    if credential_id:
        attributes["agentid.credential_id"] = credential_id
    return attributes


def _safe_url(url: str) -> str:
    parts = urllib.parse.urlsplit(str(url))
    return urllib.parse.urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "", parts.path, "", ""))


def instrument_boto3_session(session: Any, credential: Any, tracer: Any) -> None:
    """Register span hooks on one boto3 Session built from `credential` (its clients inherit them)."""
    if tracer is None:
        return
    from opentelemetry.trace import Status, StatusCode

    base = credential_attributes(credential)

    def before_call(model: Any = None, context: Any = None, **_: Any) -> None:
        if context is None:
            return
        span = tracer.start_span(USE_SPAN_NAME, attributes={
            **base,
            "rpc.system": "aws-api",
            "rpc.service": model.service_model.service_name if model is not None else "",
            "rpc.method": model.name if model is not None else "",
        })
        context["agentid_span"] = span

    def after_call(http_response: Any = None, parsed: Any = None, context: Any = None, **_: Any) -> None:
        span = (context or {}).pop("agentid_span", None)
        if span is None:
            return
        status = getattr(http_response, "status_code", None)
        if status is not None:
            span.set_attribute("http.response.status_code", int(status))
        request_id = ((parsed or {}).get("ResponseMetadata") or {}).get("RequestId") if isinstance(parsed, dict) else None
        if request_id:
            span.set_attribute("aws.request_id", str(request_id))
        if status is not None and int(status) >= 400:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
        span.end()

    def after_call_error(exception: Any = None, context: Any = None, **_: Any) -> None:
        span = (context or {}).pop("agentid_span", None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
            span.end()

    events = session.events
    events.register("before-call", before_call, unique_id=f"agentid-use-before-{id(credential)}")
    events.register("after-call", after_call, unique_id=f"agentid-use-after-{id(credential)}")
    events.register("after-call-error", after_call_error, unique_id=f"agentid-use-error-{id(credential)}")


def start_http_use(tracer: Any, credential: Any, request: Any, target: str | None) -> Any:
    if tracer is None:
        return None
    attributes = {
        **credential_attributes(credential),
        "http.request.method": request.method,
        "url.full": _safe_url(request.url),
    }
    if target and "#" in target:
        attributes["gen_ai.tool.name"] = target.rsplit("#", 1)[1]
    return tracer.start_span(USE_SPAN_NAME, attributes=attributes)


def end_http_use(span: Any, response: Any) -> None:
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("http.response.status_code", response.status_code)
    if response.status_code >= 400:
        span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
    span.end()
