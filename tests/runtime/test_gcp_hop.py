"""The broker's Google Cloud hop through google-auth's real code: the IAM Credentials call that impersonates the
agent's service account for its lifetime, and the STS exchange that carries the Credential Access Boundary."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest
from google.oauth2 import credentials as oauth2_credentials

from agentid.runtime.gcp_hop import GcpHop, GcpHopError, GcpTool, boundary_roles
from agentid_components.spec import Tool

EMAIL = "agent-bq-analyst@example-agents-dev.iam.gserviceaccount.com"
BUCKET = "//storage.googleapis.com/projects/_/buckets/example-analytics-charts"


class _Response:
    def __init__(self, status: int, payload: dict):
        self.status, self.data, self.headers = status, json.dumps(payload).encode(), {}


class FakeGoogle:
    """A google.auth.transport.Request that answers the IAM Credentials API and STS, recording each call."""

    def __init__(self, refuse: bool = False):
        self.calls: list[tuple[str, dict]] = []
        self.refuse = refuse

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        text = body.decode() if isinstance(body, bytes) else (body or "")
        if "iamcredentials.googleapis.com" in url:
            self.calls.append((url, json.loads(text)))
            if self.refuse:
                return _Response(403, {"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied"}})
            expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return _Response(200, {"accessToken": "sa-token", "expireTime": expiry})
        if url == "https://sts.googleapis.com/v1/token":
            self.calls.append((url, dict(urllib.parse.parse_qsl(text))))
            return _Response(200, {"access_token": "downscoped-token", "issued_token_type":
                                   "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 900})
        raise AssertionError(f"unexpected call {method} {url}")


def _hop(tools, request, lifetime=900):
    source = oauth2_credentials.Credentials(token="federated-token")
    return GcpHop("bq-analyst", "example-agents-dev", tools, lifetime, source=source, request=request)


def test_bucket_tool_gets_an_impersonated_token_downscoped_to_its_bucket():
    tool = GcpTool.from_spec(Tool.model_validate({"name": "save-charts", "gcp": {
        "permissions": ["storage.objects.create", "storage.objects.get"], "resource": BUCKET}}))
    assert tool.boundary_roles == ("roles/storage.objectUser",)
    google = FakeGoogle()
    token, expiry = _hop({"save-charts": tool}, google).token("save-charts")
    assert token == "downscoped-token" and expiry is not None
    (iam_url, iam_body), (sts_url, sts_form) = google.calls
    assert iam_url == f"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{EMAIL}:generateAccessToken"
    assert iam_body == {"delegates": None, "scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "900s"}
    assert sts_form["subject_token"] == "sa-token"
    assert sts_form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    # google-auth quotes the JSON once more inside the form (google.oauth2.sts): the server unquotes it
    assert json.loads(urllib.parse.unquote(sts_form["options"])) == {"accessBoundary": {"accessBoundaryRules": [
        {"availableResource": BUCKET, "availablePermissions": ["inRole:roles/storage.objectUser"]}]}}


def test_non_storage_tool_is_bounded_by_its_binding_only():
    tool = GcpTool.from_spec(Tool.model_validate({"name": "query-sales", "gcp": {
        "roles": ["roles/bigquery.dataViewer"], "resource": "//bigquery.googleapis.com/projects/p-one1/datasets/sales"}}))
    assert tool.boundary_roles == ()
    google = FakeGoogle()
    assert _hop({"query-sales": tool}, google).token("query-sales")[0] == "sa-token"
    assert [url for url, _ in google.calls] == [
        f"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{EMAIL}:generateAccessToken"]


def test_boundary_roles_are_the_fewest_covering_roles():
    assert boundary_roles([], ["storage.objects.get"]) == ("roles/storage.objectViewer",)
    assert boundary_roles([], ["storage.objects.create"]) == ("roles/storage.objectCreator",)
    assert boundary_roles(["roles/storage.objectViewer"], []) == ("roles/storage.objectViewer",)
    with pytest.raises(GcpHopError, match="no predefined Cloud Storage role covers storage.buckets.update"):
        boundary_roles([], ["storage.buckets.update"])


def test_refusal_and_unknown_tool_are_one_line_errors():
    tool = GcpTool("t", BUCKET, ("roles/storage.objectViewer",))
    with pytest.raises(GcpHopError, match="Google refused the token"):
        _hop({"t": tool}, FakeGoogle(refuse=True)).token("t")
    with pytest.raises(GcpHopError, match="has no gcp tool 'other'"):
        _hop({"t": tool}, FakeGoogle()).token("other")
    with pytest.raises(GcpHopError, match="outside 1..3600"):
        _hop({"t": tool}, FakeGoogle(), lifetime=7200)
