"""Google's token endpoints on loopback: Security Token Service and the IAM Credentials API, for the GCP hop.

Real HTTP on 127.0.0.1; google-auth's own code sends the requests. A google.auth transport (`transport()`)
routes https://sts.googleapis.com and https://iamcredentials.googleapis.com to this server, so no request can
leave the machine (any other host raises).

- `POST /v1/token` (STS, RFC 8693 token exchange, https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token):
  a workload's OIDC token (`subject_token_type` jwt, `audience` the Workload Identity provider) becomes a
  federated token; an access token with `options.accessBoundary` becomes a downscoped token (Credential Access
  Boundary), recorded with its rules.
- `POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`
  (https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken):
  a federated token of a principal allowed to impersonate EMAIL gets that account's token for `lifetime`.

`fail_next`: HTTP statuses to answer the next requests with (503 is retryable, 403 a refusal).
`extra_lifetime`: seconds the server adds to what was asked (a server granting longer than asked).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

import requests
from google.auth.transport.requests import Request

from tests.runtime.loopback import LoopbackServer

JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
GOOGLE_HOSTS = ("https://sts.googleapis.com", "https://iamcredentials.googleapis.com")


class FakeGoogle:
    def __init__(self, workload_token: str, provider: str, impersonators: dict[str, str]):
        self.workload_token, self.provider = workload_token, provider
        self.impersonators = impersonators  # service account email -> the federated token's subject allowed to act as it
        self.calls: list[tuple[str, dict]] = []
        self.attempted: list[str] = []  # every URL the transport was asked for, Google's or not
        self.fail_next: list[int] = []
        self.extra_lifetime = 0
        self._counter = 0
        self._tokens: dict[str, str] = {}  # federated token -> the subject it stands for
        self._lock = threading.Lock()

    def __enter__(self) -> "FakeGoogle":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status, answer = fake.answer(self.path, body, self.headers.get("Authorization", ""))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = LoopbackServer().start(Handler)  # a port of its own, bound at once
        self.port = self._server.port
        return self

    def __exit__(self, *exc):
        self._server.stop()

    def transport(self) -> Request:
        """google-auth's requests transport, with Google's token hosts answered by this server."""
        session = requests.Session()
        session.mount("https://", _Loopback(self.port, self.attempted))
        return Request(session)

    def _new(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}-{self._counter}"

    def answer(self, path: str, body: str, authorization: str) -> tuple[int, dict]:
        with self._lock:
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure:
            self.calls.append((path, {"failed": failure}))
            return failure, {"error": {"code": failure, "message": "injected", "status": "UNAVAILABLE" if failure >= 500 else "PERMISSION_DENIED"}}
        if path == "/v1/token":
            form = dict(urllib.parse.parse_qsl(body))
            self.calls.append((path, form))
            return self._exchange(form)
        if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith(":generateAccessToken"):
            request = json.loads(body)
            self.calls.append((path, request))
            return self._impersonate(urllib.parse.unquote(path.split("/")[-1].rsplit(":", 1)[0]), request, authorization)
        return 404, {"error": {"code": 404, "message": f"no {path}"}}

    def _exchange(self, form: dict) -> tuple[int, dict]:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("subject_token_type") == JWT_TYPE:  # Workload Identity Federation
            if form.get("subject_token") != self.workload_token or form.get("audience") != self.provider:
                return 400, {"error": "invalid_grant", "error_description": "subject token or audience not accepted"}
            token = self._new("federated")
            self._tokens[token] = "workload"
            return 200, {"access_token": token, "issued_token_type": ACCESS_TOKEN_TYPE, "token_type": "Bearer", "expires_in": 3600}
        options = json.loads(urllib.parse.unquote(form.get("options") or "{}"))
        if "accessBoundary" not in options or not form.get("subject_token", "").startswith("sa-"):
            return 400, {"error": "invalid_request", "error_description": "a downscoping exchange needs a boundary and a token"}
        return 200, {"access_token": self._new("downscoped"), "issued_token_type": ACCESS_TOKEN_TYPE, "token_type": "Bearer",
                     "expires_in": 3600}  # longer than the source token: the hop must not believe it

    def _impersonate(self, email: str, request: dict, authorization: str) -> tuple[int, dict]:
        caller = self._tokens.get(authorization.removeprefix("Bearer "))
        if caller is None or self.impersonators.get(email) != caller:
            return 403, {"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied",
                                   "status": "PERMISSION_DENIED"}}
        lifetime = int(str(request.get("lifetime", "3600s")).rstrip("s")) + self.extra_lifetime
        expire = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lifetime)
        return 200, {"accessToken": self._new("sa"), "expireTime": expire.strftime("%Y-%m-%dT%H:%M:%SZ")}


class _Loopback(requests.adapters.HTTPAdapter):
    """Sends requests for Google's token hosts to the loopback server; refuses every other host."""

    def __init__(self, port: int, attempted: list[str]):
        super().__init__()
        self.port, self.attempted = port, attempted

    def send(self, request, **kwargs):
        self.attempted.append(request.url)
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host + "/"):
                request.url = f"http://127.0.0.1:{self.port}" + request.url[len(host):]
                return super().send(request, **kwargs)
        raise requests.exceptions.ConnectionError(f"test transport: no network to {request.url}")
