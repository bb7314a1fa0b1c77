"""AGID-GEN-004 over gRPC: a literal credential in any input of any resource blocks (red11a 18, 21: AWS key pairs,
GitHub tokens and storage keys in AgentCore runtime env, Batch env, CloudFormation/ARM parameters, Glue arguments,
Step Functions definitions, Container Apps env, VM custom data ... passed because only documented secret fields
were read). detect-secrets decides; values are built here, never real credentials."""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GEN-004"
# AWS's documented example key pair (IAM user guide), a GitHub token shape and a storage key shape built in place
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + "IBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


def flagged(pack, type_: str, props: dict) -> list[str]:
    pack.configure({})
    resource = StackResource(type_, "r", urn(type_, "r"), props)
    return [d.message for d in pack.analyze_stack([resource])
            if d.policy_name == RULE and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize(("type_", "props", "path"), [
    ("aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime",
     {"environmentVariables": {"AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}},
     "environmentVariables.AWS_ACCESS_KEY_ID"),
    ("aws:batch/jobDefinition:JobDefinition",
     {"containerProperties": json.dumps({"environment": [{"name": "GH", "value": GITHUB_TOKEN}]})},
     "containerProperties.environment[0].value"),
    ("aws:cloudformation/stack:Stack", {"parameters": {"DeployKey": PRIVATE_KEY}}, "parameters.DeployKey"),
    ("aws:glue/job:Job", {"defaultArguments": {"--smtp-password": "Wint3r-is-c0ming!"}},
     "defaultArguments.--smtp-password"),
    ("azure-native:app:Job", {"template": {"containers": [{"env": [{"name": "DB_PASSWORD", "value": "Sup3r-s3cret!"}]}]}},
     "template.containers[0].env[0].value"),
    ("azure-native:resources:Deployment", {"properties": {"parameters": {"clientSecret": {"value": "Q8x~a1B2c3D4e5F6g7H8"}}}},
     "properties.parameters.clientSecret.value"),
    ("gcp:cloudfunctionsv2/function:Function",
     {"serviceConfig": {"environmentVariables": {"HOOK": "https://deploy:pa55w0rd-x@hooks.example.com/run"}}},
     "serviceConfig.environmentVariables.HOOK"),
    ("acme:index:Anything", {"notes": f"rotate {AWS_KEY_ID} soon"}, "notes"),  # a package no rule knows
])
def test_a_literal_credential_anywhere_blocks(pack, type_, props, path):
    [message] = flagged(pack, type_, props)[:1]
    assert f"r: {path} holds a literal credential (detect-secrets: " in message
    for secret in (AWS_KEY_ID, AWS_SECRET, GITHUB_TOKEN, "Sup3r-s3cret!", "pa55w0rd"):
        assert secret not in message  # never the value


@pytest.mark.parametrize(("type_", "props"), [
    # references to where a secret is kept
    ("aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime",
     {"environmentVariables": {"DB_PASSWORD": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"}}),
    ("aws:cloudformation/stack:Stack", {"parameters": {"DbPassword": "{{resolve:secretsmanager:db:SecretString:pw}}"}}),
    ("azure-native:web:WebAppApplicationSettings",
     {"properties": {"DB_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)"}}),
    # names that are not a secret's, values that are not credentials
    ("aws:cognito/userPoolClient:UserPoolClient", {"tokenValidityUnits": {"accessToken": "minutes"}}),
    ("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", {"minimumPasswordLength": 14, "passwordReusePrevention": 24}),
    ("aws:ecs/taskDefinition:TaskDefinition", {"family": "sha256:9b2a7c1e0f3d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"}),
    ("aws:secretsmanager/secret:Secret", {"name": "db-password", "description": "the token for the reports API"}),
    ("azure-native:storage:StorageAccount", {"accountName": "streports", "kind": "StorageV2"}),
    # the placeholder agentid preview sends for a `secure:` stack value
    ("aws:glue/job:Job", {"defaultArguments": {"--password": "[secret: not decrypted by agentid preview]"}}),
])
def test_look_alikes_pass(pack, type_, props):
    assert flagged(pack, type_, props) == []


def test_a_type_with_its_own_literal_secret_rule_is_reported_once(pack):
    # aws:lambda/function:Function is AGID-AWS-007's: the same key there is one finding, not two
    pack.configure({})
    type_ = "aws:lambda/function:Function"
    resource = StackResource(type_, "fn", urn(type_, "fn"), {"environment": {"variables": {"KEY": AWS_KEY_ID}}})
    stack = [d.policy_name for d in pack.analyze_stack([resource]) if d.policy_name == RULE]
    assert stack == []
