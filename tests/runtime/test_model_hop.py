"""The model hop: Bedrock and Azure OpenAI compile to cloud grants; Anthropic and OpenAI federate the workload's
OIDC token through each provider's documented exchange (a loopback server speaking exactly that exchange)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid.runtime.authorization import Authorizer
from agentid.runtime.model_hop import JWT_BEARER, JWT_TOKEN_TYPE, TOKEN_EXCHANGE, ModelProviderTool
from agentid.runtime.oauth import PrivateKeyJWT, WorkloadTokenAssertion
from agentid_components.aws import permissions
from agentid_components.loader import load_inventory

BEDROCK_MODEL = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE = "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
ACCOUNT = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-dev"
CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
WORKLOAD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d3JpdGVyOmFnZW50In0.c2ln"

SPEC = f"""
agents:
  - name: writer
    owner: writing-team
    purpose: drafts release notes
    environment: dev
    review_by: 2031-01-01
    max_credential_minutes: 10
    tools:
      - name: claude-bedrock
        llm:
          bedrock:
            models: [{BEDROCK_MODEL}, {PROFILE}]
            streaming: true
      - name: gpt-azure
        llm:
          azure_openai:
            account: {ACCOUNT}
            data_actions: [{CHAT}]
      - name: claude
        llm:
          anthropic: {{organization_id: 00000000-0000-4000-8000-000000000000, federation_rule_id: fdrl_01abc, service_account_id: svac_01abc}}
      - name: gpt
        llm:
          openai: {{identity_provider_id: wip_01abc, service_account_id: svcacct_01abc}}
    trust:
      - kubernetes: {{issuer: https://oidc.example.com/cluster, namespace: writer, service_account: agent}}
"""


@pytest.fixture
def writer(tmp_path: Path):
    path = tmp_path / "agents.yaml"
    path.write_text(SPEC)
    return load_inventory(path).inventory.agent("writer")


class ProviderServer:
    """Answers POST /v1/oauth/token (Anthropic's shape) and /oauth/token (OpenAI's), as their references document."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.fail_next: list[int] = []  # HTTP statuses to answer before succeeding
        self.answer: dict = {"token_type": "Bearer", "expires_in": 3600}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, body))
                if outer.fail_next:
                    status = outer.fail_next.pop(0)
                    return self._send(status, {"error": "server_error" if status >= 500 else "invalid_grant"})
                if self.path == "/v1/oauth/token":
                    ok = body.get("grant_type") == JWT_BEARER and body.get("assertion") == WORKLOAD_TOKEN
                    token = "sk-ant-oat01-" + "a" * 24
                else:
                    ok = (body.get("grant_type") == TOKEN_EXCHANGE and body.get("subject_token_type") == JWT_TOKEN_TYPE
                          and body.get("subject_token") == WORKLOAD_TOKEN)
                    token = "openai-access-" + "b" * 24
                if not ok:
                    return self._send(401, {"error": "invalid_grant"})
                self._send(200, {"access_token": token, **outer.answer})

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "ProviderServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def provider():
    with ProviderServer() as running:
        yield running


def _broker(writer, provider: ProviderServer, token_file: Path, **kwargs) -> CredentialBroker:
    grants = AgentGrants.from_spec(writer)
    local = {  # the documented paths, on the loopback server
        "claude": ModelProviderTool("claude", "anthropic", grants.llm_tools["claude"].ids, token_endpoint=provider.url + "/v1/oauth/token"),
        "gpt": ModelProviderTool("gpt", "openai", grants.llm_tools["gpt"].ids, token_endpoint=provider.url + "/oauth/token"),
    }
    grants = AgentGrants(agent=grants.agent, role_arn=None, session_policies={}, azure_tools=grants.azure_tools,
                         llm_tools=local, max_credential_seconds=grants.max_credential_seconds)
    return CredentialBroker(grants, oauth_signer=WorkloadTokenAssertion(token_file), sleep=lambda s: None, **kwargs)


