"""A bearer token goes only to its tool's resource, on every hop (red7a 3 and 4).

red7a 3: broker_auth() on an Azure (non-OAuth) tool checked no host at all: the Entra token went to
http://evil.example and https://user@evil.example. Every bearer tool kind now has known resources (OAuth/MCP: the
audience; Azure: the service's hosts, the scope's resource only; GCP: Google's APIs, Cloud Storage for a bucket;
model providers: their API origin); an AWS tool has none (its credentials sign requests).
red7a 4: (a) a same-origin 302 from /tickets/x to /admin carried the token (httpx follows redirects inside one step
of the auth flow and keeps Authorization on the same origin), (b) /tickets/%2e%2e/admin passed the path check.
Redirect hops are now judged before their headers are written; dot segments, encoded dots, backslashes, encoded
slashes and empty segments are refused.
"""

from __future__ import annotations

import base64
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from joserfc import jwk

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid.runtime.mcp_auth import broker_auth
from agentid.runtime.oauth import OAuthTool, PrivateKeyJWT
from agentid.runtime.resource_binding import path_problem, within
from agentid_components.loader import load_inventory
from tests.runtime.loopback import LoopbackServer
from tests.runtime.oauth_server import AuthorizationServer

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
INVENTORY = load_inventory(DEV).inventory


@pytest.mark.parametrize("path, problem", [
    ("/tickets/%2e%2e/admin", "a percent-encoded dot segment"),
    ("/tickets/%2E%2E/admin", "a percent-encoded dot segment"),
    ("/tickets/.%2e/admin", "a percent-encoded dot segment"),
    ("/tickets/%2e/x", "a percent-encoded dot segment"),
    ("/tickets/%252e%252e/admin", "a percent-encoded dot segment"),  # double-encoded: judged at every decoding
    ("/tickets/../admin", "a dot segment '..'"),
    ("/tickets/./x", "a dot segment '.'"),
    ("/tickets/..;/admin", "a dot segment '..;'"),  # Tomcat-like servers drop the ;parameter
    ("/tickets//admin", "an empty segment ('//')"),
    ("/tickets\\..\\admin", "a backslash (some servers read it as a slash)"),
    ("/tickets/%5c..%5cadmin", "an encoded slash or backslash"),
    ("/tickets/%2f..%2fadmin", "an encoded slash or backslash"),
    ("/tickets/%2F", "an encoded slash or backslash"),
])
def test_paths_a_server_may_resolve_elsewhere_are_refused(path, problem):
    assert path_problem(path) == problem
    assert not within("https://api.example.com/tickets", f"https://api.example.com{path}")


@pytest.mark.parametrize("path", [
    "/tickets", "/tickets/", "/tickets/x", "/tickets/a.b/c..d", "/tickets/...", "/tickets/..x", "/tickets/%41%20b",
    "/tickets/x;v=1", "/tickets/caf%C3%A9",
])
def test_look_alike_paths_stay_allowed(path):
    assert path_problem(path) is None
    assert within("https://api.example.com/tickets", f"https://api.example.com{path}")


