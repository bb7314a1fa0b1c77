"""A small HTTP proxy in front of moto that records STS requests and fails a share of them.

Faults are the two answers STS really gives under load: `400 Throttling`
("Rate exceeded") and `500 InternalFailure`, alternating, drawn from a seeded
random generator. Every STS request that reaches the proxy is recorded as its
decoded form parameters, so tests can check what was sent (moto keeps the
session policy but drops session tags and SourceIdentity).
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

THROTTLE_BODY = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
)
INTERNAL_BODY = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type>'
    b"<Code>InternalFailure</Code><Message>injected</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
)
DENIED_BODY = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error>"
    b"<RequestId>fault-proxy</RequestId></ErrorResponse>"
)
_REPLACED = {"content-length", "date", "server"}  # the proxy's own response sets these
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 resets connections when 50 clients connect at once


@dataclass
class ProxyStats:
    sts_requests: int = 0
    throttled: int = 0
    internal_errors: int = 0
    forwarded: int = 0
    sts_params: list[dict[str, str]] = field(default_factory=list)

    @property
    def faults(self) -> int:
        return self.throttled + self.internal_errors


class FaultProxy:
    """`with FaultProxy(upstream, fault_rate=0.1) as proxy: ... proxy.url ...`"""

    def __init__(self, upstream: str, fault_rate: float = 0.0, seed: int = 7, deny: bool = False, sts_delay: float = 0.0):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname, parsed.port
        self.fault_rate = fault_rate
        self.deny = deny  # answer every STS call with 403 AccessDenied (a refusal, not a fault)
        self.sts_delay = sts_delay  # seconds added to every STS answer: a real endpoint's network round trip
        self.stats = ProxyStats()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = ProxyStats()

    def _decide(self, params: dict[str, str]) -> bytes | None:
        """Record an STS request; return a fault body to answer with, or None to forward it."""
        with self._lock:
            self.stats.sts_requests += 1
            self.stats.sts_params.append(params)
            if self.deny:
                return DENIED_BODY
            if self._random.random() >= self.fault_rate:
                return None
            if self.stats.faults % 2 == 0:
                self.stats.throttled += 1
                return THROTTLE_BODY
            self.stats.internal_errors += 1
            return INTERNAL_BODY

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real endpoint

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = _sts_params(self.headers, body)
                if params is not None and proxy.sts_delay:
                    time.sleep(proxy.sts_delay)
                if params is not None:
                    fault = proxy._decide(params)
                    if fault is not None:
                        status = {THROTTLE_BODY: 400, DENIED_BODY: 403}.get(fault, 500)
                        self._answer(status, {"Content-Type": "text/xml"}, fault)
                        return
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    with proxy._lock:
                        proxy.stats.forwarded += 1
                    kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | _REPLACED}
                    self._answer(response.status, kept, payload)
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        return Handler


def _sts_params(headers: object, body: bytes) -> dict[str, str] | None:
    """The form parameters of an STS request (signed or not), None for other services."""
    authorization = headers.get("Authorization", "") or ""
    text = body.decode("utf-8", "replace")
    params = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    is_sts = "/sts/aws4_request" in authorization or params.get("Action", "").startswith(("AssumeRole", "GetCallerIdentity"))
    if not is_sts or "Action" not in params:
        return None
    return params
