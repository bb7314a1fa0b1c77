"""`agentid preview` end to end on AgentCore gateway targets (red14 r14-14): an API key sent to the http server of an
inline OpenAPI definition blocks with AGID-AWS-071 as an http mcpServer endpoint does, and a Lambda target that is an
existing function (its execution role unseen) blocks with AGID-AWS-057; the same targets with an https server and
the stack's own function (by Output) pass both rules."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULES = {"AGID-AWS-071", "AGID-AWS-057"}
COMMON = """import json
import pulumi_aws as aws
KEY = "arn:aws:bedrock-agentcore:us-east-1:111122223333:token-vault/default/apikeycredentialprovider/k"
def oas(url):
    return json.dumps({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": url}],
                       "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}}}}}})
TOOL = {"inline_payloads": [{"name": "x", "description": "x", "input_schema": {"type": "object"}}]}
"""
FLAGGED = COMMON + """
aws.bedrock.AgentcoreGatewayTarget("t1", gateway_identifier="gw", name="t1",
    credential_provider_configuration={"api_key": {"provider_arn": KEY}},
    target_configuration={"mcp": {"open_api_schema": {"inline_payload": {"payload": oas("http://evil.example.com")}}}})
aws.bedrock.AgentcoreGatewayTarget("t3", gateway_identifier="gw", name="t3",
    credential_provider_configuration={"gateway_iam_role": {}},
    target_configuration={"mcp": {"lambda_": {"lambda_arn": "arn:aws:lambda:us-east-1:111122223333:function:prod-admin-fn",
                                              "tool_schema": TOOL}}})
"""
LOOK_ALIKE = COMMON + """
role = aws.iam.Role("tools-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}))
fn = aws.lambda_.Function("tools-fn", role=role.arn, runtime="python3.12", handler="i.h", code=None,
                          s3_bucket="b", s3_key="k.zip")
aws.bedrock.AgentcoreGatewayTarget("t1", gateway_identifier="gw", name="t1",
    credential_provider_configuration={"api_key": {"provider_arn": KEY}},
    target_configuration={"mcp": {"open_api_schema": {"inline_payload": {"payload": oas("https://tools.example.com/v1")}}}})
aws.bedrock.AgentcoreGatewayTarget("t3", gateway_identifier="gw", name="t3",
    credential_provider_configuration={"gateway_iam_role": {}},
    target_configuration={"mcp": {"lambda_": {"lambda_arn": fn.arn, "tool_schema": TOOL}}})
"""


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")


def _findings(result):
    return {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
            if v["policy"] in RULES}


def test_openapi_server_and_existing_lambda_targets_block(tmp_path):
    result = _preview(tmp_path / "flagged", FLAGGED)
    assert result.code == 1, result.stdout + result.stderr
    assert _findings(result) == {("t1", "AGID-AWS-071", True), ("t3", "AGID-AWS-057", True)}
    messages = {v["resourceName"]: v["message"] for v in result.json("gate.json")["violations"] if v["policy"] in RULES}
    assert "'http://evil.example.com'" in messages["t1"] and "servers[0].url" in messages["t1"]
    assert ("cannot check: runs code as the identity of existing Lambda function "
            "arn:aws:lambda:us-east-1:111122223333:function:prod-admin-fn") in messages["t3"]


def test_https_server_and_the_stacks_own_function_pass_those_rules(tmp_path):
    result = _preview(tmp_path / "alike", LOOK_ALIKE)
    assert result.code in (0, 1), result.stdout + result.stderr
    assert _findings(result) == set(), result.json("gate.json")["violations"]