class _Api:
    """A resource server on loopback: /tickets/x answers 302 to `redirect_to`, the rest 200; records each request's
    path and whether it carried an Authorization header."""

    def __init__(self, redirect_to: str):
        self.redirect_to, self._http = redirect_to, LoopbackServer()
        self.port = self._http.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[tuple[str, bool]] = []

    def __enter__(self) -> "_Api":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api.seen.append((self.path, "Authorization" in self.headers))
                if self.path == "/tickets/x":
                    self.send_response(302)
                    self.send_header("Location", api.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._http.start(Handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.stop()


@pytest.fixture
def tickets():
    """A real authorization server and a CredentialBroker whose OAuth tool's audience is API/tickets."""
    def make(api: _Api) -> tuple[CredentialBroker, AuthorizationServer]:
        key = jwk.ECKey.generate_key("P-256", auto_kid=True)
        authorization.register("a", jwk.ECKey.import_key(key.as_dict(private=False)), {f"{api.url}/tickets": ["read"]})
        grants = AgentGrants(agent="a", role_arn=None, session_policies={}, max_credential_seconds=600,
                             oauth_tools={"t": OAuthTool("t", f"{api.url}/tickets", ("read",), issuer=authorization.issuer)})
        return CredentialBroker(grants, oauth_signer=PrivateKeyJWT(key), revocation=None, revocation_list=None), authorization

    with AuthorizationServer() as authorization:
        yield make


def test_a_same_origin_redirect_out_of_the_audience_path_is_refused_before_its_headers(tickets):
    with _Api(redirect_to="/admin/delete-all") as api:
        broker, _ = tickets(api)
        with httpx.Client(auth=broker_auth(broker, "t"), follow_redirects=True, timeout=10) as client:
            with pytest.raises(BrokerError, match=rf"^tool 't': refusing to send its token to {api.url}/admin/delete-all: "
                                                  rf"not the tool's resource \({api.url}/tickets;") as refused:
                client.get(f"{api.url}/tickets/x")
        assert refused.value.code == "WrongResource"
        assert api.seen == [("/tickets/x", True)]  # the redirect's request was never written


def test_a_redirect_within_the_audience_is_followed_with_the_token(tickets):
    with _Api(redirect_to="/tickets/y") as api:
        broker, _ = tickets(api)
        with httpx.Client(auth=broker_auth(broker, "t"), follow_redirects=True, timeout=10) as client:
            assert client.get(f"{api.url}/tickets/x").text == "ok"
        assert api.seen == [("/tickets/x", True), ("/tickets/y", True)]


def test_an_encoded_dot_segment_is_refused_before_a_token_is_minted(tickets):
    with _Api(redirect_to="/tickets/y") as api:
        broker, authorization = tickets(api)
        with httpx.Client(auth=broker_auth(broker, "t"), timeout=10) as client:
            with pytest.raises(BrokerError, match=r"refusing to send its token to .*/tickets/%2e%2e/admin \(its path holds a "
                                                  r"percent-encoded dot segment\): not the tool's resource") as refused:
                client.get(f"{api.url}/tickets/%2e%2e/admin")
        assert refused.value.code == "WrongResource" and authorization.issued == [] and api.seen == []


class _EntraIdentity:
    """An azure-core TokenCredential answering a JWT-shaped token for the asked resource (the hop reads `aud`)."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        def part(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        aud = scopes[0].removesuffix("/.default")
        return AccessToken(f"{part({'alg': 'RS256'})}.{part({'aud': aud})}.c2ln", int(time.time()) + 3600)


def _sent(auth: Any, url: str) -> str | None:
    """The Authorization header `auth` puts on a GET of `url` (httpx MockTransport: nothing leaves the process)."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200)

    with httpx.Client(auth=auth, transport=httpx.MockTransport(handler)) as client:
        client.get(url)
    return seen[0]


@pytest.mark.parametrize("url", [
    "http://evil.example/steal", "https://user@evil.example/x", "https://streportsdev.blob.core.windows.net@evil.example/x",
    "https://streportsdev2.blob.core.windows.net/weekly/x",  # another storage account than the scope names
    "http://streportsdev.blob.core.windows.net/weekly/x",  # cleartext
    "https://streportsdev.blob.core.windows.net.evil.example/weekly/x",
])
def test_an_azure_tools_token_goes_to_no_other_host(url):
    broker = CredentialBroker(AgentGrants.from_spec(INVENTORY.agent("report-builder")), azure_credential=_EntraIdentity(),
                              revocation=None, revocation_list=None)
    with pytest.raises(BrokerError, match=r"refusing to send its token to .*: not the tool's resource "
                                          r"\(https://streportsdev.blob.core.windows.net or https://streportsdev.dfs.core") as refused:
        _sent(broker_auth(broker, "publish-report"), url)
    assert refused.value.code == "WrongResource" and broker.stats.issued == 0


def test_an_azure_tools_token_goes_to_the_scopes_storage_account():
    broker = CredentialBroker(AgentGrants.from_spec(INVENTORY.agent("report-builder")), azure_credential=_EntraIdentity(),
                              revocation=None, revocation_list=None)
    sent = _sent(broker_auth(broker, "publish-report"), "https://STREPORTSDEV.blob.core.windows.net/weekly/r.csv")
    assert sent == f"Bearer {broker.credential('publish-report').access_token}"


def test_a_resource_group_scope_allows_any_host_of_its_service_only():
    deployer = INVENTORY.agent("deploy-reviewer")
    tool = next(t.name for t in deployer.tools if t.azure)
    broker = CredentialBroker(AgentGrants.from_spec(deployer), azure_credential=_EntraIdentity(), revocation=None,
                              revocation_list=None)
    assert _sent(broker_auth(broker, tool), "https://management.azure.com/subscriptions/s/resourceGroups/rg-apps-dev")
    with pytest.raises(BrokerError, match=r"not the tool's resource \(https://management.azure.com;"):
        _sent(broker_auth(broker, tool), "https://management.azure.com.evil.example/x")


@pytest.mark.parametrize("tool, good, bad", [
    ("save-charts", "https://storage.googleapis.com/storage/v1/b/example-analytics-charts/o",
     "https://storage.googleapis.com.evil.example/x"),
    ("save-charts", "https://example-analytics-charts.storage.googleapis.com/chart.png", "https://www.googleapis.com/x"),
    ("query-sales", "https://bigquery.googleapis.com/bigquery/v2/projects/p/datasets/sales", "https://bigquery.example/x"),
])
def test_a_gcp_tools_resources(tool, good, bad):
    from agentid.runtime.resource_binding import tool_resources

    grants = AgentGrants.from_spec(INVENTORY.agent("bq-analyst"), gcp_project="example-analytics-dev")
    resources = tool_resources(grants, tool)
    assert any(within(r, good) for r in resources) and not any(within(r, bad) for r in resources)


def test_an_aws_tool_sends_no_bearer():
    broker = CredentialBroker(AgentGrants.from_spec(INVENTORY.agent("report-builder"),
                                                    "arn:aws:iam::123456789012:role/agent-report-builder"),
                              revocation=None, revocation_list=None)
    with pytest.raises(BrokerError, match=r"not the tool's resource \(none: an AWS tool's credentials sign requests "
                                          r"\(broker.session\(tool\)\);") as refused:
        _sent(broker_auth(broker, "read-sales-exports"), "https://example-sales-exports.s3.amazonaws.com/weekly/a.csv")
    assert refused.value.code == "WrongResource" and broker.stats.sts_calls == 0


def test_an_azure_tool_under_cedar_is_decided_as_the_tool_not_by_url():
    """Cedar names an Azure tool's targets by ARM id (its scope), so broker_auth asks for the tool as a whole: the
    generated permit allows it (a URL target would match no permit and be denied)."""
    from agentid.runtime.authorization import Authorizer

    agent = INVENTORY.agent("report-builder")
    broker = CredentialBroker(AgentGrants.from_spec(agent), azure_credential=_EntraIdentity(), revocation=None,
                              revocation_list=None, authorizer=Authorizer.from_spec([agent]))
    assert _sent(broker_auth(broker, "publish-report"), "https://streportsdev.blob.core.windows.net/weekly/r.csv")
    assert broker.stats.issued == 1