def test_bedrock_and_azure_openai_compile_to_exact_cloud_grants(writer):
    bedrock = next(t for t in writer.tools if t.name == "claude-bedrock")
    assert bedrock.cloud == "aws" and bedrock.aws.actions == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert permissions.session_policies(writer)["claude-bedrock"]["Statement"] == [{
        "Sid": "ClaudeBedrock", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": [BEDROCK_MODEL, PROFILE]}]
    azure = next(t for t in writer.tools if t.name == "gpt-azure")
    assert azure.cloud == "azure" and azure.azure.scope == ACCOUNT and azure.azure.data_actions == [CHAT] and not azure.azure.actions
    grants = AgentGrants.from_spec(writer, role_arn="arn:aws:iam::111122223333:role/agent-writer")
    assert grants.azure_tools["gpt-azure"].resource == "https://cognitiveservices.azure.com"  # an Entra token, no API key
    assert set(grants.llm_tools) == {"claude", "gpt"} and writer.clouds == ["aws", "azure"]


@pytest.mark.parametrize("grant, message", [
    ("bedrock: {models: ['arn:aws:bedrock:eu-west-1::foundation-model/*']}", "is not one exact Bedrock model ARN"),
    ("bedrock: {models: ['arn:aws:s3:::bucket/key']}", "is not one exact Bedrock model ARN"),
    ("bedrock: {models: []}", "'models' is empty: list at least one entry"),
    (f"azure_openai: {{account: {ACCOUNT}, data_actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read']}}",
     "is not an Azure OpenAI data action"),
    ("azure_openai: {account: /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ai, data_actions: ['" + CHAT + "']}",
     "is not a Cognitive Services account id"),
    ("anthropic: {organization_id: 'x y', federation_rule_id: f, service_account_id: s}", "is not an identifier"),
    ("{}", "needs exactly one of bedrock, azure_openai, anthropic or openai (found none)"),
    ("openai: {identity_provider_id: a, service_account_id: b}\n          anthropic: {organization_id: o, federation_rule_id: f, service_account_id: s}",
     "found anthropic, openai"),
])
def test_bad_llm_grants_are_one_line_each(tmp_path, grant, message):
    from agentid_components.loader import SpecLoadError

    path = tmp_path / "agents.yaml"
    path.write_text(SPEC.split("    tools:")[0] + f"    tools:\n      - name: model\n        llm:\n          {grant}\n"
                    + "    trust:" + SPEC.split("    trust:")[1])
    with pytest.raises(SpecLoadError) as raised:
        load_inventory(path)
    assert message in str(raised.value) and "tools[0].llm" in str(raised.value)


def test_an_llm_grant_with_another_grant_is_refused_but_its_own_compiled_grant_round_trips(writer, tmp_path):
    from agentid_components.spec import Tool

    dumped = next(t for t in writer.tools if t.name == "claude-bedrock").model_dump(exclude_none=True)
    assert Tool.model_validate(dumped).aws.resources == [BEDROCK_MODEL, PROFILE]  # inventory JSON loads back
    dumped["aws"]["resources"] = ["arn:aws:bedrock:eu-west-1::foundation-model/other-model-v1:0"]
    with pytest.raises(ValueError, match="exactly one of aws, azure, gcp, oauth or llm \\(found aws, llm\\)"):
        Tool.model_validate(dumped)


def test_anthropic_and_openai_exchange_the_workload_token_as_documented(writer, provider, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    token_file = tmp_path / "token"
    token_file.write_text(WORKLOAD_TOKEN)
    broker = _broker(writer, provider, token_file)
    claude = broker.credential("claude")
    assert claude.kind == "llm" and claude.audience == ("https://api.anthropic.com",)
    assert claude.lifetime_seconds == 600  # the server said 3600 s; max_credential_minutes is 10
    gpt = broker.credential("gpt")
    assert gpt.kind == "llm" and gpt.audience == ("https://api.openai.com",)
    (anthropic_path, anthropic_body), (openai_path, openai_body) = provider.requests
    assert anthropic_path == "/v1/oauth/token" and anthropic_body == {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": WORKLOAD_TOKEN,
        "organization_id": "00000000-0000-4000-8000-000000000000", "federation_rule_id": "fdrl_01abc", "service_account_id": "svac_01abc"}
    assert openai_path == "/oauth/token" and openai_body == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "subject_token": WORKLOAD_TOKEN, "identity_provider_id": "wip_01abc", "service_account_id": "svcacct_01abc"}
    assert broker.credential("claude") is claude and len(provider.requests) == 2  # cached
    for secret in (WORKLOAD_TOKEN, claude.access_token, gpt.access_token):
        assert secret not in caplog.text


def test_model_provider_failures_are_refusals_never_a_token(writer, provider, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(WORKLOAD_TOKEN)
    provider.fail_next = [503, 503]  # transient: retried, then issued
    assert _broker(writer, provider, token_file).credential("claude").kind == "llm"
    provider.fail_next = [400]
    with pytest.raises(BrokerError, match="hop llm: anthropic token endpoint .* refused the exchange: HTTP 400 invalid_grant"):
        _broker(writer, provider, token_file).credential("claude")
    provider.answer = {"token_type": "Bearer", "expires_in": 0}
    with pytest.raises(BrokerError, match="no positive lifetime"):
        _broker(writer, provider, token_file).credential("gpt")
    provider.answer = {"token_type": "mac", "expires_in": 60}
    with pytest.raises(BrokerError, match="not Bearer"):
        _broker(writer, provider, token_file).credential("gpt")
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln-another-workload")  # the provider refuses a token it does not federate
    provider.answer = {"token_type": "Bearer", "expires_in": 60}
    with pytest.raises(BrokerError, match="HTTP 401 invalid_grant"):
        _broker(writer, provider, token_file).credential("gpt")
    # a key the agent signs itself is not a federated identity: refused before any request
    grants = AgentGrants.from_spec(writer)
    from joserfc import jwk

    broker = CredentialBroker(grants, oauth_signer=PrivateKeyJWT(jwk.ECKey.generate_key("P-256")))
    with pytest.raises(BrokerError, match="needs the workload's own OIDC token") as raised:
        broker.credential("claude")
    assert raised.value.code == "no_workload_token"


def test_cedar_permits_model_calls_only_on_the_tools_provider(writer, provider, tmp_path):
    authorizer = Authorizer.from_spec([writer])
    context = {"trace_id": "t", "on_behalf_of": "", "time": 0, "hour": 0}
    assert authorizer.decide("writer", "claude", "https://api.anthropic.com/v1/messages", context).allowed
    assert not authorizer.decide("writer", "claude", "https://api.openai.com/v1/responses", context).allowed
    assert authorizer.decide("writer", "claude-bedrock", BEDROCK_MODEL, context).allowed
    assert not authorizer.decide("writer", "claude-bedrock", "arn:aws:bedrock:eu-west-1::foundation-model/other-v1:0", context).allowed
    assert authorizer.decide("writer", "gpt-azure", ACCOUNT + "/deployments/gpt-4o", context).allowed
