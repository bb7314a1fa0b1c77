"""A tool's token used as an azure-core TokenCredential or as google-auth credentials goes only to the tool's own
resource (red11b 13: `get_token` ignored the scope asked for, and a client built with a look-alike account URL got
the storage token). RFC 8707 (a token is for one resource), RFC 6750 §5.2 / RFC 9700 §4.10 (do not send a bearer
token to another server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import HttpResponse, HttpTransport
from azure.core.rest import HttpRequest
from google.auth import exceptions as google_exceptions

from agentid.runtime import AgentGrants, CredentialBroker
from agentid.runtime.bearer import BearerToken
from agentid_components.loader import load_inventory
from tests.runtime.test_azure_hop import identity_endpoint  # noqa: F401 - the loopback managed-identity endpoint

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
STORAGE_SCOPE = "https://storage.azure.com/.default"


def _token(kind: str = "azure", resources: tuple[str, ...] = ("https://acmeexports.blob.core.windows.net",)) -> BearerToken:
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    return BearerToken(kind=kind, agent="reporter", tool="blob-reader", access_token="opaque-test-token",
                       audience=("https://storage.azure.com",), scopes=(STORAGE_SCOPE,),
                       issuer="https://login.microsoftonline.com/t/v2.0", expiration=10.0 ** 9, expires_on=now + 600,
                       lifetime_seconds=600, trace_id="t", resources=resources)


class _Recorder(HttpTransport):
    """A transport that records what would go on the wire."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    def __enter__(self) -> "_Recorder":
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> HttpResponse:
        self.sent.append((request.url, request.headers.get("Authorization")))
        response = HttpResponse(request, None)
        response.status_code, response.headers, response.reason = 200, {}, "OK"
        return response


@pytest.mark.parametrize("scope", ["https://vault.azure.net/.default", "https://management.azure.com/.default",
                                   "https://storage.azure.com.evil.example/.default", ""])
def test_get_token_refuses_another_resources_scope(scope):
    token = _token()
    with pytest.raises(ClientAuthenticationError, match="this token is for https://storage.azure.com, not for scope"):
        token.get_token(scope)
    with pytest.raises(ClientAuthenticationError):
        token.get_token_info(scope)


@pytest.mark.parametrize("scope", [STORAGE_SCOPE, "https://storage.azure.com"])
def test_get_token_gives_the_token_for_its_own_scope(scope):
    assert _token().get_token(scope).token == "opaque-test-token"


def _pipeline(token: BearerToken, transport: _Recorder) -> Pipeline:
    return Pipeline(transport=transport, policies=[BearerTokenCredentialPolicy(token, STORAGE_SCOPE), token.azure_policy()])


@pytest.mark.parametrize("url", [
    "https://acmeexports.blob.core.windows.net.evil.example/nightly?comp=list",  # red11b's look-alike
    "https://otheraccount.blob.core.windows.net/nightly",  # another account of the same service
    "https://acmeexports.blob.core.windows.net/a/../../x",  # a dot segment
])
def test_the_azure_policy_sends_nothing_outside_the_tools_resource(url):
    transport = _Recorder()
    with pytest.raises(ClientAuthenticationError, match="is not the tool's resource"):
        _pipeline(_token(), transport).run(HttpRequest("GET", url))
    assert transport.sent == []


def test_the_azure_policy_lets_the_tools_own_requests_through_with_the_token():
    transport = _Recorder()
    _pipeline(_token(), transport).run(HttpRequest("GET", "https://acmeexports.blob.core.windows.net/nightly?comp=list"))
    assert transport.sent == [("https://acmeexports.blob.core.windows.net/nightly?comp=list", "Bearer opaque-test-token")]


def test_google_credentials_attach_the_token_only_inside_the_tools_resources():
    credentials = _token("gcp", ("https://storage.googleapis.com",)).google_credentials()
    headers: dict[str, str] = {}
    credentials.before_request(None, "GET", "https://storage.googleapis.com/storage/v1/b/charts/o", headers)
    assert headers["authorization"] == "Bearer opaque-test-token"
    for url in ("https://bigquery.googleapis.com/bigquery/v2/projects", "https://storage.googleapis.com.evil.example/x"):
        headers = {}
        with pytest.raises(google_exceptions.RefreshError, match="is not the tool's resource"):
            credentials.before_request(None, "GET", url, headers)
        assert headers == {}


def test_a_token_bound_to_nothing_is_sent_nowhere():
    with pytest.raises(ClientAuthenticationError, match=r"\(none known\)"):
        _pipeline(_token(resources=()), _Recorder()).run(HttpRequest("GET", "https://acmeexports.blob.core.windows.net/x"))


def test_the_broker_binds_the_token_it_issues_to_the_tools_resources(identity_endpoint):  # noqa: F811
    agent = load_inventory(DEV).inventory.agent("report-builder")
    token = CredentialBroker(AgentGrants.from_spec(agent)).credential("publish-report")
    assert token.resources == tuple(f"https://streportsdev.{service}.core.windows.net"
                                    for service in ("blob", "dfs", "queue", "table", "file"))
    transport = _Recorder()
    with pytest.raises(ClientAuthenticationError):
        _pipeline(token, transport).run(HttpRequest("GET", "https://streportsdev.blob.core.windows.net.evil.example/x"))
    _pipeline(token, transport).run(HttpRequest("GET", "https://streportsdev.blob.core.windows.net/reports/r.pdf"))
    assert [url for url, _ in transport.sent] == ["https://streportsdev.blob.core.windows.net/reports/r.pdf"]
